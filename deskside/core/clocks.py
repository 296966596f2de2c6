"""The protocol's clocks: when a ticket's first response, next update, goal and documentation
are due, and why, in sentences a client understands.

Pure Python (no Django): `compute()` takes what happened to a ticket (a `History`) and the
targets per level, and returns a `ClockState` that the tickets app stores on the row and the
sweep reads. Every duration is business time in the given `Calendar`.

A clock of business duration D started at S is due at the instant where D of business time has
run since S, not counting business time spent waiting on the client. Events after `now` are
ignored, so the state can be computed for any moment of the ticket's life.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from deskside.core.business_time import Calendar

__all__ = [
    "DEFAULT_TARGETS",
    "Clock",
    "ClockState",
    "Deadline",
    "History",
    "Targets",
    "compute",
    "duration_words",
    "short_duration",
]

WARN_FRACTION = 0.75  # warnings go out at 75% of a clock (docs/protocol.md, Warnings and breaches)


class Clock(StrEnum):
    """The protocol's four clocks, by one name each: in a Deadline, the history (Event data),
    the ticket's `<clock>_due` column, Targets' fields, the queue and the metrics."""

    FIRST_RESPONSE = "first_response"
    NEXT_UPDATE = "next_update"
    GOAL = "goal"
    DOCUMENTATION = "documentation"

    @property
    def words(self) -> str:
        """As a sentence names it: "next update"."""
        return self.value.replace("_", " ")

    @property
    def due_field(self) -> str:
        """The ticket's column that holds when it is due: "next_update_due"."""
        return f"{self.value}_due"


_HOUR = timedelta(hours=1)
_MINUTE = timedelta(minutes=1)


@dataclass(frozen=True)
class Targets:
    """The business durations of one severity level; None where the level has no such clock."""

    first_response: timedelta | None
    next_update: timedelta | None
    goal: timedelta | None
    documentation: timedelta | None
    goal_milestones: frozenset[str]


DEFAULT_TARGETS: dict[int, Targets] = {
    1: Targets(
        30 * _MINUTE, 2 * _HOUR, 8 * _HOUR, None, frozenset({"solution", "temporary_solution"})
    ),
    2: Targets(2 * _HOUR, 8 * _HOUR, 24 * _HOUR, None, frozenset({"solution", "workaround"})),
    3: Targets(8 * _HOUR, 24 * _HOUR, 80 * _HOUR, None, frozenset({"solution"})),
    4: Targets(16 * _HOUR, None, 80 * _HOUR, 160 * _HOUR, frozenset({"answer", "solution"})),
}


@dataclass(frozen=True)
class History:
    """What happened to a ticket, as far as the clocks care. All datetimes aware."""

    received_at: datetime
    claimed_severity: int
    reassessments: tuple[tuple[datetime, int], ...] = ()
    public_replies: tuple[datetime, ...] = ()
    milestones: tuple[tuple[datetime, str], ...] = ()
    # (started, ended), not overlapping; ended is None while the ticket still waits.
    waiting_periods: tuple[tuple[datetime, datetime | None], ...] = ()
    documentation_done_at: datetime | None = None


@dataclass(frozen=True)
class Deadline:
    """One running clock: the sweep warns at `warn_at` and records a breach at `due`."""

    clock: Clock
    started_at: datetime
    due: datetime
    warn_at: datetime


@dataclass(frozen=True)
class ClockState:
    first_response_due: datetime | None
    next_update_due: datetime | None
    goal_due: datetime | None
    documentation_due: datetime | None
    paused: bool
    explain: tuple[str, ...]
    deadlines: tuple[Deadline, ...]
    next_check_at: datetime | None


@dataclass(frozen=True)
class _Run:
    """A clock worked out against the waiting periods."""

    due: datetime | None  # None while paused
    warn_at: datetime | None
    left: timedelta  # business time left when paused (else the full duration)


def compute(
    history: History, targets: Mapping[int, Targets], calendar: Calendar, now: datetime
) -> ClockState:
    """The clocks of a ticket at `now`."""
    return _Computation(history, targets, calendar, now).state()


class _Computation:
    """One call of `compute()`: the facts it needs, then one method per clock."""

    def __init__(
        self, history: History, targets: Mapping[int, Targets], calendar: Calendar, now: datetime
    ) -> None:
        self.h, self.cal, self.now = history, calendar, now
        self.start = calendar.next_opening(history.received_at)
        self.reassessments = sorted((t, lv) for t, lv in history.reassessments if t <= now)
        self.level = self.reassessments[-1][1] if self.reassessments else history.claimed_severity
        if self.level not in targets:
            raise ValueError(f"no targets for severity level {self.level}")
        self.targets = targets[self.level]
        self.replies = sorted(t for t in history.public_replies if t <= now)
        self.goal_met_at = min(
            (
                t
                for t, name in history.milestones
                if t <= now and name in self.targets.goal_milestones
            ),
            default=None,
        )
        self.waits = _waits_until(history.waiting_periods, now)
        self.paused_since = next((s for s, e in self.waits if e is None), None)
        self.paused = self.paused_since is not None
        self.deadlines: list[Deadline] = []
        self.sentences: list[str] = []
        self.left_when_paused: list[str] = []

    def state(self) -> ClockState:
        first = self._first_response()
        self._reassessment_sentences()
        self._wait_sentences()
        update = self._next_update()
        goal = self._goal()
        documentation = self._documentation()
        if self.paused:
            self._paused_sentence()
        later = [t for d in self.deadlines for t in (d.warn_at, d.due) if t > self.now]
        return ClockState(
            first_response_due=first,
            next_update_due=update,
            goal_due=goal,
            documentation_due=documentation,
            paused=self.paused,
            explain=tuple(self.sentences),
            deadlines=tuple(self.deadlines),
            next_check_at=min(later, default=None),
        )

    # -- the four clocks -------------------------------------------------------------------

    def _first_response(self) -> datetime | None:
        target = self.targets.first_response
        received = f"Received {self._when(self.h.received_at)}{self._receipt_note()}"
        if target is None:
            self.sentences.append(f"{received}.")
            return None
        promise = f"{received}; first response within {duration_words(target)}"
        if self.replies:
            first = self.replies[0]
            self.sentences.append(
                f"{promise}, given {self._when(first)}{self._met(target, first)}."
            )
            return None
        return self._running(
            Clock.FIRST_RESPONSE, "the first response", self.start, target, promise
        )

    def _next_update(self) -> datetime | None:
        target = self.targets.next_update
        if target is None or not self.replies or self.goal_met_at is not None:
            return None  # no update clock before the first response, nor after the goal
        last = self.replies[-1]
        promise = (
            f"Last public reply {self._when(last)}; next update within {duration_words(target)}"
        )
        return self._running(Clock.NEXT_UPDATE, "the next update", last, target, promise)

    def _goal(self) -> datetime | None:
        target = self.targets.goal
        if target is None:
            return None
        goal = _goal_words(self.targets.goal_milestones)
        promise = f"Goal: {goal} within {duration_words(target)} of the start"
        if self.goal_met_at is not None:
            met_at = self.goal_met_at
            self.sentences.append(
                f"{promise}; recorded {self._when(met_at)}{self._met(target, met_at)}, "
                "so the update clock stops."
            )
            return None
        return self._running(Clock.GOAL, "the goal", self.start, target, promise)

    def _documentation(self) -> datetime | None:
        target = self.targets.documentation
        done = self.h.documentation_done_at
        if target is None:
            return None
        promise = f"Documentation corrected within {duration_words(target)} of the start"
        if done is not None and done <= self.now:
            self.sentences.append(
                f"{promise}; corrected {self._when(done)}{self._met(target, done)}."
            )
            return None
        return self._running(Clock.DOCUMENTATION, "the documentation", self.start, target, promise)

    # -- shared steps ----------------------------------------------------------------------

    def _running(
        self, clock: Clock, name: str, started: datetime, target: timedelta, promise: str
    ) -> datetime | None:
        """Record a clock that is not met yet: its deadline, or what is left when paused."""
        run = self._run(started, target, self.waits)
        if run.due is None or run.warn_at is None:
            self.sentences.append(f"{promise}.")
            left = f"{short_duration(run.left)} left" if run.left else "already overdue"
            self.left_when_paused.append(f"{left} on {name}")
            return None
        overdue = " (overdue)" if run.due <= self.now else ""
        self.sentences.append(f"{promise} → {self._when(run.due)}{overdue}.")
        self.deadlines.append(Deadline(clock, started, run.due, run.warn_at))
        return run.due

    def _run(
        self, started: datetime, target: timedelta, waits: list[tuple[datetime, datetime | None]]
    ) -> _Run:
        warn = _due_after_waits(self.cal, started, target * WARN_FRACTION, waits)
        due = _due_after_waits(self.cal, started, target, waits)
        if isinstance(due, timedelta):
            warn_at = None if isinstance(warn, timedelta) else warn
            return _Run(None, warn_at, due)
        return _Run(due, warn if isinstance(warn, datetime) else None, target)

    def _met(self, target: timedelta, event: datetime) -> str:
        """' (in time)' or how late, for a clock from the start that `event` stopped."""
        # Only the waits up to the event count: a later wait cannot excuse a late reply.
        run = self._run(self.start, target, _waits_until(self.h.waiting_periods, event))
        if run.due is None or event <= run.due:
            return " (in time)"  # answered while paused, or before the due time
        return f" ({short_duration(self.cal.between(run.due, event))} late)"

    def _receipt_note(self) -> str:
        received = self.h.received_at
        if not self.cal.is_open(received):
            return f", outside opening hours: the clocks start at {self._when(self.start)}"
        to_close = self.cal.next_closing(received) - received
        first = self.targets.first_response
        if first is not None and to_close < first:
            return f", {short_duration(to_close)} before closing"
        return ""

    def _reassessment_sentences(self) -> None:
        previous = self.h.claimed_severity
        for at, level in self.reassessments:
            self.sentences.append(
                f"Reassessed from level {previous} to level {level} on {self._when(at)}: "
                f"clocks follow level {level} from the original receipt."
            )
            previous = level

    def _wait_sentences(self) -> None:
        for started, ended in self.waits:
            if ended is not None:
                spent = self.cal.between(started, ended)
                self.sentences.append(
                    f"Waited on the client from {self._when(started)} to {self._when(ended)}: "
                    f"clocks paused for {short_duration(spent)} of business time, then resumed."
                )

    def _paused_sentence(self) -> None:
        assert self.paused_since is not None
        since = self._when(self.paused_since)
        left = _and_join(self.left_when_paused) or "no clock running"
        self.sentences.append(f"Waiting on the client since {since}: clocks paused with {left}.")

    def _when(self, t: datetime) -> str:
        return when_words(t.astimezone(self.cal.tz), self.now.astimezone(self.cal.tz).year)


def _waits_until(
    periods: tuple[tuple[datetime, datetime | None], ...], now: datetime
) -> list[tuple[datetime, datetime | None]]:
    """Waiting periods as seen at `now`, in order; one still going at `now` ends in None."""
    seen = []
    for started, ended in sorted(periods, key=lambda p: p[0]):
        if started <= now:
            seen.append((started, None if ended is None or ended > now else ended))
    return seen


def _due_after_waits(
    cal: Calendar,
    started: datetime,
    target: timedelta,
    waits: list[tuple[datetime, datetime | None]],
) -> datetime | timedelta:
    """When a clock is due, each wait pushing it later; or, while paused, the time left."""
    due = cal.add(started, target)
    for wait_start, wait_end in waits:
        stopped_at = max(wait_start, started)
        if wait_end is None:  # paused now; nothing left if it ran out before the wait began
            return max(cal.between(stopped_at, due), timedelta(0))
        if wait_start < due and wait_end > stopped_at:
            due = cal.add(wait_end, cal.between(stopped_at, due))  # resume where it stopped
    return due


# -- words -----------------------------------------------------------------------------------

_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_MILESTONE_WORDS = {
    "solution": "solution",
    "temporary_solution": "temporary solution",
    "workaround": "workaround",
    "answer": "answer",
}
_MILESTONE_ORDER = ("answer", "solution", "temporary_solution", "workaround")


def when_words(local: datetime, this_year: int) -> str:
    """'Fri 27 Nov 16:45', with the year only when it is not `this_year`."""
    year = "" if local.year == this_year else f" {local.year}"
    day = f"{_WEEKDAYS[local.weekday()]} {local.day} {_MONTHS[local.month - 1]}{year}"
    return f"{day} {local:%H:%M}"


def duration_words(duration: timedelta) -> str:
    """A target in words: '30 business minutes', '2 business hours', '1 h 30 min'."""
    minutes = round(duration / _MINUTE)
    if minutes % 60 == 0:
        hours = minutes // 60
        return f"{hours} business hour{'' if hours == 1 else 's'}"
    if minutes < 60:
        return f"{minutes} business minute{'' if minutes == 1 else 's'}"
    return f"{short_duration(duration)} of business time"


def short_duration(duration: timedelta) -> str:
    """'1 h 20 min', '45 min', '3 h'; rounded to the minute, never shown as 0 when not zero."""
    minutes = round(duration / _MINUTE)
    if minutes == 0 and duration > timedelta(0):
        return "under 1 min"
    hours, minutes = divmod(minutes, 60)
    if hours and minutes:
        return f"{hours} h {minutes} min"
    return f"{hours} h" if hours else f"{minutes} min"


def _goal_words(milestones: frozenset[str]) -> str:
    known = [m for m in _MILESTONE_ORDER if m in milestones]
    other = sorted(milestones - set(known))
    return _or_join([_MILESTONE_WORDS.get(m, m.replace("_", " ")) for m in known + other])


def _or_join(words: list[str]) -> str:
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} or {words[-1]}"


def _and_join(words: list[str]) -> str:
    if len(words) <= 1:
        return "".join(words)
    return f"{', '.join(words[:-1])} and {words[-1]}"
