"""Incoming mail in the admin: the quarantine a lead works through, and every mail's fate."""

from __future__ import annotations

import io
from typing import cast

from django.contrib import admin, messages
from django.contrib.auth.models import User
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.urls import path, reverse
from django.utils.html import format_html, linebreaks
from django.utils.safestring import SafeString, mark_safe

from deskside.mail import quarantine, rawstore
from deskside.mail.models import InboundMail, InboundStatus
from deskside.mail.parse import MailRejected, parse
from deskside.tickets.actions import ActionError
from deskside.tickets.storage import as_download, check_file_key, file_key


def _each(request: HttpRequest, queryset: QuerySet[InboundMail], verb: str, act: object) -> None:
    done = 0
    for inbound in queryset:
        try:
            outcome = act(inbound)  # type: ignore[operator]
        except ActionError as error:
            messages.error(request, str(error))
            continue
        done += 1
        if outcome is not None:
            messages.info(
                request,
                f"Mail {inbound.pk}: {outcome.outcome} {outcome.ticket or ''} "
                f"{outcome.reason or ''}".strip(),
            )
    messages.success(request, f"{verb} {done} mail(s).")


@admin.register(InboundMail)
class InboundMailAdmin(admin.ModelAdmin[InboundMail]):
    list_display = (
        "id",
        "received_at",
        "door",
        "from_address",
        "subject",
        "status",
        "outcome",
        "ticket",
        "short_reason",
    )
    list_filter = ("status", "outcome", "door")
    search_fields = ("message_id", "from_address", "subject", "reason")
    list_select_related = ("ticket",)
    date_hierarchy = "received_at"
    actions = ["retry", "make_ticket", "discard"]
    readonly_fields = [f.name for f in InboundMail._meta.fields] + ["raw_download", "readable"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: InboundMail | None = None) -> bool:
        return False  # nothing is ever dropped; discard keeps the bytes

    @admin.display(description="reason")
    def short_reason(self, obj: InboundMail) -> str:
        return obj.reason[:120]

    @admin.display(description="raw mail")
    def raw_download(self, obj: InboundMail) -> SafeString:
        url = reverse("admin:mail_inboundmail_raw", args=[obj.pk, file_key("raw", obj.pk)])
        return format_html('<a href="{}">download .eml ({} bytes)</a>', url, obj.size)

    @admin.display(description="as read by Deskside")
    def readable(self, obj: InboundMail) -> SafeString:
        try:
            mail = parse(rawstore.load(obj.raw_sha256))
        except MailRejected as rejected:
            return format_html("<em>{}</em>", rejected.reason)
        text = f"From: {mail.from_name} {mail.from_address}\nSubject: {mail.subject}\n\n"
        # Paragraphs, escaped by linebreaks: an inline style (pre-wrap) is refused by the CSP.
        return mark_safe(linebreaks(text + mail.text[:20000], autoescape=True))

    def get_urls(self):  # type: ignore[no-untyped-def]
        extra = [
            path(
                "<int:pk>/raw/<str:key>/",
                self.admin_site.admin_view(self.raw_view),
                name="mail_inboundmail_raw",
            )
        ]
        return extra + super().get_urls()

    def raw_view(self, request: HttpRequest, pk: int, key: str) -> HttpResponse:
        """The mail as it arrived, served as every file from a mail is (storage.as_download)."""
        inbound = self.get_object(request, str(pk))
        if inbound is None or not self.has_view_permission(request, inbound):
            return HttpResponse(status=404)
        check_file_key(key, "raw", pk)
        raw = io.BytesIO(rawstore.load(inbound.raw_sha256))
        return cast(HttpResponse, as_download(raw, f"mail-{inbound.pk}.eml"))

    @admin.action(description="Retry processing")
    def retry(self, request: HttpRequest, queryset: QuerySet[InboundMail]) -> None:
        user = _user(request)
        _each(
            request,
            queryset.filter(status=InboundStatus.QUARANTINED),
            "Retried",
            lambda m: quarantine.retry(m, by=user),
        )

    @admin.action(description="Turn into a new ticket")
    def make_ticket(self, request: HttpRequest, queryset: QuerySet[InboundMail]) -> None:
        user = _user(request)
        _each(
            request, queryset, "Turned into tickets", lambda m: quarantine.make_ticket(m, by=user)
        )

    @admin.action(description="Discard (the raw mail is kept)")
    def discard(self, request: HttpRequest, queryset: QuerySet[InboundMail]) -> None:
        user = _user(request)
        _each(request, queryset, "Discarded", lambda m: quarantine.discard(m, by=user))


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)
    return request.user
