"""Tickets and what happens on them. Only deskside.tickets.actions writes these rows."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import ExpressionWrapper, F, Q
from django.http import Http404

from deskside.accounts.models import Contact, Language, Organisation
from deskside.core.limits import HEADER_LINE, WHO
from deskside.db import Rows, Statement
from deskside.tickets.models.choices import (
    NO_EFFORT_RANK,
    PUBLIC_REPLY_KINDS,
    CloseReason,
    Direction,
    Door,
    EventKind,
    LinkKind,
    MessageKind,
    Milestone,
    Status,
    is_public_reply,
)

OPEN_STATUSES = (Status.NEW, Status.OPEN, Status.WAITING_ON_CLIENT)
# Tickets without a due time come last in the queue. Written as an expression (not NULLS
# LAST) so that SQLite can read the order from an index, as PostgreSQL can.
NO_DUE_TIME = ExpressionWrapper(Q(nearest_due__isnull=True), output_field=models.BooleanField())


class TicketQuerySet(models.QuerySet["Ticket"]):
    def by_ref(self, ref: str) -> Ticket | None:
        """The ticket of reference `ref` ('CCS-1042', any case) among these, else None."""
        pk = parse_ref(ref)
        return None if pk is None else self.filter(pk=pk).first()

    def get_or_404(self, ref: str) -> Ticket:
        """The ticket of reference `ref` among these: for a page, 404 when it is not one."""
        ticket = self.by_ref(ref)
        if ticket is None:
            raise Http404(f"no ticket {ref}")
        return ticket

    # Prepared (deskside/db.py): the flood caps ask them for every new mail, each from its own
    # index, (contact, received_at) and (organisation, received_at), up to `most` rows.

    def recent_of_contact(
        self, contact_id: int, since: datetime, *, most: int
    ) -> list[tuple[int, str]]:
        """(id, subject) of the contact's tickets received since `since`, oldest first."""
        return _RECENT_OF_CONTACT.all(contact=contact_id, since=since, most=most)

    def count_of_organisation(self, organisation_id: int, since: datetime, *, most: int) -> int:
        """The organisation's tickets received since `since`, counted up to `most`."""
        return int(_OF_ORGANISATION.value(organisation=organisation_id, since=since, most=most))


class Ticket(models.Model):
    objects = TicketQuerySet.as_manager()

    subject = models.CharField(max_length=HEADER_LINE)
    contact = models.ForeignKey(Contact, on_delete=models.PROTECT, related_name="tickets")
    organisation = models.ForeignKey(
        Organisation, null=True, blank=True, on_delete=models.PROTECT, related_name="tickets"
    )
    claimed_severity = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="The level the client gave; kept as given."
    )
    severity = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="The assessed level that sets effort and clocks."
    )
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.NEW)
    close_reason = models.CharField(max_length=30, choices=CloseReason.choices, blank=True)
    milestone = models.CharField(
        max_length=30, choices=Milestone.choices, blank=True, help_text="The last one recorded."
    )
    language = models.CharField(max_length=2, choices=Language.choices, default=Language.EN)
    # The database's default too: the column was added with it (migration 0019).
    door = models.CharField(
        max_length=10, choices=Door.choices, default=Door.MAIL, db_default=Door.MAIL
    )
    received_at = models.DateTimeField(help_text="When the mail arrived in the mailbox.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_tickets",
        # No index of its own: SQLite (without statistics, as Django leaves it) preferred it for
        # `assignee IS NULL` and read the 150,000 unassigned closed tickets of a million. The
        # queue's indexes serve every assignee filter; deleting a user (rare) reads the table.
        db_index=False,
    )
    # Clocks, recomputed by the actions that change them; stored so that the queue and the
    # sweep read an index instead of recomputing business time for every ticket.
    effort_rank = models.PositiveSmallIntegerField(default=NO_EFFORT_RANK)
    first_response_due = models.DateTimeField(null=True, blank=True, db_index=True)
    next_update_due = models.DateTimeField(null=True, blank=True, db_index=True)
    goal_due = models.DateTimeField(null=True, blank=True, db_index=True)
    documentation_due = models.DateTimeField(null=True, blank=True, db_index=True)
    nearest_due = models.DateTimeField(null=True, blank=True)
    # The sweep's bookmark: warnings and breaches up to `clocks_checked_at` are recorded;
    # `next_check_at` is the first threshold after it, so a missed sweep is caught up later.
    next_check_at = models.DateTimeField(null=True, blank=True, db_index=True)
    clocks_checked_at = models.DateTimeField(null=True, blank=True)
    clocks_paused = models.BooleanField(default=False)
    # Open, so in the agents' queue: set by clocks.refresh(), which every action runs before it
    # writes a status (a write that skips it hides an open ticket from the queue). The queue's
    # indexes hold only these rows: a page reads its 51 rows in index order, at any size.
    in_queue = models.BooleanField(default=False)

    class Meta:
        ordering = ["-id"]
        indexes = [
            # The queue's order (see deskside.tickets.queue.QUEUE_ORDER), as an index to walk.
            models.Index(
                F("effort_rank"),
                NO_DUE_TIME,
                F("nearest_due"),
                F("id"),
                name="ticket_queue",
                condition=Q(in_queue=True),
            ),
            # The count per level of the queue's top, from the narrowest index; with the due
            # time, the count of the breached too (SQLite otherwise reads each row for it).
            models.Index(
                fields=["severity", "nearest_due"],
                name="ticket_queue_levels",
                condition=Q(in_queue=True),
            ),
            # Counts per level and the queue's filters, read from these indexes alone; a page of
            # one level and status reads this one in the queue's order.
            models.Index(
                F("severity"),
                F("status"),
                F("effort_rank"),
                NO_DUE_TIME,
                F("nearest_due"),
                F("id"),
                F("assignee"),
                name="ticket_queue_counts",
                condition=Q(in_queue=True),
            ),
            models.Index(
                F("assignee"),
                F("severity"),
                F("status"),
                F("effort_rank"),
                NO_DUE_TIME,
                F("nearest_due"),
                F("id"),
                name="ticket_queue_assignee",
                condition=Q(in_queue=True),
            ),
            # Resolved and closed tickets, newest first, for the queue's status filter: a page
            # walks this index from the end (see deskside.tickets.queue.finished_tickets).
            models.Index(
                fields=["status", "id"],
                name="ticket_finished",
                condition=Q(in_queue=False),
            ),
            # A sender's and an organisation's tickets of the last hour: the caps on floods and
            # the coalescing of repeats (deskside/tickets/floods.py) read these alone.
            models.Index(fields=["contact", "received_at"], name="ticket_contact_recent"),
            models.Index(fields=["organisation", "received_at"], name="ticket_org_recent"),
            # The tickets received in a period, the reports' cohort (deskside/reports/figures.py).
            models.Index(fields=["received_at"], name="ticket_received"),
            # The oldest open tickets, for the reports: a walk of the open ones only, however
            # old the oldest is.
            models.Index(
                fields=["received_at", "id"], name="ticket_open_oldest", condition=Q(in_queue=True)
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(severity__isnull=True)
                | models.Q(severity__gte=1, severity__lte=4),
                name="ticket_severity_1_to_4",
            ),
            models.CheckConstraint(
                condition=~models.Q(status=Status.CLOSED) | ~models.Q(close_reason=""),
                name="closed_ticket_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.ref} {self.subject}"

    # Not a column: the message the last action wrote on this object; see `posted`.
    last_posted: Message | None = None

    @property
    def ref(self) -> str:
        return format_ref(self.pk)

    @property
    def posted(self) -> Message:
        """The message the last action on this object wrote (a reply, the client's mail), for
        the caller that links to it: every action returns the ticket, not the message."""
        if self.last_posted is None:
            raise LookupError(f"No action wrote a message on this object of {self.ref}.")
        return self.last_posted

    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    def is_waiting(self) -> bool:
        return self.status == Status.WAITING_ON_CLIENT

    def has_public_reply(self) -> bool:
        """Whether an agent has answered the client: a reply, proposed steps, a resolution."""
        return self.messages.filter(
            direction=Direction.OUTBOUND, kind__in=PUBLIC_REPLY_KINDS
        ).exists()

    def last_proposal(self) -> Message | None:
        """The last steps support proposed to the client (docs/protocol.md, Cooperation)."""
        proposals = self.messages.filter(direction=Direction.OUTBOUND, kind=MessageKind.PROPOSAL)
        return proposals.order_by("-created_at", "-id").first()


def format_ref(number: int) -> str:
    return f"{settings.DESKSIDE_REF_PREFIX}-{number}"


def parse_ref(text: str) -> int | None:
    """The ticket number in a reference such as 'CCS-1042' (any case), else None."""
    match = re.fullmatch(
        rf"\s*{re.escape(settings.DESKSIDE_REF_PREFIX)}-(\d{{1,18}})\s*", text, re.I
    )
    return int(match.group(1)) if match else None


class MessageManager(models.Manager["Message"]):
    def public_reply_times(self, ticket_id: int) -> list[datetime]:
        """When an agent answered the client (a reply, proposed steps, a resolution), in order.
        Prepared (deskside/db.py): every action on a ticket reads its clocks' history."""
        reply, proposal, resolution = PUBLIC_REPLY_KINDS
        rows = _PUBLIC_REPLY_TIMES.all(
            ticket=ticket_id,
            direction=Direction.OUTBOUND,
            reply=reply,
            proposal=proposal,
            resolution=resolution,
        )
        return [at for (at,) in rows]


class Message(models.Model):
    objects = MessageManager()

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="messages")
    direction = models.CharField(max_length=10, choices=Direction.choices)
    kind = models.CharField(max_length=20, choices=MessageKind.choices)
    sender = models.CharField(max_length=WHO, blank=True, help_text="Address or staff name.")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    subject = models.CharField(max_length=HEADER_LINE, blank=True)
    text = models.TextField(blank=True, help_text="The full text, quotes included.")
    visible_text = models.TextField(blank=True, help_text="The text with quotes folded away.")
    html = models.TextField(blank=True, help_text="Sanitised HTML, for display.")
    message_id = models.CharField(max_length=HEADER_LINE, blank=True, db_index=True)
    in_reply_to = models.CharField(max_length=HEADER_LINE, blank=True)
    created_at = models.DateTimeField(db_index=True)
    authentication = models.CharField(
        max_length=200,
        blank=True,
        help_text="For a mail: what our own mail server's Authentication-Results said "
        "(RFC 8601), e.g. 'spf=pass dkim=pass dmarc=pass'; the desk warns when it failed.",
    )

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.get_direction_display()} {self.subject}"

    def is_public(self) -> bool:
        return self.direction in (Direction.INBOUND, Direction.OUTBOUND)

    def is_public_reply(self) -> bool:
        """An agent's answer to the client, which the clocks count (`public_reply_times`)."""
        return is_public_reply(self.direction, self.kind)


class Attachment(models.Model):
    """A file from a message, stored under a random name in the data directory."""

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="attachments")
    stored_name = models.CharField(max_length=100, unique=True)
    filename = models.CharField(max_length=255)
    content_type = models.CharField(max_length=255)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    content_id = models.CharField(max_length=255, blank=True)

    def __str__(self) -> str:
        return self.filename


class EventManager(models.Manager["Event"]):
    def history_rows(self, ticket_id: int) -> list[tuple[str, datetime, dict[str, Any]]]:
        """(kind, created_at, data) of the ticket's events, in order. Prepared (deskside/db.py):
        every action on a ticket, and every reply the intake files, reads its history."""
        return _HISTORY_ROWS.all(ticket=ticket_id)


class Event(models.Model):
    """The audit trail: one row for every change to a ticket, never edited."""

    objects = EventManager()

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="events")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    actor_label = models.CharField(max_length=WHO, help_text="Who, as shown in the history.")
    kind = models.CharField(max_length=20, choices=EventKind.choices)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} by {self.actor_label}"


class TicketLink(models.Model):
    """`source` relates to `target` as `kind` says: CCS-20 (source) follows CCS-12 (target).
    Both tickets show the link; each has an Event for it."""

    source = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="links_out")
    target = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="links_in")
    kind = models.CharField(max_length=20, choices=LinkKind.choices)
    created_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["source", "target", "kind"], name="ticket_link_once"),
        ]

    def __str__(self) -> str:
        return f"{self.source_id} {self.kind} {self.target_id}"


def links_of(ticket: Ticket) -> tuple[list[TicketLink], list[TicketLink]]:
    """The links from `ticket` (what it follows) and to it (what follows it), in one query, for
    the pages that show both."""
    both = TicketLink.objects.filter(models.Q(source=ticket) | models.Q(target=ticket))
    links = list(both.select_related("source", "target").order_by("created_at", "id"))
    return (
        [link for link in links if link.source_id == ticket.pk],
        [link for link in links if link.target_id == ticket.pk],
    )


_PUBLIC_REPLY_TIMES = Rows(
    Message,
    ("created_at",),
    "{ticket} = %(ticket)s AND {direction} = %(direction)s "
    "AND {kind} IN (%(reply)s, %(proposal)s, %(resolution)s) ORDER BY {created_at}",
    fields=dict.fromkeys(("reply", "proposal", "resolution"), "kind"),
)
_HISTORY_ROWS = Rows(
    Event, ("kind", "created_at", "data"), "{ticket} = %(ticket)s ORDER BY {created_at}, {id}"
)
_RECENT_OF_CONTACT = Rows(
    Ticket,
    ["id", "subject"],
    "{contact} = %(contact)s AND {received_at} >= %(since)s ORDER BY {received_at}, {id} "
    "LIMIT %(most)s",
    fields={"since": "received_at", "most": None},
)
_OF_ORGANISATION = Statement(
    Ticket,
    "SELECT COUNT(*) FROM (SELECT 1 FROM {table} WHERE {organisation} = %(organisation)s "
    "AND {received_at} >= %(since)s LIMIT %(most)s) AS recent",
    fields={"since": "received_at", "most": None},
)
