"""The protocol's editable data: severity levels with their clocks, and the business calendar."""

from __future__ import annotations

from datetime import time, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.core.exceptions import ValidationError
from django.db import models

from deskside.core.clocks import Clock
from deskside.tickets.models.choices import EFFORT_RANK, Effort, Milestone

BUSINESS_DAY = timedelta(hours=8)  # the Brussels opening hours of one day, 09:00-17:00


class SeverityLevel(models.Model):
    """One row per level 1-4 (docs/protocol.md, The four levels; Effort and clocks); a lead may
    edit texts and clocks."""

    level = models.PositiveSmallIntegerField(unique=True)
    effort = models.CharField(max_length=10, choices=Effort.choices)
    name_en = models.CharField(max_length=60)
    name_nl = models.CharField(max_length=60)
    name_fr = models.CharField(max_length=60)
    name_de = models.CharField(max_length=60)
    definition_en = models.TextField()
    definition_nl = models.TextField()
    definition_fr = models.TextField()
    definition_de = models.TextField()
    first_response = models.DurationField(help_text="Business time to the first public reply.")
    update_interval = models.DurationField(
        null=True, blank=True, help_text="Business time between updates; empty for none."
    )
    goal = models.DurationField(help_text="Business time to the goal milestone.")
    goal_milestones = models.JSONField(
        default=list, help_text='Milestones that meet the goal, e.g. ["solution"].'
    )
    documentation = models.DurationField(
        null=True, blank=True, help_text="Business time to correct the documentation (level 4)."
    )

    # Cooperation (docs/protocol.md, Cooperation): while a ticket waits on the client, reminders and
    # the automatic close come after these periods of silence, in business time. A business day is
    # the calendar's opening hours of a day: 8 h in Brussels, so 2/4/5 business days = 16/32/40 h.
    reminder_first_after = models.DurationField(
        default=2 * BUSINESS_DAY,
        help_text="Business time of silence before the first reminder (2 days = 16:00:00).",
    )
    reminder_second_after = models.DurationField(
        default=4 * BUSINESS_DAY,
        help_text="Business time of silence before the second reminder (4 days = 32:00:00).",
    )
    close_after = models.DurationField(
        default=5 * BUSINESS_DAY,
        help_text="Business time of silence before closing as client unavailable (5 days).",
    )

    # A client's reply to a ticket closed for another reason than its severity reopens it within
    # this business time of the close; later, it opens a new ticket that follows the old one.
    reopen_within = models.DurationField(
        default=10 * BUSINESS_DAY,
        help_text="Business time after a close in which a client's reply reopens the ticket "
        "(10 days = 80:00:00); later, the reply opens a new, linked ticket.",
    )

    class Meta:
        ordering = ["level"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(level__gte=1, level__lte=4), name="severity_level_1_to_4"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.level} — {self.name_en}"

    @property
    def effort_rank(self) -> int:
        return EFFORT_RANK[Effort(self.effort)]

    def name_in(self, language: str) -> str:
        return str(getattr(self, f"name_{language}", self.name_en))

    def definition_in(self, language: str) -> str:
        return str(getattr(self, f"definition_{language}", self.definition_en))

    def clean(self) -> None:
        errors: dict[str, str] = {}
        unknown = _unknown_milestones(self.goal_milestones)
        if unknown is not None:
            errors["goal_milestones"] = unknown
        periods = self.cooperation_periods()
        if all(p is not None and p > timedelta(0) for p in periods) and not (
            periods[0] < periods[1] < periods[2]
        ):
            errors["reminder_second_after"] = (
                "The reminders and the close come one after the other: "
                "first reminder < second reminder < close."
            )
        if errors:
            raise ValidationError(errors)

    def cooperation_periods(self) -> tuple[timedelta, timedelta, timedelta]:
        """Silence before the first reminder, the second, and the automatic close."""
        return (self.reminder_first_after, self.reminder_second_after, self.close_after)

    def clock_targets(self) -> dict[Clock, timedelta | None]:
        return {
            Clock.FIRST_RESPONSE: self.first_response,
            Clock.NEXT_UPDATE: self.update_interval,
            Clock.GOAL: self.goal,
            Clock.DOCUMENTATION: self.documentation,
        }


def _unknown_milestones(milestones: object) -> str | None:
    """Why these goal milestones would make the goal unreachable, or None when they are fine."""
    known = ", ".join(Milestone.values)
    if not isinstance(milestones, list) or not milestones:
        return f"Choose at least one milestone that meets the goal: {known}."
    unknown = [m for m in milestones if m not in Milestone.values]
    if unknown:
        return f"{', '.join(map(str, unknown))}: not a milestone (known: {known})."
    return None


def default_opening_hours() -> list[list[object]]:
    return [[day, "09:00", "17:00"] for day in range(5)]


class BusinessCalendar(models.Model):
    """When clocks run. Opening hours are [weekday (Mon=0), "HH:MM", "HH:MM"] rows."""

    name = models.CharField(max_length=100, unique=True)
    timezone = models.CharField(max_length=64, default="Europe/Brussels")
    opening_hours = models.JSONField(default=default_opening_hours)
    holiday_country = models.CharField(
        max_length=2, blank=True, default="BE", help_text="Public holidays of this country."
    )
    is_default = models.BooleanField(default=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["is_default"],
                condition=models.Q(is_default=True),
                name="one_default_calendar",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        errors = opening_hours_errors(self.opening_hours)
        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            errors["timezone"] = f"{self.timezone!r} is not a time zone name, e.g. Europe/Brussels."
        if errors:
            raise ValidationError(errors)


_WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def opening_hours_errors(rows: object) -> dict[str, str]:
    """What is wrong with opening hours rows [weekday (Mon=0), "HH:MM", "HH:MM"]: a row that
    is not one, a start not before its end, or two periods of one day that overlap."""
    example = 'e.g. [[0, "09:00", "17:00"], [1, "09:00", "12:00"], [1, "13:00", "17:00"]]'
    if not isinstance(rows, list):
        return {"opening_hours": f"Give a list of [weekday, start, end] rows, {example}."}
    periods: list[tuple[int, time, time]] = []
    for row in rows:
        if not (isinstance(row, list) and len(row) == 3 and row[0] in range(7)):
            return {"opening_hours": f"{row!r}: each row is [weekday 0-6, start, end], {example}."}
        try:
            start, end = time.fromisoformat(row[1]), time.fromisoformat(row[2])
        except (TypeError, ValueError):
            return {"opening_hours": f"{row!r}: times are HH:MM, {example}."}
        if start >= end:
            return {"opening_hours": f"{row!r}: the start must be before the end."}
        periods.append((row[0], start, end))
    overlap = _overlap(periods)
    return {"opening_hours": overlap} if overlap else {}


def _overlap(periods: list[tuple[int, time, time]]) -> str | None:
    """The sentence naming two periods of one weekday that overlap, or None: each hour of the
    week is given once, so that the clocks never count an hour twice."""
    for (day, start, end), (next_day, next_start, next_end) in pairwise(sorted(periods)):
        if day == next_day and next_start < end:
            return (
                f"On {_WEEKDAY_NAMES[day]}, {start:%H:%M}–{end:%H:%M} and "
                f"{next_start:%H:%M}–{next_end:%H:%M} overlap: give each hour once."
            )
    return None


class ClosingDate(models.Model):
    """A day the desk is closed beyond the public holidays (a company holiday, a bridge day)."""

    calendar = models.ForeignKey(
        BusinessCalendar, on_delete=models.CASCADE, related_name="closing_dates"
    )
    date = models.DateField()
    reason = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["date"]
        constraints = [
            models.UniqueConstraint(fields=["calendar", "date"], name="closing_date_once"),
        ]

    def __str__(self) -> str:
        return f"{self.date} {self.reason}".strip()


class PublicHoliday(models.Model):
    """A public holiday of a country, as the clocks read it.

    Seeded for Belgium 2000-2100 from the `holidays` package (migration 0007), so that no process
    has to load that package, and editable: a lead can add a holiday a new law brings before the
    package knows it. A year with no row here falls back to the package.
    """

    country = models.CharField(max_length=2, help_text="ISO 3166 code, e.g. BE.")
    date = models.DateField()
    name = models.CharField(max_length=100, blank=True)

    class Meta:
        ordering = ["country", "date"]
        constraints = [
            models.UniqueConstraint(fields=["country", "date"], name="public_holiday_once"),
        ]

    def __str__(self) -> str:
        return f"{self.country} {self.date} {self.name}".strip()
