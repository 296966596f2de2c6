"""Drafts: the composer's unsent text, saved on the server as the agent types.

One draft per user, ticket and tab (reply, propose steps, internal note): each tab keeps its own
text, and a draft is only ever read back by the user who wrote it. Sending the message (the
action succeeded) deletes that tab's draft; an empty text deletes it too.
"""

from __future__ import annotations

from django.contrib.auth.models import User
from django.utils import timezone

from deskside.desk.models import Draft, DraftKind
from deskside.tickets.models import Ticket

MOST_CHARS = 100_000  # far above any reply; a bound on what one agent can store per tab


def save(user: User, ticket: Ticket, kind: DraftKind, text: str) -> Draft | None:
    """Keep `text` as the user's draft of this tab; blank text deletes it (None)."""
    if not text.strip():
        clear(user, ticket, kind)
        return None
    draft, _created = Draft.objects.update_or_create(
        user=user, ticket=ticket, kind=kind, defaults={"text": text, "updated_at": timezone.now()}
    )
    return draft


def clear(user: User, ticket: Ticket, kind: DraftKind) -> None:
    Draft.objects.filter(user=user, ticket=ticket, kind=kind).delete()


def of(user: User, ticket: Ticket) -> dict[DraftKind, Draft]:
    """The user's drafts on the ticket, by tab."""
    return {
        DraftKind(d.kind): d for d in Draft.objects.filter(user=user, ticket=ticket).order_by("pk")
    }
