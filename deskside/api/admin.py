"""API tokens in the admin: client tokens are made here (a contact of one organisation); staff
may make their own under Desk → API tokens. The token is shown once, in the message that
follows its creation; only its digest is kept."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone

from deskside.api import tokens
from deskside.api.models import AlertRouting, ApiToken


class ApiTokenForm(forms.ModelForm[ApiToken]):
    class Meta:
        model = ApiToken
        fields = ["name", "scope", "user", "contact", "revoked_at"]

    def clean(self) -> dict[str, Any]:
        data: dict[str, Any] = super().clean() or {}
        user, contact = data.get("user"), data.get("contact")
        if (user is None) == (contact is None):
            raise forms.ValidationError("Choose a member of staff or a contact, not both.")
        if contact is not None and contact.organisation_id is None:
            # A client token sees one organisation's tickets: a contact without one has none.
            raise forms.ValidationError("A client token needs a contact of an organisation.")
        return data


class AlertRoutingInline(admin.StackedInline[AlertRouting, ApiToken]):
    """A client token that receives monitoring alerts: which label gives the level, and how
    (docs/api.md, Monitoring alerts); without one, severity critical → 1, anything else → 3."""

    model = AlertRouting
    max_num = 1
    extra = 0
    verbose_name = "alert routing (a receiver of monitoring alerts)"


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin[ApiToken]):
    form = ApiTokenForm
    inlines = [AlertRoutingInline]
    list_display = ["name", "prefix", "user", "contact", "scope", "last_used_at", "revoked_at"]
    list_filter = ["scope", "revoked_at"]
    search_fields = ["name", "prefix", "user__username", "contact__email"]
    readonly_fields = ["prefix", "created_at", "last_used_at"]
    actions = ["revoke"]

    def save_model(self, request: HttpRequest, obj: ApiToken, form: Any, change: bool) -> None:
        text = None if change else tokens.fill(obj)
        super().save_model(request, obj, form, change)
        if text is not None:
            messages.warning(request, f"The token, shown this once: {text}")

    @admin.action(description="Revoke the selected tokens")
    def revoke(self, request: HttpRequest, queryset: QuerySet[ApiToken]) -> None:
        count = queryset.filter(revoked_at__isnull=True).update(revoked_at=timezone.now())
        messages.success(request, f"{count} token{'s' if count != 1 else ''} revoked.")
