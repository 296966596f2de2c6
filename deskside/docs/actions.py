"""Every change to a ticket's documentation changes goes through one of these functions.

Each checks the rule, writes the row with who and when, and puts a line in the ticket's history
when the documentation clock moves (a change planned or done, or no change needed). A refused
change raises DocError (an ActionError) with a sentence for the person who asked.
"""

from __future__ import annotations

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from deskside.core.levels import DOCUMENTATION_LEVEL
from deskside.docs.guards import check_close
from deskside.docs.models import (
    ChangeKind,
    ChangeStatus,
    DocChange,
    Document,
)
from deskside.tickets import actions
from deskside.tickets.actions import ActionError, Actor
from deskside.tickets.models import CloseReason, Direction, MessageKind, Ticket


class DocError(ActionError):
    """A documentation change that is not allowed; the message says why, for a person."""


@transaction.atomic
def add_change(
    ticket: Ticket,
    *,
    document: Document | str,
    what: str,
    where: str = "",
    status: ChangeStatus | str = ChangeStatus.PLANNED,
    by: User,
) -> DocChange:
    _check_level(ticket)
    document, status = _document(document), _status(status)
    what, where = _what(what), where.strip()
    if ticket.doc_changes.filter(kind=ChangeKind.NO_CHANGE).exists():
        raise DocError(f"{ticket.ref} says no documentation change is needed: withdraw that first.")
    now = timezone.now()
    change = DocChange.objects.create(
        ticket=ticket,
        kind=ChangeKind.CHANGE,
        document=document,
        what=what,
        where=where,
        status=status,
        done_at=now if status == ChangeStatus.DONE else None,
        created_by=by,
        updated_by=by,
    )
    _note(ticket, by, f"Documentation change {status.label.lower()}: {_describe(change)}")
    return change


@transaction.atomic
def edit_change(
    change: DocChange,
    *,
    document: Document | str,
    what: str,
    where: str = "",
    status: ChangeStatus | str,
    by: User,
) -> DocChange:
    change = DocChange.objects.select_for_update().select_related("ticket").get(pk=change.pk)
    if change.kind != ChangeKind.CHANGE:
        raise DocError("This is a 'no change needed': edit its reason instead.")
    status = _status(status)
    was_done = change.status == ChangeStatus.DONE
    change.document, change.what, change.where = _document(document), _what(what), where.strip()
    change.status = status
    if status == ChangeStatus.DONE and not was_done:
        change.done_at = timezone.now()
    elif status == ChangeStatus.PLANNED:
        change.done_at = None
    change.updated_by = by
    change.save()
    if was_done != (status == ChangeStatus.DONE):
        _note(
            change.ticket, by, f"Documentation change {status.label.lower()}: {_describe(change)}"
        )
    return change


@transaction.atomic
def record_no_change(ticket: Ticket, reason: str, *, by: User) -> DocChange:
    _check_level(ticket)
    reason = reason.strip()
    if not reason:
        raise DocError("Say why no documentation change is needed.")
    if ticket.doc_changes.exists():
        raise DocError(
            f"{ticket.ref} already has documentation changes: mark them done, or edit them."
        )
    change = DocChange.objects.create(
        ticket=ticket,
        kind=ChangeKind.NO_CHANGE,
        reason=reason,
        status=ChangeStatus.DONE,
        done_at=timezone.now(),
        created_by=by,
        updated_by=by,
    )
    _note(ticket, by, f"No documentation change needed: {reason}")
    return change


@transaction.atomic
def edit_no_change(change: DocChange, reason: str, *, by: User) -> DocChange:
    change = DocChange.objects.select_for_update().get(pk=change.pk)
    if change.kind != ChangeKind.NO_CHANGE:
        raise DocError("This is a documentation change, not a 'no change needed'.")
    if not reason.strip():
        raise DocError("Say why no documentation change is needed.")
    change.reason, change.updated_by = reason.strip(), by
    change.save()
    return change


@transaction.atomic
def withdraw_no_change(change: DocChange, *, by: User) -> None:
    """Take back a "no change needed" (the ticket does change the documentation after all)."""
    change = DocChange.objects.select_for_update().select_related("ticket").get(pk=change.pk)
    if change.kind != ChangeKind.NO_CHANGE:
        raise DocError("Only a 'no change needed' can be withdrawn; mark changes planned or done.")
    ticket = change.ticket
    change.delete()
    _note(ticket, by, "'No documentation change needed' withdrawn.")


@transaction.atomic
def close_answered(ticket: Ticket, *, by: Actor, note: str = "") -> Ticket:
    """Close a ticket as answered, refused for a level-4 ticket without its documentation."""
    refusal = check_close(ticket, CloseReason.ANSWERED)
    if refusal:
        raise DocError(refusal)
    return actions.close(ticket, CloseReason.ANSWERED, by=by, note=note)


def _check_level(ticket: Ticket) -> None:
    if ticket.severity != DOCUMENTATION_LEVEL:
        raise DocError(
            f"{ticket.ref} is level {ticket.severity or '—'}: documentation changes are recorded "
            f"on level-{DOCUMENTATION_LEVEL} tickets."
        )


def _document(value: str) -> Document:
    if value not in Document.values:
        raise DocError("Choose the design doc or the ops doc.")
    return Document(value)


def _status(value: str) -> ChangeStatus:
    if value not in ChangeStatus.values:
        raise DocError("A documentation change is planned or done.")
    return ChangeStatus(value)


def _what(value: str) -> str:
    if not value.strip():
        raise DocError("Say what changes in the document.")
    return value.strip()


def _describe(change: DocChange) -> str:
    where = f" ({change.where})" if change.where else ""
    return f"{change.get_document_display()}{where}: {change.what}"


def _note(ticket: Ticket, by: User, text: str) -> None:
    actions.add_system_message(
        ticket,
        actions.NewMessage(
            direction=Direction.SYSTEM,
            kind=MessageKind.NOTICE,
            text=text,
            sender=Actor.staff(by).label,
        ),
        by=actions.SYSTEM,
    )
