"""The one thing the reports keep: which organisations get their monthly report by mail."""

from __future__ import annotations

from django.db import models

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

    class Meta:
        indexes = [
            models.Index(fields=["received_at"], name="reports_clock_received"),
            models.Index(fields=["organisation_id", "received_at"], name="reports_clock_org"),
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
        indexes = [models.Index(fields=["end", "start"], name="reports_span_end")]


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
