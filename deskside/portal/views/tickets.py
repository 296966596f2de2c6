"""The organisation's tickets, one ticket's conversation with a reply form, and downloads.

Every query starts from visible_to_contact(): a ticket or file of another organisation is a
404, exactly like one that does not exist.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from django import forms
from django.contrib import messages
from django.core.paginator import InvalidPage, Paginator
from django.db.models import F, Max, Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language, gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods

from deskside.accounts.access import visible_to_contact
from deskside.accounts.models import Contact
from deskside.core.cooperation import RefusalSource
from deskside.portal.forms import ReplyForm, ReplyWithLevelForm
from deskside.portal.labels import status_label
from deskside.portal.session import contact_required
from deskside.tickets import actions, closed
from deskside.tickets.models import (
    Attachment,
    Direction,
    EventKind,
    LinkKind,
    Message,
    MessageKind,
    SeverityLevel,
    Status,
    Ticket,
    TicketLink,
)
from deskside.tickets.models.ticket import links_of, parse_ref
from deskside.tickets.storage import download
from deskside.tickets.uploads import new_files

PER_PAGE = 25
# What the client may read: their side and ours. Internal notes and system records never.
PUBLIC = (Direction.INBOUND, Direction.OUTBOUND)


@dataclass(frozen=True)
class TicketRow:
    ticket: Ticket
    level_name: str
    status: str


def level_names() -> dict[int, str]:
    language = get_language() or "en"
    return {row.level: row.name_in(language) for row in SeverityLevel.objects.all()}


def _tickets(contact: Contact) -> QuerySet[Ticket]:
    visible: QuerySet[Ticket] = visible_to_contact(Ticket.objects.all(), contact)
    return visible.annotate(
        last_activity=Max("messages__created_at", filter=Q(messages__direction__in=PUBLIC))
    )


def _search(tickets: QuerySet[Ticket], query: str) -> QuerySet[Ticket]:
    number = parse_ref(query)
    match = Q(subject__icontains=query)
    return tickets.filter(match | Q(pk=number) if number else match)


@require_http_methods(["GET"])
@contact_required
def home(request: HttpRequest, contact: Contact) -> HttpResponse:
    query = request.GET.get("q", "").replace("\x00", "").strip()[:200]  # PostgreSQL refuses NUL
    tickets = _tickets(contact)
    if query:
        tickets = _search(tickets, query)
    tickets = tickets.order_by(F("last_activity").desc(nulls_last=True), "-id")
    try:
        page = Paginator(tickets, PER_PAGE).page(request.GET.get("page") or 1)
    except InvalidPage:
        raise Http404("no such page") from None
    names = level_names()
    rows = [
        TicketRow(t, names.get(t.severity or 0, ""), status_label(t.status))
        for t in page.object_list
    ]
    context = {"contact": contact, "page": page, "rows": rows, "query": query}
    return render(request, "portal/home.html", context)


def visible_ticket(contact: Contact, ref: str) -> Ticket:
    return visible_to_contact(Ticket.objects.all(), contact).get_or_404(ref)


@require_http_methods(["GET", "POST"])
@contact_required
def ticket(request: HttpRequest, contact: Contact, ref: str) -> HttpResponse:
    found = visible_ticket(contact, ref)
    if found.ref != ref:
        return redirect("portal:ticket", ref=found.ref)
    now = timezone.now()
    # A reply to a merged duplicate goes to the ticket it continues as (tickets/closed.py).
    into = closed.continues_as(found, contact)
    step = _after_close(into, now)
    posted = request.method == "POST"
    form = _reply_form(step, contact, request if posted else None)
    if form.is_valid():
        return _send_reply(request, into, contact, form.cleaned_data, step, now)
    context = _ticket_context(found, contact, form, step, into=into)
    return render(request, "portal/ticket.html", context)


def _after_close(found: Ticket, now: datetime) -> closed.Next | None:
    """What a reply sent now does to a closed ticket. Where the ticket needs a level, the
    portal's form asks for one, so the reply always gives it (the level itself does not change
    the step)."""
    if found.status != Status.CLOSED:
        return None
    gives_level = 1 if closed.closed_without_level(found) else None
    return closed.next_for(found, arrived=now, level=gives_level)


def _reply_form(
    step: closed.Next | None, contact: Contact, request: HttpRequest | None
) -> ReplyForm:
    data, files = (request.POST, request.FILES) if request else (None, None)
    if step in (closed.Next.SET_LEVEL, closed.Next.NEW_TICKET):
        return ReplyWithLevelForm(data, files, language=contact.language)
    return ReplyForm(data, files)


def _send_reply(
    request: HttpRequest,
    found: Ticket,
    contact: Contact,
    data: dict[str, Any],
    step: closed.Next | None,
    now: datetime,
) -> HttpResponse:
    message = actions.NewMessage(
        direction=Direction.INBOUND,
        kind=MessageKind.WEB,
        text=data["text"],
        sender=contact.email,
        subject=f"Re: [{found.ref}] {found.subject}",
        created_at=now,
        files=new_files(data["attachments"]),
    )
    if step == closed.Next.NEW_TICKET:
        new = actions.open_ticket(
            contact=contact,
            subject=found.subject,
            claimed_severity=data["level"],
            received_at=now,
            language=contact.language,
            by=actions.Actor.client(contact),
            message=replace(message, subject=found.subject),
            follows=found,
        )
        messages.success(
            request,
            gettext("Your message opened ticket %(new)s, which follows %(old)s.")
            % {"new": new.ref, "old": found.ref},
        )
        return redirect("portal:ticket", ref=new.ref)
    try:
        _add_reply(request, found, contact, message, step, data.get("level"))
    except actions.ActionError as error:  # e.g. the ticket changed since the page was shown
        messages.error(request, error.localized())
    return redirect(reverse("portal:ticket", args=[found.ref]) + "#reply")


def _add_reply(
    request: HttpRequest,
    found: Ticket,
    contact: Contact,
    message: actions.NewMessage,
    step: closed.Next | None,
    level: int | None,
) -> None:
    if step is None:
        actions.receive_from_client(found, message, by=actions.Actor.client(contact))
        messages.success(request, gettext("Your reply was added to the ticket."))
    else:
        actions.reopen_by_client(found, message, by=actions.Actor.client(contact), level=level)
        messages.success(
            request, gettext("Your reply reopened the ticket. The support team has been told.")
        )


class RefusalForm(forms.Form):
    reason = forms.CharField(
        label=_("Why do the steps not suit you? (optional)"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


@require_http_methods(["POST"])
@contact_required
def refuse(request: HttpRequest, contact: Contact, ref: str) -> HttpResponse:
    """The client refuses the steps support proposed; the agent then decides what follows."""
    found = visible_ticket(contact, ref)
    form = RefusalForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    try:
        actions.record_refusal(
            found, by=actions.Actor.client(contact), reason=reason, source=RefusalSource.PORTAL
        )
    except actions.ActionError as error:
        # The real reason (no steps to refuse, or the ticket closed meanwhile), in their language.
        messages.error(request, error.localized())
    else:
        messages.success(
            request,
            gettext(
                "You refused the proposed steps. The support team has been told and will "
                "get back to you."
            ),
        )
    return redirect(reverse("portal:ticket", args=[found.ref]) + "#steps")


@require_http_methods(["POST"])
@contact_required
def steps_worked(request: HttpRequest, contact: Contact, ref: str) -> HttpResponse:
    """The client says the proposed steps worked; the agent then records it and resolves."""
    found = visible_ticket(contact, ref)
    try:
        # Kept in the language the client reads the portal in, as their own words would be.
        actions.record_steps_worked(
            found, by=actions.Actor.client(contact), text=gettext("The proposed steps worked.")
        )
    except actions.ActionError as error:
        messages.error(request, error.localized())
    else:
        messages.success(
            request, gettext("Thank you: the support team has been told that the steps worked.")
        )
    return redirect(reverse("portal:ticket", args=[found.ref]) + "#reply")


def open_proposal(found: Ticket) -> Message | None:
    """The last steps support proposed, while the ticket is open and the client has neither
    refused them nor said they worked."""
    if not found.is_open():
        return None
    proposal = found.last_proposal()
    if proposal is None:
        return None
    answered = found.events.filter(
        Q(kind=EventKind.REFUSED) | Q(kind=EventKind.MESSAGE, data__steps_worked=True),
        created_at__gte=proposal.created_at,
    )
    return None if answered.exists() else proposal


def _ticket_context(
    found: Ticket,
    contact: Contact,
    form: ReplyForm,
    step: closed.Next | None = None,
    *,
    into: Ticket | None = None,
) -> dict[str, object]:
    """`into`: where a reply goes, when not to `found` (a merged duplicate's target)."""
    conversation = (
        found.messages.filter(direction__in=PUBLIC)
        .prefetch_related("attachments")
        .order_by("created_at", "id")
    )
    names = level_names()
    links_out, links_in = links_of(found)
    into = into if into is not None and into != found else None
    return {
        "contact": contact,
        "ticket": found,
        "status": status_label(found.status),
        "level_name": names.get(found.severity or 0, ""),
        "claimed_name": names.get(found.claimed_severity or 0, ""),
        "conversation": conversation,
        "form": form,
        "proposal": open_proposal(found),
        "refusal_form": RefusalForm(auto_id="id_refusal_%s"),
        "after_close": step,
        "reopen_until": closed.reopen_until(into or found),
        "follows": [x for x in links_out if x.kind == LinkKind.FOLLOW_UP],
        "follow_ups": [x for x in links_in if x.kind == LinkKind.FOLLOW_UP],
        "merged_into": into,
        **_merged_and_related(found, contact, links_out + links_in),
    }


def _merged_and_related(
    found: Ticket, contact: Contact, links: list[TicketLink]
) -> dict[str, list[Ticket]]:
    """The duplicates merged into `found` and its related tickets, those the client may see."""
    merged = [x.source for x in links if x.kind == LinkKind.DUPLICATE_OF and x.target == found]
    related = [
        x.target if x.source == found else x.source for x in links if x.kind == LinkKind.RELATED
    ]
    return {
        "merged_from": [t for t in merged if closed.may_see(contact, t)],
        "related": [t for t in related if closed.may_see(contact, t)],
    }


@require_http_methods(["GET"])
@contact_required
def attachment(request: HttpRequest, contact: Contact, token: str) -> HttpResponseBase:
    """A file of the organisation's tickets, by its random stored name: the URL of another
    organisation's file is a 404 here, as is one that does not exist."""
    files: QuerySet[Attachment] = visible_to_contact(
        Attachment.objects.all(), contact, "message__ticket__"
    )
    return download(get_object_or_404(files, stored_name=token, message__direction__in=PUBLIC))
