"""Portal fixtures: the named people, tickets made through the actions, signed-in clients."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.utils import timezone

from deskside.accounts.models import Contact
from deskside.outbox.models import OutboundMail
from deskside.portal.session import user_for
from deskside.tickets import actions
from deskside.tickets.actions import NewFile, NewMessage
from deskside.tickets.models import Direction, MessageKind, Ticket
from tests.people import People, make_people

LINK = re.compile(r"/portal/login/([A-Za-z0-9_-]+)/")


@pytest.fixture
def people(db) -> People:
    return make_people()


def open_ticket(
    contact: Contact, subject: str = "Export fails", level: int = 2, text: str = "It fails."
) -> Ticket:
    return actions.open_ticket(
        contact=contact,
        subject=subject,
        claimed_severity=level,
        received_at=timezone.now(),
        message=NewMessage(
            direction=Direction.INBOUND,
            kind=MessageKind.MAIL,
            text=text,
            sender=contact.email,
            subject=subject,
            files=(NewFile("report.pdf", "application/pdf", b"%PDF-1.4 acme report"),),
        ),
    )


def signed_in(contact: Contact) -> Client:
    client = Client()
    client.force_login(user_for(contact))
    return client


def link_token(address: str) -> str:
    mail = OutboundMail.objects.filter(purpose="portal_link", primary_to=address.lower()).first()
    assert mail is not None, f"no sign-in link queued for {address}"
    match = LINK.search(mail.text)
    assert match, mail.text
    return match.group(1)
