"""Unicode and charset tricks: an address that only looks like a client's, or that one database
or Python's str.lower() folds onto a client's, is another sender. ASCII letters match in any case;
nothing else is folded, on SQLite and PostgreSQL alike (deskside/accounts/addresses.py).

Every test names the advisory or RFC section it comes from and asserts what a person sees: the
client's ticket untouched, the lookalike held as a stranger, its own contact, its own answers."""

from __future__ import annotations

import smtplib
from collections.abc import Iterator
from pathlib import Path

import pytest
import time_machine
from django.db import IntegrityError, transaction
from imap_tools import BaseMailBox

from deskside.accounts.models import Contact
from deskside.mail import imap
from deskside.mail.models import Outcome
from deskside.outbox.models import OutboundMail
from deskside.tickets.models import Status, Ticket
from tests.mail.test_imap_door import PROCESSED
from tests.mail.test_smtp_door import processed, send, stored_id
from tests.people import People, make_people
from tests.security.doors import MONDAY_10, command, held_mail, hostile, pipe

pytestmark = pytest.mark.django_db

KELVIN = "\u212a"  # KELVIN SIGN: str.lower() and PostgreSQL's LOWER() under C.UTF-8 give "k"
DOTTED_I = "\u0130"  # LATIN CAPITAL LETTER I WITH DOT ABOVE: LOWER() gives "i" there
CYRILLIC_A = "\u0430"  # CYRILLIC SMALL LETTER A, drawn as a Latin "a"


@pytest.fixture(autouse=True)
def _monday() -> Iterator[time_machine.Traveller]:
    with time_machine.travel(MONDAY_10, tick=False) as traveller:
        yield traveller


def client_of_acme(people: People, email: str) -> Ticket:
    """A contact of Acme with `email`, and their open level-2 ticket."""
    Contact.objects.create(email=email, name="Acme person", organisation=people.acme)
    result = pipe(hostile("Sev 2 - export fails", sender=email))
    assert result.outcome == Outcome.CREATED, result
    return Ticket.objects.get(pk=int(str(result.ticket).split("-")[1]))


def reply_from(ticket: Ticket, address: str) -> Outcome:
    return pipe(hostile(f"Re: [{ticket.ref}] export", sender=address)).outcome


def stays_theirs(ticket: Ticket, *, messages: int = 2) -> None:
    """The ticket still holds only its own mail and our acknowledgement."""
    ticket.refresh_from_db()
    assert ticket.status == Status.NEW and ticket.messages.count() == messages


# -- case folding -------------------------------------------------------------------------------


def test_the_kelvin_sign_is_not_a_k(people: People) -> None:
    """Unicode CaseFolding.txt folds U+212A KELVIN SIGN to "k": so do str.lower() and
    PostgreSQL's LOWER() under C.UTF-8, and "Kim@acme.example" with a Kelvin sign was Kim's
    contact there (the collision of Django's CVE-2019-19844, inherited by django-helpdesk's
    password reset). RFC 5321 §2.4: only ASCII case is commonly ignored."""
    ticket = client_of_acme(people, "kim@acme.example")

    assert reply_from(ticket, f"{KELVIN}im@acme.example") == Outcome.QUARANTINED
    assert reply_from(ticket, "KIM@Acme.Example") == Outcome.APPENDED  # ASCII case: the same
    stays_theirs(ticket, messages=3)
    [held] = held_mail()
    assert held.reason.startswith(f"unverified reply to {ticket.ref} from {KELVIN}im@")


def test_the_turkish_dotted_capital_i_is_not_an_i(people: People) -> None:
    """U+0130 lowers to "i" + U+0307 in Python and to "i" in PostgreSQL under C.UTF-8; U+0131
    (dotless ı) uppers to "I" (Django's `iexact` on PostgreSQL compares UPPER()): CVE-2019-19844
    again. Neither is the contact ilayda@acme.example."""
    ticket = client_of_acme(people, "ilayda@acme.example")

    assert reply_from(ticket, f"{DOTTED_I}layda@acme.example") == Outcome.QUARANTINED
    assert reply_from(ticket, "\u0131layda@acme.example") == Outcome.QUARANTINED
    stays_theirs(ticket)


def test_sharp_s_is_not_ss(people: People) -> None:
    """str.casefold() and ICU's full case folding make ß "ss" (Unicode CaseFolding.txt, F):
    straße@ and strasse@ are two mailboxes (RFC 6532 §3.1), and only ASCII case is ignored."""
    ticket = client_of_acme(people, "strasse@acme.example")

    assert reply_from(ticket, "straße@acme.example") == Outcome.QUARANTINED
    assert reply_from(ticket, "STRASSE@acme.example") == Outcome.APPENDED


def test_both_databases_fold_ascii_only_in_the_unique_index(people: People) -> None:
    """The contacts' unique index folds what the lookup folds, on SQLite and PostgreSQL: the
    Kelvin-sign address is a second contact; an ASCII-case variant is the same one."""
    Contact.objects.create(email="kim@acme.example")

    Contact.objects.create(email=f"{KELVIN}im@acme.example")  # another address: allowed
    Contact.objects.create(email=f"{DOTTED_I}LAYDA@acme.example")
    with pytest.raises(IntegrityError), transaction.atomic():
        Contact.objects.create(email="KIM@acme.example")
    assert Contact.objects.filter(email__endswith="im@acme.example").count() == 2


def test_a_lookalikes_answers_are_its_own(people: People) -> None:
    """Python's str.lower() made the Kelvin-sign address "kim@…" in the outbox, so Kim's five
    automatic answers an hour (and her "waits for review" of the day) counted for the
    lookalike, and the desk showed Kim's answer as the lookalike's."""
    pipe(hostile("Sev 3 - a question", sender=f"{KELVIN}im@acme.example"))

    [answer] = OutboundMail.objects.filter(purpose="acknowledgement")
    assert answer.primary_to == f"{KELVIN}im@acme.example"
    assert answer.to == [f"{KELVIN}im@acme.example"]


# -- lookalikes, IDN, encoded words -------------------------------------------------------------


def test_a_cyrillic_lookalike_of_a_clients_domain_is_a_stranger(people: People) -> None:
    """Unicode TR 39 §4 (confusables): "аcme.example" with a Cyrillic а draws as acme.example.
    Its mail is held as a stranger's reply, and its new mail opens a ticket for a new contact
    outside Acme: nothing of Claire's is shown to it."""
    claire = pipe(hostile("Sev 2 - export fails"))
    ticket = Ticket.objects.get()
    lookalike = f"claire@{CYRILLIC_A}cme.example"

    assert reply_from(ticket, lookalike) == Outcome.QUARANTINED
    new = pipe(hostile("Sev 3 - hello", sender=lookalike))

    assert new.outcome == Outcome.CREATED and new.ticket != claire.ticket
    contact = Ticket.objects.get(pk=int(str(new.ticket).split("-")[1])).contact
    assert contact.email == lookalike and contact.organisation is None
    assert contact != people.client


def test_an_idn_in_either_form_is_not_the_client(people: People) -> None:
    """RFC 5890 §2.3.2: the same lookalike domain as an A-label (xn--cme-5cd.example) is no
    closer to acme.example; neither is matched to Claire."""
    pipe(hostile("Sev 2 - export fails"))
    ticket = Ticket.objects.get()

    assert reply_from(ticket, "claire@xn--cme-5cd.example") == Outcome.QUARANTINED
    assert reply_from(ticket, f"claire@{CYRILLIC_A}cme.example") == Outcome.QUARANTINED
    stays_theirs(ticket)


def test_an_encoded_word_inside_the_address_is_no_address(people: People) -> None:
    """RFC 2047 §5 (3): an encoded word never stands in an addr-spec. Zammad's mail118
    (tests/mail/corpus/zammad) decodes one there to an agent's address."""
    pipe(hostile("Sev 2 - export fails"))
    ticket = Ticket.objects.get()

    result = pipe(
        hostile(f"Re: [{ticket.ref}] export", sender="Claire <=?utf-8?Q?claire?=@acme.example>")
    )

    assert result.outcome == Outcome.QUARANTINED and "encoded word" in (result.reason or "")
    stays_theirs(ticket)


# -- through the other doors --------------------------------------------------------------------


def test_a_kelvin_sign_reply_through_deskside_ingest(people: People, tmp_path: Path) -> None:
    """`deskside ingest FILE`, as an MTA runs it: the mail in UTF-8 (RFC 6532)."""
    ticket = client_of_acme(people, "kim@acme.example")

    line = command(
        hostile(f"Re: [{ticket.ref}] export", sender=f"{KELVIN}im@acme.example"), tmp_path
    )

    assert line["outcome"] == "quarantined"
    stays_theirs(ticket)


@pytest.mark.django_db(transaction=True)
def test_a_dotted_i_reply_through_the_smtp_listener(door: smtplib.SMTP) -> None:
    """The SMTP door takes the UTF-8 mail (SMTPUTF8 is not needed for the header alone)."""
    people = make_people()
    ticket = client_of_acme(people, "ilayda@acme.example")

    code, reply = send(
        door, hostile(f"Re: [{ticket.ref}] export", sender=f"{DOTTED_I}layda@acme.example")
    )

    assert code == 250
    assert processed(stored_id(reply)).outcome == Outcome.QUARANTINED
    stays_theirs(ticket)


@pytest.mark.django_db(transaction=True)
def test_a_cyrillic_lookalike_through_imap(box: BaseMailBox) -> None:
    """Through Dovecot, the lookalike's mail is held like any stranger's reply."""
    make_people()
    pipe(hostile("Sev 2 - export fails"))
    ticket = Ticket.objects.get()
    lookalike = f"claire@{CYRILLIC_A}cme.example"
    box.append(hostile(f"Re: [{ticket.ref}] export", sender=lookalike), "INBOX")

    assert imap.poll_once(box, imap.ensure_folder(box, PROCESSED)) == 1

    [held] = held_mail()
    assert held.from_address == lookalike
    stays_theirs(ticket)
