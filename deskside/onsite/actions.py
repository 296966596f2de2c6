"""Every change to a visit goes through one of these functions.

Each checks the protocol's rules (docs/protocol.md, On-site visits), writes the visit and its
VisitEvent in one transaction, puts a line on the ticket and queues the mail that must follow. A
refused change raises VisitError (an ActionError) with a sentence for the person who asked.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any, Literal, Unpack, overload

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from deskside.accounts.names import display_name
from deskside.accounts.roles import Role
from deskside.core.business_time import Calendar
from deskside.core.clocks import short_duration
from deskside.core.errors import ErrorCode
from deskside.core.postal import check_address
from deskside.onsite import events as ev
from deskside.onsite import notices
from deskside.onsite.models import (
    ACTIVE_STATUSES,
    Visit,
    VisitEvent,
    VisitEventKind,
    VisitStatus,
)
from deskside.outbox.models import CalendarMethod
from deskside.outbox.send import message_id_domain
from deskside.tickets import policy
from deskside.tickets.actions import ActionError, Actor
from deskside.tickets.models import Status, Ticket
from deskside.tickets.notices import long_date
from deskside.tickets.webhook_events import ticket_data
from deskside.webhooks.emit import emit
from deskside.webhooks.models import Kind

LONGEST_VISIT = timedelta(hours=8)


class VisitError(ActionError):
    """A visit change the protocol does not allow; the message says why, for a person."""


def technicians() -> QuerySet[User]:
    """Who can be sent on a visit: active members of the technician group."""
    return (
        User.objects.filter(groups__name=Role.TECHNICIAN, is_active=True)
        .distinct()
        .order_by("first_name", "username")
    )


# -- request ----------------------------------------------------------------------------------


@transaction.atomic
def request_visit(ticket: Ticket, reason: str, *, by: User) -> Visit:
    """Ask for a technician on site. The client's address decides: in Belgium the visit waits to
    be scheduled; elsewhere it is refused, recorded, and the client is told why."""
    reason = reason.strip()
    if not reason:
        raise VisitError(
            ErrorCode.REASON_REQUIRED, _("Say why the problem cannot be solved remotely.")
        )
    # Under the ticket's row lock: two agents asking at once get one visit, not two, since the
    # second sees the first's visit once it may go on.
    ticket = (
        Ticket.objects.select_for_update(of=("self",)).select_related("contact").get(pk=ticket.pk)
    )
    if not ticket.is_open():
        raise VisitError(
            ErrorCode.TICKET_RESOLVED
            if ticket.status == Status.RESOLVED
            else ErrorCode.TICKET_CLOSED,
            _("%(ref)s is %(status)s: reopen it first."),
            ref=ticket.ref,
            status=ticket.get_status_display().lower(),
        )
    if Visit.objects.filter(ticket=ticket, status__in=ACTIVE_STATUSES).exists():
        why = _("%(ref)s already has a visit requested or scheduled.")
        raise VisitError(ErrorCode.VISIT_ACTIVE, why, ref=ticket.ref)
    address = ticket.contact.postal_address()
    decision = check_address(address.country, address.postal_code)
    visit = Visit.objects.create(
        ticket=ticket,
        status=VisitStatus.REQUESTED if decision.eligible else VisitStatus.REFUSED,
        reason=reason,
        requested_by=by,
        address=_one_line(address),
        country=address.country,
        postal_code=address.postal_code,
        province=decision.province.value if decision.province else "",
        refusal=decision.refusal.value if decision.refusal else "",
        refusal_reason=decision.reason or "",
        uid=f"visit-{uuid.uuid4().hex}@{message_id_domain()}",
    )
    who = Actor.staff(by).label
    if decision.eligible:
        _record(visit, VisitEventKind.REQUESTED, by, reason=reason, province=visit.province)
        notices.note(
            ticket,
            f"On-site visit requested by {who}: {reason}\n"
            f"Address: {visit.address} (province {visit.province}). It waits to be scheduled.",
        )
    else:
        _record(visit, VisitEventKind.REFUSED, by, reason=reason, refusal=visit.refusal)
        notices.note(
            ticket,
            f"On-site visit requested by {who} and refused: {visit.refusal_reason} "
            "The client was told why, and that remote help goes on.",
        )
        notices.refusal(visit)
    return visit


def _one_line(address: Any) -> str:
    parts = [
        address.address_line1,
        address.address_line2,
        " ".join(p for p in (address.postal_code, address.city) if p),
        address.country,
    ]
    return ", ".join(p.strip() for p in parts if p and p.strip())


# -- schedule ---------------------------------------------------------------------------------


def check_business_hours(start: datetime, duration: timedelta, calendar: Calendar) -> None:
    """A visit lies wholly inside opening hours: open at its start, and every minute of it is
    business time (so never on a weekend or holiday, nor across closing or lunch)."""
    if start.tzinfo is None:
        raise VisitError(ErrorCode.NAIVE_START, _("A visit's start needs a time zone."))
    if duration <= timedelta(0):
        raise VisitError(ErrorCode.NO_DURATION, _("A visit needs a duration."))
    if duration > LONGEST_VISIT:
        raise VisitError(
            ErrorCode.VISIT_TOO_LONG,
            _("A visit lasts at most %(longest)s."),
            longest=short_duration(LONGEST_VISIT),
        )
    # In UTC: adding to a local time would keep the wall clock across a DST change.
    start = start.astimezone(UTC)
    end = start + duration
    if not calendar.is_open(start):
        raise VisitError(
            ErrorCode.OUTSIDE_BUSINESS_HOURS,
            _(
                "%(start)s is outside business hours (no visits in the evening, at weekends or "
                "on public holidays); the next opening is %(next)s."
            ),
            start=long_date(start, "en"),
            next=long_date(calendar.next_opening(start), "en"),
        )
    if calendar.between(start, end) != duration:
        closing = calendar.next_closing(start)
        raise VisitError(
            ErrorCode.PAST_CLOSING,
            _(
                "A visit of %(duration)s from %(start)s would run past closing at %(closing)s: "
                "start earlier, make it shorter, or split it over two days."
            ),
            duration=short_duration(duration),
            start=long_date(start, "en"),
            closing=timezone.localtime(closing).strftime("%H:%M"),
        )


@transaction.atomic
def schedule(
    visit: Visit, *, technician: User, start: datetime, duration: timedelta, by: User
) -> Visit:
    """Give a requested visit (or a scheduled one: a reschedule) a technician and a time, and
    send the invitation to the client and the technician."""
    visit = _locked(visit)
    if visit.status not in ACTIVE_STATUSES:
        raise VisitError(
            ErrorCode.VISIT_NOT_ACTIVE,
            _("This visit is %(status)s: it cannot be planned."),
            status=visit.get_status_display().lower(),
        )
    if not technicians().filter(pk=technician.pk).exists():
        why = _("%(name)s is not an active technician.")
        raise VisitError(ErrorCode.NOT_A_TECHNICIAN, why, name=display_name(technician))
    if not technician.email:
        why = _("%(name)s has no e-mail address for the invitation.")
        raise VisitError(ErrorCode.NO_TECHNICIAN_EMAIL, why, name=display_name(technician))
    if start < timezone.now():
        raise VisitError(ErrorCode.IN_THE_PAST, _("A visit cannot be scheduled in the past."))
    check_business_hours(start, duration, policy.calendar())
    previous = visit.technician if visit.status == VisitStatus.SCHEDULED else None
    rescheduled = visit.invitations_sent > 0
    if rescheduled:
        visit.sequence += 1  # calendar programs ignore an update that is not higher
    visit.status = VisitStatus.SCHEDULED
    visit.technician, visit.start, visit.duration = technician, start, duration
    visit.invitations_sent += 1
    visit.save()
    kind: Literal[_Kind.SCHEDULED, _Kind.RESCHEDULED] = (
        VisitEventKind.RESCHEDULED if rescheduled else VisitEventKind.SCHEDULED
    )
    _record(
        visit,
        kind,
        by,
        technician=technician.get_username(),
        start=start.isoformat(),
        duration=short_duration(duration),
        sequence=visit.sequence,
    )
    if previous is not None and previous.pk != technician.pk:
        notices.technician(visit, previous, CalendarMethod.CANCEL, update=True)
    notices.invitation(visit, CalendarMethod.REQUEST, update=rescheduled)
    emit(Kind.VISIT_SCHEDULED, lambda: _scheduled_data(visit, by, rescheduled))
    return visit


def _scheduled_data(visit: Visit, by: User, rescheduled: bool) -> dict[str, Any]:
    """The webhook's payload (docs/api.md, Webhooks): the visit as planned, and its ticket."""
    assert visit.start is not None and visit.duration is not None and visit.technician
    return {
        "ticket": ticket_data(visit.ticket),
        "actor": Actor.staff(by).label,
        "visit": {
            "id": visit.pk,
            "technician": visit.technician.get_username(),
            "start": visit.start,
            "duration_minutes": int(visit.duration.total_seconds() // 60),
            "address": visit.address,
            "postal_code": visit.postal_code,
            "country": visit.country,
            "rescheduled": rescheduled,
        },
    }


@transaction.atomic
def cancel(visit: Visit, *, reason: str, by: User) -> Visit:
    """Call a visit off; a scheduled one is cancelled in the client's and technician's calendars."""
    visit = _locked(visit)
    reason = reason.strip()
    if not reason:
        raise VisitError(ErrorCode.REASON_REQUIRED, _("Say why the visit is cancelled."))
    if visit.status not in ACTIVE_STATUSES:
        raise VisitError(
            ErrorCode.VISIT_NOT_ACTIVE,
            _("This visit is %(status)s: nothing to cancel."),
            status=visit.get_status_display().lower(),
        )
    was_scheduled = visit.status == VisitStatus.SCHEDULED
    if was_scheduled:
        visit.sequence += 1
        visit.invitations_sent += 1
    visit.status = VisitStatus.CANCELLED
    visit.save()
    _record(visit, VisitEventKind.CANCELLED, by, reason=reason, sequence=visit.sequence)
    notices.note(visit.ticket, f"On-site visit cancelled by {Actor.staff(by).label}: {reason}")
    if was_scheduled:
        notices.invitation(visit, CalendarMethod.CANCEL, update=True, reason=reason)
    return visit


# -- report -----------------------------------------------------------------------------------


def may_report(visit: Visit, user: User) -> bool:
    return visit.technician_id == user.pk or user.has_perm("onsite.report_visit")


@transaction.atomic
def report(visit: Visit, *, outcome: str, time_spent: timedelta, solved: bool, by: User) -> Visit:
    """The technician's report closes the visit and joins the ticket's history."""
    visit = _locked(visit)
    outcome = outcome.strip()
    if not may_report(visit, by):
        raise VisitError(
            ErrorCode.NOT_THE_TECHNICIAN,
            _("Only the visit's technician (or a lead) reports on it."),
        )
    if visit.status != VisitStatus.SCHEDULED:
        raise VisitError(
            ErrorCode.VISIT_NOT_SCHEDULED,
            _("This visit is %(status)s: no report is due."),
            status=visit.get_status_display().lower(),
        )
    if not outcome:
        raise VisitError(ErrorCode.NO_OUTCOME, _("The report needs the outcome of the visit."))
    if time_spent <= timedelta(0):
        raise VisitError(ErrorCode.NO_TIME_SPENT, _("The report needs the time spent."))
    visit.status = VisitStatus.DONE
    visit.outcome, visit.time_spent, visit.solved = outcome, time_spent, solved
    visit.reported_at, visit.reported_by = timezone.now(), by
    visit.save()
    _record(
        visit, VisitEventKind.REPORTED, by, solved=solved, time_spent=short_duration(time_spent)
    )
    assert visit.start is not None
    notices.note(
        visit.ticket,
        f"On-site visit report by {Actor.staff(by).label} "
        f"(visit of {long_date(visit.start, 'en')}):\n"
        f"Solved: {'yes' if solved else 'no'}. Time spent: {short_duration(time_spent)}.\n\n"
        f"{outcome}",
    )
    return visit


# -- shared -----------------------------------------------------------------------------------


def _locked(visit: Visit) -> Visit:
    return (
        Visit.objects.select_for_update(of=("self",))
        .select_related("ticket__contact")
        .get(pk=visit.pk)
    )


_Kind = VisitEventKind


@overload
def _record(
    visit: Visit, kind: Literal[_Kind.REQUESTED], by: User, **data: Unpack[ev.Requested]
) -> VisitEvent: ...
@overload
def _record(
    visit: Visit, kind: Literal[_Kind.REFUSED], by: User, **data: Unpack[ev.Refused]
) -> VisitEvent: ...
@overload
def _record(
    visit: Visit,
    kind: Literal[_Kind.SCHEDULED, _Kind.RESCHEDULED],
    by: User,
    **data: Unpack[ev.Scheduled],
) -> VisitEvent: ...
@overload
def _record(
    visit: Visit, kind: Literal[_Kind.CANCELLED], by: User, **data: Unpack[ev.Cancelled]
) -> VisitEvent: ...
@overload
def _record(
    visit: Visit, kind: Literal[_Kind.REPORTED], by: User, **data: Unpack[ev.Reported]
) -> VisitEvent: ...
def _record(visit: Visit, kind: VisitEventKind, by: User, **data: Any) -> VisitEvent:
    """One VisitEvent, its `data` typed by its kind (deskside/onsite/events.py)."""
    return VisitEvent.objects.create(
        visit=visit, kind=kind, actor=by, actor_label=Actor.staff(by).label, data=data
    )
