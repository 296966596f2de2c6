"""Merging a duplicate into the ticket it repeats, and linking related tickets.

A merge closes the duplicate as such and links it to its target (DUPLICATE_OF), so that the
target's page shows the duplicate's conversation and a client's later message to the duplicate
goes to the target (deskside/tickets/closed.py). The duplicate's client is told, in their
language, that their ticket continues as the target: by its reference only when they may see
it (the same organisation), since naming another organisation's ticket would tell them of it.

A related link is one row for both tickets: either may be its source.
"""

from __future__ import annotations

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from deskside import db
from deskside.core.errors import ErrorCode
from deskside.core.limits import MAX_REFERENCES
from deskside.tickets import closed, hooks, notices
from deskside.tickets.actions._base import (
    SYSTEM,
    Actor,
    conversation,
    done,
    filed,
    post,
    staff_user,
)
from deskside.tickets.actions._record import record
from deskside.tickets.actions.state import closing
from deskside.tickets.errors import ActionError
from deskside.tickets.models import (
    CloseReason,
    EventKind,
    LinkKind,
    MessageKind,
    Status,
    Ticket,
    TicketLink,
)


@transaction.atomic
def merge(duplicate: Ticket, *, into: Ticket, by: Actor, note: str = "") -> Ticket:
    """Close `duplicate` as the duplicate of `into` and link them; its client is told that the
    ticket continues as `into` (see the module's docstring). `note` is for the history.
    Returns the duplicate."""
    merger = staff_user(by, _("merge tickets"))
    row, target = _lock_both(duplicate, into)
    _check_merge(row, target)
    refused = hooks.close_refusal(row, CloseReason.DUPLICATE)
    if refused:
        raise refused
    closing(row, CloseReason.DUPLICATE, by, note=note)
    # A duplicate merged before, reopened since, keeps one link: to where it goes now.
    TicketLink.objects.filter(source=row, kind=LinkKind.DUPLICATE_OF).delete()
    db.insert(
        TicketLink(source=row, target=target, kind=LinkKind.DUPLICATE_OF, created_at=timezone.now())
    )
    named = closed.may_see(row.contact, target)
    record(row, EventKind.LINKED, by, merged_into=target.ref, named=named)
    record(target, EventKind.LINKED, by, merged_from=row.ref)
    thread = conversation(row)[-MAX_REFERENCES:]
    sent = notices.merged(row, target if named else None, thread)
    post(row, filed(sent, MessageKind.CLOSURE), SYSTEM)
    notices.merged_into_yours(target, row, by=merger)
    done(target, into)
    return done(row, duplicate)


def _lock_both(first: Ticket, second: Ticket) -> tuple[Ticket, Ticket]:
    """Both rows under a lock, taken in the order of their ids, so that two merges of the same
    pair in opposite directions wait for each other instead of deadlocking."""
    if first.pk == second.pk:
        why = _("%(ref)s cannot be merged into itself.")
        raise ActionError(ErrorCode.MERGE_INTO_ITSELF, why, ref=first.ref)
    rows = {
        t.pk: t
        for t in Ticket.objects.select_for_update()
        .filter(pk__in=[first.pk, second.pk])
        .order_by("pk")
    }
    return rows[first.pk], rows[second.pk]


def _check_merge(duplicate: Ticket, target: Ticket) -> None:
    if duplicate.status == Status.CLOSED:
        why = _("%(ref)s is already closed: reopen it first to merge it.")
        raise ActionError(ErrorCode.ALREADY_CLOSED, why, ref=duplicate.ref)
    # A duplicate closed before merges had links continues as nothing: it is just closed.
    end = closed.merged_into(target) if closed.is_merged(target) else None
    if end is not None and end.pk == duplicate.pk:
        why = _("%(target)s was merged into %(ref)s: merging back would make a loop.")
        raise ActionError(ErrorCode.MERGE_CYCLE, why, target=target.ref, ref=duplicate.ref)
    if end is not None:
        why = _("%(target)s is itself a duplicate, merged into %(end)s: merge into %(end)s.")
        raise ActionError(ErrorCode.MERGE_INTO_DUPLICATE, why, target=target.ref, end=end.ref)
    if target.status == Status.CLOSED:
        why = _("%(target)s is closed: merge into an open ticket, or reopen %(target)s first.")
        raise ActionError(ErrorCode.MERGE_INTO_CLOSED, why, target=target.ref)


# -- related tickets --------------------------------------------------------------------------


def _related(a: Ticket, b: Ticket) -> Q:
    return Q(kind=LinkKind.RELATED) & (Q(source=a, target=b) | Q(source=b, target=a))


@transaction.atomic
def link(ticket: Ticket, other: Ticket, *, by: Actor) -> Ticket:
    """Link two tickets as related: both pages show it, both histories say it."""
    staff_user(by, _("link tickets"))
    row, peer = _lock_pair(ticket, other, ErrorCode.LINK_TO_ITSELF)
    if TicketLink.objects.filter(_related(row, peer)).exists():
        why = _("%(ref)s is already linked to %(other)s.")
        raise ActionError(ErrorCode.ALREADY_LINKED, why, ref=row.ref, other=peer.ref)
    db.insert(TicketLink(source=row, target=peer, kind=LinkKind.RELATED, created_at=timezone.now()))
    record(row, EventKind.LINKED, by, related_to=peer.ref)
    record(peer, EventKind.LINKED, by, related_to=row.ref)
    return done(row, ticket)


@transaction.atomic
def unlink(ticket: Ticket, other: Ticket, *, by: Actor) -> Ticket:
    """Remove the related link between two tickets; both histories say so."""
    staff_user(by, _("unlink tickets"))
    row, peer = _lock_pair(ticket, other, ErrorCode.LINK_TO_ITSELF)
    deleted, _rows = TicketLink.objects.filter(_related(row, peer)).delete()
    if not deleted:
        why = _("%(ref)s is not linked to %(other)s.")
        raise ActionError(ErrorCode.NOT_LINKED, why, ref=row.ref, other=peer.ref)
    record(row, EventKind.LINKED, by, unrelated_to=peer.ref)
    record(peer, EventKind.LINKED, by, unrelated_to=row.ref)
    return done(row, ticket)


def _lock_pair(first: Ticket, second: Ticket, code: ErrorCode) -> tuple[Ticket, Ticket]:
    if first.pk == second.pk:
        raise ActionError(code, _("%(ref)s cannot be linked to itself."), ref=first.ref)
    return _lock_both(first, second)
