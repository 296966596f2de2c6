"""Visits: the named people on a working Monday, and helpers to read the invitations sent."""

from __future__ import annotations

import email
from email import policy
from email.message import EmailMessage

import pytest
from icalendar import Calendar

from deskside.outbox.models import OutboundMail
from deskside.outbox.send import build
from deskside.tickets import policy as ticket_policy
from tests.desk.conftest import MONDAY_10


@pytest.fixture(autouse=True)
def _monday(time_machine):
    ticket_policy.clear()
    time_machine.move_to(MONDAY_10, tick=False)


def sent_to(address: str) -> list[OutboundMail]:
    return list(OutboundMail.objects.filter(primary_to=address.lower()).order_by("id"))


def as_sent(mail: OutboundMail) -> EmailMessage:
    """The mail as the SMTP server receives it."""
    raw = build(mail).message().as_bytes()
    parsed = email.message_from_bytes(raw, policy=policy.default)
    assert isinstance(parsed, EmailMessage)
    return parsed


def invitation_of(mail: OutboundMail) -> tuple[str, Calendar, Calendar]:
    """(method parameter of the text/calendar part, that part parsed, invite.ics parsed)."""
    message = as_sent(mail)
    [alternative] = [p for p in message.walk() if p.get_content_type() == "text/calendar"]
    [attachment] = [p for p in message.iter_attachments() if p.get_filename() == "invite.ics"]
    inline = Calendar.from_ical(alternative.get_content())
    attached = Calendar.from_ical(attachment.get_content())
    return str(alternative.get_param("method")), inline, attached
