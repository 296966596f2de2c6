"""Bulk actions on the queue: one action on the tickets an agent ticked.

Each ticket goes through the same action as on its page (deskside.tickets.actions), in its own
transaction, so that one refusal does not undo the others: the outcome lists what was done and,
for each refused ticket, the action's own sentence.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.models import User
from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext_lazy

from deskside.accounts.names import display_name
from deskside.core.errors import ErrorCode
from deskside.tickets import actions
from deskside.tickets.actions import ActionError, Actor
from deskside.tickets.models import CloseReason, Ticket

MOST_TICKETS = 100  # two queue pages; a longer list is cut there rather than held in one request

# Closing reasons a bulk close offers: those that mail nobody and need no typed text. Out of scope
# mails each client a text written for them; the two "no severity" reasons are the intake's.
BULK_CLOSE_REASONS = tuple(
    reason
    for reason in CloseReason
    if reason
    not in (CloseReason.OUT_OF_SCOPE, CloseReason.NO_SEVERITY, CloseReason.INVALID_SEVERITY)
)

Data = dict[str, Any]
Run = Callable[[Ticket, Data, User], object]


def _assign(ticket: Ticket, data: Data, user: User) -> object:
    return actions.assign(ticket, data["assignee"], by=Actor.staff(user))


def _take(ticket: Ticket, data: Data, user: User) -> object:
    # On its page, taking a colleague's ticket asks first; a list cannot ask per ticket, so it
    # leaves such a ticket to its page.
    if ticket.assignee_id is not None and ticket.assignee_id != user.pk:
        raise ActionError(
            ErrorCode.ALREADY_ASSIGNED,
            gettext_lazy("%(ref)s is %(name)s's: take it from its page, which asks first."),
            ref=ticket.ref,
            name=display_name(ticket.assignee),
        )
    return actions.assign(ticket, user, by=Actor.staff(user))


def _note(ticket: Ticket, data: Data, user: User) -> object:
    return actions.add_note(ticket, data["note"], by=Actor.staff(user))


def _close(ticket: Ticket, data: Data, user: User) -> object:
    return actions.close(ticket, data["reason"], by=Actor.staff(user), note=data["note"])


RUN: dict[str, Run] = {"assign": _assign, "take": _take, "note": _note, "close": _close}


@dataclass(frozen=True)
class Refusal:
    ref: str
    url: str
    sentence: str


@dataclass
class Outcome:
    action: str
    done: list[str] = field(default_factory=list)  # references
    refused: list[Refusal] = field(default_factory=list)
    assignee: str = ""  # for "assigned to …"

    def summary(self) -> str:
        """Say "3 closed, 1 refused." in the reader's language."""
        counts = {"done": len(self.done), "refused": len(self.refused), "name": self.assignee}
        return SUMMARIES[self.action] % counts

    def as_session(self) -> dict[str, Any]:
        """What the queue shows after the redirect (the session stores JSON)."""
        return {
            "summary": self.summary(),
            "done": self.done,
            "refused": [[r.ref, r.url, r.sentence] for r in self.refused],
        }


SUMMARIES = {
    "assign": gettext_lazy("%(done)d assigned to %(name)s, %(refused)d refused."),
    "take": gettext_lazy("%(done)d taken, %(refused)d refused."),
    "note": gettext_lazy("Note added to %(done)d, %(refused)d refused."),
    "close": gettext_lazy("%(done)d closed, %(refused)d refused."),
}


def chosen_tickets(ids: Iterable[int]) -> list[Ticket]:
    """The ticked tickets, oldest first, with what the actions and the outcome read of them."""
    wanted = sorted(set(ids))[:MOST_TICKETS]
    return list(Ticket.objects.filter(pk__in=wanted).select_related("assignee").order_by("pk"))


def run(action: str, tickets: Iterable[Ticket], data: Data, user: User) -> Outcome:
    """Apply `action` to each ticket in a transaction of its own; a refusal is kept, not raised."""
    assignee = data.get("assignee")
    outcome = Outcome(action, assignee=display_name(assignee) if assignee else "")
    for ticket in tickets:
        try:
            with transaction.atomic():
                RUN[action](ticket, data, user)
        except ActionError as error:
            url = reverse("desk:ticket", args=[ticket.ref])
            outcome.refused.append(Refusal(ticket.ref, url, error.localized()))
        else:
            outcome.done.append(ticket.ref)
    return outcome
