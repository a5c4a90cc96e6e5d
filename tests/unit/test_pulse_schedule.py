"""The pulse schedule: cadence, DST both ways, late opens, manual opens, validation."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.errors import UserError
from bot.pulse.schedule import (
    PulseSchedule,
    due_window,
    latest_at_or_before,
    make_schedule,
    manual_window,
    next_after,
    window_for,
)

NY = "America/New_York"
START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def test_make_schedule_anchors_on_the_next_weekday_after_now() -> None:
    plan = make_schedule(NY, 2, "tue", "9am", 5, now=START)  # Monday 04:00 in New York
    assert plan.anchor == date(2026, 3, 3)
    assert plan.local_time == time(9, 0)
    monday = make_schedule(NY, 4, "monday", "03:00", 3, now=START)  # 03:00 already passed
    assert monday.anchor == date(2026, 3, 9)


@pytest.mark.parametrize(
    ("args", "problem"),
    [
        ((NY, 3, "mon", "09:00", 5), "every 2 or every 4 weeks"),
        ((NY, 2, "mon", "09:00", 15), "1 to 14 days"),
        ((NY, 4, "mon", "09:00", 0), "1 to 28 days"),
        ((NY, 2, "someday", "09:00", 5), "weekday"),
        ((NY, 2, "mon", "9", 5), "time of day"),
        (("Mars/Olympus", 2, "mon", "09:00", 5), "time zone"),
    ],
)
def test_bad_input_is_a_plain_sentence(args: tuple[str, int, str, str, int], problem: str) -> None:
    with pytest.raises(UserError, match=problem):
        make_schedule(*args, now=START)


def test_spring_forward_moves_a_missing_time_to_the_next_valid_minute() -> None:
    plan = PulseSchedule(NY, 2, 6, time(2, 30), 3, date(2026, 3, 8))  # DST starts 02:00
    window = window_for(plan, date(2026, 3, 8))
    assert window.opens_at == datetime(2026, 3, 8, 7, 0, tzinfo=UTC)  # 03:00 EDT
    assert window.closes_at == datetime(2026, 3, 11, 6, 30, tzinfo=UTC)  # 02:30 EDT


def test_fall_back_takes_the_first_of_an_ambiguous_time() -> None:
    plan = PulseSchedule(NY, 2, 6, time(1, 30), 2, date(2026, 11, 1))
    window = window_for(plan, date(2026, 11, 1))
    assert window.opens_at == datetime(2026, 11, 1, 5, 30, tzinfo=UTC)  # 01:30 EDT, not EST
    assert window.closes_at == datetime(2026, 11, 3, 6, 30, tzinfo=UTC)  # 01:30 EST


def test_cadence_and_late_open() -> None:
    plan = PulseSchedule(NY, 2, 0, time(9, 0), 4, date(2026, 3, 2))
    first = window_for(plan, date(2026, 3, 2))
    assert next_after(plan, START).period_start == date(2026, 3, 2)
    assert next_after(plan, first.opens_at).period_start == date(2026, 3, 16)
    assert due_window(plan, first.opens_at - timedelta(minutes=1)) is None
    assert due_window(plan, first.opens_at) == first
    assert due_window(plan, first.opens_at + timedelta(days=2)) == first  # half remains
    assert due_window(plan, first.opens_at + timedelta(days=2, minutes=1)) is None
    assert due_window(plan, first.opens_at + timedelta(days=10)) is None
    assert latest_at_or_before(plan, first.opens_at - timedelta(days=1)) is None


def test_manual_window_starts_today_with_the_usual_length() -> None:
    plan = PulseSchedule(NY, 2, 2, time(9, 0), 5, date(2026, 3, 4))
    window = manual_window(plan, NY, START)
    assert window.period_start == date(2026, 3, 2)  # 04:00 Monday in New York
    assert window.opens_at == START
    assert window.closes_at == START + timedelta(days=5)
    assert window.opens_at < window.reminder_at < window.closes_at
    assert manual_window(None, "UTC", START).closes_at == START + timedelta(days=5)


ZONES = ["America/New_York", "Europe/London", "Australia/Sydney", "America/Santiago", "UTC"]


@settings(max_examples=200, deadline=None)
@given(
    zone=st.sampled_from(ZONES),
    every=st.sampled_from([2, 4]),
    weekday=st.integers(0, 6),
    at=st.times().map(lambda t: t.replace(second=0, microsecond=0)),
    days_open=st.integers(1, 28),
    first=st.dates(date(2025, 1, 1), date(2030, 12, 31)),
)
def test_every_occurrence_is_dst_correct(
    *, zone: str, every: int, weekday: int, at: time, days_open: int, first: date
) -> None:
    days_open = min(days_open, every * 7)
    anchor = first + timedelta(days=(weekday - first.weekday()) % 7)
    plan = PulseSchedule(zone, every, weekday, at, days_open, anchor)
    tz = ZoneInfo(zone)
    previous = None
    for index in range(8):
        period = anchor + timedelta(weeks=every * index)
        window = window_for(plan, period)
        local = window.opens_at.astimezone(tz)
        wall = datetime.combine(period, at)
        if local.replace(tzinfo=None) != wall:  # only in a gap: the next valid minute
            assert local.replace(tzinfo=None) > wall
            assert local.replace(tzinfo=None) - wall <= timedelta(hours=2)
            gap = wall.replace(tzinfo=tz)
            assert gap.astimezone(UTC).astimezone(tz).replace(tzinfo=None) != wall
        else:  # an ambiguous time takes the first: the earlier UTC instant
            assert window.opens_at == wall.replace(tzinfo=tz, fold=0).astimezone(UTC)
        assert window.opens_at < window.reminder_at < window.closes_at
        if previous is not None:
            assert window.opens_at > previous.opens_at
            assert previous.closes_at <= window.opens_at  # never two open at once
        assert latest_at_or_before(plan, window.opens_at) == window
        assert next_after(plan, window.opens_at - timedelta(minutes=1)) == window
        assert due_window(plan, window.opens_at) == window
        previous = window
