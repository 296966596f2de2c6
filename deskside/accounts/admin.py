from django.contrib import admin

from deskside.accounts.models import Contact, Organisation


class ContactInline(admin.TabularInline[Contact, Organisation]):
    model = Contact
    fields = ("email", "name", "language")
    extra = 0
    show_change_link = True


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin[Organisation]):
    list_display = ("name", "city", "postal_code", "country")
    list_filter = ("country",)
    search_fields = ("name", "city", "postal_code")
    inlines = [ContactInline]


@admin.register(Contact)
class ContactAdmin(admin.ModelAdmin[Contact]):
    list_display = ("email", "name", "organisation", "language", "country")
    list_filter = ("language", "country")
    search_fields = ("email", "name", "organisation__name")
    list_select_related = ("organisation",)
    autocomplete_fields = ("organisation",)
    raw_id_fields = ("user",)
