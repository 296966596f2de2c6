"""On-site visits end to end: eligibility from the client's address, scheduling inside business
hours only, the invitations as calendar programs read them, and the technician's report."""

from __future__ import annotations

import os
import threading
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth.models import Group, User
from django.db import connection, transaction

from deskside.accounts.models import Contact
from deskside.core.errors import ErrorCode
from deskside.onsite import actions
from deskside.onsite.actions import VisitError
from deskside.onsite.models import VisitEventKind, VisitStatus
from deskside.tickets.models import Direction, MessageKind
from tests.desk.conftest import open_ticket
from tests.onsite.conftest import as_sent, invitation_of, sent_to
from tests.refusals import refused

pytestmark = pytest.mark.django_db

BRUSSELS = ZoneInfo("Europe/Brussels")
TUESDAY_10 = datetime(2026, 11, 24, 10, 0, tzinfo=BRUSSELS)
TWO_HOURS = timedelta(hours=2)


def request(people, contact=None, reason="The label printer on site jams; we cannot reach it."):
    ticket = open_ticket(people, 2, contact=contact)
    return ticket, actions.request_visit(ticket, reason, by=people.agent)


def scheduled(people, start=TUESDAY_10):
    ticket, visit = request(people)
    return ticket, actions.schedule(
        visit, technician=people.technician, start=start, duration=TWO_HOURS, by=people.agent
    )


# -- eligibility ------------------------------------------------------------------------------


def test_a_client_in_antwerp_gets_a_requested_visit_with_its_province(people):
    ticket, visit = request(people)

    assert visit.status == VisitStatus.REQUESTED
    assert visit.province == "Antwerp"
    assert visit.address == "Meir 1, 2000 Antwerpen, BE"
    assert [e.kind for e in visit.events.all()] == [VisitEventKind.REQUESTED]
    note = ticket.messages.get(direction=Direction.SYSTEM, kind=MessageKind.NOTICE)
    assert "On-site visit requested by Alice" in note.text and "Antwerp" in note.text
    assert sent_to(people.client.email) == []  # nothing to tell the client yet


def test_a_client_in_france_is_refused_and_told_why_in_french(people):
    ticket, visit = request(people, contact=people.other_client)

    assert visit.status == VisitStatus.REFUSED
    assert visit.refusal == "not_belgium"
    assert "only for clients in Belgium" in visit.refusal_reason
    [mail] = sent_to("olivier@globex.example")
    assert mail.subject == f"[{ticket.ref}] Pas d'intervention sur site possible"
    assert "nos techniciens n'interviennent que chez des clients en Belgique" in mail.text
    assert "votre adresse se trouve en FR" in mail.text
    assert "nous continuons à vous aider à distance" in mail.text.lower()
    # The client sees the same words on the ticket (portal); the team sees the refusal noted.
    public = ticket.messages.get(direction=Direction.OUTBOUND, kind=MessageKind.NOTICE)
    assert public.text == mail.text and public.message_id == mail.message_id
    assert ticket.messages.filter(direction=Direction.SYSTEM, text__contains="refused").exists()
    assert [e.kind for e in visit.events.all()] == [VisitEventKind.REFUSED]


def test_a_client_without_an_address_is_refused(people):
    loner = Contact.objects.create(email="solo@nowhere.example", name="Solo", language="en")

    _, visit = request(people, contact=loner)

    assert (visit.status, visit.refusal) == (VisitStatus.REFUSED, "missing_address")
    [mail] = sent_to(loner.email)
    assert "we have no complete address" in mail.text
    assert "reply with your full postal address" in mail.text


def test_the_contacts_own_address_comes_before_the_organisations(people):
    people.colleague.country, people.colleague.postal_code = "BE", "9000"
    people.colleague.save()
    people.client.country, people.client.postal_code = "NL", "1012"
    people.client.save()

    _, in_ghent = request(people, contact=people.colleague)
    _, in_amsterdam = request(people, contact=people.client)

    assert (in_ghent.status, in_ghent.province) == (VisitStatus.REQUESTED, "East Flanders")
    assert in_amsterdam.status == VisitStatus.REFUSED
    [mail] = sent_to(people.client.email)
    assert "onze technici bezoeken alleen klanten in België" in mail.text  # Claire reads Dutch


def test_a_request_needs_a_reason_and_only_one_visit_runs_at_a_time(people):
    ticket = open_ticket(people, 2)
    with refused(ErrorCode.REASON_REQUIRED):
        actions.request_visit(ticket, "  ", by=people.agent)
    actions.request_visit(ticket, "Hardware fault", by=people.agent)
    with refused(ErrorCode.VISIT_ACTIVE):
        actions.request_visit(ticket, "Again", by=people.agent)


@pytest.mark.skipif(
    os.environ.get("DATABASE_URL", "").split(":")[0] not in ("postgres", "postgresql"),
    reason="row locks are PostgreSQL's (runs in CI's PostgreSQL run): SQLite takes its one "
    "write lock at BEGIN IMMEDIATE, and its in-memory test database cannot serve two threads",
)
@pytest.mark.django_db(transaction=True)
def test_two_agents_asking_at_once_get_one_visit(people):
    """The second request waits for the first's transaction, then sees its visit."""
    ticket = open_ticket(people, 2)
    outcome: list[object] = []

    def second_agent() -> None:
        try:
            outcome.append(actions.request_visit(ticket, "Also on site", by=people.lead))
        except VisitError as refused:
            outcome.append(refused)
        finally:
            connection.close()

    with transaction.atomic():
        first = actions.request_visit(ticket, "Hardware fault", by=people.agent)
        other = threading.Thread(target=second_agent)
        other.start()
        other.join(timeout=1.0)
        assert other.is_alive(), "the second request finished while the first held the ticket"
    other.join(timeout=30)
    assert len(outcome) == 1 and isinstance(outcome[0], VisitError), outcome
    assert "already has a visit" in str(outcome[0])
    assert list(ticket.visits.values_list("pk", flat=True)) == [first.pk]


# -- scheduling -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "duration", "words"),
    [
        (datetime(2026, 11, 28, 10, 0, tzinfo=BRUSSELS), TWO_HOURS, "outside business hours"),
        (datetime(2026, 12, 25, 10, 0, tzinfo=BRUSSELS), TWO_HOURS, "outside business hours"),
        (datetime(2026, 11, 24, 8, 0, tzinfo=BRUSSELS), TWO_HOURS, "outside business hours"),
        (datetime(2026, 11, 24, 16, 0, tzinfo=BRUSSELS), TWO_HOURS, "past closing at 17:00"),
        (datetime(2026, 11, 24, 16, 59, tzinfo=BRUSSELS), timedelta(minutes=2), "past closing"),
    ],
    ids=["saturday", "christmas", "before-opening", "across-17h", "one-minute-over"],
)
def test_a_visit_outside_business_hours_is_refused(people, start, duration, words):
    _, visit = request(people)

    with pytest.raises(VisitError, match=words):
        actions.schedule(
            visit, technician=people.technician, start=start, duration=duration, by=people.agent
        )

    visit.refresh_from_db()
    assert visit.status == VisitStatus.REQUESTED
    assert sent_to(people.technician.email) == []


def test_a_visit_that_ends_exactly_at_closing_is_scheduled(people):
    _, visit = request(people)
    start = datetime(2026, 11, 24, 15, 0, tzinfo=BRUSSELS)

    actions.schedule(
        visit, technician=people.technician, start=start, duration=TWO_HOURS, by=people.agent
    )

    visit.refresh_from_db()
    assert (visit.status, visit.start, visit.end) == (
        VisitStatus.SCHEDULED,
        start,
        start + TWO_HOURS,
    )


def test_only_a_technician_is_sent_and_never_into_the_past(people):
    _, visit = request(people)
    with refused(ErrorCode.NOT_A_TECHNICIAN):
        actions.schedule(
            visit, technician=people.agent, start=TUESDAY_10, duration=TWO_HOURS, by=people.agent
        )
    with refused(ErrorCode.IN_THE_PAST):
        actions.schedule(
            visit,
            technician=people.technician,
            start=TUESDAY_10 - timedelta(days=7),
            duration=TWO_HOURS,
            by=people.agent,
        )


def test_a_refused_visit_cannot_be_scheduled(people):
    _, visit = request(people, contact=people.other_client)
    with pytest.raises(VisitError, match="refused"):
        actions.schedule(
            visit,
            technician=people.technician,
            start=TUESDAY_10,
            duration=TWO_HOURS,
            by=people.agent,
        )


# -- invitations ------------------------------------------------------------------------------


def test_the_invitation_reaches_client_and_technician_as_calendar_programs_read_it(people):
    ticket, visit = scheduled(people)

    [to_client] = sent_to(people.client.email)
    [to_technician] = sent_to(people.technician.email)
    assert to_client.subject.startswith(f"[{ticket.ref}] Bezoek ter plaatse: dinsdag 24 november")
    assert "Technicus: Tom" in to_client.text
    assert f"http://127.0.0.1:8000/desk/visits/{visit.pk}/" in to_technician.text
    assert f"http://127.0.0.1:8000/portal/ticket/{ticket.ref}/" in to_client.text
    for mail in (to_client, to_technician):
        method, inline, attached = invitation_of(mail)
        assert method == "REQUEST"
        assert inline.to_ical() == attached.to_ical()
        assert str(inline["METHOD"]) == "REQUEST"
        [timezone] = inline.walk("VTIMEZONE")
        assert str(timezone["TZID"]) == "Europe/Brussels"
        [event] = inline.events
        assert str(event["UID"]) == visit.uid
        assert int(event.decoded("SEQUENCE")) == 0
        assert event.decoded("DTSTART") == TUESDAY_10
        assert event["DTSTART"].params["TZID"] == "Europe/Brussels"
        assert event.decoded("DTEND") == TUESDAY_10 + TWO_HOURS
        assert str(event["ORGANIZER"]) == "mailto:support@deskside.test"
        attendees = sorted(str(a) for a in event.attendees)
        assert attendees == ["mailto:Claire@Acme.example", "mailto:tom@ccs2.test"]
        assert "Meir 1, 2000 Antwerpen" in str(event["LOCATION"])
    # The client's summary is in Dutch, the technician's in English.
    assert "Bezoek ter plaatse" in str(invitation_of(to_client)[1].events[0]["SUMMARY"])
    assert "On-site visit" in str(invitation_of(to_technician)[1].events[0]["SUMMARY"])
    # The client also reads it on the ticket.
    assert ticket.messages.filter(
        direction=Direction.OUTBOUND, message_id=to_client.message_id
    ).exists()


def test_rescheduling_sends_the_same_uid_with_a_higher_sequence_and_cancel_says_cancel(people):
    _, visit = scheduled(people)
    wednesday = TUESDAY_10 + timedelta(days=1)

    actions.schedule(
        visit, technician=people.technician, start=wednesday, duration=TWO_HOURS, by=people.agent
    )
    actions.cancel(visit, reason="The client fixed the cable themselves.", by=people.agent)

    first, moved, cancelled = sent_to(people.client.email)
    assert "Nieuw tijdstip" in moved.subject and "geannuleerd" in cancelled.subject
    events = []
    for mail, method in ((first, "REQUEST"), (moved, "REQUEST"), (cancelled, "CANCEL")):
        part_method, calendar, _ = invitation_of(mail)
        assert part_method == method == str(calendar["METHOD"])
        events.append(calendar.events[0])
    assert {str(e["UID"]) for e in events} == {visit.uid}
    assert [int(e.decoded("SEQUENCE")) for e in events] == [0, 1, 2]
    assert events[1].decoded("DTSTART") == wednesday
    assert str(events[2]["STATUS"]) == "CANCELLED"
    assert len(sent_to(people.technician.email)) == 3
    visit.refresh_from_db()
    assert (visit.status, visit.sequence) == (VisitStatus.CANCELLED, 2)
    kinds = [e.kind for e in visit.events.all()]
    assert kinds == ["requested", "scheduled", "rescheduled", "cancelled"]


def test_a_new_technician_gets_the_invitation_and_the_old_one_a_cancellation(people):
    tara = User.objects.create_user("tara", "tara@ccs2.test", "pw", first_name="Tara")
    tara.groups.add(Group.objects.get(name="technician"))
    _, visit = scheduled(people)

    actions.schedule(visit, technician=tara, start=TUESDAY_10, duration=TWO_HOURS, by=people.agent)

    _, cancel_for_tom = sent_to(people.technician.email)
    [for_tara] = sent_to(tara.email)
    assert invitation_of(cancel_for_tom)[0] == "CANCEL"
    assert invitation_of(for_tara)[0] == "REQUEST"
    assert int(invitation_of(for_tara)[1].events[0].decoded("SEQUENCE")) == 1


def test_the_sent_mail_keeps_text_html_and_the_ics_attachment(people):
    scheduled(people)
    [mail] = sent_to(people.client.email)

    message = as_sent(mail)

    assert message.get_content_type() == "multipart/mixed"
    assert message.get_body(preferencelist=("plain",)) is not None
    assert message.get_body(preferencelist=("html",)) is not None
    [attachment] = list(message.iter_attachments())
    assert attachment.get_content_type() == "application/ics"
    assert attachment.get_content_disposition() == "attachment"


# -- the report -------------------------------------------------------------------------------


def test_the_report_closes_the_visit_and_joins_the_ticket_history(people):
    ticket, visit = scheduled(people)

    actions.report(
        visit,
        outcome="Replaced the fuser unit; printed 200 labels without a jam.",
        time_spent=timedelta(minutes=95),
        solved=True,
        by=people.technician,
    )

    visit.refresh_from_db()
    assert (visit.status, visit.solved, visit.time_spent) == (
        VisitStatus.DONE,
        True,
        timedelta(minutes=95),
    )
    report = ticket.messages.filter(direction=Direction.SYSTEM).order_by("-id").first()
    assert report is not None
    assert "On-site visit report by Tom" in report.text
    assert "Solved: yes. Time spent: 1 h 35 min." in report.text
    assert "Replaced the fuser unit" in report.text
    assert ticket.events.filter(kind="message", data__message=report.pk).exists()


def test_only_the_visits_technician_reports_and_only_once(people):
    _, visit = scheduled(people)
    with refused(ErrorCode.NOT_THE_TECHNICIAN):
        actions.report(
            visit, outcome="x", time_spent=timedelta(minutes=5), solved=False, by=people.agent
        )
    actions.report(
        visit, outcome="Not solved", time_spent=timedelta(minutes=5), solved=False, by=people.lead
    )
    with refused(ErrorCode.VISIT_NOT_SCHEDULED):
        actions.report(
            visit, outcome="x", time_spent=timedelta(minutes=5), solved=False, by=people.technician
        )


def test_times_are_stored_aware(people):
    _, visit = scheduled(people)
    visit.refresh_from_db()
    assert visit.start is not None and visit.start.astimezone(UTC) == TUESDAY_10.astimezone(UTC)
