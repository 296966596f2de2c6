"""Benchmark: business-time due dates per second, and agreement with the minute-by-minute reference.

Run as `.venv/bin/python bench/clocks.py`; prints one JSON object. Compares our
`Calendar.brussels().add()` with the `businesstimedelta` library doing the same work (09:00-17:00
Monday to Friday, Belgian holidays, Europe/Brussels).
"""

from __future__ import annotations

import contextlib
import json
import random
import statistics
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import businesstimedelta
import holidays
import pytz

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the repository root

from deskside.core.business_time import Calendar
from tests.core.reference_calendar import ReferenceCalendar

TARGET = 100_000  # due dates per second (README.md, Speed)
CASES = 10_000
RUNS = 5
# businesstimedelta manages about 600 due dates a second, so it is timed on the first cases only.
THEIR_TIMED_CASES = 1_000
SEED = 20260401
PROTOCOL_DURATIONS = [timedelta(hours=h) for h in (0.5, 2, 8, 16, 24, 80, 160)]
FIRST = datetime(2026, 1, 1, tzinfo=UTC)
MINUTES_2026_2027 = (datetime(2028, 1, 1, tzinfo=UTC) - FIRST) // timedelta(minutes=1)

Case = tuple[datetime, timedelta]
AddFunction = Callable[[datetime, timedelta], datetime]


def make_cases() -> list[Case]:
    """Whole-minute start times over 2026-2027 (so the reference is exact), protocol durations."""
    rng = random.Random(SEED)
    return [
        (
            FIRST + timedelta(minutes=rng.randrange(MINUTES_2026_2027)),
            rng.choice(PROTOCOL_DURATIONS),
        )
        for _ in range(CASES)
    ]


def businesstimedelta_add() -> AddFunction:
    brussels = pytz.timezone("Europe/Brussels")
    workdays = businesstimedelta.WorkDayRule(
        start_time=datetime.min.time().replace(hour=9),
        end_time=datetime.min.time().replace(hour=17),
        working_days=[0, 1, 2, 3, 4],
        tz=brussels,
    )
    be_holidays = holidays.country_holidays("BE", years=range(2025, 2030))
    rules = businesstimedelta.Rules(
        [workdays, businesstimedelta.HolidayRule(be_holidays, tz=brussels)]
    )

    def add(start: datetime, duration: timedelta) -> datetime:
        result: datetime = start + businesstimedelta.BusinessTimeDelta(rules, timedelta=duration)
        return result

    return add


def due_dates_per_second(add: AddFunction, cases: list[Case], runs: int) -> float:
    """Median over `runs` timed passes over all cases (after a warm-up pass to fill caches)."""
    for start, duration in cases:
        add(start, duration)
    rates = []
    for _ in range(runs):
        began = time.perf_counter()
        for start, duration in cases:
            add(start, duration)
        rates.append(len(cases) / (time.perf_counter() - began))
    return statistics.median(rates)


def agreements(add: AddFunction, expected: list[datetime], cases: list[Case]) -> int:
    agreed = 0
    for (start, duration), due in zip(cases, expected, strict=True):
        with contextlib.suppress(Exception):  # a crash counts as a disagreement
            agreed += add(start, duration) == due
    return agreed


def main() -> None:
    cases = make_cases()
    calendar = Calendar.brussels()
    reference = ReferenceCalendar(calendar)
    expected = [reference.add(start, duration) for start, duration in cases]
    ours = due_dates_per_second(calendar.add, cases, RUNS)
    theirs_add = businesstimedelta_add()
    theirs = due_dates_per_second(theirs_add, cases[:THEIR_TIMED_CASES], RUNS)
    print(
        json.dumps(
            {
                "benchmark": "business-time due dates (Calendar.brussels().add)",
                "cases": CASES,
                "runs": RUNS,
                "durations_hours": [d / timedelta(hours=1) for d in PROTOCOL_DURATIONS],
                "due_dates_per_second": round(ours),
                "businesstimedelta_due_dates_per_second": round(theirs),
                "businesstimedelta_timed_cases": THEIR_TIMED_CASES,
                "speedup_vs_businesstimedelta": round(ours / theirs, 1),
                "target": TARGET,
                "meets_target": ours >= TARGET,
                "agree_with_reference": agreements(calendar.add, expected, cases),
                "businesstimedelta_agree_with_reference": agreements(theirs_add, expected, cases),
            }
        )
    )


if __name__ == "__main__":
    main()
