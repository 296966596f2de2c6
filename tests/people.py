"""The named people of the tests (two agents, a lead, a technician, clients and a stranger),
and tickets opened as a client's mail opens them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth.models import Group, User
from django.utils import timezone

from deskside.accounts.models import Contact, Organisation
from deskside.accounts.roles import Role
from deskside.tickets import actions
from deskside.tickets.actions import NewFile, NewMessage
from deskside.tickets.models import Direction, MessageKind, Ticket


@dataclass
class People:
    agent: User
    second_agent: User
    lead: User
    technician: User
    acme: Organisation
    client: Contact
    colleague: Contact
    other_org: Organisation
    other_client: Contact
    stranger_email: str


def staff(username: str, role: Role) -> User:
    user = User.objects.create_user(
        username,
        f"{username}@ccs2.test",
        "pw-" + username,
        first_name=username.capitalize(),
        is_staff=role == Role.LEAD,  # leads work in the admin; agents in the desk
    )
    user.groups.add(Group.objects.get(name=role.value))
    return user


def make_people() -> People:
    acme = Organisation.objects.create(
        name="Acme Antwerp",
        address_line1="Meir 1",
        postal_code="2000",
        city="Antwerpen",
        country="BE",
    )
    other = Organisation.objects.create(
        name="Globex Lyon", postal_code="69001", city="Lyon", country="FR"
    )
    return People(
        agent=staff("alice", Role.AGENT),
        second_agent=staff("bob", Role.AGENT),
        lead=staff("lena", Role.LEAD),
        technician=staff("tom", Role.TECHNICIAN),
        acme=acme,
        client=Contact.objects.create(
            email="Claire@Acme.example", name="Claire Peeters", language="nl", organisation=acme
        ),
        colleague=Contact.objects.create(
            email="jan@acme.example", name="Jan Janssens", language="nl", organisation=acme
        ),
        other_org=other,
        other_client=Contact.objects.create(
            email="olivier@globex.example", name="Olivier", language="fr", organisation=other
        ),
        stranger_email="mallory@elsewhere.example",
    )


def open_ticket(
    contact: Contact,
    subject: str = "Export fails",
    level: int = 2,
    text: str = "It fails.",
    *,
    visible_text: str = "",
    html: str = "",
    files: tuple[NewFile, ...] = (),
    received_at: datetime | None = None,
) -> Ticket:
    """A ticket opened by `contact`'s mail at `level` (claimed), through the actions layer."""
    return actions.open_ticket(
        contact=contact,
        subject=subject,
        claimed_severity=level,
        received_at=received_at or timezone.now(),
        message=NewMessage(
            direction=Direction.INBOUND,
            kind=MessageKind.MAIL,
            text=text,
            visible_text=visible_text,
            html=html,
            sender=contact.email,
            subject=subject,
            files=files,
        ),
    )
