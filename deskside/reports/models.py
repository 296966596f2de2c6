"""The one thing the reports keep: which organisations get their monthly report by mail."""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from deskside.accounts.models import Contact, Organisation


class MonthlyMail(models.Model):
    """An organisation's monthly report by mail, set by a lead: sent on the first business day
    of each month, about the month before, to the contacts chosen (of that organisation only:
    a contact of another one is never sent it)."""

    organisation = models.OneToOneField(
        Organisation, on_delete=models.CASCADE, related_name="monthly_mail"
    )
    contacts = models.ManyToManyField(
        Contact, related_name="+", help_text="Who gets the mail: contacts of this organisation."
    )
    enabled = models.BooleanField(default=True)
    last_month = models.DateField(
        null=True, blank=True, editable=False, help_text="The first day of the last month sent."
    )

    class Meta:
        verbose_name = "monthly report by mail"
        verbose_name_plural = "monthly reports by mail"

    def __str__(self) -> str:
        return f"Monthly report of {self.organisation}"


class ClockRow(models.Model):
    """The rollup (docs/reports.md, How the figures are kept): one clock of one ticket, judged
    from the ticket's events as they stand after its last action. Its outcome holds at any later
    time but one way: a clock not met whose due time is still ahead is pending until then, and
    becomes `outcome` (breached, or ended if the ticket closed first) once it has passed."""

    ticket = models.ForeignKey("tickets.Ticket", on_delete=models.CASCADE, related_name="+")
    # Copied from the ticket, so that a month's clocks are one index range away.
    received_at = models.DateTimeField()
    organisation_id = models.IntegerField(null=True)
    level = models.PositiveSmallIntegerField()
    clock = models.CharField(max_length=16)
    due = models.DateTimeField(null=True)  # None: paused while the ticket waits on the client
    done_at = models.DateTimeField(null=True)
    elapsed = models.DurationField(null=True)  # business time to done, waits excluded
    outcome = models.CharField(max_length=8)  # once due: met, breached, ended (None due: pending)
    assignee_id = models.IntegerField(null=True)  # the ticket's, who answers for the clock

    class Meta:
        indexes = [
            models.Index(fields=["received_at"], name="reports_clock_received"),
            models.Index(fields=["organisation_id", "received_at"], name="reports_clock_org"),
            # The clocks not met (those of the tickets open now, and those ended or breached
            # without a reply), whose due time may be ahead: read from the index alone for the
            # clocks pending now (facts.clock_counts), a month's range of it.
            models.Index(
                fields=[
                    "received_at",
                    "due",
                    "organisation_id",
                    "level",
                    "clock",
                    "outcome",
                    "assignee_id",
                ],
                condition=Q(done_at__isnull=True),
                name="reports_clock_due_open",
            ),
            # Not partial: SQLite uses a partial index only when the values its condition
            # names are in the query's text, not bound parameters. A month's breaches: a few
            # thousand of its 160,000 clocks at a large desk.
            models.Index(fields=["outcome", "received_at"], name="reports_clock_breached"),
            # The business times ranked for the durations, read from the index alone.
            models.Index(
                fields=["clock", "received_at", "level", "elapsed"], name="reports_clock_elapsed"
            ),
        ]


class SpanRow(models.Model):
    """The rollup's backlog: one time a ticket was new, open or waiting, from its receipt (or a
    reopening) to a close or a resolve (`end` None: open still), judged from its events as the
    clock rows are, with the ticket's level now and organisation beside it: the backlog of a
    period is the spans that cross it, not every ticket's events read again."""

    ticket = models.ForeignKey("tickets.Ticket", on_delete=models.CASCADE, related_name="+")
    organisation_id = models.IntegerField(null=True)
    level = models.PositiveSmallIntegerField(null=True)
    start = models.DateTimeField()
    end = models.DateTimeField(null=True)

    class Meta:
        # A period's spans: those still open and those that ended after its start.
        indexes = [
            models.Index(fields=["end", "start"], name="reports_span_end"),
            models.Index(fields=["start"], name="reports_span_start"),  # today's (days.py)
        ]


class Stale(models.Model):
    """A ticket whose clock rows must be judged again: written by every action, in its
    transaction (deskside/tickets/hooks.py), read and cleared by the next report."""

    ticket_id = models.BigIntegerField()


class RollupState(models.Model):
    """One row: the calendar and targets the clock rows were judged with. A report under
    another policy (a lead changed a target or a closing day) does not use them until
    `deskside backfill_reports` has judged every ticket again."""

    fingerprint = models.CharField(max_length=64)
    # The spans came later than the clock rows: until `deskside backfill_reports` has written
    # every ticket's, the backlog is read from the events.
    spans = models.BooleanField(default=False)
    # So did the rows per ticket and per agent and the sums per day (FactRow, AgentRow,
    # DayFigure, BacklogDay): until then, the lead's page counts the tickets as before.
    facts = models.BooleanField(default=False)


class FactRow(models.Model):
    """The rollup's row per ticket: what the lead's page counts of it, judged when its clock
    rows are (docs/reports.md, How the figures are kept), so that a month's figures are sums
    grouped over a row per ticket rather than its events and replies read and counted again."""

    ticket = models.OneToOneField(
        "tickets.Ticket", primary_key=True, on_delete=models.CASCADE, related_name="+"
    )
    received_at = models.DateTimeField()
    day = models.DateField()  # of receipt, in the calendar's time zone
    organisation_id = models.IntegerField(null=True)
    level = models.PositiveSmallIntegerField(null=True)
    claimed = models.PositiveSmallIntegerField(null=True)
    door = models.CharField(max_length=8)
    closed = models.CharField(max_length=32)  # the reason it is closed for; "" while not closed
    assignee_id = models.IntegerField(null=True)
    # New mail closed at once for want of a level: "no", "invalid" or "ambiguous"; "" if not.
    refused = models.CharField(max_length=16)
    came_back = models.BooleanField()  # given a level by a reply after such a close
    reminders = models.PositiveIntegerField()
    refusals = models.PositiveIntegerField()  # steps the client refused
    # The ticket's clocks as the clock rows hold them (judged after every event): how many of
    # each ended each way. A report turns those not due yet back to pending (rollup.py).
    first_response_met = models.PositiveSmallIntegerField(default=0)
    first_response_breached = models.PositiveSmallIntegerField(default=0)
    first_response_pending = models.PositiveSmallIntegerField(default=0)
    first_response_ended = models.PositiveSmallIntegerField(default=0)
    next_update_met = models.PositiveIntegerField(default=0)
    next_update_breached = models.PositiveIntegerField(default=0)
    next_update_pending = models.PositiveIntegerField(default=0)
    next_update_ended = models.PositiveIntegerField(default=0)
    goal_met = models.PositiveSmallIntegerField(default=0)
    goal_breached = models.PositiveSmallIntegerField(default=0)
    goal_pending = models.PositiveSmallIntegerField(default=0)
    goal_ended = models.PositiveSmallIntegerField(default=0)
    documentation_met = models.PositiveSmallIntegerField(default=0)
    documentation_breached = models.PositiveSmallIntegerField(default=0)
    documentation_pending = models.PositiveSmallIntegerField(default=0)
    documentation_ended = models.PositiveSmallIntegerField(default=0)

    class Meta:
        indexes = [
            models.Index(fields=["received_at"], name="reports_fact_received"),
            models.Index(fields=["organisation_id", "received_at"], name="reports_fact_org"),
        ]


class AgentRow(models.Model):
    """The rollup's row per ticket and agent who handled it (assigned to it now, or replied
    publicly), with the agent's public replies: the page's figures per agent."""

    ticket = models.ForeignKey("tickets.Ticket", on_delete=models.CASCADE, related_name="+")
    agent_id = models.IntegerField()
    replies = models.PositiveIntegerField()
    received_at = models.DateTimeField()
    organisation_id = models.IntegerField(null=True)
    level = models.PositiveSmallIntegerField(null=True)

    class Meta:
        indexes = [
            models.Index(fields=["received_at"], name="reports_agent_received"),
            models.Index(fields=["organisation_id", "received_at"], name="reports_agent_org"),
        ]


class BacklogDay(models.Model):
    """The rollup's backlog by day: how many of the open spans (SpanRow) of the tickets of an
    organisation, or of every one (0), at a level (0: none), began during a day less those that
    ended during it. The backlog at a day's end is the sum of every day's up to it: a few
    hundred rows, where the spans that cross a month are tens of thousands at a large desk.
    Kept by adding a ticket's spans and taking its former ones away when it is judged."""

    day = models.DateField()  # a move at midnight exactly counts for the day that ends then
    organisation_id = models.IntegerField()
    level = models.PositiveSmallIntegerField()
    moves = models.IntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organisation_id", "day", "level"], name="reports_backlog_day"
            )
        ]


class DayFigure(models.Model):
    """The rollup's sums per day, for every organisation (deskside/reports/facts.py): the
    tallies of the tickets received on a day (in the calendar's time zone) at a level (0: none),
    by key. Kept by adding a ticket's tallies and taking its former ones away when it is judged
    again: a month is a few thousand rows where its tickets are tens of thousands."""

    day = models.DateField()
    level = models.PositiveSmallIntegerField()
    figure = models.CharField(max_length=48)
    n = models.BigIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["day", "level", "figure"], name="reports_day_figure")
        ]
