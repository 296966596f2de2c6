"""/api/v1/tickets: the queue, one ticket, opening one, its messages and the desk's actions.

Every write calls deskside.tickets.actions with the caller's Actor, as the desk and the portal
do. A ticket the caller may not see is a 404, exactly as one that does not exist.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from django.contrib.auth.models import User
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from ninja import Field, Query, Router
from ninja import Status as Answer

from deskside.accounts.addresses import contact_by_address
from deskside.accounts.models import Contact
from deskside.api.auth import Caller, caller
from deskside.api.problems import COMMON, WRITES, ApiProblem
from deskside.api.schemas import (
    AssignIn,
    ClientReplyIn,
    CloseIn,
    In,
    LinkIn,
    MergeIn,
    MilestoneIn,
    ReassessIn,
    ReopenIn,
    TextIn,
    TicketDetail,
    TicketIn,
    TicketPage,
    WaitIn,
    detail,
    summary,
)
from deskside.core.errors import ErrorCode
from deskside.core.levels import LEVELS
from deskside.core.severity import Result, SeverityReading
from deskside.mail import answers
from deskside.tickets import actions, closed
from deskside.tickets.models import CloseReason, Direction, Door, MessageKind, Status, Ticket
from deskside.tickets.queue import (
    QUEUE_ORDER,
    Bookmark,
    Filters,
    after_bookmark,
    finished_tickets,
    open_tickets,
)

router = Router(tags=["tickets"])

PAGE_SIZE = 50
# What Bookmark.encode writes (effort rank, due time in µs or "-", ticket id), bounded so that
# every text that matches decodes.
CURSOR = r"^[0-9]{1,4}\.(-|[0-9]{1,16})\.[0-9]{1,18}$"
READ = {**COMMON}
WRITE = WRITES


class ListQuery(In):
    status: Status | None = None
    level: int | None = Field(default=None, ge=1, le=4)
    assignee: str | None = Field(default=None, description='"me", "unassigned" or a username.')
    organisation: int | None = Field(default=None, ge=1, le=2**63 - 1)
    cursor: str | None = Field(
        default=None, pattern=CURSOR, description="The `next_cursor` of the page before."
    )
    limit: int = Field(default=PAGE_SIZE, ge=1, le=200)


# -- reading ----------------------------------------------------------------------------------


@router.get("/tickets", response={200: TicketPage, **READ}, summary="The queue, a page")
def list_tickets(request: HttpRequest, query: Query[ListQuery]) -> dict[str, Any]:
    """Open tickets in the queue's order (effort, then the nearest deadline); with a finished
    status (resolved, closed), newest first. Keyset pages: `next_cursor` names the last row."""
    who = caller(request)
    filters = _filters(who, query)
    after = Bookmark.decode(query.cursor) if query.cursor else None
    if query.cursor and after is None:
        raise ApiProblem(422, "invalid_request", "The cursor is not one this API gave.")
    limit = query.limit
    tickets, order = _listed(who, filters, after)
    # Combining querysets (`&`) keeps only the left one's select_related: named again here,
    # else each row's contact, organisation and assignee is a query of its own.
    rows = tickets.select_related("contact", "organisation", "assignee").order_by(*order)
    found = list(rows[: limit + 1])
    shown = found[:limit]
    more = len(found) > limit
    return {
        "items": [summary(t, staff=who.is_staff) for t in shown],
        "next_cursor": Bookmark.of(shown[-1]).encode() if more else None,
    }


def _filters(who: Caller, query: ListQuery) -> Filters:
    assignee = query.assignee
    if assignee and assignee not in ("me", "unassigned"):
        user = User.objects.filter(username=assignee).first()
        assignee = str(user.pk if user else 0)  # no user has id 0: an unknown name lists none
    if who.contact is not None:
        assignee = None  # a client does not see who works on what
    return Filters(
        level=query.level, status=query.status, assignee=assignee, organisation=query.organisation
    )


def _listed(who: Caller, filters: Filters, after: Bookmark | None) -> tuple[Any, tuple[Any, ...]]:
    user = who.user or User()
    visible = who.tickets()
    if filters.finished():
        tickets = finished_tickets(filters, user, timezone.now()) & visible
        if after is not None:
            tickets = tickets.filter(id__lt=after.ticket_id)
        return tickets, ("-id",)
    tickets = open_tickets(filters, user, timezone.now()) & visible
    if after is not None:
        tickets = tickets.filter(after_bookmark(after))
    return tickets, QUEUE_ORDER


@router.get("/tickets/{ref}", response={200: TicketDetail, **READ}, summary="One ticket")
def get_ticket(request: HttpRequest, ref: str) -> dict[str, Any]:
    """The ticket with its clocks and why they say what they say, the conversation and (for
    staff) the history."""
    who = caller(request)
    return detail(who.ticket(ref), staff=who.is_staff)


# -- opening ----------------------------------------------------------------------------------


@router.post("/tickets", response={201: TicketDetail, **WRITE}, summary="Open a ticket")
def create_ticket(request: HttpRequest, body: TicketIn) -> Answer[dict[str, Any]]:
    """A level is required, as in a mail's subject: without a valid one, the ticket is opened
    closed (`no_severity` or `invalid_severity`) and the client mailed the protocol's
    explanation, whose reply with a level reopens it."""
    who = caller(request)
    who.require_write()
    contact = _contact_for(who, body.contact)
    problem = _problem_of(body.level)
    with transaction.atomic():
        ticket = actions.open_ticket(
            contact=contact,
            subject=body.subject,
            claimed_severity=body.level if problem is None else None,
            received_at=timezone.now(),
            message=actions.NewMessage(
                direction=Direction.INBOUND,
                kind=MessageKind.WEB,
                text=body.text,
                sender=contact.email,
                subject=body.subject,
            ),
            problem=problem,
            by=who.actor,
            note="opened through the API",
            door=Door.API,
        )
        _answer(who, ticket, contact, body.level, problem)
    return Answer(201, detail(ticket, staff=who.is_staff))


def _contact_for(who: Caller, address: str | None) -> Contact:
    if who.contact is not None:
        if not address:
            return who.contact
        found = contact_by_address(address)
        same = found is not None and found.organisation_id == who.contact.organisation_id
        if found is None or not same or who.contact.organisation_id is None:
            raise ApiProblem(404, "not_found", f"No contact {address} in your organisation.")
        return found
    if not address:
        raise ApiProblem(422, "invalid_request", "Name the client: `contact`, their address.")
    found = contact_by_address(address)
    if found is None:
        raise ApiProblem(404, "not_found", f"No contact {address}.")
    return found


def _problem_of(level: int | None) -> CloseReason | None:
    if level is None:
        return CloseReason.NO_SEVERITY
    return None if level in LEVELS else CloseReason.INVALID_SEVERITY


def _answer(
    who: Caller, ticket: Ticket, contact: Contact, level: int | None, problem: CloseReason | None
) -> None:
    """A ticket without a level is explained to the client, as a mail is. One with a level is
    acknowledged when staff opened it for the client, who otherwise would not know of it; a
    client who opened it has the answer in hand, as in the portal."""
    if problem is not None:
        result = Result.MISSING if level is None else Result.INVALID
        reading = SeverityReading(result, None, () if level is None else (level,))
        answers.explain_protocol(ticket, contact, reading, in_reply_to=None)
    elif who.is_staff:
        answers.acknowledge(ticket, contact, in_reply_to=None)


# -- messages ---------------------------------------------------------------------------------


@router.post("/tickets/{ref}/replies", response={201: TicketDetail, **WRITE}, summary="Reply")
def post_reply(request: HttpRequest, ref: str, body: ClientReplyIn) -> Answer[dict[str, Any]]:
    """Staff: a reply mailed to the client. A client token: the client's message, which
    reopens a closed ticket as in the portal (`level` where the ticket needs one)."""
    who = caller(request)
    ticket = who.ticket(ref)
    who.require_write()
    if who.contact is None:
        ticket = actions.reply(ticket, body.text, by=who.actor)
    else:
        ticket = _client_message(ticket, who.contact, body)
    return Answer(201, detail(ticket, staff=who.is_staff))


def _client_message(ticket: Ticket, contact: Contact, body: ClientReplyIn) -> Ticket:
    now = timezone.now()
    message = actions.NewMessage(
        direction=Direction.INBOUND,
        kind=MessageKind.WEB,
        text=body.text,
        sender=contact.email,
        subject=f"Re: [{ticket.ref}] {ticket.subject}",
        created_at=now,
    )
    level = body.level if body.level in LEVELS else None
    if _closed(ticket):  # a merged duplicate's reply goes to its target (tickets/closed.py)
        ticket = closed.continues_as(ticket, contact)
    step = closed.next_for(ticket, arrived=now, level=level) if _closed(ticket) else None
    if step in (closed.Next.EXPLAIN, closed.Next.NEW_TICKET) and level is None:
        raise actions.ActionError(
            ErrorCode.NO_SEVERITY,
            _("%(ref)s is closed: give a `level` (1 to 4) to go on."),
            ref=ticket.ref,
        )
    with transaction.atomic():
        if step == closed.Next.NEW_TICKET:
            return actions.open_ticket(
                contact=contact,
                subject=ticket.subject,
                claimed_severity=level,
                received_at=now,
                language=contact.language,
                by=actions.Actor.client(contact),
                message=replace(message, subject=ticket.subject),
                follows=ticket,
                door=Door.API,
            )
        if step is None:
            return actions.receive_from_client(ticket, message, by=actions.Actor.client(contact))
        return actions.reopen_by_client(
            ticket, message, by=actions.Actor.client(contact), level=level
        )


def _closed(ticket: Ticket) -> bool:
    return ticket.status == Status.CLOSED


@router.post("/tickets/{ref}/notes", response={201: TicketDetail, **WRITE}, summary="Note")
def post_note(request: HttpRequest, ref: str, body: TextIn) -> Answer[dict[str, Any]]:
    """An internal note: staff only, never shown to the client."""
    who = caller(request)
    ticket = who.ticket(ref)
    who.require_staff()
    ticket = actions.add_note(ticket, body.text, by=who.actor)
    return Answer(201, detail(ticket, staff=True))


# -- actions ----------------------------------------------------------------------------------


def _staff_action(request: HttpRequest, ref: str) -> tuple[Caller, Ticket, User]:
    who = caller(request)
    ticket = who.ticket(ref)
    return who, ticket, who.require_staff()


@router.post("/tickets/{ref}/assign", response={200: TicketDetail, **WRITE}, summary="Assign")
def assign(request: HttpRequest, ref: str, body: AssignIn) -> dict[str, Any]:
    who, ticket, _user = _staff_action(request, ref)
    assignee = None
    if body.assignee is not None:
        assignee = User.objects.filter(username=body.assignee, is_active=True).first()
        if assignee is None:
            raise ApiProblem(404, "not_found", f"No member of staff {body.assignee}.")
    return detail(actions.assign(ticket, assignee, by=who.actor), staff=True)


@router.post("/tickets/{ref}/take", response={200: TicketDetail, **WRITE}, summary="Take")
def take(request: HttpRequest, ref: str) -> dict[str, Any]:
    who, ticket, user = _staff_action(request, ref)
    return detail(actions.assign(ticket, user, by=who.actor), staff=True)


@router.post("/tickets/{ref}/close", response={200: TicketDetail, **WRITE}, summary="Close")
def close(request: HttpRequest, ref: str, body: CloseIn) -> dict[str, Any]:
    """Close with a reason; out_of_scope mails `client_text` with the protocol's explanation."""
    who, ticket, _user = _staff_action(request, ref)
    if body.reason not in CloseReason.values:
        raise ApiProblem(422, "invalid_request", f"No close reason {body.reason!r}.")
    ticket = actions.close(
        ticket, body.reason, by=who.actor, note=body.note, client_text=body.client_text
    )
    return detail(ticket, staff=True)


@router.post("/tickets/{ref}/reopen", response={200: TicketDetail, **WRITE}, summary="Reopen")
def reopen(request: HttpRequest, ref: str, body: ReopenIn) -> dict[str, Any]:
    who, ticket, _user = _staff_action(request, ref)
    ticket = actions.reopen(ticket, by=who.actor, reason=body.reason, severity=body.level)
    return detail(ticket, staff=True)


@router.post("/tickets/{ref}/resolve", response={200: TicketDetail, **WRITE}, summary="Resolve")
def resolve(request: HttpRequest, ref: str, body: TextIn) -> dict[str, Any]:
    """Mark it resolved and mail the client `text`, the resolution, with how to reopen it. The
    client must have had a public reply first (`no_public_reply`)."""
    who, ticket, _user = _staff_action(request, ref)
    return detail(actions.resolve(ticket, body.text, by=who.actor), staff=True)


@router.post("/tickets/{ref}/wait", response={200: TicketDetail, **WRITE}, summary="Wait")
def wait(request: HttpRequest, ref: str, body: WaitIn) -> dict[str, Any]:
    """The ticket waits on the client: every clock pauses until the client answers."""
    who, ticket, _user = _staff_action(request, ref)
    return detail(actions.wait_on_client(ticket, by=who.actor, note=body.note), staff=True)


@router.post("/tickets/{ref}/reassess", response={200: TicketDetail, **WRITE}, summary="Reassess")
def reassess(request: HttpRequest, ref: str, body: ReassessIn) -> dict[str, Any]:
    """Change the assessed level (the client's claimed one stays); raised to 1 or 2 it alerts
    the agents on duty."""
    who, ticket, _user = _staff_action(request, ref)
    ticket = actions.reassess(ticket, body.level, reason=body.reason, by=who.actor)
    return detail(ticket, staff=True)


@router.post("/tickets/{ref}/milestone", response={200: TicketDetail, **WRITE}, summary="Milestone")
def milestone(request: HttpRequest, ref: str, body: MilestoneIn) -> dict[str, Any]:
    """Record the milestone reached: one that meets the goal of the ticket's level
    (`milestone_not_a_goal` otherwise)."""
    who, ticket, _user = _staff_action(request, ref)
    return detail(actions.record_milestone(ticket, body.milestone, by=who.actor), staff=True)


@router.post("/tickets/{ref}/steps", response={200: TicketDetail, **WRITE}, summary="Propose steps")
def propose_steps(request: HttpRequest, ref: str, body: TextIn) -> dict[str, Any]:
    """Mail the client steps to take; the ticket waits on the client, with reminders and in
    the end a close as client_unavailable if they stay silent."""
    who, ticket, _user = _staff_action(request, ref)
    return detail(actions.propose_steps(ticket, body.text, by=who.actor), staff=True)


# -- merging and linking ----------------------------------------------------------------------


@router.post("/tickets/{ref}/merge", response={200: TicketDetail, **WRITE}, summary="Merge")
def merge(request: HttpRequest, ref: str, body: MergeIn) -> dict[str, Any]:
    """Close this ticket as a duplicate of `into`, which then shows its messages; the client is
    told where it continues, and their later replies go there (docs/protocol.md, Duplicates)."""
    who, ticket, _user = _staff_action(request, ref)
    into = who.ticket(body.into)  # a 404 for a ticket that does not exist
    return detail(actions.merge(ticket, into=into, by=who.actor, note=body.note), staff=True)


@router.post("/tickets/{ref}/links", response={200: TicketDetail, **WRITE}, summary="Link")
def link(request: HttpRequest, ref: str, body: LinkIn) -> dict[str, Any]:
    """Link this ticket to `ticket` as related: both show it, both histories say it."""
    who, ticket, _user = _staff_action(request, ref)
    return detail(actions.link(ticket, who.ticket(body.ticket), by=who.actor), staff=True)


@router.post("/tickets/{ref}/unlink", response={200: TicketDetail, **WRITE}, summary="Unlink")
def unlink(request: HttpRequest, ref: str, body: LinkIn) -> dict[str, Any]:
    """Remove the related link between this ticket and `ticket`."""
    who, ticket, _user = _staff_action(request, ref)
    return detail(actions.unlink(ticket, who.ticket(body.ticket), by=who.actor), staff=True)
