"""The visit invitation (RFC 5545): parsed back with `icalendar` and checked the way a calendar
program reads it — time zone, organiser, attendees, sequence, cancellation, folding, escaping."""

import dataclasses
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar

from deskside.onsite.ical import PRODID, Method, VisitInvite, invitation

BRUSSELS = ZoneInfo("Europe/Brussels")
STAMP = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)
WINTER = datetime(2026, 1, 20, 10, 0, tzinfo=BRUSSELS)
SUMMER = datetime(2026, 7, 14, 14, 30, tzinfo=BRUSSELS)

CLIENT = ("ann.peeters@client.example.be", "Ann Peeters")
TECHNICIAN = ("tom.janssens@deskside.test", "Tom Janssens")


def _invite(**changes: object) -> VisitInvite:
    invite = VisitInvite(
        uid="visit-17@deskside.test",
        sequence=0,
        start=WINTER,
        end=WINTER + timedelta(hours=2),
        summary="On-site visit for CCS-1042",
        description="The label printer jams after every second label.",
        location="Rue de la Loi 16, 1000 Brussels",
        organizer_email="support@deskside.test",
        organizer_name="Deskside support",
        attendees=(CLIENT, TECHNICIAN),
    )
    return dataclasses.replace(invite, **changes)  # type: ignore[arg-type]


# Any: icalendar types a property as a union of every value type, which the checks below
# would have to narrow at each step; the assertions themselves check the types that matter.
def _parse(invite: VisitInvite) -> tuple[Any, Any]:
    calendar = Calendar.from_ical(invitation(invite, stamp=STAMP))
    [event] = calendar.events
    return calendar, event


# --- the calendar ------------------------------------------------------------------------


def test_request_has_prodid_version_and_method() -> None:
    calendar, event = _parse(_invite())
    assert calendar["VERSION"] == "2.0"
    assert calendar["PRODID"] == PRODID
    assert calendar["METHOD"] == "REQUEST"
    assert event["STATUS"] == "CONFIRMED"


def test_vtimezone_for_brussels_has_standard_and_daylight() -> None:
    calendar, _ = _parse(_invite())
    [timezone] = calendar.timezones
    assert timezone["TZID"] == "Europe/Brussels"
    kinds = {component.name for component in timezone.subcomponents}
    assert kinds == {"STANDARD", "DAYLIGHT"}


@pytest.mark.parametrize("start", [WINTER, SUMMER], ids=["winter", "summer"])
def test_start_and_end_are_brussels_local_time_at_the_same_instant(start: datetime) -> None:
    _, event = _parse(_invite(start=start, end=start + timedelta(hours=2)))
    assert event["DTSTART"].params["TZID"] == "Europe/Brussels"
    assert event["DTEND"].params["TZID"] == "Europe/Brussels"
    assert event.start == start
    assert event.end == start + timedelta(hours=2)


@pytest.mark.parametrize(
    ("start", "offset"), [(WINTER, timedelta(hours=1)), (SUMMER, timedelta(hours=2))]
)
def test_vtimezone_itself_gives_the_right_offset(start: datetime, offset: timedelta) -> None:
    # A calendar program without the tz database reads only our VTIMEZONE: it must agree.
    calendar, event = _parse(_invite(start=start, end=start + timedelta(hours=1)))
    own_zone = calendar.timezones[0].to_tz(lookup_tzid=False)
    local = event["DTSTART"].dt.replace(tzinfo=own_zone)
    assert local.utcoffset() == offset
    assert local == start


def test_start_given_in_utc_is_written_in_brussels_time() -> None:
    start_utc = datetime(2026, 7, 14, 12, 30, tzinfo=UTC)
    raw = invitation(_invite(start=start_utc, end=start_utc + timedelta(hours=1)), stamp=STAMP)
    assert b"DTSTART;TZID=Europe/Brussels:20260714T143000\r\n" in raw


def test_visit_in_next_year_has_its_transitions_in_the_vtimezone() -> None:
    start = datetime(2027, 8, 3, 9, 0, tzinfo=BRUSSELS)
    calendar, event = _parse(_invite(start=start, end=start + timedelta(hours=1)))
    own_zone = calendar.timezones[0].to_tz(lookup_tzid=False)
    assert event["DTSTART"].dt.replace(tzinfo=own_zone).utcoffset() == timedelta(hours=2)


def test_dtstamp_is_utc() -> None:
    raw = invitation(_invite(), stamp=datetime(2026, 1, 5, 9, 0, tzinfo=BRUSSELS))
    assert b"DTSTAMP:20260105T080000Z\r\n" in raw


def test_dtstamp_defaults_to_now() -> None:
    before = datetime.now(UTC).replace(microsecond=0)
    event: Any = Calendar.from_ical(invitation(_invite())).events[0]
    assert before <= event["DTSTAMP"].dt <= datetime.now(UTC)


def test_uid_summary_description_location() -> None:
    _, event = _parse(_invite())
    assert event["UID"] == "visit-17@deskside.test"
    assert event["SUMMARY"] == "On-site visit for CCS-1042"
    assert event["DESCRIPTION"] == "The label printer jams after every second label."
    assert event["LOCATION"] == "Rue de la Loi 16, 1000 Brussels"


# --- people ------------------------------------------------------------------------------


def test_organizer_is_mailto_with_name() -> None:
    _, event = _parse(_invite())
    organizer = event["ORGANIZER"]
    assert organizer == "mailto:support@deskside.test"
    assert organizer.params["CN"] == "Deskside support"


def test_client_and_technician_are_attendees_asked_to_answer() -> None:
    _, event = _parse(_invite())
    attendees = event["ATTENDEE"]
    assert [(str(a), a.params["CN"]) for a in attendees] == [
        ("mailto:ann.peeters@client.example.be", "Ann Peeters"),
        ("mailto:tom.janssens@deskside.test", "Tom Janssens"),
    ]
    for attendee in attendees:
        assert attendee.params["ROLE"] == "REQ-PARTICIPANT"
        assert attendee.params["PARTSTAT"] == "NEEDS-ACTION"
        assert attendee.params["RSVP"] == "TRUE"


def test_attendee_name_with_accents_and_punctuation_round_trips() -> None:
    name = 'Françoise "Fanny" Dupont; Ltd., Liège'
    _, event = _parse(_invite(attendees=(("f.dupont@client.example.be", name),)))
    assert event["ATTENDEE"].params["CN"] == name


def test_attendee_without_name_has_no_cn() -> None:
    _, event = _parse(_invite(attendees=(("noname@client.example.be", ""),)))
    assert "CN" not in event["ATTENDEE"].params


# --- updates -----------------------------------------------------------------------------


def test_reschedule_keeps_uid_and_raises_sequence() -> None:
    first = _invite()
    moved = dataclasses.replace(first, sequence=1, start=SUMMER, end=SUMMER + timedelta(hours=1))
    _, before = _parse(first)
    calendar, after = _parse(moved)
    assert calendar["METHOD"] == "REQUEST"
    assert after["UID"] == before["UID"]
    assert after["SEQUENCE"] > before["SEQUENCE"]
    assert (before["SEQUENCE"], after["SEQUENCE"]) == (0, 1)
    assert after.start == SUMMER


def test_cancel_has_method_cancel_status_cancelled_same_uid_higher_sequence() -> None:
    calendar, event = _parse(_invite(sequence=2, method=Method.CANCEL))
    assert calendar["METHOD"] == "CANCEL"
    assert event["STATUS"] == "CANCELLED"
    assert event["UID"] == "visit-17@deskside.test"
    assert event["SEQUENCE"] == 2
    # RFC 5546 §3.2.5: a CANCEL names the attendees it removes, and expects no reply.
    assert [str(a) for a in event["ATTENDEE"]] == [
        "mailto:ann.peeters@client.example.be",
        "mailto:tom.janssens@deskside.test",
    ]
    assert {a.params["RSVP"] for a in event["ATTENDEE"]} == {"FALSE"}


# --- the octets: RFC 5545 §3.1 -----------------------------------------------------------

LONG_TEXT = "Vérifier l'imprimante d'étiquettes à l'accueil, près de l'ascenseur; " * 8


def test_lines_end_with_crlf_and_fit_in_75_octets() -> None:
    raw = invitation(
        _invite(description=LONG_TEXT, summary=LONG_TEXT, location=LONG_TEXT), stamp=STAMP
    )
    assert raw.endswith(b"\r\n")
    lines = raw.split(b"\r\n")[:-1]
    assert all(b"\n" not in line and b"\r" not in line for line in lines)
    assert all(len(line) <= 75 for line in lines)
    assert any(line.startswith(b" ") for line in lines)  # folding did happen
    for line in lines:
        line.decode("utf-8")  # a fold never splits a multi-byte character


def test_long_accented_text_round_trips_through_folding() -> None:
    _, event = _parse(_invite(description=LONG_TEXT))
    assert event["DESCRIPTION"] == LONG_TEXT


@pytest.mark.parametrize("field", ["description", "location"])
def test_commas_semicolons_newlines_and_backslashes_round_trip(field: str) -> None:
    text = "a, b; c\nd \\ e"
    raw = invitation(_invite(**{field: text}), stamp=STAMP)
    assert b"a\\, b\\; c\\nd \\\\ e" in raw
    _, event = _parse(_invite(**{field: text}))
    assert event[field.upper()] == text


def test_crlf_in_description_is_one_line_break() -> None:
    _, event = _parse(_invite(description="first\r\nsecond\rthird"))
    assert event["DESCRIPTION"] == "first\nsecond\nthird"


def test_summary_cannot_inject_properties_or_components() -> None:
    hostile = "Visit\r\nATTENDEE:mailto:eve@evil.example\r\nEND:VEVENT\nBEGIN:VEVENT\rX:1"
    raw = invitation(_invite(summary=hostile), stamp=STAMP)
    calendar: Any = Calendar.from_ical(raw)
    [event] = calendar.events
    assert [str(a) for a in event["ATTENDEE"]] == [
        "mailto:ann.peeters@client.example.be",
        "mailto:tom.janssens@deskside.test",
    ]
    unfolded = raw.replace(b"\r\n ", b"").split(b"\r\n")
    assert [line[:8] for line in unfolded if b"eve@evil.example" in line] == [b"SUMMARY:"]
    assert unfolded.count(b"BEGIN:VEVENT") == 1
    # A title is one line: breaks become spaces, the text itself is kept.
    assert event["SUMMARY"] == (
        "Visit ATTENDEE:mailto:eve@evil.example END:VEVENT BEGIN:VEVENT X:1"
    )


def test_name_cannot_inject_a_parameter_or_line() -> None:
    hostile = 'Eve\r\nATTENDEE:mailto:eve@evil.example";ROLE=CHAIR:mailto:x'
    _, event = _parse(_invite(attendees=(("ann@client.example.be", hostile),)))
    attendee = event["ATTENDEE"]
    assert str(attendee) == "mailto:ann@client.example.be"
    assert attendee.params["ROLE"] == "REQ-PARTICIPANT"
    assert attendee.params["CN"] == 'Eve ATTENDEE:mailto:eve@evil.example";ROLE=CHAIR:mailto:x'


def test_control_characters_are_dropped() -> None:
    _, event = _parse(_invite(summary="Visit\x00\x07 now", description="bell\x07\ttab"))
    assert event["SUMMARY"] == "Visit now"
    assert event["DESCRIPTION"] == "bell\ttab"


# --- refused invitations -----------------------------------------------------------------


@pytest.mark.parametrize(
    "email",
    [
        "ann@client.example.be\r\nATTENDEE:mailto:eve@evil.example",
        "ann@client.example.be;ROLE=CHAIR",
        "ann@client.example.be:x",
        "Ann <ann@client.example.be>",
        "not-an-address",
        "",
    ],
)
def test_address_that_could_break_the_uri_is_refused(email: str) -> None:
    with pytest.raises(ValueError, match="is not an e-mail address"):
        _invite(attendees=((email, "Ann"),))
    with pytest.raises(ValueError, match="is not an e-mail address"):
        _invite(organizer_email=email)


def test_naive_times_are_refused() -> None:
    with pytest.raises(ValueError, match="aware"):
        _invite(start=datetime(2026, 1, 20, 10, 0), end=datetime(2026, 1, 20, 12, 0))


def test_end_before_start_is_refused() -> None:
    with pytest.raises(ValueError, match="end after it starts"):
        _invite(end=WINTER - timedelta(hours=1))


def test_negative_sequence_and_empty_uid_are_refused() -> None:
    with pytest.raises(ValueError, match="SEQUENCE"):
        _invite(sequence=-1)
    with pytest.raises(ValueError, match="UID"):
        _invite(uid="  ")
