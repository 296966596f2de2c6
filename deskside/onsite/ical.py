"""The iCalendar invitation for an on-site visit (RFC 5545, scheduling per RFC 5546).

Pure Python, no models: the visit actions fill a ``VisitInvite`` and attach the bytes this
module returns to the mail for the client and the technician.

* One visit is one UID for its whole life. Rescheduling sends METHOD:REQUEST again with a
  higher SEQUENCE; cancelling sends METHOD:CANCEL, STATUS:CANCELLED and a higher SEQUENCE.
  Calendar programs ignore an update whose SEQUENCE is not higher than the one they hold, so
  the caller must increase it at every change (``VisitInvite`` cannot know the last one sent).
* Times are written in the visit's time zone with TZID and a VTIMEZONE generated from the tz
  database, so "10:00 in Brussels" stays 10:00 for a reader in Brussels across the DST change.
  The VTIMEZONE covers only the years around the visit: small, and exact for that window.
* Text is escaped by ``icalendar`` (commas, semicolons, backslashes, newlines), so a summary
  cannot start a new property. Control characters, which RFC 5545 forbids in TEXT, are dropped,
  and line breaks in one-line fields (summary, names) become spaces. E-mail addresses are
  written unescaped inside a URI, so one that could break out of it is refused.
* A cancellation expects no answer: its attendees carry RSVP=FALSE.
"""

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime
from enum import StrEnum
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event, Timezone, vCalAddress

PRODID = "-//Deskside//On-site visits//EN"
DEFAULT_TZ = "Europe/Brussels"

# Control characters except TAB and LF; LF is kept (and escaped) where text may have lines.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_WHITESPACE_RUN = re.compile(r"\s+")
# An address is a URI body inside ``mailto:``: nothing that would end or split the value.
_EMAIL = re.compile(r"[^\s@<>\"(),:;\\\x00-\x1f\x7f]+@[^\s@<>\"(),:;\\\x00-\x1f\x7f]+")


class Method(StrEnum):
    REQUEST = "REQUEST"
    CANCEL = "CANCEL"


@dataclass(frozen=True)
class VisitInvite:
    uid: str
    sequence: int
    start: datetime
    end: datetime
    summary: str
    description: str
    location: str
    organizer_email: str
    organizer_name: str
    attendees: tuple[tuple[str, str], ...]  # (email, name)
    method: Method = Method.REQUEST

    def __post_init__(self) -> None:
        # A wrong invitation lands in other people's calendars: refuse it before it is built.
        if self.start.tzinfo is None or self.end.tzinfo is None:
            raise ValueError("A visit's start and end must be aware datetimes.")
        if self.end <= self.start:
            raise ValueError("A visit must end after it starts.")
        if self.sequence < 0:
            raise ValueError("SEQUENCE starts at 0.")
        if not self.uid.strip():
            raise ValueError("A visit needs a UID.")
        for email in (self.organizer_email, *(email for email, _ in self.attendees)):
            if not _EMAIL.fullmatch(email):
                raise ValueError(f"{email!r} is not an e-mail address for a calendar.")


def invitation(
    invite: VisitInvite, tz: str = DEFAULT_TZ, *, stamp: datetime | None = None
) -> bytes:
    """The ``.ics`` bytes (CRLF, folded lines) for this visit; ``stamp`` defaults to now."""
    zone = ZoneInfo(tz)
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", invite.method.value)
    calendar.add_component(
        _timezone(tz, invite.start.astimezone(zone), invite.end.astimezone(zone))
    )
    calendar.add_component(_event(invite, zone, stamp or datetime.now(UTC)))
    ics: bytes = calendar.to_ical()
    return ics


def _timezone(tz: str, start: datetime, end: datetime) -> Timezone:
    # From January of the visit's year through the year after it ends: every transition a calendar
    # program needs to place the visit, without fifty years of RDATEs.
    first, last = date(start.year, 1, 1), date(end.year + 2, 1, 1)
    return Timezone.from_tzid(tz, first_date=first, last_date=last)


def _event(invite: VisitInvite, zone: ZoneInfo, stamp: datetime) -> Event:
    cancelled = invite.method is Method.CANCEL
    event = Event()
    event.add("uid", _text(invite.uid, one_line=True))
    event.add("sequence", invite.sequence)
    event.add("dtstamp", stamp.astimezone(UTC))
    event.add("dtstart", invite.start.astimezone(zone))
    event.add("dtend", invite.end.astimezone(zone))
    event.add("summary", _text(invite.summary, one_line=True))
    event.add("description", _text(invite.description))
    event.add("location", _text(invite.location))
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    event.add("organizer", _address(invite.organizer_email, invite.organizer_name))
    for email, name in invite.attendees:
        event.add("attendee", _attendee(email, name, rsvp=not cancelled))
    return event


def _address(email: str, name: str) -> vCalAddress:
    address = vCalAddress(f"mailto:{email}")
    if cn := _text(name, one_line=True):
        address.params["CN"] = cn
    return address


def _attendee(email: str, name: str, *, rsvp: bool) -> vCalAddress:
    address = _address(email, name)
    address.params["CUTYPE"] = "INDIVIDUAL"
    address.params["ROLE"] = "REQ-PARTICIPANT"
    address.params["PARTSTAT"] = "NEEDS-ACTION"
    address.params["RSVP"] = "TRUE" if rsvp else "FALSE"
    return address


def _text(value: str, *, one_line: bool = False) -> str:
    value = _CONTROL.sub("", value.replace("\r\n", "\n").replace("\r", "\n"))
    if one_line:
        return _WHITESPACE_RUN.sub(" ", value).strip()
    return value
