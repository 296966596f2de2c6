from django import forms
from django.contrib import admin

from deskside.reports.models import MonthlyMail


class MonthlyMailForm(forms.ModelForm[MonthlyMail]):
    class Meta:
        model = MonthlyMail
        fields = ("organisation", "contacts", "enabled")

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        organisation = data.get("organisation")
        strangers = [
            c
            for c in data.get("contacts") or []
            if c.organisation_id != getattr(organisation, "pk", None)
        ]
        if strangers:
            raise forms.ValidationError(
                "Only contacts of the organisation get its report: "
                + ", ".join(c.email for c in strangers)
            )
        return data


@admin.register(MonthlyMail)
class MonthlyMailAdmin(admin.ModelAdmin[MonthlyMail]):
    form = MonthlyMailForm
    list_display = ("organisation", "enabled", "last_month")
    readonly_fields = ("last_month",)
    filter_horizontal = ("contacts",)
    search_fields = ("organisation__name",)
