"""The ticket page's forms post here; each calls one action of deskside.tickets.actions.

A refused change (ActionError) is shown on the ticket page, in the form that asked, with the
action's own sentence; a done change redirects back to the page (post/redirect/get).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib.auth.models import User
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_POST

from deskside.accounts.access import changes_tickets, staff_required
from deskside.accounts.names import display_name
from deskside.core.cooperation import RefusalSource
from deskside.desk import drafts
from deskside.desk.models import DraftKind
from deskside.desk.views.ticket import make_form, render_ticket, ticket_or_404
from deskside.tickets import actions
from deskside.tickets.actions import Actor
from deskside.tickets.errors import submit
from deskside.tickets.models import CloseReason, Milestone, Ticket
from deskside.tickets.uploads import new_files

Data = dict[str, Any]
Run = Callable[[Ticket, Data, User], str]


def _reply(ticket: Ticket, data: Data, user: User) -> str:
    files = new_files(data["attachments"])
    actions.reply(ticket, data["text"], by=Actor.staff(user), files=files)
    with_files = f" with {len(files)} file{'s' if len(files) > 1 else ''}" if files else ""
    return f"Reply sent to {ticket.contact.email}{with_files}."


def _note(ticket: Ticket, data: Data, user: User) -> str:
    actions.add_note(ticket, data["text"], by=Actor.staff(user))
    return "Internal note added."


def _milestone(ticket: Ticket, data: Data, user: User) -> str:
    actions.record_milestone(ticket, data["milestone"], by=Actor.staff(user))
    return f"Milestone recorded: {Milestone(data['milestone']).label.lower()}."


def _reassess(ticket: Ticket, data: Data, user: User) -> str:
    actions.reassess(ticket, data["level"], reason=data["reason"], by=Actor.staff(user))
    return f"Reassessed to level {data['level']}; the clocks follow the new level."


def _assign(ticket: Ticket, data: Data, user: User) -> str:
    assignee: User | None = data["assignee"]
    actions.assign(ticket, assignee, by=Actor.staff(user))
    return f"Assigned to {display_name(assignee)}." if assignee else "Unassigned."


def _take(ticket: Ticket, data: Data, user: User) -> str:
    actions.assign(ticket, user, by=Actor.staff(user))
    return "You took this ticket."


def _close(ticket: Ticket, data: Data, user: User) -> str:
    reason = CloseReason(data["reason"])
    actions.close(
        ticket, reason, by=Actor.staff(user), note=data["note"], client_text=data["client_text"]
    )
    told = f"; {ticket.contact.email} is told why" if reason == CloseReason.OUT_OF_SCOPE else ""
    return f"Closed: {reason.label.lower()}{told}."


def _reopen(ticket: Ticket, data: Data, user: User) -> str:
    actions.reopen(ticket, by=Actor.staff(user), reason=data["reason"], severity=data["level"])
    return "Reopened."


def _resolve(ticket: Ticket, data: Data, user: User) -> str:
    actions.resolve(ticket, data["resolution"], by=Actor.staff(user))
    return (
        f"Marked resolved; the resolution is mailed to {ticket.contact.email}. "
        "Their answer reopens the ticket."
    )


def _wait(ticket: Ticket, data: Data, user: User) -> str:
    actions.wait_on_client(ticket, by=Actor.staff(user), note=data["note"])
    return "Waiting on the client: the clocks are paused until they answer."


def _propose(ticket: Ticket, data: Data, user: User) -> str:
    actions.propose_steps(ticket, data["steps"], by=Actor.staff(user))
    return (
        f"Steps proposed to {ticket.contact.email}: the ticket waits on the client and its clocks "
        "are paused."
    )


def _refusal(ticket: Ticket, data: Data, user: User) -> str:
    message = ticket.messages.filter(pk=data["message"]).first()
    actions.record_refusal(
        ticket,
        by=Actor.staff(user),
        reason=data["reason"],
        source=RefusalSource.MAIL,
        message=message,
    )
    return "The mail is recorded as a refusal of the proposed steps."


def _merge(ticket: Ticket, data: Data, user: User) -> str:
    into: Ticket = data["into"]
    actions.merge(ticket, into=into, by=Actor.staff(user), note=data["note"])
    return f"Merged into {into.ref}, closed as its duplicate; {ticket.contact.email} is told."


def _link(ticket: Ticket, data: Data, user: User) -> str:
    other: Ticket = data["other"]
    actions.link(ticket, other, by=Actor.staff(user))
    return f"Linked to {other.ref} as related; both tickets show it."


def _unlink(ticket: Ticket, data: Data, user: User) -> str:
    other: Ticket = data["other"]
    actions.unlink(ticket, other, by=Actor.staff(user))
    return f"No longer linked to {other.ref}."


RUN: dict[str, Run] = {
    "reply": _reply,
    "note": _note,
    "milestone": _milestone,
    "reassess": _reassess,
    "assign": _assign,
    "take": _take,
    "close": _close,
    "reopen": _reopen,
    "resolve": _resolve,
    "wait": _wait,
    "propose": _propose,
    "refusal": _refusal,
    "merge": _merge,
    "link": _link,
    "unlink": _unlink,
}


def _asks_first(ticket: Ticket, request: HttpRequest) -> bool:
    """Taking a colleague's ticket is asked first: the page answers with the question, and only a
    second POST with confirm=1 takes it (no JavaScript needed)."""
    taken_by_other = ticket.assignee_id is not None and ticket.assignee_id != request.user.pk
    return taken_by_other and request.POST.get("confirm") != "1"


def _back_to_page(ticket: Ticket, action: str, user: User) -> HttpResponse:
    """The ticket page again. Sent from the composer: its draft is done with, and the page
    opens on the same tab, scrolled to the composer (the new message just above it)."""
    page = reverse("desk:ticket", args=[ticket.ref])
    if action not in DraftKind.values:
        return redirect(page)
    drafts.clear(user, ticket, DraftKind(action))
    return redirect(f"{page}?compose={action}#composer")


@staff_required
@require_POST
def act(request: HttpRequest, ref: str, action: str) -> HttpResponse:
    assert isinstance(request.user, User)
    if action not in RUN:
        raise Http404(f"no action {action}")
    ticket = ticket_or_404(ref)
    form = make_form(action, request.POST, request.FILES)
    if not changes_tickets(request.user):
        form.add_error(None, "You can read tickets but not change them.")
        return render_ticket(request, ticket, failed=(action, form), status=403)
    if action == "take" and _asks_first(ticket, request):
        return render_ticket(request, ticket, confirm_take=True)
    user = request.user
    if submit(request, form, lambda data: RUN[action](ticket, data, user)):
        return _back_to_page(ticket, action, user)
    return render_ticket(request, ticket, failed=(action, form), status=422)
