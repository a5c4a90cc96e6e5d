"""The check-in schedule rule: periods, DST, late opens, close caps and the reminder time."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.checkins.schedule import (
    CheckinSchedule,
    RoundWindow,
    due_window,
    latest_open_at_or_before,
    localize,
    make_schedule,
    manual_window,
    next_open_after,
    parse_local_time,
    parse_weekday,
    period_key,
    previous_period,
    reminder_time,
    still_useful,
    validate_open_hours,
    window_for_week,
)
from bot.errors import UserError

NY = "America/New_York"


def schedule(
    zone: str = NY, weekday: int = 0, at: time = time(9, 0), hours: int = 48, **kw: bool
) -> CheckinSchedule:
    return CheckinSchedule(zone, weekday, at, hours, **kw)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_period_is_the_iso_week_of_the_local_open_date() -> None:
    assert period_key(date(2026, 3, 2)) == "2026-W10"
    assert period_key(date(2021, 1, 3)) == "2020-W53"  # a Sunday in ISO week 53 of 2020
    assert previous_period("2021-W01") == "2020-W53"
    assert previous_period("2026-W10") == "2026-W09"


def test_a_monday_round_in_new_york() -> None:
    window = window_for_week(schedule(), 2026, 10)
    assert window.period == "2026-W10"
    assert window.opens_at == utc(2026, 3, 2, 14, 0)  # 09:00 EST
    assert window.closes_at == utc(2026, 3, 4, 14, 0)
    assert window.reminder_at == utc(2026, 3, 3, 14, 0)  # 24 h before close = the midpoint


def test_a_nonexistent_local_time_moves_to_the_next_valid_minute() -> None:
    # 2026-03-08 is the US spring-forward Sunday: 02:00-02:59 does not exist.
    at = localize(date(2026, 3, 8), time(2, 30), ZoneInfo(NY))
    assert at.astimezone(ZoneInfo(NY)).time() == time(3, 0)
    window = window_for_week(schedule(weekday=6, at=time(2, 30)), 2026, 10)
    assert window.opens_at == utc(2026, 3, 8, 7, 0)


def test_an_ambiguous_local_time_takes_the_first_occurrence() -> None:
    # 2026-11-01 01:30 happens twice in New York; the first is EDT (UTC-4).
    at = localize(date(2026, 11, 1), time(1, 30), ZoneInfo(NY))
    assert at == utc(2026, 11, 1, 5, 30)


def test_a_week_long_window_never_overlaps_the_next_round_across_dst() -> None:
    # Monday 09:00 to the next Monday 09:00 is 167 hours in the week DST starts.
    weekly = schedule(weekday=4, hours=168)  # Friday 2026-03-06, before the change
    window = window_for_week(weekly, 2026, 10)
    following = window_for_week(weekly, 2026, 11)
    assert window.closes_at == following.opens_at
    assert window.closes_at - window.opens_at == timedelta(hours=167)


def test_reminder_is_24_hours_before_close_but_not_before_the_midpoint() -> None:
    opens = utc(2026, 3, 2, 9)
    assert reminder_time(opens, opens + timedelta(hours=6)) == opens + timedelta(hours=3)
    assert reminder_time(opens, opens + timedelta(hours=168)) == opens + timedelta(hours=144)


def test_next_open_and_latest_open() -> None:
    weekly = schedule()
    assert next_open_after(weekly, utc(2026, 3, 2, 13, 59)).period == "2026-W10"
    assert next_open_after(weekly, utc(2026, 3, 2, 14, 0)).period == "2026-W11"
    assert latest_open_at_or_before(weekly, utc(2026, 3, 2, 14, 0)).period == "2026-W10"
    assert latest_open_at_or_before(weekly, utc(2026, 3, 2, 13, 59)).period == "2026-W09"


def test_late_open_while_half_the_window_remains() -> None:
    weekly = schedule()  # Monday 09:00 New York, 48 hours
    assert due_window(weekly, utc(2026, 3, 2, 13, 59)) is None  # not yet
    on_time = due_window(weekly, utc(2026, 3, 2, 14, 0))
    late = due_window(weekly, utc(2026, 3, 3, 14, 0))  # exactly half remains
    assert on_time is not None
    assert late == on_time  # a late open keeps the scheduled close and the same period
    assert due_window(weekly, utc(2026, 3, 3, 14, 1)) is None  # too late: skipped
    assert due_window(schedule(paused=True), utc(2026, 3, 2, 14, 0)) is None
    assert not still_useful(on_time, on_time.closes_at)


def test_manual_round_takes_this_weeks_period_and_closes_before_next_week() -> None:
    weekly = schedule(hours=168)
    now = utc(2026, 3, 4, 12)  # a Wednesday
    window = manual_window(weekly, now)
    assert window.period == "2026-W10"
    assert window.opens_at == now
    assert window.closes_at == window_for_week(weekly, 2026, 11).opens_at


def test_setup_input_is_validated_with_sentences() -> None:
    made = make_schedule("europe/london", "tue", "7:05", 24, reminder=False)
    assert (made.timezone, made.weekday, made.local_time, made.open_hours) == (
        "Europe/London",
        1,
        time(7, 5),
        24,
    )
    assert parse_weekday("Sunday") == 6
    assert parse_weekday("\u200bTuesday\u200e") == 1  # pasted with invisible characters
    assert parse_weekday(3) == 3
    with pytest.raises(UserError, match="Monday to Sunday"):
        parse_weekday("t")  # tuesday or thursday?
    with pytest.raises(UserError, match="Monday to Sunday"):
        parse_weekday(7)
    with pytest.raises(UserError, match="Type it like 09:00, 17:30, 9am or 9:30 pm"):
        parse_local_time("25:00")
    assert parse_local_time("9am") == time(9, 0)
    assert parse_local_time("9:30 pm") == time(21, 30)
    with pytest.raises(UserError, match="Type it like 09:00, 17:30, 9am or 9:30 pm"):
        parse_local_time("24:00")  # a round opens at a time of day, not at its end
    with pytest.raises(UserError, match="between 1 and 168 hours"):
        validate_open_hours(0)
    with pytest.raises(UserError, match="between 1 and 168 hours"):
        validate_open_hours(169)
    with pytest.raises(UserError, match="time zone"):
        make_schedule("Mars/Base", "mon", "09:00", 24, reminder=True)


# --- properties --------------------------------------------------------------------------

ZONES = st.sampled_from(
    [
        "UTC",
        NY,
        "Europe/London",
        "Europe/Berlin",
        "Australia/Lord_Howe",  # a 30-minute DST shift
        "Asia/Kolkata",
        "Pacific/Chatham",
        "America/Santiago",  # DST changes at midnight
        "Asia/Kathmandu",
    ]
)
SCHEDULES = st.builds(
    CheckinSchedule,
    timezone=ZONES,
    weekday=st.integers(0, 6),
    local_time=st.times().map(lambda t: t.replace(second=0, microsecond=0)),
    open_hours=st.integers(1, 168),
)
INSTANTS = st.datetimes(
    min_value=datetime(2024, 1, 1),  # noqa: DTZ001 - bounds for hypothesis, made aware below
    max_value=datetime(2030, 12, 31),  # noqa: DTZ001
    timezones=st.just(UTC),
)
WEEKS = st.dates(date(2024, 1, 1), date(2030, 12, 31)).map(lambda d: d.isocalendar()[:2])


@given(SCHEDULES, WEEKS)
@settings(max_examples=300, deadline=None)
def test_each_week_opens_once_on_the_right_day_at_the_right_time(
    weekly: CheckinSchedule, week: tuple[int, int]
) -> None:
    year, number = week
    window = window_for_week(weekly, year, number)
    local = window.opens_at.astimezone(weekly.zone)
    intended = date.fromisocalendar(year, number, weekly.weekday + 1)
    assert window.period == f"{year}-W{number:02d}"
    assert window.opens_at < window.reminder_at < window.closes_at
    assert window.closes_at - window.opens_at <= timedelta(hours=weekly.open_hours)
    if local.date() == intended and local.time() == weekly.local_time:
        return
    # Otherwise the local time fell in a DST gap: it is the first valid minute after it,
    # and the minute before it does not exist.
    assert local.replace(tzinfo=None) > datetime.combine(intended, weekly.local_time)
    assert local.replace(tzinfo=None) - datetime.combine(intended, weekly.local_time) <= timedelta(
        hours=2
    )
    assert not exists(local.replace(tzinfo=None) - timedelta(minutes=1), weekly.zone)


def exists(naive: datetime, zone: ZoneInfo) -> bool:
    """Whether a wall-clock time happens in `zone` (it does not inside a DST gap)."""
    back = naive.replace(tzinfo=zone).astimezone(UTC).astimezone(zone)
    return back.replace(tzinfo=None) == naive


@given(SCHEDULES, INSTANTS)
@settings(max_examples=300, deadline=None)
def test_next_open_is_the_first_open_after_the_instant(
    weekly: CheckinSchedule, now: datetime
) -> None:
    upcoming = next_open_after(weekly, now)
    latest = latest_open_at_or_before(weekly, now)
    assert latest.opens_at <= now < upcoming.opens_at
    assert previous_period(upcoming.period) == latest.period
    assert latest.closes_at <= upcoming.opens_at  # rounds never overlap


@given(SCHEDULES, INSTANTS, st.lists(st.integers(1, 6 * 3600), min_size=1, max_size=40))
@settings(max_examples=200, deadline=None)
def test_ticks_open_each_period_at_most_once_and_only_while_useful(
    weekly: CheckinSchedule, start: datetime, steps: list[int]
) -> None:
    opened: dict[str, RoundWindow] = {}
    now = start
    for seconds in steps:
        now += timedelta(seconds=seconds)
        window = due_window(weekly, now)
        if window is None:
            continue
        assert window.opens_at <= now < window.closes_at
        assert window.closes_at - now >= (window.closes_at - window.opens_at) / 2
        # Every tick that finds a period due finds the very same round (same open and close).
        assert opened.setdefault(window.period, window) == window
