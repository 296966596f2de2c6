"""The ticket page: header, clocks with their reasons, the conversation, the forms, the history."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django import forms
from django.contrib.auth.models import User
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import render
from django.utils import timezone
from django.utils.datastructures import MultiValueDict

from deskside.accounts.access import changes_tickets, staff_required
from deskside.desk import composer, drafts, presence
from deskside.desk.forms import (
    AssignForm,
    CloseForm,
    LinkForm,
    MergeForm,
    MilestoneForm,
    NoteForm,
    ProposeForm,
    ReassessForm,
    RefusalForm,
    ReopenForm,
    ReplyForm,
    ResolveForm,
    TakeForm,
    UnlinkForm,
    WaitForm,
)
from deskside.desk.models import CannedReply
from deskside.desk.queue import ClockLeft, clocks_of
from deskside.desk.views import merging
from deskside.mail.models import InboundMail, InboundStatus
from deskside.tickets import clocks, closed, history, notify, policy
from deskside.tickets.models import Attachment, LinkKind, Message, Ticket
from deskside.tickets.models.choices import EFFORT_RANK
from deskside.tickets.models.ticket import links_of

EFFORT_BY_RANK = {rank: effort.label for effort, rank in EFFORT_RANK.items()}

FORMS: dict[str, type[forms.Form]] = {
    "reply": ReplyForm,
    "note": NoteForm,
    "milestone": MilestoneForm,
    "reassess": ReassessForm,
    "assign": AssignForm,
    "take": TakeForm,
    "close": CloseForm,
    "reopen": ReopenForm,
    "resolve": ResolveForm,
    "wait": WaitForm,
    "propose": ProposeForm,
    "refusal": RefusalForm,
    "merge": MergeForm,
    "link": LinkForm,
    "unlink": UnlinkForm,
}


def make_form(
    name: str,
    data: QueryDict | None = None,
    files: MultiValueDict[str, Any] | None = None,
    initial: dict[str, Any] | None = None,
) -> forms.Form:
    """The form of action `name`; ids are prefixed by the action so that forms can share a page."""
    return FORMS[name](data, files, auto_id=f"id_{name}_%s", initial=initial)


def ticket_or_404(ref: str) -> Ticket:
    return Ticket.objects.select_related("contact", "organisation", "assignee").get_or_404(ref)


@staff_required
def ticket_page(request: HttpRequest, ref: str) -> HttpResponse:
    assert isinstance(request.user, User)
    ticket = ticket_or_404(ref)
    notify.mark_read(request.user, ticket=ticket)  # what they were told about it, now seen
    return render_ticket(request, ticket)


def render_ticket(
    request: HttpRequest,
    ticket: Ticket,
    failed: tuple[str, forms.Form] | None = None,
    status: int = 200,
    *,
    confirm_take: bool = False,
) -> HttpResponse:
    """The page; `failed` is the action form that was refused, shown with its errors;
    `confirm_take` asks whether to take the ticket from its assignee."""
    assert isinstance(request.user, User)
    now = timezone.now()
    bound = {failed[0]: failed[1]} if failed else {}
    writer = composer.build(
        drafts.of(request.user, ticket),
        composer.offered(ticket, changes_tickets(request.user)),
        failed=failed[0] if failed else "",
        asked=request.GET.get("compose", ""),
    )
    links_out, links_in = links_of(ticket)
    conversation = _conversation(ticket)
    events = list(ticket.events.order_by("created_at", "id"))
    context = {
        "ticket": ticket,
        "conversation": conversation,
        "history": history.lines(events),
        "clock_state": clocks.state(  # from the rows the page reads anyway
            ticket,
            now,
            events=[(e.kind, e.created_at, e.data) for e in events],
            replies=[m.created_at for m in conversation if m.is_public_reply()],
        ),
        "clocks": _clocks(ticket, now),
        "forms": {
            name: bound.get(name) or make_form(name, initial=composer.initial_text(writer, name))
            for name in FORMS
        },
        "composer": writer,
        "failed": failed[0] if failed else "",
        "confirm_take": confirm_take,
        "can_work": changes_tickets(request.user),
        "others": presence.others(ticket, request.user, now),
        "canned": [(c.pk, c.title, c.text_in(ticket.language)) for c in CannedReply.objects.all()],
        "goal_milestones": _goal_milestones(ticket),
        "effort": EFFORT_BY_RANK.get(ticket.effort_rank),
        # The header shows follow-ups; merged and related tickets have their card (_merged.html).
        "links_out": [x for x in links_out if x.kind == LinkKind.FOLLOW_UP],
        "links_in": [x for x in links_in if x.kind == LinkKind.FOLLOW_UP],
        **merging.context(ticket, links_out + links_in),
        "reopen_until": closed.reopen_until(ticket),
        "held": list(
            InboundMail.objects.filter(
                claimed_ticket=ticket, status=InboundStatus.QUARANTINED
            ).values_list("pk", "from_address")[:10]
        ),
    }
    return render(request, "desk/ticket.html", context, status=status)


def _conversation(ticket: Ticket) -> list[Message]:
    attachments = Prefetch("attachments", queryset=Attachment.objects.order_by("id"))
    return list(ticket.messages.order_by("created_at", "id").prefetch_related(attachments))


def _clocks(ticket: Ticket, now: datetime) -> list[ClockLeft]:
    return clocks_of(ticket, now, policy.calendar(), policy.targets())


def _goal_milestones(ticket: Ticket) -> list[str]:
    targets = policy.targets().get(ticket.severity) if ticket.severity else None
    return sorted(targets.goal_milestones) if targets else []
