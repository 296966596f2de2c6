"""What visits tell people: the client in their language (mail plus a public message on the
ticket, so the portal shows it too), the technician in English, invitations as iCalendar.

Everything is queued through the outbox inside the action's transaction.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import User
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from deskside.accounts.names import display_name
from deskside.core.clocks import short_duration
from deskside.core.limits import MAX_REFERENCES
from deskside.onsite import ical
from deskside.onsite.models import Visit
from deskside.outbox.models import CalendarMethod
from deskside.outbox.send import queue
from deskside.tickets import actions, links
from deskside.tickets.models import Direction, MessageKind, Ticket
from deskside.tickets.notices import long_date, to_client

SUPPORT_NAME = "Deskside support"
STAFF_LANGUAGE = "en"


def refusal(visit: Visit) -> None:
    """Tell the client why no technician can come, and what remote help remains."""
    ticket = visit.ticket
    context: dict[str, object] = {
        "ref": ticket.ref,
        "refusal": visit.refusal,
        "country": visit.country,
        "postal_code": visit.postal_code,
        "name": ticket.contact.name,
    }
    _to_client(ticket, "refused", context)


def invitation(visit: Visit, method: CalendarMethod, *, update: bool, reason: str = "") -> None:
    """The invitation (or its update or cancellation) to the client and the technician."""
    assert visit.technician is not None and visit.start is not None and visit.end is not None
    ticket = visit.ticket
    language = ticket.language
    template = "cancelled" if method == CalendarMethod.CANCEL else "invitation"
    context = {
        "ref": ticket.ref,
        "subject": ticket.subject,
        "name": ticket.contact.name,
        "update": update,
        "start": long_date(visit.start, language),
        "end": timezone.localtime(visit.end).strftime("%H:%M"),
        "duration": short_duration(visit.duration) if visit.duration else "",
        "technician": display_name(visit.technician),
        "address": visit.address,
        "reason": reason,
    }
    ics = ical.invitation(_invite(visit, method, language), ical.DEFAULT_TZ)
    _to_client(ticket, template, context, calendar=ics, method=method)
    technician(visit, visit.technician, method, update=update, reason=reason)


def technician(
    visit: Visit, person: User, method: CalendarMethod, *, update: bool, reason: str = ""
) -> None:
    """The technician's copy (also sent to a technician taken off a rescheduled visit)."""
    assert visit.start is not None and visit.end is not None
    ticket = visit.ticket
    context = {
        "visit": visit,
        "ref": ticket.ref,
        "subject": ticket.subject,
        "contact": ticket.contact,
        "cancelled": method == CalendarMethod.CANCEL,
        "update": update,
        "start": long_date(visit.start, STAFF_LANGUAGE),
        "end": timezone.localtime(visit.end).strftime("%H:%M"),
        "reason": reason,
        "link": links.absolute(reverse("onsite:visit", args=[visit.pk])),
    }
    text = render_to_string("onsite/mail/technician.txt", context).strip() + "\n"
    subject = " ".join(render_to_string("onsite/mail/technician_subject.txt", context).split())
    ics = ical.invitation(_invite(visit, method, STAFF_LANGUAGE), ical.DEFAULT_TZ)
    queue(
        to=[person.email],
        subject=subject,
        text=text,
        purpose=f"visit_{method.value.lower()}",
        ticket_ref=ticket.ref,
        calendar=ics,
        calendar_method=method,
    )


def _invite(visit: Visit, method: CalendarMethod, language: str) -> ical.VisitInvite:
    assert visit.technician is not None and visit.start is not None and visit.end is not None
    ticket, contact = visit.ticket, visit.ticket.contact
    context = {"ref": ticket.ref, "subject": ticket.subject}
    summary = render_to_string(f"onsite/mail/summary.{language}.txt", context)
    return ical.VisitInvite(
        uid=visit.uid,
        sequence=visit.sequence,
        start=visit.start,
        end=visit.end,
        summary=summary,
        description=f"{ticket.ref}: {ticket.subject}\n\n{visit.reason}",
        location=visit.address,
        organizer_email=settings.DESKSIDE_SUPPORT_ADDRESS,
        organizer_name=SUPPORT_NAME,
        attendees=(
            (contact.email, contact.name),
            (visit.technician.email, display_name(visit.technician)),
        ),
        method=ical.Method(method.value),
    )


def _to_client(
    ticket: Ticket,
    template: str,
    context: dict[str, object],
    *,
    calendar: bytes = b"",
    method: CalendarMethod | None = None,
) -> None:
    language = ticket.language
    mail = to_client(
        ticket,
        subject=render_to_string(f"onsite/mail/{template}_subject.{language}.txt", context),
        text=render_to_string(f"onsite/mail/{template}.{language}.txt", context),
        purpose=f"visit_{template}",
        references=actions.conversation(ticket)[-MAX_REFERENCES:],
        calendar=calendar,
        calendar_method=method,
    )
    actions.add_system_message(ticket, actions.filed(mail, MessageKind.NOTICE), by=actions.SYSTEM)


def note(ticket: Ticket, text: str) -> None:
    """A line in the ticket's history for the team (clients never see system notes)."""
    actions.add_system_message(
        ticket,
        actions.NewMessage(
            direction=Direction.SYSTEM, kind=MessageKind.NOTICE, text=text, sender="Deskside"
        ),
        by=actions.SYSTEM,
    )
