"""A new ticket from the portal: subject, description, files, and a level the client chose.

The severity picker is required, so a web ticket never starts without a level (unlike mail,
where a missing tag closes the ticket with an explanation)."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext
from django.views.decorators.http import require_http_methods

from deskside.accounts.models import Contact
from deskside.portal.forms import NewTicketForm
from deskside.portal.session import contact_required
from deskside.tickets import actions
from deskside.tickets.models import Direction, MessageKind
from deskside.tickets.uploads import new_files


@require_http_methods(["GET", "POST"])
@contact_required
def new_ticket(request: HttpRequest, contact: Contact) -> HttpResponse:
    posted = request.method == "POST"
    form = NewTicketForm(
        request.POST if posted else None,
        request.FILES if posted else None,
        language=contact.language,
    )
    if form.is_valid():
        data = form.cleaned_data
        try:
            ticket = actions.open_ticket(
                contact=contact,
                subject=data["subject"],
                claimed_severity=data["level"],
                received_at=timezone.now(),
                language=contact.language,
                by=actions.Actor.client(contact),
                message=actions.NewMessage(
                    direction=Direction.INBOUND,
                    kind=MessageKind.WEB,
                    text=data["description"],
                    sender=contact.email,
                    subject=data["subject"],
                    files=new_files(data["attachments"]),
                ),
            )
        except actions.ActionError as error:
            form.add_error(None, str(error))
        else:
            messages.success(
                request,
                gettext("Your ticket %(ref)s is open. We will answer here and by mail.")
                % {"ref": ticket.ref},
            )
            return redirect("portal:ticket", ref=ticket.ref)
    return render(request, "portal/new_ticket.html", {"contact": contact, "form": form})
