"""Who is told what (docs/protocol.md, "Who is told"): a bell item and a mail with a link into the
desk, as each person chose per kind, and never to the person who caused it."""

from __future__ import annotations

import pytest
from django.utils import timezone

from deskside.outbox.models import OutboundMail
from deskside.tickets import actions, notify
from deskside.tickets.actions import Actor, NewMessage
from deskside.tickets.models import (
    Delivery,
    Direction,
    MessageKind,
    Notification,
    NotificationKind,
    Ticket,
)
from tests.people import People

pytestmark = pytest.mark.django_db


@pytest.fixture
def ticket(people: People) -> Ticket:
    return actions.open_ticket(
        contact=people.client,
        subject="Sev 3 - export fails",
        claimed_severity=3,
        received_at=timezone.now(),
        message=NewMessage(direction=Direction.INBOUND, kind=MessageKind.MAIL, text="It fails."),
    )


def bell(user) -> list[tuple[str, str]]:
    return list(Notification.objects.filter(user=user).order_by("id").values_list("kind", "title"))


def mails(kind: NotificationKind) -> list[OutboundMail]:
    return list(OutboundMail.objects.filter(purpose=kind.value).order_by("id"))


def client_says(ticket: Ticket, text: str, *, kind: MessageKind = MessageKind.MAIL) -> None:
    actions.receive_from_client(
        ticket,
        NewMessage(direction=Direction.INBOUND, kind=kind, text=text, sender="c@x"),
        by=actions.Actor.sender("c@x"),
    )


def test_an_assignment_tells_the_assignee_in_the_desk_and_by_mail(people, ticket) -> None:
    actions.assign(ticket, people.agent, by=Actor.staff(people.lead))

    assert bell(people.agent) == [
        (NotificationKind.ASSIGNED, f"[{ticket.ref}] Assigned to you: Sev 3 - export fails")
    ]
    [mail] = mails(NotificationKind.ASSIGNED)
    assert mail.to == ["alice@ccs2.test"]
    assert "Lena assigned" in mail.text
    assert f"In the desk: http://127.0.0.1:8000/desk/ticket/{ticket.ref}/" in mail.text
    assert bell(people.lead) == []


def test_taking_a_ticket_tells_nobody(people, ticket) -> None:
    actions.assign(ticket, people.agent, by=Actor.staff(people.agent))

    assert Notification.objects.count() == 0
    assert mails(NotificationKind.ASSIGNED) == []


def test_the_assignee_hears_of_the_clients_answer_but_not_of_an_out_of_office(
    people, ticket
) -> None:
    actions.assign(ticket, people.agent, by=Actor.staff(people.agent))

    client_says(ticket, "Here is the log you asked for.")
    actions.receive_from_client(
        ticket,
        NewMessage(direction=Direction.SYSTEM, kind=MessageKind.AUTO_REPLY, text="Away"),
        counts_as_answer=False,
        by=actions.Actor.sender(""),
    )

    [(kind, title)] = bell(people.agent)
    assert (kind, title) == (
        NotificationKind.CLIENT_MESSAGE,
        f"[{ticket.ref}] Your client replied: Sev 3 - export fails",
    )
    told = Notification.objects.get()
    assert "Here is the log you asked for." in told.text


@pytest.mark.parametrize(("level", "told"), [(1, True), (2, True), (3, False), (4, False)])
def test_a_client_writing_again_on_an_urgent_ticket_nobody_has_reaches_those_on_duty(
    people, level: int, told: bool
) -> None:
    """Level 1 or 2 and nobody took it yet (the escalation at opening was not enough): the
    agents on duty hear of the client's next message; a level-3 or -4 one waits in the queue."""
    ticket = actions.open_ticket(
        contact=people.client,
        subject=f"Sev {level} - payroll",
        claimed_severity=level,
        received_at=timezone.now(),
        message=NewMessage(direction=Direction.INBOUND, kind=MessageKind.MAIL, text="Down."),
    )
    Notification.objects.all().delete()

    client_says(ticket, "Still down, 200 people waiting.")

    expected = [NotificationKind.CLIENT_MESSAGE] if told else []
    assert [k for k, _ in bell(people.agent)] == expected
    assert [k for k, _ in bell(people.second_agent)] == expected
    assert bell(people.technician) == [] and bell(people.lead) == []


def test_a_mention_tells_the_colleague_named_and_nobody_else(people, ticket) -> None:
    actions.add_note(
        ticket,
        "@Bob can you check the server? cc @nobody and mail@alice.example",
        by=actions.Actor.staff(people.agent),
    )

    assert bell(people.second_agent) == [
        (NotificationKind.MENTION, f"[{ticket.ref}] Alice mentions you: Sev 3 - export fails")
    ]
    assert bell(people.agent) == []
    [mail] = mails(NotificationKind.MENTION)
    assert mail.to == ["bob@ccs2.test"]
    assert "@Bob can you check the server?" in mail.text


def test_a_refusal_in_the_portal_tells_the_agent_who_proposed(people, ticket) -> None:
    actions.propose_steps(ticket, "Clear the cache.", by=actions.Actor.staff(people.second_agent))

    actions.record_refusal(
        ticket, by=Actor.client(people.client), reason="No time", source="portal"
    )

    assert bell(people.second_agent) == [
        (
            NotificationKind.REFUSED,
            f"[{ticket.ref}] The client refused the proposed steps: Sev 3 - export fails",
        )
    ]


def test_a_person_may_hear_of_a_kind_in_the_desk_only_or_not_at_all(people, ticket) -> None:
    notify.choose(people.agent, NotificationKind.ASSIGNED, Delivery.DESK)
    notify.choose(people.second_agent, NotificationKind.ASSIGNED, Delivery.OFF)

    actions.assign(ticket, people.agent, by=Actor.staff(people.lead))
    actions.assign(ticket, people.second_agent, by=Actor.staff(people.lead))

    assert [k for k, _ in bell(people.agent)] == [NotificationKind.ASSIGNED]
    assert bell(people.second_agent) == []
    assert mails(NotificationKind.ASSIGNED) == []


def test_an_escalation_reaches_those_on_duty_as_they_chose(people) -> None:
    notify.choose(people.second_agent, NotificationKind.ESCALATION, Delivery.DESK)

    urgent = actions.open_ticket(
        contact=people.client,
        subject="Payroll is down",
        claimed_severity=1,
        received_at=timezone.now(),
        message=NewMessage(direction=Direction.INBOUND, kind=MessageKind.MAIL, text="down"),
    )

    assert [k for k, _ in bell(people.agent)] == [NotificationKind.ESCALATION]
    assert [k for k, _ in bell(people.second_agent)] == [NotificationKind.ESCALATION]
    [mail] = mails(NotificationKind.ESCALATION)
    assert mail.to == ["alice@ccs2.test"]
    assert mail.ticket_ref == urgent.ref


def test_opening_the_ticket_marks_its_notifications_read(people, ticket) -> None:
    actions.assign(ticket, people.agent, by=Actor.staff(people.lead))
    actions.add_note(ticket, "@alice please look", by=actions.Actor.staff(people.lead))
    assert Notification.objects.filter(user=people.agent, read_at=None).count() == 2

    assert notify.mark_read(people.agent, ticket=ticket) == 2

    assert Notification.objects.filter(user=people.agent, read_at=None).count() == 0
