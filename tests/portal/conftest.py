"""Portal fixtures: the named people, tickets made through the actions, signed-in clients."""

from __future__ import annotations

import re

from django.test import Client

import tests.people
from deskside.accounts.models import Contact
from deskside.outbox.models import OutboundMail
from deskside.portal.session import user_for
from deskside.tickets.actions import NewFile
from deskside.tickets.models import Ticket

LINK = re.compile(r"/portal/login/([A-Za-z0-9_-]+)/")


def open_ticket(
    contact: Contact, subject: str = "Export fails", level: int = 2, text: str = "It fails."
) -> Ticket:
    """A ticket with a report attached, as the portal's tests read one."""
    return tests.people.open_ticket(contact, subject, level, text, files=(REPORT,))


REPORT = NewFile("report.pdf", "application/pdf", b"%PDF-1.4 acme report")


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
