"""A new ticket from the portal: subject, description, files, and a level the client chose.

The severity picker is required, so a web ticket never starts without a level (unlike mail,
where a missing tag closes the ticket with an explanation)."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.views.decorators.http import require_http_methods

from deskside.accounts.models import Contact
from deskside.portal.forms import NewTicketForm
from deskside.portal.session import contact_required
from deskside.tickets import actions, floods
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
    if form.is_valid() and _flooded(contact):
        form.add_error(None, FLOODED.get(contact.language, FLOODED["en"]))
    elif form.is_valid():
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
            form.add_error(None, error.localized())
        else:
            messages.success(
                request,
                gettext("Your ticket %(ref)s is open. We will answer here and by mail.")
                % {"ref": ticket.ref},
            )
            return redirect("portal:ticket", ref=ticket.ref)
    return render(request, "portal/new_ticket.html", {"contact": contact, "form": form})


# Past the cap on new tickets; the portal's four languages, here rather than in the catalogues
# so that the sentence stays beside the rule it explains.
FLOODED = {
    "en": "You or your organisation opened more tickets in the last hour than the portal takes. "
    "Please add to one of your open tickets, or send this one again in an hour: your text is "
    "still below.",
    "nl": "U of uw organisatie opende het voorbije uur meer tickets dan het portaal aanneemt. "
    "Vul een van uw open tickets aan, of verstuur dit ticket over een uur opnieuw: uw tekst "
    "staat nog hieronder.",
    "fr": "Vous ou votre organisation avez ouvert dans l'heure plus de tickets que le portail "
    "n'en accepte. Complétez un de vos tickets ouverts, ou renvoyez celui-ci dans une heure : "
    "votre texte est toujours ci-dessous.",
    "de": "Sie oder Ihre Organisation haben in der letzten Stunde mehr Tickets eröffnet, als das "
    "Portal annimmt. Ergänzen Sie eines Ihrer offenen Tickets oder senden Sie dieses in einer "
    "Stunde erneut: Ihr Text steht noch unten.",
}


def _flooded(contact: Contact) -> bool:
    """Past the hourly cap on new tickets (per contact and per organisation, the same as for
    mail): refused, the form kept, and the administrators told once an hour."""
    trip = floods.portal_refusal(contact)
    if trip is not None:
        floods.tripped(
            f"portal:{trip.key}",
            title=f"Flood: {trip.words}: the portal refuses more",
            text=f"A cap on new tickets tripped in the portal: {trip.words}. The client sees "
            "why, keeps their text, and can send it again once the hour has passed.",
            path=reverse("desk:queue"),
        )
    return trip is not None
