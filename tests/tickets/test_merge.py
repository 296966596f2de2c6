"""Merging a duplicate into the ticket it repeats, and linking related tickets
(deskside/tickets/actions/merging.py): the events on both tickets, the links, the refusals by
their codes, the duplicate's client told in their language, and a later reply to the duplicate
landing on the target through the mail door (tickets/closed.py)."""

from __future__ import annotations

import pytest

from deskside.core.errors import ErrorCode
from deskside.mail.models import Outcome
from deskside.outbox.models import OutboundMail
from deskside.tickets import actions, closed, history
from deskside.tickets.actions import Actor
from deskside.tickets.models import (
    CloseReason,
    Direction,
    EventKind,
    LinkKind,
    MessageKind,
    Notification,
    Status,
    Ticket,
    TicketLink,
)
from tests.mail.test_intake import mail, run
from tests.people import People, open_ticket
from tests.portal.conftest import signed_in
from tests.refusals import refused

pytestmark = pytest.mark.django_db


def pair(people: People) -> tuple[Ticket, Ticket]:
    """The client's ticket and, an hour's work later, their second mail about the same thing."""
    target = open_ticket(people.client, "Printer jams on tray 2", level=3, text="Tray 2 jams.")
    duplicate = open_ticket(people.client, "Tray 2 still jams", level=3, text="It jams again.")
    return duplicate, target


def linked_sentences(ticket: Ticket) -> list[str]:
    return [s for e, s in history.lines(ticket.events.filter(kind=EventKind.LINKED))]


def merged_mail(ticket: Ticket) -> OutboundMail:
    return OutboundMail.objects.get(ticket_ref=ticket.ref, purpose="merged")


def test_a_merge_closes_the_duplicate_links_it_and_says_so_on_both(people: People) -> None:
    duplicate, target = pair(people)

    actions.merge(duplicate, into=target, by=Actor.staff(people.agent), note="same tray")

    duplicate.refresh_from_db()
    assert (duplicate.status, duplicate.close_reason) == (Status.CLOSED, CloseReason.DUPLICATE)
    link = TicketLink.objects.get(source=duplicate)
    assert (link.target, link.kind) == (target, LinkKind.DUPLICATE_OF)
    assert closed.merged_into(duplicate) == target
    assert linked_sentences(duplicate) == [
        f"Merged into {target.ref} as a duplicate; the mail to the client named it"
    ]
    assert linked_sentences(target) == [
        f"{duplicate.ref} was merged into this ticket as a duplicate"
    ]
    assert "Closed (Duplicate of another ticket): same tray" in [
        s for _e, s in history.lines(duplicate.events.all())
    ]
    target.refresh_from_db()
    assert target.is_open()


def test_the_client_is_told_in_their_language_that_the_ticket_continues_there(
    people: People,
) -> None:
    duplicate, target = pair(people)  # Claire reads Dutch

    actions.merge(duplicate, into=target, by=Actor.staff(people.agent))

    sent = merged_mail(duplicate)
    assert sent.to == [people.client.email]
    assert sent.subject == f"Loopt verder als {target.ref}: [{duplicate.ref}] Tray 2 still jams"
    assert f"uw ticket loopt verder als {target.ref}" in sent.text
    notice = duplicate.messages.get(kind=MessageKind.CLOSURE)
    assert (notice.direction, notice.message_id) == (Direction.OUTBOUND, sent.message_id)


@pytest.mark.parametrize(
    ("language", "words"),
    [
        ("en", "your ticket continues as"),
        ("fr", "votre ticket se poursuit sous"),
        ("de", "Ihr Ticket wird als"),
    ],
)
def test_the_notice_speaks_each_language(people: People, language: str, words: str) -> None:
    people.client.language = language
    people.client.save()
    duplicate, target = pair(people)

    actions.merge(duplicate, into=target, by=Actor.staff(people.agent))

    assert f"{words} {target.ref}" in merged_mail(duplicate).text


def test_a_client_of_another_organisation_is_not_told_the_targets_reference(
    people: People,
) -> None:
    target = open_ticket(people.client, "Portal down", level=2)
    duplicate = open_ticket(people.other_client, "Portal unreachable", level=2)

    actions.merge(duplicate, into=target, by=Actor.staff(people.agent))

    sent = merged_mail(duplicate)
    assert target.ref not in sent.subject + sent.text
    assert target.subject not in sent.text
    assert sent.subject == f"Fermé comme doublon: [{duplicate.ref}] Portal unreachable"
    assert linked_sentences(duplicate) == [
        f"Merged into {target.ref} as a duplicate; the mail to the client did not name it "
        "(not theirs to see)"
    ]


def test_refusals_name_their_reason(people: People) -> None:
    duplicate, target = pair(people)
    agent = Actor.staff(people.agent)
    with refused(ErrorCode.MERGE_INTO_ITSELF):
        actions.merge(duplicate, into=duplicate, by=agent)
    with refused(ErrorCode.STAFF_ONLY):
        actions.merge(duplicate, into=target, by=Actor.client(people.client))

    solved = open_ticket(people.client, "Old problem", level=3)
    actions.close(solved, CloseReason.WITHDRAWN, by=agent)
    with refused(ErrorCode.MERGE_INTO_CLOSED) as caught:
        actions.merge(duplicate, into=solved, by=agent)
    assert str(caught.value) == (
        f"{solved.ref} is closed: merge into an open ticket, or reopen {solved.ref} first."
    )
    with refused(ErrorCode.ALREADY_CLOSED):
        actions.merge(solved, into=target, by=agent)

    actions.merge(duplicate, into=target, by=agent)
    third = open_ticket(people.client, "Tray 2 jams, third mail", level=3)
    with refused(ErrorCode.MERGE_INTO_DUPLICATE) as caught:
        actions.merge(third, into=duplicate, by=agent)
    assert str(caught.value) == (
        f"{duplicate.ref} is itself a duplicate, merged into {target.ref}: merge into {target.ref}."
    )
    with refused(ErrorCode.MERGE_CYCLE):
        actions.merge(target, into=duplicate, by=agent)
    assert not TicketLink.objects.filter(source=target).exists()


def test_a_duplicate_closed_without_a_link_is_just_closed(people: People) -> None:
    """A ticket closed as a duplicate by hand (or before merges had links) names no ticket to
    continue as: merging into it is refused as into any closed ticket, not as a loop."""
    duplicate, target = pair(people)
    agent = Actor.staff(people.agent)
    actions.close(target, CloseReason.DUPLICATE, by=agent)

    with refused(ErrorCode.MERGE_INTO_CLOSED):
        actions.merge(duplicate, into=target, by=agent)


def test_a_chain_of_merges_leads_to_its_end(people: People) -> None:
    duplicate, target = pair(people)
    final = open_ticket(people.client, "Printers of the second floor", level=2)
    agent = Actor.staff(people.agent)
    actions.merge(duplicate, into=target, by=agent)
    actions.merge(target, into=final, by=agent)

    assert closed.merged_into(duplicate) == final
    assert closed.continues_as(duplicate, people.client) == final
    assert closed.continues_as(duplicate, people.other_client) == duplicate


def test_a_reopened_duplicate_merged_again_keeps_one_link(people: People) -> None:
    duplicate, target = pair(people)
    other = open_ticket(people.client, "Tray 2 again", level=3)
    agent = Actor.staff(people.agent)
    actions.merge(duplicate, into=target, by=agent)
    actions.reopen(duplicate, by=agent, reason="not the same tray after all")
    assert closed.merged_into(duplicate) is None

    actions.merge(duplicate, into=other, by=agent)

    assert list(TicketLink.objects.filter(source=duplicate).values_list("target", flat=True)) == [
        other.pk
    ]


# -- a later reply to the duplicate -----------------------------------------------------------


def reply_to(ticket: Ticket, sender: str = "Claire Peeters <Claire@Acme.example>"):
    return run(mail(f"Re: [{ticket.ref}] {ticket.subject}", sender=sender, body="Still jams."))


def test_a_reply_to_the_duplicate_lands_on_the_target(people: People) -> None:
    duplicate, target = pair(people)
    actions.assign(target, people.agent, by=Actor.staff(people.lead))
    actions.merge(duplicate, into=target, by=Actor.staff(people.lead))
    Notification.objects.all().delete()

    result = reply_to(duplicate)

    assert (result.outcome, result.ticket) == (Outcome.APPENDED, target.ref)
    assert result.reason == f"a reply to {duplicate.ref}, merged into {target.ref}"
    landed = target.messages.filter(direction=Direction.INBOUND).last()
    assert landed is not None and landed.visible_text.startswith("Still jams.")
    assert not duplicate.messages.filter(text__startswith="Still jams.").exists()
    duplicate.refresh_from_db()
    assert duplicate.status == Status.CLOSED
    assert list(Notification.objects.values_list("user__username", flat=True)) == ["alice"]


def test_the_targets_agent_is_told_of_a_merge_the_merger_is_not(people: People) -> None:
    duplicate, target = pair(people)
    actions.assign(target, people.agent, by=Actor.staff(people.lead))
    Notification.objects.all().delete()

    actions.merge(duplicate, into=target, by=Actor.staff(people.lead))

    told = Notification.objects.get()  # one: the lead who merged is not told
    assert (told.user, told.ticket) == (people.agent, target)
    assert told.title.startswith(f"[{target.ref}] {duplicate.ref} was merged into your ticket")
    Notification.objects.all().delete()
    other, _ = pair(people)
    actions.merge(other, into=target, by=Actor.staff(people.agent))  # their own merge
    assert not Notification.objects.exists()


def test_a_reply_where_merges_turn_back_stays_on_its_own_ticket(people: People) -> None:
    """A merged into B, A reopened, B merged into A, A closed as a duplicate by hand: the links
    lead from A to B and back. A reply to A once sent the intake between them until Python's
    recursion limit (held as an internal error); now A has no end to continue as."""
    a, b = pair(people)
    agent = Actor.staff(people.agent)
    actions.merge(a, into=b, by=agent)
    actions.reopen(a, by=agent, reason="not the same after all")
    actions.merge(b, into=a, by=agent)
    actions.close(a, CloseReason.DUPLICATE, by=agent)

    result = reply_to(a)

    assert closed.merged_into(a) is None
    assert (result.outcome, result.ticket) == (Outcome.APPENDED, a.ref)
    a.refresh_from_db()
    assert a.status == Status.OPEN  # reopened by the rule for closed tickets


def test_a_reply_to_the_duplicate_of_a_closed_ticket_reopens_the_target(people: People) -> None:
    duplicate, target = pair(people)
    agent = Actor.staff(people.agent)
    actions.merge(duplicate, into=target, by=agent)
    actions.close(target, CloseReason.WITHDRAWN, by=agent)

    result = reply_to(duplicate)

    assert result.ticket == target.ref
    assert result.reason == (
        f"a reply to {duplicate.ref}, merged into {target.ref}; "
        "reopened: the client wrote within the reopening period"
    )
    target.refresh_from_db()
    assert target.status == Status.OPEN


def test_another_organisations_reply_stays_on_its_own_ticket(people: People) -> None:
    target = open_ticket(people.client, "Portal down", level=2)
    duplicate = open_ticket(people.other_client, "Portal unreachable", level=2)
    actions.merge(duplicate, into=target, by=Actor.staff(people.agent))

    result = reply_to(duplicate, sender="Olivier <olivier@globex.example>")

    assert result.ticket == duplicate.ref  # reopened by the ordinary rule, target never named
    duplicate.refresh_from_db()
    assert duplicate.status == Status.OPEN
    assert not target.messages.filter(sender="olivier@globex.example").exists()


# -- related tickets --------------------------------------------------------------------------


def test_link_and_unlink_related_tickets(people: People) -> None:
    first, second = pair(people)
    agent = Actor.staff(people.agent)

    actions.link(first, second, by=agent)

    assert TicketLink.objects.get(kind=LinkKind.RELATED).source == first
    assert linked_sentences(first) == [f"Linked as related to {second.ref}"]
    assert linked_sentences(second) == [f"Linked as related to {first.ref}"]
    with refused(ErrorCode.ALREADY_LINKED):
        actions.link(second, first, by=agent)
    with refused(ErrorCode.LINK_TO_ITSELF):
        actions.link(first, first, by=agent)

    actions.unlink(second, first, by=agent)

    assert not TicketLink.objects.exists()
    assert linked_sentences(first)[-1] == f"No longer linked to {second.ref}"
    with refused(ErrorCode.NOT_LINKED):
        actions.unlink(first, second, by=agent)


# -- in the portal ----------------------------------------------------------------------------


def test_the_portal_says_where_a_reply_goes_and_sends_it_there(people: People) -> None:
    duplicate, target = pair(people)
    actions.merge(duplicate, into=target, by=Actor.staff(people.agent))
    client = signed_in(people.client)

    shown = client.get(f"/portal/ticket/{duplicate.ref}/", HTTP_ACCEPT_LANGUAGE="en")
    html = shown.content.decode()
    assert f"Dit ticket is samengevoegd met {target.ref}" in html  # Claire reads Dutch
    assert f'href="/portal/ticket/{target.ref}/"' in html
    on_target = client.get(f"/portal/ticket/{target.ref}/").content.decode()
    assert f'href="/portal/ticket/{duplicate.ref}/"' in on_target  # merged from, hers to see

    sent = client.post(f"/portal/ticket/{duplicate.ref}/", {"text": "Tray 3 now too."})

    assert sent.status_code == 302 and sent["Location"].startswith(f"/portal/ticket/{target.ref}/")
    assert target.messages.filter(direction=Direction.INBOUND, text="Tray 3 now too.").exists()
    assert not duplicate.messages.filter(text="Tray 3 now too.").exists()


def test_the_portal_never_names_another_organisations_target(people: People) -> None:
    target = open_ticket(people.client, "Portal down", level=2)
    duplicate = open_ticket(people.other_client, "Portal unreachable", level=2)
    actions.merge(duplicate, into=target, by=Actor.staff(people.agent))
    actions.link(duplicate, target, by=Actor.staff(people.agent))

    html = signed_in(people.other_client).get(f"/portal/ticket/{duplicate.ref}/").content.decode()

    assert target.ref not in html
    on_target = signed_in(people.client).get(f"/portal/ticket/{target.ref}/").content.decode()
    assert duplicate.ref not in on_target
