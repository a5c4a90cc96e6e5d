"""Candidate times for a consultation poll: good and bad input, many zones, DST gaps, overlaps."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.consult.times import local_adjustment, parse_candidates
from bot.errors import UserError
from bot.members.hours import DEFAULT_HOURS, resolve_local

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # a Monday
NEW_YORK = ZoneInfo("America/New_York")
ZONES = [
    "America/New_York",
    "Europe/London",
    "Europe/Berlin",
    "Australia/Sydney",
    "Australia/Lord_Howe",  # a 30-minute DST shift
    "America/St_Johns",  # a half-hour offset with DST
    "Asia/Kolkata",
    "Pacific/Auckland",
    "America/Sao_Paulo",
    "UTC",
]
DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def parse(text: str, zone: ZoneInfo = NEW_YORK, now: datetime = NOW) -> list[tuple[str, datetime]]:
    return [
        (c.typed, c.start) for c in parse_candidates(text, zone=zone, hours=DEFAULT_HOURS, now=now)
    ]


def refusal(text: str, zone: ZoneInfo = NEW_YORK) -> str:
    with pytest.raises(UserError) as caught:
        parse_candidates(text, zone=zone, hours=DEFAULT_HOURS, now=NOW)
    return caught.value.message


def test_the_issue_examples_read_in_the_proposers_zone_earliest_first() -> None:
    assert parse("thu 12:00, fri 18:30; 2026-12-03 12:00, tomorrow 8pm") == [
        ("tomorrow 8pm", datetime(2026, 3, 4, 1, 0, tzinfo=UTC)),
        ("thu 12:00", datetime(2026, 3, 5, 17, 0, tzinfo=UTC)),
        ("fri 18:30", datetime(2026, 3, 6, 23, 30, tzinfo=UTC)),
        ("2026-12-03 12:00", datetime(2026, 12, 3, 17, 0, tzinfo=UTC)),
    ]


def test_day_and_month_in_words_and_12_hour_times() -> None:
    assert parse("3 Dec 12:00, sat noon, wed 6:30 pm") == [
        ("wed 6:30 pm", datetime(2026, 3, 4, 23, 30, tzinfo=UTC)),
        ("sat noon", datetime(2026, 3, 7, 17, 0, tzinfo=UTC)),
        ("3 Dec 12:00", datetime(2026, 12, 3, 17, 0, tzinfo=UTC)),
    ]


def test_a_weekday_typed_on_that_weekday_is_next_weeks() -> None:
    monday_morning = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)  # 07:00 in New York
    got = parse("mon 12:00, today 12:00", now=monday_morning)
    assert got == [
        ("today 12:00", datetime(2026, 3, 2, 17, 0, tzinfo=UTC)),
        ("mon 12:00", datetime(2026, 3, 9, 16, 0, tzinfo=UTC)),  # after the DST change
    ]


def test_outside_the_proposers_working_hours_is_flagged() -> None:
    got = parse_candidates(
        "thu 12:00, thu 20:00, sat 10:00", zone=NEW_YORK, hours=DEFAULT_HOURS, now=NOW
    )
    assert [c.outside_hours for c in got] == [False, True, True]


@pytest.mark.parametrize(
    ("text", "quoted"),
    [
        ("thu 12:00, 12/3 9:00", "'12/3' in '12/3 9:00' could be day-month or month-day"),
        ("03/04 10:00, thu 12:00", "'03/04' in '03/04 10:00'"),
        ("3-4 10:00, thu 12:00", "'3-4' in '3-4 10:00'"),
        ("3.4. 10:00, thu 12:00", "'3.4.' in '3.4. 10:00'"),
        ("thu, fri 9:00", "'thu' needs a time of day"),
        ("thu 12:00, fri 12", "'fri 12' needs a time of day"),
        ("thu 12:00, banana 12:00", "I can't read 'banana 12:00'"),
        ("thu 12:00, tue 25:00", "I can't read 'tue 25:00'"),
        ("thu 12:00, 2026-02-30 10:00", "I can't read '2026-02-30 10:00'"),
        ("thu 12:00, 2026-01-01 10:00", "'2026-01-01 10:00' is in the past"),
        ("thu 12:00, today 3:00", "'today 3:00' is in the past"),
        ("thu 12:00, 2028-01-01 10:00", "'2028-01-01 10:00' is more than a year ahead"),
        ("thu 12:00, 2026-03-05 12:00", "'thu 12:00' and '2026-03-05 12:00' are the same time"),
        ("thu 12:00", "at least 2"),
        ("thu 12:00, , ;", "at least 2"),
        (", ".join(f"2026-04-{day:02d} 10:00" for day in range(1, 12)), "That is 11 times"),
        ("thu 12:00, " + "x" * 700, "too long"),
    ],
)
def test_refusals_quote_the_bad_part(text: str, quoted: str) -> None:
    assert quoted in refusal(text)


def test_refusals_escape_markdown_and_mentions() -> None:
    message = refusal("thu 12:00, @everyone **12:00**")
    assert "@everyone" not in message
    assert "\\*\\*" in message


def test_a_nonexistent_local_time_moves_to_the_next_valid_minute_and_says_so() -> None:
    got = parse_candidates(
        "2026-03-08 02:30, 2026-03-09 10:00", zone=NEW_YORK, hours=DEFAULT_HOURS, now=NOW
    )
    assert got[0].adjustment == "gap"
    assert got[0].start == datetime(2026, 3, 8, 7, 0, tzinfo=UTC)  # 03:00 EDT
    assert got[1].adjustment is None


def test_an_ambiguous_local_time_takes_the_first_and_says_so() -> None:
    got = parse_candidates(
        "2026-11-01 01:30, 2026-11-02 10:00", zone=NEW_YORK, hours=DEFAULT_HOURS, now=NOW
    )
    assert got[0].adjustment == "overlap"
    assert got[0].start == datetime(2026, 11, 1, 5, 30, tzinfo=UTC)  # 01:30 EDT, the first


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    zone_name=st.sampled_from(ZONES),
    days=st.integers(min_value=1, max_value=330),
    minute=st.integers(min_value=0, max_value=24 * 60 - 1),
    offset_hours=st.integers(min_value=0, max_value=23),
)
def test_iso_times_read_as_the_local_time_in_every_zone(
    zone_name: str, days: int, minute: int, offset_hours: int
) -> None:
    zone = ZoneInfo(zone_name)
    now = NOW + timedelta(hours=offset_hours)
    day = now.astimezone(zone).date() + timedelta(days=days)
    local = datetime.combine(day, time()) + timedelta(minutes=minute)
    other = local + timedelta(days=1, hours=1)
    text = f"{local:%Y-%m-%d %H:%M}, {other:%Y-%m-%d %H:%M}"
    first = parse_candidates(text, zone=zone, hours=DEFAULT_HOURS, now=now)[0]
    assert first.local == local
    assert first.start == resolve_local(local, zone)
    assert first.adjustment == local_adjustment(local, zone)
    if first.adjustment is None:
        assert first.start.astimezone(zone).replace(tzinfo=None) == local


@settings(max_examples=60, deadline=None)
@given(
    zone_name=st.sampled_from(ZONES),
    ahead=st.integers(min_value=1, max_value=7),
    hour=st.integers(min_value=0, max_value=23),
    minute=st.sampled_from([0, 15, 30, 45]),
    offset_hours=st.integers(min_value=0, max_value=23 * 7),
)
def test_a_weekday_is_the_next_such_day_after_today(
    zone_name: str, ahead: int, hour: int, minute: int, offset_hours: int
) -> None:
    zone = ZoneInfo(zone_name)
    now = NOW + timedelta(hours=offset_hours)
    today = now.astimezone(zone).date()
    target: date = today + timedelta(days=ahead)
    text = f"{DAY_NAMES[target.weekday()]} {hour:02d}:{minute:02d}, {target:%Y-%m-%d} 23:59"
    if ahead == 7 or hour * 60 + minute == 23 * 60 + 59:
        text = text.replace(" 23:59", " 23:58")
    got = parse_candidates(text, zone=zone, hours=DEFAULT_HOURS, now=now)
    starts = {c.typed: c.start for c in got}
    weekday_start = starts[text.split(",")[0]]
    expected = resolve_local(datetime.combine(target, time(hour, minute)), zone)
    assert weekday_start == expected


@pytest.mark.parametrize(
    ("zone_name", "text", "adjustment"),
    [
        ("Europe/London", "2026-03-29 01:30", "gap"),
        ("Europe/London", "2026-10-25 01:30", "overlap"),
        ("Australia/Sydney", "2026-10-04 02:15", "gap"),
        ("Australia/Sydney", "2026-04-05 02:15", "overlap"),
        ("Australia/Lord_Howe", "2026-10-04 02:10", "gap"),
        ("Australia/Lord_Howe", "2026-04-05 01:45", "overlap"),
        ("Asia/Kolkata", "2026-03-29 01:30", None),
    ],
)
def test_dst_gaps_and_overlaps_across_zones(
    zone_name: str, text: str, adjustment: str | None
) -> None:
    zone = ZoneInfo(zone_name)
    got = parse_candidates(f"{text}, 2026-12-01 10:00", zone=zone, hours=DEFAULT_HOURS, now=NOW)
    candidate = next(c for c in got if c.typed == text)
    assert candidate.adjustment == adjustment
    assert candidate.start == resolve_local(candidate.local, zone)


def test_the_parser_is_not_imported_until_a_time_is_read() -> None:
    code = (
        "import sys, bot.consult.times, bot.consult.steps, bot.consult.calendar; "
        "assert 'dateparser' not in sys.modules; assert 'icalendar' not in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True)  # noqa: S603 - our own code


def transitions(zone_name: str) -> list[datetime]:
    """Naive local wall times just before each UTC offset change in 2026-2027, per zone."""
    zone = ZoneInfo(zone_name)
    found = []
    instant = datetime(2026, 3, 3, tzinfo=UTC)
    while instant < datetime(2027, 3, 1, tzinfo=UTC):
        after = instant + timedelta(minutes=30)
        if instant.astimezone(zone).utcoffset() != after.astimezone(zone).utcoffset():
            found.append(instant.astimezone(zone).replace(tzinfo=None))
        instant = after
    return found


TRANSITIONS = [(zone, local) for zone in ZONES if zone != "UTC" for local in transitions(zone)]


@settings(max_examples=150, deadline=None)
@given(
    transition=st.sampled_from(TRANSITIONS),
    minutes=st.integers(min_value=-90, max_value=90),
)
def test_times_near_every_dst_change_in_the_sample(
    transition: tuple[str, datetime], minutes: int
) -> None:
    zone_name, near = transition
    zone = ZoneInfo(zone_name)
    local = (near + timedelta(minutes=minutes)).replace(second=0, microsecond=0)
    text = f"{local:%Y-%m-%d %H:%M}, 2027-03-01 10:00"
    got = next(
        c
        for c in parse_candidates(text, zone=zone, hours=DEFAULT_HOURS, now=NOW)
        if c.typed.startswith(f"{local:%Y-%m-%d}")
    )
    assert got.local == local
    shown = got.start.astimezone(zone).replace(tzinfo=None)
    if got.adjustment == "gap":
        # Moved to the first minute after the gap: the minute before it is before the gap.
        assert shown > local
        assert (got.start - timedelta(minutes=1)).astimezone(zone).replace(tzinfo=None) < local
    else:
        assert shown == local
        if got.adjustment == "overlap":
            assert got.start == local.replace(tzinfo=zone, fold=0).astimezone(UTC)
            assert got.start < local.replace(tzinfo=zone, fold=1).astimezone(UTC)


def test_the_sample_has_gaps_and_overlaps() -> None:
    kinds = {
        local_adjustment(local + timedelta(minutes=minutes), ZoneInfo(zone))
        for zone, local in TRANSITIONS
        for minutes in range(-90, 91, 15)
    }
    assert kinds == {"gap", "overlap", None}
