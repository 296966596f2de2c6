from __future__ import annotations

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone

from deskside.outbox.models import OutboundMail, OutboundStatus


@admin.register(OutboundMail)
class OutboundMailAdmin(admin.ModelAdmin[OutboundMail]):
    list_display = (
        "created_at",
        "purpose",
        "primary_to",
        "subject",
        "status",
        "attempts",
        "next_attempt_at",
        "sent_at",
    )
    list_filter = ("status", "purpose", "automatic")
    search_fields = ("primary_to", "subject", "message_id", "ticket_ref")
    readonly_fields = [f.name for f in OutboundMail._meta.fields]
    actions = ["send_again"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.action(description="Try failed mail again now")
    def send_again(self, request: HttpRequest, queryset: QuerySet[OutboundMail]) -> None:
        count = queryset.exclude(status=OutboundStatus.SENT).update(
            status=OutboundStatus.QUEUED, attempts=0, next_attempt_at=timezone.now()
        )
        self.message_user(request, f"{count} mail(s) queued again.")
