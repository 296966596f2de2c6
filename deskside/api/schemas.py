"""What the API reads and writes, as pydantic models: the validation, the serialiser and the
OpenAPI schema at once. Built from the rows by the functions below, explicitly, so that a field
a client may not see is left out by code that says so."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any

from ninja import Field, Schema
from pydantic import field_validator

from deskside import db
from deskside.accounts.models import Organisation
from deskside.core.limits import HEADER_LINE
from deskside.tickets import clocks
from deskside.tickets.models import Attachment, Direction, Event, Message, Milestone, Ticket
from deskside.tickets.models.choices import is_public_reply

# A message's text, at most: the portal's and the desk's limit.
TEXT = 50_000

# What a client sees of the conversation, as in the portal: no internal notes, no system rows.
PUBLIC = (Direction.INBOUND, Direction.OUTBOUND)


class In(Schema):
    """What a caller sends: no text may hold a NUL, which no database text column holds
    (PostgreSQL refuses it): a 422 that says where, not a 500 when it is written."""

    @field_validator("*", mode="after")
    @classmethod
    def _no_nul(cls, value: object) -> object:
        if isinstance(value, str) and "\x00" in value:
            raise ValueError("Text may not contain NUL (\\u0000).")
        return value


class ContactOut(Schema):
    email: str
    name: str


class OrganisationOut(Schema):
    id: int
    name: str


class TicketSummary(Schema):
    ref: str
    subject: str
    status: str
    severity: int | None = Field(description="The assessed level, which sets the clocks.")
    claimed_severity: int | None = Field(description="The level the client gave.")
    close_reason: str | None
    assignee: str | None = Field(description="Username; not shown to client tokens.")
    contact: ContactOut
    organisation: OrganisationOut | None
    received_at: datetime
    nearest_due: datetime | None
    clocks_paused: bool


class TicketPage(Schema):
    items: list[TicketSummary]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null: last.")


class ClocksOut(Schema):
    first_response_due: datetime | None
    next_update_due: datetime | None
    goal_due: datetime | None
    documentation_due: datetime | None
    paused: bool
    explain: list[str] = Field(description="Why each clock says what it says, in sentences.")


class AttachmentOut(Schema):
    token: str = Field(description="GET /tickets/{ref}/attachments/{token} downloads it.")
    filename: str
    content_type: str
    size: int


class MessageOut(Schema):
    id: int
    direction: str
    kind: str
    sender: str
    subject: str
    text: str
    created_at: datetime
    attachments: list[AttachmentOut]


class EventOut(Schema):
    kind: str
    actor: str
    created_at: datetime
    data: dict[str, Any]


class TicketDetail(TicketSummary):
    language: str
    created_at: datetime
    clocks: ClocksOut
    messages: list[MessageOut]
    history: list[EventOut] = Field(description="The audit trail; empty for client tokens.")


class TicketIn(In):
    subject: str = Field(min_length=1, max_length=HEADER_LINE)
    text: str = Field(min_length=1, max_length=TEXT)
    level: int | None = Field(
        default=None,
        description="1 to 4. Without one (or with another number) the ticket is opened closed "
        "and the client is mailed the protocol's explanation, as for a mail.",
    )
    contact: str | None = Field(
        default=None,
        description="The client's address. Staff: required, a known contact. Client tokens: "
        "a contact of their organisation (default: the token's own).",
    )


class TextIn(In):
    text: str = Field(min_length=1, max_length=TEXT)


class ClientReplyIn(TextIn):
    level: int | None = Field(
        default=None, description="Only to a ticket closed for want of a level, or past reopening."
    )


class AssignIn(In):
    assignee: str | None = Field(description="A staff username; null unassigns.")


class CloseIn(In):
    reason: str = Field(description="A close reason, e.g. duplicate, out_of_scope.")
    note: str = Field(default="", description="For the history; the client never sees it.")
    client_text: str = Field(default="", description="Mailed to the client (out_of_scope only).")


class MergeIn(In):
    into: str = Field(description="The reference of the ticket the duplicate continues as.")
    note: str = Field(default="", description="For the history; the client never sees it.")


class LinkIn(In):
    ticket: str = Field(description="The reference of the related ticket.")


class ReopenIn(In):
    reason: str = Field(min_length=1)
    level: int | None = None


class WaitIn(In):
    note: str = Field(default="", description="For the history; the client never sees it.")


class ReassessIn(In):
    level: int = Field(ge=1, le=4, description="The assessed level, 1 to 4; it sets the clocks.")
    reason: str = Field(min_length=1, description="Why, for the history.")


class MilestoneIn(In):
    milestone: Milestone = Field(description="One of the goal milestones of the ticket's level.")


def summary(ticket: Ticket, *, staff: bool) -> dict[str, Any]:
    return {
        "ref": ticket.ref,
        "subject": ticket.subject,
        "status": ticket.status,
        "severity": ticket.severity,
        "claimed_severity": ticket.claimed_severity,
        "close_reason": ticket.close_reason or None,
        "assignee": ticket.assignee.get_username() if staff and ticket.assignee else None,
        "contact": {"email": ticket.contact.email, "name": ticket.contact.name},
        "organisation": _organisation(ticket),
        "received_at": ticket.received_at,
        "nearest_due": ticket.nearest_due,
        "clocks_paused": ticket.clocks_paused,
    }


def _organisation(ticket: Ticket) -> dict[str, Any] | None:
    """The ticket's organisation as read with it (a list's select_related), else its name by a
    prepared statement: a ticket just opened has only the organisation's id."""
    if Ticket.organisation.is_cached(ticket):
        org = ticket.organisation
        return None if org is None else {"id": org.pk, "name": org.name}
    if ticket.organisation_id is None:
        return None
    return {
        "id": ticket.organisation_id,
        "name": _ORGANISATION_NAME.value(id=ticket.organisation_id),
    }


_ORGANISATION_NAME = db.Statement(Organisation, "SELECT {name} FROM {table} WHERE {id} = %(id)s")

# The answer to nearly every API request, read by prepared statements (deskside/db.py): the
# ORM's compiling of these three queries cost more than the database's reading them.
_MESSAGES = db.Rows(
    Message,
    ("id", "direction", "kind", "sender", "subject", "text", "created_at"),
    "{ticket} = %(ticket)s ORDER BY {created_at}, {id}",
    # Whether the message has files, on the attachments' index: most have none (every ticket
    # the API opens), and then the answer needs no read of them.
    extra=[
        f"EXISTS (SELECT 1 FROM {Attachment._meta.db_table} a "
        "WHERE a.message_id = {table}.{id})"
    ],
)
_ATTACHMENTS = db.Rows(
    Attachment,
    ("message", "stored_name", "filename", "content_type", "size"),
    f"{{message}} IN (SELECT id FROM {Message._meta.db_table} WHERE ticket_id = %(ticket)s) "
    "ORDER BY {id}",
    fields={"ticket": None},
)
_HISTORY = db.Rows(
    Event,
    ("kind", "actor_label", "created_at", "data"),
    "{ticket} = %(ticket)s ORDER BY {created_at}, {id}",
)


def _files(ticket: Ticket) -> dict[int, list[dict[str, Any]]]:
    """The files of the ticket's messages, by message."""
    files: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for message, token, filename, content_type, size in _ATTACHMENTS.all(ticket=ticket.pk):
        files[message].append(
            {"token": token, "filename": filename, "content_type": content_type, "size": size}
        )
    return files


def detail(ticket: Ticket, *, staff: bool) -> dict[str, Any]:
    # (id, direction, kind, sender, subject, text, created_at, has files): a client sees no
    # notes.
    messages = [m for m in _MESSAGES.all(ticket=ticket.pk) if staff or m[1] in PUBLIC]
    files = _files(ticket) if any(m[-1] for m in messages) else {}
    history = _HISTORY.all(ticket=ticket.pk) if staff else []
    # The clocks' history from the rows read for the answer anyway (a client's lacks events).
    current = clocks.state(
        ticket,
        events=[(kind, at, data) for kind, _actor, at, data in history] if staff else None,
        replies=[at for _, way, kind, *_, at, _ in messages if is_public_reply(way, kind)],
    )
    return {
        **summary(ticket, staff=staff),
        "language": ticket.language,
        "created_at": ticket.created_at,
        "clocks": {
            "first_response_due": ticket.first_response_due,
            "next_update_due": ticket.next_update_due,
            "goal_due": ticket.goal_due,
            "documentation_due": ticket.documentation_due,
            "paused": ticket.clocks_paused,
            "explain": list(current.explain) if current else [],
        },
        "messages": [
            {
                "id": pk,
                "direction": direction,
                "kind": kind,
                "sender": sender,
                "subject": subject,
                "text": text,
                "created_at": at,
                "attachments": files.get(pk, []),  # a client's: of the messages shown only
            }
            for pk, direction, kind, sender, subject, text, at, _has_files in messages
        ],
        "history": [
            {"kind": kind, "actor": actor, "created_at": at, "data": data}
            for kind, actor, at, data in history
        ],
    }
