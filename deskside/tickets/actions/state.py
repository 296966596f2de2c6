"""Where a ticket stands: closed, reopened, resolved, waiting on the client, whose it is, at
which level, and which milestone it reached."""

from __future__ import annotations

from datetime import datetime
from typing import Unpack

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from deskside.core.errors import ErrorCode
from deskside.core.limits import MAX_REFERENCES
from deskside.tickets import events, hooks, notices, policy
from deskside.tickets.actions._base import (
    SYSTEM,
    Actor,
    check_level,
    check_open,
    conversation,
    done,
    filed,
    lock,
    post,
    save,
    staff_user,
    to_client,
)
from deskside.tickets.actions._record import record
from deskside.tickets.actions.alerts import escalate
from deskside.tickets.errors import ActionError
from deskside.tickets.evidence import evidence_of
from deskside.tickets.models import CloseReason, EventKind, MessageKind, Milestone, Status, Ticket


@transaction.atomic
def close(
    ticket: Ticket,
    reason: CloseReason | str,
    *,
    by: Actor,
    note: str = "",
    client_text: str = "",
) -> Ticket:
    """Close with a reason. `note` is for the history (agents only); `client_text` goes into
    the mail that tells the client, which only an out-of-scope close sends (docs/protocol.md,
    Out of scope)."""
    row = lock(ticket)
    _check_close(row, reason, client_text)
    closing(row, CloseReason(reason), by, note=note)
    if reason == CloseReason.OUT_OF_SCOPE:
        # docs/protocol.md, Out of scope: the client is told, in their language, from a template.
        thread = conversation(row)[-MAX_REFERENCES:]
        sent = notices.closed_out_of_scope(row, thread, client_text=client_text)
        post(row, filed(sent, MessageKind.CLOSURE), SYSTEM)
    return done(row, ticket)


def _check_close(ticket: Ticket, reason: CloseReason | str, client_text: str) -> None:
    if not reason:
        raise ActionError(ErrorCode.REASON_REQUIRED, _("Closing needs a reason."))
    if reason not in CloseReason.values:
        raise ActionError(
            ErrorCode.UNKNOWN_CLOSE_REASON,
            _("%(reason)s is not a close reason: use one of %(reasons)s."),
            reason=repr(reason),
            reasons=", ".join(CloseReason.values),
        )
    if ticket.status == Status.CLOSED:
        why = _("%(ref)s is already closed.")
        raise ActionError(ErrorCode.ALREADY_CLOSED, why, ref=ticket.ref)
    if client_text.strip() and reason != CloseReason.OUT_OF_SCOPE:
        raise ActionError(
            ErrorCode.CLOSE_SENDS_NO_MAIL,
            _(
                "Closing as %(reason)s sends the client no mail: leave the text for the client "
                "empty (or reply first)."
            ),
            reason=CloseReason(reason).label.lower(),
        )
    refused = evidence_of(ticket).missing_for(reason) or hooks.close_refusal(ticket, reason)
    if refused:
        raise refused


def closing(
    ticket: Ticket, reason: CloseReason, by: Actor, **notes: Unpack[events.CloseNotes]
) -> None:
    """Close the locked row, unchecked: `close` checks first, the cooperation sweep need not."""
    ticket.status = Status.CLOSED
    ticket.close_reason = reason
    ticket.closed_at = timezone.now()
    record(ticket, EventKind.CLOSED, by, reason=ticket.close_reason, **notes)
    save(ticket, "status", "close_reason", "closed_at")


@transaction.atomic
def reopen(ticket: Ticket, *, by: Actor, reason: str, severity: int | None = None) -> Ticket:
    """Reopen a closed or resolved ticket, optionally at a level."""
    row = lock(ticket)
    reopening(row, by, reason, severity=severity)
    return done(row, ticket)


def reopening(
    ticket: Ticket,
    by: Actor,
    reason: str,
    *,
    severity: int | None,
    at: datetime | None = None,
    escalate_it: bool = True,
) -> None:
    """Reopen the locked row; `reopen` and a client's reply (`reopen_by_client`) share it."""
    if ticket.status not in (Status.CLOSED, Status.RESOLVED):
        raise ActionError(
            ErrorCode.NOT_REOPENABLE,
            _("%(ref)s is %(status)s: only a closed or resolved ticket can be reopened."),
            ref=ticket.ref,
            status=ticket.get_status_display().lower(),
        )
    if not reason.strip():
        raise ActionError(ErrorCode.REASON_REQUIRED, _("Reopening needs a reason."))
    if severity is not None:
        check_level(severity)
        ticket.claimed_severity = ticket.severity = severity
    if ticket.severity is None:
        why = _("%(ref)s has no severity: reopen it with a level 1-4.")
        raise ActionError(ErrorCode.NO_SEVERITY, why, ref=ticket.ref)
    was = ticket.close_reason or ticket.status
    record(ticket, EventKind.REOPENED, by, at=at, reason=reason, was=was, severity=ticket.severity)
    ticket.status = Status.OPEN
    ticket.close_reason = ""
    ticket.closed_at = None
    save(ticket, "status", "close_reason", "closed_at", "claimed_severity", "severity")
    if escalate_it:
        escalate(ticket, why="reopened")


@transaction.atomic
def resolve(ticket: Ticket, resolution: str, *, by: Actor) -> Ticket:
    """Mark the ticket resolved and mail the client the resolution, in the ticket's language,
    with how to reopen it: an answer, by mail or in the portal, reopens a resolved ticket
    (receive_from_client). Only a ticket whose client has had a public reply can be resolved."""
    row = lock(ticket)
    check_open(row, _("resolve it"))
    if not row.has_public_reply():
        raise ActionError(
            ErrorCode.NO_PUBLIC_REPLY,
            _(
                "%(ref)s has had no public reply: answer the client (a reply or proposed steps) "
                "before marking it resolved."
            ),
            ref=row.ref,
        )
    if not resolution.strip():
        raise ActionError(
            ErrorCode.EMPTY_RESOLUTION,
            _("Resolving needs a resolution: what was done, for the client."),
        )
    staff_user(by, _("resolve a ticket"))
    thread = conversation(row)
    message = to_client(row, MessageKind.RESOLUTION, resolution, by, thread)
    record(row, EventKind.RESOLVED, by, was=row.status, message=message.pk)
    row.status = Status.RESOLVED
    save(row, "status")
    notices.resolved(row, message, thread[-MAX_REFERENCES:])
    return done(row, ticket, posted=message)


@transaction.atomic
def wait_on_client(ticket: Ticket, *, by: Actor, note: str = "") -> Ticket:
    """The ticket waits for the client: every clock pauses until the client answers."""
    row = lock(ticket)
    check_open(row, _("wait on the client"))
    if row.status == Status.WAITING_ON_CLIENT:
        why = _("%(ref)s is already waiting on the client.")
        raise ActionError(ErrorCode.ALREADY_WAITING, why, ref=row.ref)
    record(row, EventKind.WAITING, by, note=note)
    row.status = Status.WAITING_ON_CLIENT
    save(row, "status")
    return done(row, ticket)


@transaction.atomic
def assign(ticket: Ticket, assignee: User | None, *, by: Actor) -> Ticket:
    row = lock(ticket)
    if assignee is not None and not assignee.is_active:
        why = _("%(user)s is not an active user.")
        raise ActionError(ErrorCode.INACTIVE_USER, why, user=assignee.get_username())
    if row.assignee_id == (assignee.pk if assignee else None):
        why = _("%(ref)s is already assigned so.")
        raise ActionError(ErrorCode.ALREADY_ASSIGNED, why, ref=row.ref)
    record(row, EventKind.ASSIGNED, by, to=assignee.get_username() if assignee else None)
    row.assignee = assignee
    save(row, "assignee")
    if assignee is not None:
        notices.assigned(row, assignee, by=by.user)
    return done(row, ticket)


@transaction.atomic
def reassess(ticket: Ticket, level: int, *, reason: str, by: Actor) -> Ticket:
    """Change the assessed severity; the client's claimed severity stays as given."""
    row = lock(ticket)
    check_level(level)
    check_open(row, _("reassess it"))
    if not reason.strip():
        raise ActionError(ErrorCode.REASON_REQUIRED, _("A reassessment needs a reason."))
    if row.severity == level:
        why = _("%(ref)s is already at level %(level)s.")
        raise ActionError(ErrorCode.ALREADY_AT_LEVEL, why, ref=row.ref, level=level)
    was = row.severity
    record(row, EventKind.REASSESSED, by, was=was, level=level, reason=reason)
    row.severity = level
    save(row, "severity")
    if was is None or level < was:  # raised: to 1 or 2 it alerts the agents on duty
        escalate(row, why=f"reassessed from level {was}")
    return done(row, ticket)


@transaction.atomic
def record_milestone(ticket: Ticket, milestone: Milestone | str, *, by: Actor) -> Ticket:
    row = lock(ticket)
    check_open(row, _("record a milestone"))
    if milestone not in Milestone.values:
        raise ActionError(
            ErrorCode.UNKNOWN_MILESTONE,
            _("%(milestone)s is not a milestone: use one of %(milestones)s."),
            milestone=repr(milestone),
            milestones=", ".join(Milestone.values),
        )
    allowed = policy.level(row.severity).goal_milestones if row.severity else []
    if milestone not in allowed:
        raise ActionError(
            ErrorCode.MILESTONE_NOT_A_GOAL,
            _("Level %(level)s goals are met by %(allowed)s, not by %(milestone)s."),
            level=row.severity,
            allowed=", ".join(allowed) or "nothing",
            milestone=milestone,
        )
    record(row, EventKind.MILESTONE, by, milestone=milestone)
    row.milestone = Milestone(milestone)
    save(row, "milestone")
    return done(row, ticket)
