"""The protocol's clocks, rule by rule, with concrete Brussels dates (late 2026)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from deskside.core.business_time import Calendar
from deskside.core.clocks import (
    DEFAULT_TARGETS,
    ClockState,
    History,
    compute,
    duration_words,
    short_duration,
)

BRUSSELS = ZoneInfo("Europe/Brussels")
CAL = Calendar.brussels()
MIN = timedelta(minutes=1)
HOUR = timedelta(hours=1)


def bxl(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0
) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=BRUSSELS)


def clocks(history: History, now: datetime) -> ClockState:
    return compute(history, DEFAULT_TARGETS, CAL, now)


def test_received_shortly_before_closing_on_friday():
    state = clocks(History(bxl(2026, 11, 27, 16, 45), 1), now=bxl(2026, 11, 27, 16, 50))
    assert state.first_response_due == bxl(2026, 11, 30, 9, 15)
    assert state.goal_due == bxl(2026, 11, 30, 16, 45)
    assert state.next_update_due is None  # no update clock before the first response
    assert state.explain[0] == (
        "Received Fri 27 Nov 16:45, 15 min before closing; "
        "first response within 30 business minutes → Mon 30 Nov 09:15."
    )
    first = state.deadlines[0]
    assert (first.clock, first.started_at, first.due) == (
        "first_response",
        bxl(2026, 11, 27, 16, 45),
        bxl(2026, 11, 30, 9, 15),
    )
    assert first.warn_at == bxl(2026, 11, 30, 9, 7, 30)  # 75% of 30 minutes
    assert state.next_check_at == first.warn_at


def test_received_out_of_hours_starts_at_the_next_opening():
    state = clocks(History(bxl(2026, 11, 28, 11, 0), 2), now=bxl(2026, 11, 28, 11, 0))
    assert state.first_response_due == bxl(2026, 11, 30, 11, 0)
    assert state.goal_due == bxl(2026, 12, 2, 17, 0)
    assert "outside opening hours: the clocks start at Mon 30 Nov 09:00" in state.explain[0]
    assert all(d.started_at == bxl(2026, 11, 30, 9, 0) for d in state.deadlines)


def test_received_before_a_holiday():
    # Tuesday 10 November 16:00; Wednesday 11 November is Armistice Day.
    state = clocks(History(bxl(2026, 11, 10, 16, 0), 2), now=bxl(2026, 11, 10, 16, 0))
    assert state.first_response_due == bxl(2026, 11, 12, 10, 0)
    assert state.goal_due == bxl(2026, 11, 16, 16, 0)


def test_clock_across_the_dst_change():
    state = clocks(History(bxl(2026, 10, 23, 15, 0), 3), now=bxl(2026, 10, 23, 15, 0))
    assert state.first_response_due == bxl(2026, 10, 26, 15, 0)
    assert state.first_response_due.utcoffset() == HOUR  # winter time after 25 October


def test_first_public_reply_meets_the_first_response_and_starts_the_update_clock():
    history = History(
        bxl(2026, 12, 1, 10, 0),
        1,
        public_replies=(bxl(2026, 12, 1, 10, 20), bxl(2026, 12, 1, 11, 0)),
    )
    state = clocks(history, now=bxl(2026, 12, 1, 11, 30))
    assert state.first_response_due is None
    assert state.next_update_due == bxl(2026, 12, 1, 13, 0)  # 2 h after the latest reply
    assert (
        "first response within 30 business minutes, given Tue 1 Dec 10:20 (in time)"
        in (state.explain[0])
    )
    assert {d.clock for d in state.deadlines} == {"next_update", "goal"}


def test_late_first_response_says_how_late():
    history = History(bxl(2026, 12, 1, 10, 0), 1, public_replies=(bxl(2026, 12, 1, 11, 50),))
    state = clocks(history, now=bxl(2026, 12, 1, 12, 0))
    assert "given Tue 1 Dec 11:50 (1 h 20 min late)" in state.explain[0]


def test_breached_clock_stays_running_and_is_marked_overdue():
    state = clocks(History(bxl(2026, 12, 1, 10, 0), 1), now=bxl(2026, 12, 1, 11, 0))
    assert state.first_response_due == bxl(2026, 12, 1, 10, 30)
    assert "(overdue)" in state.explain[0]
    assert state.next_check_at == bxl(2026, 12, 1, 16, 0)  # the goal's warning


def test_pause_then_resume_pushes_every_clock_by_the_business_time_waited():
    received = bxl(2026, 12, 1, 10, 0)
    waited = (bxl(2026, 12, 1, 10, 10), bxl(2026, 12, 2, 10, 0))  # 6 h 50 + 1 h of business
    history = History(received, 1, waiting_periods=(waited,))
    state = clocks(history, now=bxl(2026, 12, 2, 10, 5))
    assert state.paused is False
    assert state.first_response_due == bxl(2026, 12, 2, 10, 20)  # 20 min left at the pause
    assert state.goal_due == bxl(2026, 12, 3, 9, 50)  # 7 h 50 min left at the pause
    assert any("clocks paused for 7 h 50 min of business time" in s for s in state.explain)


def test_waiting_now_pauses_the_clocks_and_says_what_is_left():
    history = History(bxl(2026, 12, 1, 9, 0), 1, waiting_periods=((bxl(2026, 12, 1, 9, 10), None),))
    state = clocks(history, now=bxl(2026, 12, 3, 9, 0))
    assert state.paused is True
    assert state.first_response_due is None and state.goal_due is None
    assert state.deadlines == () and state.next_check_at is None
    assert state.explain[-1] == (
        "Waiting on the client since Tue 1 Dec 09:10: clocks paused with 20 min left on "
        "the first response and 7 h 50 min left on the goal."
    )


def test_wait_that_began_after_a_breach_keeps_the_breach():
    history = History(
        bxl(2026, 12, 1, 9, 0),
        1,
        waiting_periods=((bxl(2026, 12, 1, 10, 0), bxl(2026, 12, 1, 11, 0)),),
    )
    state = clocks(history, now=bxl(2026, 12, 1, 11, 0))
    assert state.first_response_due == bxl(2026, 12, 1, 9, 30)  # not pushed: already run out
    assert state.goal_due == bxl(2026, 12, 2, 10, 0)  # 17:00 pushed by the hour waited


def test_reassessment_from_3_to_1_counts_level_1_from_the_original_receipt():
    history = History(bxl(2026, 12, 1, 10, 0), 3, reassessments=((bxl(2026, 12, 1, 10, 15), 1),))
    before = clocks(history, now=bxl(2026, 12, 1, 10, 10))
    assert before.first_response_due == bxl(2026, 12, 2, 10, 0)  # level 3: 8 h
    after = clocks(history, now=bxl(2026, 12, 1, 10, 20))
    assert after.first_response_due == bxl(2026, 12, 1, 10, 30)
    assert after.goal_due == bxl(2026, 12, 2, 10, 0)
    assert (
        "Reassessed from level 3 to level 1 on Tue 1 Dec 10:15: "
        "clocks follow level 1 from the original receipt."
    ) in after.explain


def test_level_4_has_documentation_clock_and_no_update_clock():
    received = bxl(2026, 11, 30, 9, 0)
    history = History(received, 4, public_replies=(bxl(2026, 11, 30, 10, 0),))
    state = clocks(history, now=bxl(2026, 11, 30, 10, 0))
    assert state.next_update_due is None
    assert state.goal_due == bxl(2026, 12, 11, 17, 0)  # 80 h = 10 business days
    # 160 h = 20 business days, skipping Christmas Day.
    assert state.documentation_due == bxl(2026, 12, 28, 17, 0)
    assert "Documentation corrected within 160 business hours" in state.explain[-1]
    done = History(received, 4, documentation_done_at=bxl(2026, 12, 4, 12, 0))
    assert clocks(done, now=bxl(2026, 12, 4, 13, 0)).documentation_due is None


def test_answer_meets_the_level_4_goal():
    history = History(bxl(2026, 11, 30, 9, 0), 4, milestones=((bxl(2026, 12, 1, 9, 0), "answer"),))
    state = clocks(history, now=bxl(2026, 12, 1, 10, 0))
    assert state.goal_due is None
    assert state.documentation_due is not None


def test_goal_met_stops_the_update_clock():
    history = History(
        bxl(2026, 12, 1, 9, 0),
        2,
        public_replies=(bxl(2026, 12, 1, 9, 30),),
        milestones=((bxl(2026, 12, 1, 12, 0), "workaround"),),
    )
    before = clocks(history, now=bxl(2026, 12, 1, 11, 0))
    assert before.next_update_due == bxl(2026, 12, 2, 9, 30)
    after = clocks(history, now=bxl(2026, 12, 1, 12, 0))
    assert after.next_update_due is None and after.goal_due is None
    assert any("so the update clock stops" in s for s in after.explain)


def test_milestone_of_another_level_does_not_meet_the_goal():
    history = History(
        bxl(2026, 12, 1, 9, 0), 3, milestones=((bxl(2026, 12, 1, 12, 0), "workaround"),)
    )
    assert clocks(history, now=bxl(2026, 12, 1, 13, 0)).goal_due is not None


def test_duration_words():
    assert duration_words(30 * MIN) == "30 business minutes"
    assert duration_words(2 * HOUR) == "2 business hours"
    assert duration_words(HOUR) == "1 business hour"
    assert duration_words(80 * MIN) == "1 h 20 min of business time"
    assert short_duration(80 * MIN) == "1 h 20 min"
    assert short_duration(3 * HOUR) == "3 h"
    assert short_duration(timedelta(seconds=10)) == "under 1 min"


# -- properties -------------------------------------------------------------------------------

moments = st.integers(0, 2 * 365 * 24 * 60).map(
    lambda m: datetime(2026, 1, 1, tzinfo=UTC) + m * MIN
)
gaps = st.integers(0, 14 * 24 * 60).map(lambda m: m * MIN)


@settings(max_examples=300, derandomize=True, database=None, deadline=None,
          suppress_health_check=[HealthCheck.too_slow])  # fmt: skip
@given(moments, st.sampled_from([1, 2, 3, 4]), gaps, gaps, gaps, gaps)
def test_pausing_never_makes_a_due_time_earlier(received, level, to_wait, wait, to_reply, later):
    wait_start = received + to_wait
    reply = received + to_reply
    now = wait_start + wait + later
    plain = History(received, level, public_replies=(reply,))
    waited = History(
        received, level, public_replies=(reply,), waiting_periods=((wait_start, wait_start + wait),)
    )
    a, b = clocks(plain, now), clocks(waited, now)
    for name in ("first_response_due", "next_update_due", "goal_due", "documentation_due"):
        before, after = getattr(a, name), getattr(b, name)
        assert (before is None) == (after is None)
        assert before is None or after >= before


@settings(max_examples=300, derandomize=True, database=None, deadline=None,
          suppress_health_check=[HealthCheck.too_slow])  # fmt: skip
@given(moments, st.sampled_from([1, 2, 3, 4]), gaps, gaps, gaps)
def test_due_times_are_in_opening_hours_or_at_a_closing(received, level, to_wait, wait, later):
    wait_start = received + to_wait
    history = History(received, level, waiting_periods=((wait_start, wait_start + wait),))
    state = clocks(history, now=wait_start + wait + later)
    for deadline in state.deadlines:
        # A due time lies in (opening, closing]: open just before it.
        assert CAL.is_open(deadline.due - timedelta(microseconds=1))
        assert deadline.started_at <= deadline.warn_at <= deadline.due
    if state.next_check_at is not None:
        assert state.next_check_at > wait_start + wait + later
