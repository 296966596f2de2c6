"""Webhooks in the admin: endpoints (the secret shown once, in the message after creation or a
new secret), their deliveries with the log of attempts, and "send again"."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from deskside.webhooks import endpoints
from deskside.webhooks.models import Attempt, Delivery, Endpoint, Kind
from deskside.webhooks.signing import new_secret


class EndpointForm(forms.ModelForm[Endpoint]):
    kinds = forms.MultipleChoiceField(
        choices=Kind.choices, widget=forms.CheckboxSelectMultiple, help_text="Events it receives."
    )

    class Meta:
        model = Endpoint
        fields = ["url", "description", "owner", "enabled", "kinds"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.initial["kinds"] = self.instance.kinds

    def clean_url(self) -> str:
        try:
            return endpoints.check_url(self.cleaned_data["url"])
        except endpoints.EndpointError as error:
            raise forms.ValidationError(str(error)) from error


@admin.register(Endpoint)
class EndpointAdmin(admin.ModelAdmin[Endpoint]):
    form = EndpointForm
    list_display = ["url", "description", "owner", "enabled", "paused_at", "failing_since"]
    list_filter = ["enabled", ("paused_at", admin.EmptyFieldListFilter)]
    search_fields = ["url", "description", "owner__username"]
    readonly_fields = ["paused_at", "failing_since", "created_at"]
    actions = ["resume", "new_secret"]

    def get_changeform_initial_data(self, request: HttpRequest) -> dict[str, Any]:
        return {"owner": request.user.pk, **super().get_changeform_initial_data(request)}

    def save_model(self, request: HttpRequest, obj: Endpoint, form: Any, change: bool) -> None:
        made = not change
        if made:
            obj.secret = new_secret()
        super().save_model(request, obj, form, change)
        endpoints.set_kinds(obj, form.cleaned_data["kinds"])
        if made:
            messages.warning(request, f"The signing secret, shown this once: {obj.secret}")

    @admin.action(
        description="Resume the selected endpoints (send what waits)", permissions=["change"]
    )
    def delete_model(self, request: HttpRequest, obj: Endpoint) -> None:
        endpoints.delete([obj])

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Endpoint]) -> None:
        endpoints.delete(queryset)

    def resume(self, request: HttpRequest, queryset: QuerySet[Endpoint]) -> None:
        waiting = sum(endpoints.resume(e) for e in queryset.filter(paused_at__isnull=False))
        messages.success(request, f"Resumed; {waiting} event(s) are sent now.")

    @admin.action(
        description="Give the selected endpoints a new secret (shown once)", permissions=["change"]
    )
    def new_secret(self, request: HttpRequest, queryset: QuerySet[Endpoint]) -> None:
        for endpoint in queryset:
            secret = endpoints.rotate_secret(endpoint)
            messages.warning(request, f"The new secret of {endpoint}, shown this once: {secret}")


class AttemptInline(admin.TabularInline[Attempt, Delivery]):
    model = Attempt
    fields = ("at", "status_code", "duration_ms", "error", "response")
    readonly_fields = ("at", "status_code", "duration_ms", "error", "response")
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin[Delivery]):
    list_display = [
        "created_at",
        "kind",
        "endpoint",
        "status",
        "attempts",
        "last_status_code",
        "next_attempt_at",
        "delivered_at",
    ]
    list_filter = ["status", "kind", "endpoint"]
    search_fields = ["message_id", "endpoint__url"]
    readonly_fields = [f.name for f in Delivery._meta.fields]
    inlines = [AttemptInline]
    actions = ["send_again"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.action(description="Send again (same webhook-id)", permissions=["change"])
    def send_again(self, request: HttpRequest, queryset: QuerySet[Delivery]) -> None:
        count = endpoints.send_again(queryset)
        paused = queryset.filter(endpoint__paused_at__isnull=False).exists()
        after = " They wait until their endpoint is resumed." if paused else ""
        messages.success(request, f"{count} deliver{'ies' if count != 1 else 'y'} queued.{after}")
