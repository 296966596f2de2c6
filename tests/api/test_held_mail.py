"""Held mail through the API: staff read the list and one mail; a client token may not."""

from __future__ import annotations

import pytest

from deskside.mail.models import InboundMail
from tests.api.conftest import Api, open_ticket
from tests.desk.test_held_mail import held_reply
from tests.people import People

pytestmark = pytest.mark.django_db


def test_staff_read_held_mail(people: People, reader_api: Api) -> None:
    ticket = open_ticket(people.client)
    mail = held_reply(ticket, files=(("log.txt", "text/plain", b"boom"),))
    page = reader_api.get("/held-mail").json()
    assert page["waiting"] == 1 and page["next_after"] is None
    [row] = page["items"]
    assert row["id"] == mail.pk and row["claimed_ticket"] == ticket.ref
    assert row["from_address"] == "piet@acme.example" and row["why"]
    one = reader_api.get(f"/held-mail/{mail.pk}").json()
    assert "faalt de export" in one["text"] and one["unreadable"] == ""
    assert one["files"] == [{"filename": "log.txt", "content_type": "text/plain", "size": 4}]
    assert reader_api.get(f"/held-mail/{mail.pk + 1000}").status_code == 404


def test_a_mail_held_before_claims_were_recorded_names_its_ticket(
    people: People, reader_api: Api
) -> None:
    """As the desk shows it: the thread read again (held before mail migration 0004)."""
    ticket = open_ticket(people.client)
    mail = held_reply(ticket)
    InboundMail.objects.filter(pk=mail.pk).update(claimed_ticket=None)
    assert reader_api.get(f"/held-mail/{mail.pk}").json()["claimed_ticket"] == ticket.ref


def test_a_client_token_reads_no_held_mail(people: People, client_api: Api) -> None:
    mail = held_reply(open_ticket(people.client))
    assert client_api.get("/held-mail").json()["code"] == "staff_only"
    assert client_api.get(f"/held-mail/{mail.pk}").status_code == 403
