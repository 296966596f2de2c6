"""Times read in their stored form (deskside/reports/stored.py): the same instants as the ORM
reads, in the same order, on SQLite (text) and on PostgreSQL (microseconds since 1970)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from deskside.reports.stored import as_stored, stored, time_of
from deskside.tickets.models import Ticket
from tests.desk.conftest import open_ticket

pytestmark = pytest.mark.django_db

BRUSSELS = ZoneInfo("Europe/Brussels")
# Around the end of summer time, with and without microseconds: text that sorts by length
# would put 02:00:00 after 02:00:00.5; a wrong offset would move a ticket across midnight.
TIMES = [
    datetime(2026, 10, 25, 1, 59, 59, 999_999, tzinfo=UTC),
    datetime(2026, 10, 25, 2, 0, tzinfo=UTC),
    datetime(2026, 10, 25, 2, 0, 0, 500_000, tzinfo=UTC),
    datetime(2026, 10, 25, 23, 0, tzinfo=BRUSSELS),
    datetime(1999, 12, 31, 23, 59, 59, tzinfo=UTC),
]


def test_stored_times_are_the_instants_in_their_order(people):
    for at in TIMES:
        open_ticket(people, 3, f"[Sev 3] at {at.isoformat()}", received_at=at)
    rows = list(Ticket.objects.order_by("pk").values_list("received_at", stored("received_at")))
    assert [time_of(s) for _, s in rows] == [orm for orm, _ in rows] == TIMES
    read = [s for _, s in rows]
    assert sorted(read) == [as_stored(at) for at in sorted(TIMES)]
    for at in TIMES:  # a bound given in the stored form splits the rows as the instant does
        assert [r < as_stored(at) for r in read] == [t < at for t in TIMES]
        later = at + timedelta(microseconds=1)
        assert [r < as_stored(later) for r in read] == [t < later for t in TIMES]
