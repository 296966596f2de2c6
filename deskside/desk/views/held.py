"""Held mail in the desk: the list of mail the intake did not file on its own, one mail's page
(its sender, the ticket it claims, why it is held, its text and files as the intake reads them)
and the four decisions, each through deskside.mail.quarantine.

Nothing of a held mail is trusted: its text is shown escaped, its HTML only as the parser's
allow-list sanitiser leaves it, its files and its raw bytes only as downloads, never rendered.
Agents and leads decide; technicians read.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from typing import cast

from django.contrib import messages
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from deskside.accounts import addresses
from deskside.accounts.access import staff_required
from deskside.core.severity import Result as Reading
from deskside.core.severity import read_severity
from deskside.mail import held, quarantine, rawstore
from deskside.mail.models import InboundMail, InboundStatus
from deskside.mail.parse import ParsedMail
from deskside.tickets import notify
from deskside.tickets.actions import ActionError
from deskside.tickets.models import NotificationKind
from deskside.tickets.storage import as_download, check_file_key, file_key

SHOWN = 100


def can_read(user: User) -> bool:
    return user.has_perm("mail.view_inboundmail")


def can_act(user: User) -> bool:
    """Agents and leads decide on held mail; technicians only read it."""
    return user.has_perm("mail.change_inboundmail")


def _reader(request: HttpRequest) -> User:
    assert isinstance(request.user, User)
    if not can_read(request.user):
        raise PermissionDenied("held mail is for agents, leads and technicians")
    return request.user


@dataclass(frozen=True)
class Row:
    mail: InboundMail
    why: str


@staff_required
def held_list(request: HttpRequest) -> HttpResponse:
    user = _reader(request)
    notify.mark_read(user, kind=NotificationKind.HELD_MAIL)  # what they were told, now seen
    waiting = list(
        InboundMail.objects.filter(status=InboundStatus.QUARANTINED)
        .select_related("claimed_ticket")
        .order_by("id")[:SHOWN]
    )
    count = held.waiting() if len(waiting) == SHOWN else len(waiting)
    return render(
        request,
        "desk/held_list.html",
        {
            "rows": [Row(mail, held.why(mail)) for mail in waiting],
            "more": count - len(waiting),
        },
    )


def _held_or_404(pk: int) -> InboundMail:
    return get_object_or_404(
        InboundMail.objects.select_related(
            "claimed_ticket__contact", "claimed_ticket__organisation", "ticket"
        ),
        pk=pk,
    )


@staff_required
def held_mail(request: HttpRequest, pk: int) -> HttpResponse:
    user = _reader(request)
    inbound = _held_or_404(pk)
    notify.mark_read(user, kind=NotificationKind.HELD_MAIL)
    return render_held(request, inbound)


def render_held(
    request: HttpRequest, inbound: InboundMail, refused: str = "", status: int = 200
) -> HttpResponse:
    """The mail's page; `refused` is the sentence of an action that was not done."""
    assert isinstance(request.user, User)
    mail, unreadable = held.read_or_why(inbound)
    contact = (
        addresses.contact_by_address(mail.from_address) if mail and mail.from_address else None
    )
    context = {
        "inbound": inbound,
        "mail": mail,
        "unreadable": unreadable,
        "why": held.why(inbound),
        "story": inbound.reason.strip().splitlines()[1:],
        "ticket": held.claimed(inbound, mail),
        "sender_contact": contact,
        "sender_organisation": contact.organisation if contact else None,
        "answer": held.answer_to(inbound),
        "severity": _severity_words(mail),
        "is_held": inbound.status == InboundStatus.QUARANTINED,
        "can_act": can_act(request.user),
        "refused": refused,
        "files": [
            (found, reverse("desk:held_file", args=[inbound.pk, index, _key(inbound, index)]))
            for index, found in enumerate(mail.attachments if mail else ())
        ],
        "raw_url": reverse("desk:held_raw", args=[inbound.pk, file_key("raw", inbound.pk)]),
    }
    return render(request, "desk/held_mail.html", context, status=status)


def _key(inbound: InboundMail, index: int) -> str:
    return file_key("held", inbound.pk, index)


def _severity_words(mail: ParsedMail | None) -> str:
    """What opening it as a new ticket would do, as the protocol reads its subject."""
    if mail is None:
        return ""
    reading = read_severity(mail.subject)
    if reading.result == Reading.FOUND:
        return f"Its subject gives level {reading.level}: the new ticket opens at that level."
    return (
        "Its subject gives no valid level: the new ticket is closed at once, and its sender "
        "told how to add one (as for any new mail)."
    )


# -- decisions ----------------------------------------------------------------------------------

Run = Callable[[InboundMail, QueryDict, User], str]


def _attach(inbound: InboundMail, data: QueryDict, user: User) -> str:
    result = quarantine.add_sender_and_attach(inbound, by=user)
    inbound.refresh_from_db(fields=["claimed_ticket"])
    ticket = inbound.claimed_ticket
    added = f"{inbound.from_address} is now a contact of {ticket.organisation if ticket else '—'}"
    if ticket and result.ticket == ticket.ref:
        return f"{added}; the mail is on {result.ticket} as the client's."
    return f"{added}; the mail is on {result.ticket} ({result.outcome.label.lower()})."


def _note(inbound: InboundMail, data: QueryDict, user: User) -> str:
    message = quarantine.attach_as_note(inbound, by=user)
    return f"The mail is on {message.ticket.ref} as an internal note."


def _new_ticket(inbound: InboundMail, data: QueryDict, user: User) -> str:
    result = quarantine.make_ticket(inbound, by=user)
    if result.severity:
        return f"The mail opened {result.ticket} at level {result.severity}."
    return f"The mail opened {result.ticket}, closed at once: its subject gives no valid level."


def _discard(inbound: InboundMail, data: QueryDict, user: User) -> str:
    quarantine.discard(inbound, by=user, why=data.get("why", ""))
    return f"Mail {inbound.pk} is discarded; its raw bytes are kept."


RUN: dict[str, Run] = {
    "attach": _attach,
    "note": _note,
    "ticket": _new_ticket,
    "discard": _discard,
}


@staff_required
@require_POST
def held_act(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    user = _reader(request)
    if action not in RUN:
        raise Http404(f"no action {action}")
    inbound = _held_or_404(pk)
    if not can_act(user):
        refused = "You can read held mail but not act on it: agents and leads decide."
        return render_held(request, inbound, refused, status=403)
    try:
        done = RUN[action](inbound, request.POST, user)
    except ActionError as error:
        return render_held(request, _held_or_404(pk), str(error), status=422)
    messages.success(request, done)
    return redirect("desk:held")


# -- files --------------------------------------------------------------------------------------


@staff_required
def held_file(request: HttpRequest, pk: int, index: int, key: str) -> HttpResponse:
    """One file of the held mail, read from its raw bytes (held mail is not stored as tickets'
    files are), served as every attachment is: a download, never rendered. The URL's key is made
    by the mail's page: the number of a mail and of a file give no URL."""
    _reader(request)
    check_file_key(key, "held", pk, index)
    mail, _unreadable = held.read_or_why(get_object_or_404(InboundMail, pk=pk))
    if mail is None or not 0 <= index < len(mail.attachments):
        raise Http404("no such file in this mail")
    found = mail.attachments[index]
    # staff_required is typed for HttpResponse; a streamed file is the other response kind.
    return cast(HttpResponse, as_download(io.BytesIO(found.payload), found.filename))


@staff_required
def held_raw(request: HttpRequest, pk: int, key: str) -> HttpResponse:
    """The mail exactly as it arrived, as a download (to forward it, or to read what the
    intake could not)."""
    _reader(request)
    check_file_key(key, "raw", pk)
    inbound = get_object_or_404(InboundMail, pk=pk)
    raw = rawstore.load(inbound.raw_sha256)
    return cast(HttpResponse, as_download(io.BytesIO(raw), f"mail-{inbound.pk}.eml"))
