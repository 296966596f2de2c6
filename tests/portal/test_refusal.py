"""The client's side of proposed steps in the portal: they see them, answer (which resumes the
clocks) or refuse them with an optional reason; a client of another organisation cannot."""

from __future__ import annotations

from deskside.tickets import actions
from deskside.tickets.models import CloseReason, EventKind, MessageKind, Status
from tests.portal.conftest import open_ticket, signed_in

STEPS = "Restart the export service and try again."


def proposed(people):
    ticket = open_ticket(people.client, level=3)
    actions.propose_steps(ticket, STEPS, by=actions.Actor.staff(people.agent))
    ticket.refresh_from_db()
    assert ticket.status == Status.WAITING_ON_CLIENT
    return ticket


def test_the_client_sees_the_proposed_steps_with_a_refuse_button(people):
    ticket = proposed(people)
    page = signed_in(people.client).get(f"/portal/ticket/{ticket.ref}/").content.decode()
    # Claire reads Dutch.
    assert "Door support voorgestelde stappen" in page
    assert STEPS in page
    assert "De voorgestelde stappen weigeren" in page
    assert "staan de klokken van uw ticket stil" in page


def test_no_refuse_button_without_proposed_steps(people):
    ticket = open_ticket(people.client, level=3)
    page = signed_in(people.client).get(f"/portal/ticket/{ticket.ref}/").content.decode()
    assert "De voorgestelde stappen weigeren" not in page


def test_refusing_in_the_portal_records_the_reason_and_resumes_the_clocks(people):
    ticket = proposed(people)
    client = signed_in(people.colleague)  # any contact of the organisation may answer
    answer = client.post(
        f"/portal/ticket/{ticket.ref}/refuse/",
        {"reason": "We cannot restart during office hours."},
        follow=True,
    )
    page = answer.content.decode()
    assert "U hebt de voorgestelde stappen geweigerd. Het supportteam is op de hoogte" in page
    assert "De voorgestelde stappen weigeren" not in page  # refused: the button is gone
    ticket.refresh_from_db()
    assert ticket.status == Status.OPEN and not ticket.clocks_paused
    event = ticket.events.get(kind=EventKind.REFUSED)
    assert event.data["reason"] == "We cannot restart during office hours."
    assert (event.data["source"], event.actor_label) == ("portal", "jan@acme.example")
    assert ticket.messages.get(kind=MessageKind.REFUSAL).sender == "jan@acme.example"


def test_refusing_without_a_reason_is_fine(people):
    ticket = proposed(people)
    signed_in(people.client).post(f"/portal/ticket/{ticket.ref}/refuse/", {})
    assert ticket.events.get(kind=EventKind.REFUSED).data["reason"] == ""


def test_refusing_when_nothing_was_proposed_says_so(people):
    ticket = open_ticket(people.client, level=3)
    answer = signed_in(people.client).post(f"/portal/ticket/{ticket.ref}/refuse/", {}, follow=True)
    assert "Er zijn geen voorgestelde stappen om te weigeren" in answer.content.decode()
    assert not ticket.events.filter(kind=EventKind.REFUSED).exists()


def test_refusing_on_a_ticket_closed_meanwhile_says_it_is_closed(people):
    """The portal shows the action's real reason in the client's language, not "no steps"."""
    ticket = proposed(people)
    actions.close(ticket, CloseReason.DUPLICATE, by=actions.Actor.staff(people.agent))
    answer = signed_in(people.client).post(f"/portal/ticket/{ticket.ref}/refuse/", {}, follow=True)
    page = answer.content.decode()
    assert f"{ticket.ref} is gesloten: een weigering doorgeven kan niet meer." in page
    assert "Er zijn geen voorgestelde stappen" not in page


def test_a_client_of_another_organisation_cannot_refuse(people):
    ticket = proposed(people)
    answer = signed_in(people.other_client).post(f"/portal/ticket/{ticket.ref}/refuse/", {})
    assert answer.status_code == 404
    assert not ticket.events.filter(kind=EventKind.REFUSED).exists()


def test_refusing_needs_a_post(people):
    ticket = proposed(people)
    assert signed_in(people.client).get(f"/portal/ticket/{ticket.ref}/refuse/").status_code == 405


def test_a_reply_in_the_portal_resumes_the_clocks(people):
    ticket = proposed(people)
    signed_in(people.client).post(f"/portal/ticket/{ticket.ref}/", {"text": "Restarted; works."})
    ticket.refresh_from_db()
    assert ticket.status == Status.OPEN and not ticket.clocks_paused
    assert ticket.events.filter(kind=EventKind.RESUMED).count() == 1


# -- the steps worked -----------------------------------------------------------------------------


def test_the_steps_worked_is_offered_beside_refuse(people):
    ticket = proposed(people)
    page = signed_in(people.client).get(f"/portal/ticket/{ticket.ref}/").content.decode()
    worked = page.index("De stappen hebben gewerkt")
    assert worked < page.index("De voorgestelde stappen weigeren")
    assert f'action="/portal/ticket/{ticket.ref}/worked/"' in page


def test_the_steps_worked_is_an_answer_in_the_clients_words_and_the_agent_is_told(people):
    from deskside.tickets.models import Notification

    ticket = proposed(people)
    answer = signed_in(people.client).post(f"/portal/ticket/{ticket.ref}/worked/", follow=True)

    page = answer.content.decode()
    assert "Bedankt: het supportteam weet nu dat de stappen hebben gewerkt." in page
    assert "De stappen hebben gewerkt</button>" not in page  # answered: the buttons are gone
    assert "De voorgestelde stappen weigeren" not in page
    ticket.refresh_from_db()
    assert ticket.status == Status.OPEN and not ticket.clocks_paused
    said = ticket.messages.get(kind=MessageKind.WEB)
    assert (said.text, said.sender) == (
        "De voorgestelde stappen hebben gewerkt.",
        people.client.email,
    )
    assert ticket.events.filter(kind=EventKind.MESSAGE, data__steps_worked=True).count() == 1
    told = Notification.objects.get(user=people.agent)
    assert told.title == f"[{ticket.ref}] The client says the steps worked: {ticket.subject}"


def test_the_steps_worked_without_proposed_steps_says_so(people):
    ticket = open_ticket(people.client, level=3)
    answer = signed_in(people.client).post(f"/portal/ticket/{ticket.ref}/worked/", follow=True)
    assert f"Er zijn geen voorgestelde stappen om op te antwoorden bij {ticket.ref}." in (
        answer.content.decode()
    )
    assert not ticket.messages.filter(kind=MessageKind.WEB).exists()


def test_a_client_of_another_organisation_cannot_say_the_steps_worked(people):
    ticket = proposed(people)
    answer = signed_in(people.other_client).post(f"/portal/ticket/{ticket.ref}/worked/")
    assert answer.status_code == 404
    assert signed_in(people.client).get(f"/portal/ticket/{ticket.ref}/worked/").status_code == 405


def test_the_steps_worked_on_a_resolved_ticket_says_it_is_resolved(people):
    ticket = proposed(people)
    actions.resolve(ticket, "Restarted it for you.", by=actions.Actor.staff(people.agent))
    answer = signed_in(people.client).post(f"/portal/ticket/{ticket.ref}/worked/", follow=True)
    page = answer.content.decode()
    assert f"{ticket.ref} is opgelost: melden dat de stappen werkten kan niet meer." in page
    assert not ticket.messages.filter(kind=MessageKind.WEB).exists()
