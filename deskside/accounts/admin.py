from django.contrib import admin
from django.db import models
from django.http import HttpRequest

from deskside.accounts.models import Contact, Organisation, SignInAttempt


class ReadOnlyAdmin[M: models.Model](admin.ModelAdmin[M]):
    """Rows the desk and the actions write: listed for a lead to look into, never edited here."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: M | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: M | None = None) -> bool:
        return False


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
    list_display = ("email", "name", "organisation", "language", "country", "mail_failing_since")
    list_filter = ("language", "country")
    search_fields = ("email", "name", "organisation__name")
    list_select_related = ("organisation",)
    autocomplete_fields = ("organisation",)
    raw_id_fields = ("user",)


@admin.register(SignInAttempt)
class SignInAttemptAdmin(ReadOnlyAdmin[SignInAttempt]):
    """Wrong passwords and link requests, as the sign-in limits count them: who is being tried."""

    list_display = ("created_at", "kind", "account", "ip")
    list_filter = ("kind",)
    search_fields = ("account", "ip")
