"""A new ticket for a client who called: the agent finds the client, then types in the call.

The ticket opens as a mail or the portal opens one (deskside.tickets.actions.open_ticket): the
client is acknowledged by mail as if they had written, a level-1 or level-2 ticket alerts the
agents on duty, and its first message is of the kind PHONE, the reports' door "Desk (phone)".
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import prefetch_related_objects
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone, translation
from django.utils.translation import gettext

from deskside.accounts.access import changes_tickets, staff_required
from deskside.accounts.models import Contact, Language
from deskside.db import row_id
from deskside.desk.forms import PhoneTicketForm
from deskside.mail import answers
from deskside.tickets import actions
from deskside.tickets.models import Direction, MessageKind, Ticket
from deskside.tickets.search import MIN_CLIENT_PREFIX, matching_clients
from deskside.tickets.uploads import new_files

CLIENTS_LISTED = 20


@staff_required
def new_ticket(request: HttpRequest) -> HttpResponse:
    assert isinstance(request.user, User)
    if not changes_tickets(request.user):
        raise PermissionDenied("technicians read tickets")
    language = _reader_language()
    if request.method == "POST":
        form = PhoneTicketForm(request.POST, request.FILES, language=language)
        if form.is_valid():
            try:
                ticket = _open(form, request.user)
            except actions.ActionError as error:
                form.add_error(None, error.localized())
            else:
                messages.success(request, _opened(ticket))
                return redirect("desk:ticket", ref=ticket.ref)
        contact = form.cleaned_data.get("contact") if form.is_bound else None
    else:
        contact = _chosen(request.GET.get("contact", ""))
        form = PhoneTicketForm(initial={"contact": contact}, language=language)
    find = " ".join(request.GET.get("find", "").split())
    return render(
        request,
        "desk/new_ticket.html",
        {
            "form": form,
            "contact": contact,
            "find": find,
            "too_short": 0 < len(find) < MIN_CLIENT_PREFIX,
            "found": _found(find),
        },
        status=422 if form.errors else 200,
    )


def _reader_language() -> str:
    """The language the levels' definitions are shown in: the desk's reader's, else English."""
    language = (translation.get_language() or "en")[:2]
    return language if language in Language.values else Language.EN


def _found(find: str) -> list[Contact]:
    found = matching_clients(find, CLIENTS_LISTED) if find else []
    prefetch_related_objects(found, "organisation")
    return found


def _chosen(pk: str) -> Contact | None:
    number = row_id(pk)
    return None if number is None else Contact.objects.filter(pk=number).first()


def _open(form: PhoneTicketForm, user: User) -> Ticket:
    data = form.cleaned_data
    contact: Contact = data["contact"]
    with transaction.atomic():
        ticket = actions.open_ticket(
            contact=contact,
            subject=data["subject"],
            claimed_severity=data["level"],
            received_at=timezone.now(),
            language=contact.language,
            by=actions.Actor.staff(user),
            message=actions.NewMessage(
                direction=Direction.INBOUND,
                kind=MessageKind.PHONE,
                text=data["text"],
                sender=contact.email,
                subject=data["subject"],
                files=new_files(data["attachments"]),
            ),
            note="opened at the desk for a phone call",
        )
        # As for a mail: the client learns the reference, the level and when to expect an answer.
        answers.acknowledge(ticket, contact, in_reply_to=None)
    return ticket


def _opened(ticket: Ticket) -> str:
    said = {"ref": ticket.ref, "address": ticket.contact.email}
    if ticket.contact.mail_failing_since is not None:  # the outbox sends it no automatic mail
        return (
            gettext(
                "%(ref)s is open; no mail goes to %(address)s, whose mail bounces: give the client "
                "the reference on the phone."
            )
            % said
        )
    return gettext("%(ref)s is open; the acknowledgement is on its way to %(address)s.") % said
