"""Every change to a ticket's documentation changes goes through one of these functions.

Each checks the rule, writes the row with who and when, and puts a line in the ticket's history
when the documentation clock moves (a change planned or done, or no change needed). A refused
change raises DocError (an ActionError) with a sentence for the person who asked.
"""

from __future__ import annotations

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from deskside.core.errors import ErrorCode
from deskside.core.levels import DOCUMENTATION_LEVEL

# DocError lives beside the close guard, which returns one; the actions raise it too.
from deskside.docs.guards import DocError as DocError
from deskside.docs.guards import check_close
from deskside.docs.models import (
    ChangeKind,
    ChangeStatus,
    DocChange,
    Document,
)
from deskside.tickets import actions
from deskside.tickets.actions import Actor
from deskside.tickets.models import CloseReason, Direction, MessageKind, Ticket


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
        raise DocError(
            ErrorCode.NO_CHANGE_RECORDED,
            _("%(ref)s says no documentation change is needed: withdraw that first."),
            ref=ticket.ref,
        )
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
        raise DocError(
            ErrorCode.IS_NO_CHANGE, _("This is a 'no change needed': edit its reason instead.")
        )
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
        raise DocError(ErrorCode.REASON_REQUIRED, _("Say why no documentation change is needed."))
    if ticket.doc_changes.exists():
        raise DocError(
            ErrorCode.CHANGES_RECORDED,
            _("%(ref)s already has documentation changes: mark them done, or edit them."),
            ref=ticket.ref,
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
        raise DocError(
            ErrorCode.IS_CHANGE, _("This is a documentation change, not a 'no change needed'.")
        )
    if not reason.strip():
        raise DocError(ErrorCode.REASON_REQUIRED, _("Say why no documentation change is needed."))
    change.reason, change.updated_by = reason.strip(), by
    change.save()
    return change


@transaction.atomic
def withdraw_no_change(change: DocChange, *, by: User) -> None:
    """Take back a "no change needed" (the ticket does change the documentation after all)."""
    change = DocChange.objects.select_for_update().select_related("ticket").get(pk=change.pk)
    if change.kind != ChangeKind.NO_CHANGE:
        raise DocError(
            ErrorCode.IS_CHANGE,
            _("Only a 'no change needed' can be withdrawn; mark changes planned or done."),
        )
    ticket = change.ticket
    change.delete()
    _note(ticket, by, "'No documentation change needed' withdrawn.")


@transaction.atomic
def close_answered(ticket: Ticket, *, by: Actor, note: str = "") -> Ticket:
    """Close a ticket as answered, refused for a level-4 ticket without its documentation."""
    refusal = check_close(ticket, CloseReason.ANSWERED)
    if refusal:
        raise refusal
    return actions.close(ticket, CloseReason.ANSWERED, by=by, note=note)


def _check_level(ticket: Ticket) -> None:
    if ticket.severity != DOCUMENTATION_LEVEL:
        raise DocError(
            ErrorCode.DOCS_LEVEL_ONLY,
            _(
                "%(ref)s is level %(level)s: documentation changes are recorded on "
                "level-%(docs_level)s tickets."
            ),
            ref=ticket.ref,
            level=ticket.severity or "—",
            docs_level=DOCUMENTATION_LEVEL,
        )


def _document(value: str) -> Document:
    if value not in Document.values:
        raise DocError(ErrorCode.UNKNOWN_DOCUMENT, _("Choose the design doc or the ops doc."))
    return Document(value)


def _status(value: str) -> ChangeStatus:
    if value not in ChangeStatus.values:
        raise DocError(
            ErrorCode.UNKNOWN_CHANGE_STATUS, _("A documentation change is planned or done.")
        )
    return ChangeStatus(value)


def _what(value: str) -> str:
    if not value.strip():
        raise DocError(ErrorCode.EMPTY_CHANGE, _("Say what changes in the document."))
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
