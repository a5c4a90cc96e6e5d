"""Working-hours windows: parsing, midnight-crossing windows, DST both ways in three zones."""

# ruff: noqa: RUF001 - the bot writes day and time ranges with en dashes

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.checkins.schedule import parse_local_time
from bot.errors import UserError
from bot.members.hours import (
    DEFAULT_HOURS,
    WorkingHours,
    format_hours,
    is_within,
    next_window_start,
    parse_days,
    parse_hours,
    parse_time,
    resolve_local,
    window_on,
)
from bot.members.preferences import Preferences

NEW_YORK = ZoneInfo("America/New_York")
LONDON = ZoneInfo("Europe/London")
SYDNEY = ZoneInfo("Australia/Sydney")
MON, TUE, WED, THU, FRI, SAT, SUN = range(7)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


def local(zone: ZoneInfo, *args: int) -> datetime:
    return datetime(*args, tzinfo=zone)  # type: ignore[misc]


def night(*days: int, start: str = "22:00", end: str = "06:00") -> WorkingHours:
    return WorkingHours(frozenset(days), parse_time(start), parse_time(end, is_end=True))


# --- parsing and formatting -------------------------------------------------------------


@pytest.mark.parametrize(
    ("spec", "days"),
    [
        ("Mon-Fri", {MON, TUE, WED, THU, FRI}),
        ("mon–thu", {MON, TUE, WED, THU}),
        ("Sun-Thu", {SUN, MON, TUE, WED, THU}),
        ("Mon,Wed,Fri", {MON, WED, FRI}),
        ("tuesday thursday", {TUE, THU}),
        ("weekdays", {MON, TUE, WED, THU, FRI}),
        ("every day", set(range(7))),
        ("Sat", {SAT}),
    ],
)
def test_parse_days(spec: str, days: set[int]) -> None:
    assert parse_days(spec) == frozenset(days)


@pytest.mark.parametrize("spec", ["", "Funday", "Mon-Blursday", ",,"])
def test_unknown_days_say_what_to_type(spec: str) -> None:
    with pytest.raises(UserError, match="Mon-Fri"):
        parse_days(spec)


@pytest.mark.parametrize(
    ("text", "minute"),
    [
        ("09:00", 540),
        ("9:30", 570),
        ("0900", 540),
        ("17.30", 1050),
        ("21h30", 1290),
        ("9am", 540),
        ("10pm", 1320),
        ("9:30 pm", 1290),
        ("9.30 p.m.", 1290),
        ("12am", 0),
        ("12pm", 720),
        ("12:15 AM", 15),
        ("noon", 720),
        ("midnight", 0),
        (" 21:00 ", 1260),
    ],
)
def test_parse_time_reads_24_and_12_hour_clocks(text: str, minute: int) -> None:
    assert parse_time(text) == minute


@pytest.mark.parametrize(
    "text",
    [
        "25:00",
        "9",
        "21",
        "noonish",
        "12:60",
        "24:00",
        "13pm",
        "0am",
        "9m",
        "",
        "   ",
        "²:00",
        "٠٩:٠٠",
        "9" * 5000,
    ],
)
def test_bad_times_say_what_to_type(text: str) -> None:
    with pytest.raises(UserError, match=r"like 09:00, 17:30, 9am or 9:30 pm\.$"):
        parse_time(text)


def test_one_wording_for_bad_times_in_hours_and_checkin_setup() -> None:
    with pytest.raises(UserError) as in_hours:
        parse_time("noonish")
    with pytest.raises(UserError) as in_setup:
        parse_local_time("noonish")
    assert (
        in_hours.value.message
        == in_setup.value.message
        == ("I can't read 'noonish' as a time of day. Type it like 09:00, 17:30, 9am or 9:30 pm.")
    )


def test_a_bad_time_is_quoted_back_short_and_plain() -> None:
    with pytest.raises(UserError) as refused:
        parse_time("**9**\u202e@everyone")
    assert refused.value.message.startswith("I can't read '\\*\\*9\\*\\*@\u200beveryone")


def test_24_00_ends_a_day_and_equal_start_end_is_refused() -> None:
    assert parse_hours("Sat", "00:00", "24:00") == WorkingHours(frozenset({SAT}), 0, 1440)
    with pytest.raises(UserError, match="must differ"):
        parse_hours("Mon-Fri", "09:00", "09:00")


@pytest.mark.parametrize("end", ["00:00", "24:00", "midnight", "12am", "0000"])
def test_an_end_at_midnight_closes_the_evening_window(end: str) -> None:
    evening = parse_hours("Mon-Fri", "18:00", end)
    assert evening == WorkingHours(frozenset(range(5)), 18 * 60, 1440)
    assert not evening.crosses_midnight
    assert format_hours(evening) == "Mon–Fri 18:00–24:00"
    assert window_on(evening, LONDON, date(2026, 3, 2)) == (
        utc(2026, 3, 2, 18),
        utc(2026, 3, 3, 0),
    )
    assert is_within(evening, LONDON, utc(2026, 3, 2, 23, 59))
    assert not is_within(evening, LONDON, utc(2026, 3, 3, 0, 0))
    assert next_window_start(evening, LONDON, utc(2026, 3, 3, 9)) == utc(2026, 3, 3, 18)


def test_an_evening_ending_at_a_midnight_that_dst_skips_ends_at_the_change() -> None:
    # Chile springs forward at midnight: Sat 5 Sep 2026 24:00 -04 is Sun 01:00 -03.
    santiago = ZoneInfo("America/Santiago")
    evening = parse_hours("Sat", "18:00", "00:00")
    assert window_on(evening, santiago, date(2026, 9, 5)) == (
        utc(2026, 9, 5, 22),
        utc(2026, 9, 6, 4),
    )


def test_12_hour_times_make_hours() -> None:
    assert parse_hours("Sun-Thu", "10pm", "6am") == parse_hours("Sun-Thu", "22:00", "06:00")
    assert parse_hours("Mon-Fri", "9am", "5:30 pm") == WorkingHours(frozenset(range(5)), 540, 1050)


def test_format_hours() -> None:
    assert format_hours(parse_hours("Mon-Thu", "09:00", "17:00")) == "Mon–Thu 09:00–17:00"
    assert format_hours(parse_hours("Sun-Thu", "22:00", "06:00")) == (
        "Sun–Thu 22:00–06:00 (next day)"
    )
    assert format_hours(parse_hours("Mon,Wed,Fri", "08:30", "24:00")) == (
        "Mon, Wed, Fri 08:30–24:00"
    )
    assert format_hours(parse_hours("daily", "07:00", "19:00")) == "every day 07:00–19:00"


# --- plain windows and windows across midnight ------------------------------------------


def test_default_hours_are_weekdays_nine_to_five_end_exclusive() -> None:
    assert is_within(DEFAULT_HOURS, NEW_YORK, local(NEW_YORK, 2026, 3, 2, 9, 0))
    assert is_within(DEFAULT_HOURS, NEW_YORK, local(NEW_YORK, 2026, 3, 2, 16, 59))
    assert not is_within(DEFAULT_HOURS, NEW_YORK, local(NEW_YORK, 2026, 3, 2, 8, 59))
    assert not is_within(DEFAULT_HOURS, NEW_YORK, local(NEW_YORK, 2026, 3, 2, 17, 0))
    assert not is_within(DEFAULT_HOURS, NEW_YORK, local(NEW_YORK, 2026, 3, 7, 10, 0))  # Sat


def test_night_window_belongs_to_the_day_it_starts_on() -> None:
    hours = parse_hours("Sun-Thu", "22:00", "06:00")  # a night clinician
    assert is_within(hours, LONDON, local(LONDON, 2026, 1, 4, 23, 0))  # Sun night
    assert is_within(hours, LONDON, local(LONDON, 2026, 1, 5, 5, 59))  # Mon morning, from Sun
    assert is_within(hours, LONDON, local(LONDON, 2026, 1, 9, 2, 0))  # Fri morning, from Thu
    assert not is_within(hours, LONDON, local(LONDON, 2026, 1, 10, 2, 0))  # Sat, Fri not worked
    assert not is_within(hours, LONDON, local(LONDON, 2026, 1, 9, 23, 0))  # Fri night
    assert not is_within(hours, LONDON, local(LONDON, 2026, 1, 5, 6, 0))  # ends exclusive
    friday_morning = local(LONDON, 2026, 1, 9, 7, 0)
    assert next_window_start(hours, LONDON, friday_morning) == local(LONDON, 2026, 1, 11, 22, 0)


def test_next_window_start_is_now_when_within_and_utc_aware() -> None:
    inside = local(NEW_YORK, 2026, 3, 2, 10, 0)
    start = next_window_start(DEFAULT_HOURS, NEW_YORK, inside)
    assert start == inside
    assert start.tzinfo is UTC
    friday_evening = local(NEW_YORK, 2026, 3, 6, 18, 0)
    assert next_window_start(DEFAULT_HOURS, NEW_YORK, friday_evening) == local(
        NEW_YORK, 2026, 3, 9, 9, 0
    )


def test_member_zone_differs_from_the_group_zone() -> None:
    group_zone = "Europe/London"
    in_sydney = Preferences(1, 2, timezone="Australia/Sydney")
    follows_group = Preferences(1, 3)
    monday_ten_in_london = local(LONDON, 2026, 3, 2, 10, 0)  # 21:00 in Sydney
    assert follows_group.zone(group_zone) == LONDON
    assert is_within(follows_group.hours, follows_group.zone(group_zone), monday_ten_in_london)
    assert not is_within(in_sydney.hours, in_sydney.zone(group_zone), monday_ten_in_london)
    assert next_window_start(
        in_sydney.hours, in_sydney.zone(group_zone), monday_ten_in_london
    ) == local(SYDNEY, 2026, 3, 3, 9, 0)


# --- DST: spring forward and fall back in three zones -------------------------------------


def test_new_york_spring_forward() -> None:
    # 2026-03-08 02:00 EST -> 03:00 EDT: a Saturday night shift is 7 hours long.
    assert window_on(night(SAT), NEW_YORK, date(2026, 3, 7)) == (
        utc(2026, 3, 8, 3, 0),
        utc(2026, 3, 8, 10, 0),
    )
    # A start in the gap (02:30 does not exist) moves to the next valid minute, 03:00 EDT.
    sunday = WorkingHours(frozenset({SUN}), parse_time("02:30"), parse_time("10:00"))
    assert next_window_start(sunday, NEW_YORK, utc(2026, 3, 8, 0, 0)) == utc(2026, 3, 8, 7, 0)
    assert not is_within(sunday, NEW_YORK, utc(2026, 3, 8, 6, 59))
    # Weekday hours start an hour earlier in UTC after the change.
    assert next_window_start(DEFAULT_HOURS, NEW_YORK, utc(2026, 3, 6, 23, 0)) == utc(
        2026, 3, 9, 13, 0
    )


def test_new_york_fall_back() -> None:
    # 2026-11-01 02:00 EDT -> 01:00 EST: a Saturday night shift is 9 hours long.
    assert window_on(night(SAT), NEW_YORK, date(2026, 10, 31)) == (
        utc(2026, 11, 1, 2, 0),
        utc(2026, 11, 1, 11, 0),
    )
    # 01:30 happens twice; a window starting then takes the first (EDT).
    early = WorkingHours(frozenset({SUN}), parse_time("01:30"), parse_time("03:00"))
    assert next_window_start(early, NEW_YORK, utc(2026, 11, 1, 0, 0)) == utc(2026, 11, 1, 5, 30)
    assert is_within(early, NEW_YORK, utc(2026, 11, 1, 6, 15))  # 01:15 EST, second pass
    assert not is_within(early, NEW_YORK, utc(2026, 11, 1, 8, 0))  # 03:00 EST


def test_london_spring_forward_and_fall_back() -> None:
    starts_in_gap = WorkingHours(frozenset({SUN}), parse_time("01:30"), parse_time("05:00"))
    assert next_window_start(starts_in_gap, LONDON, utc(2026, 3, 28, 12, 0)) == utc(
        2026, 3, 29, 1, 0
    )  # 02:00 BST
    assert next_window_start(starts_in_gap, LONDON, utc(2026, 10, 24, 12, 0)) == utc(
        2026, 10, 25, 0, 30
    )  # 01:30 BST, the first of two
    assert next_window_start(DEFAULT_HOURS, LONDON, utc(2026, 3, 27, 18, 0)) == utc(
        2026, 3, 30, 8, 0
    )
    assert next_window_start(DEFAULT_HOURS, LONDON, utc(2026, 10, 23, 18, 0)) == utc(
        2026, 10, 26, 9, 0
    )


def test_sydney_fall_back_in_april_and_spring_forward_in_october() -> None:
    # 2026-04-05 03:00 AEDT -> 02:00 AEST: the Saturday night shift is 9 hours.
    assert window_on(night(SAT), SYDNEY, date(2026, 4, 4)) == (
        utc(2026, 4, 4, 11, 0),
        utc(2026, 4, 4, 20, 0),
    )
    ambiguous = WorkingHours(frozenset({SUN}), parse_time("02:30"), parse_time("04:00"))
    assert next_window_start(ambiguous, SYDNEY, utc(2026, 4, 4, 0, 0)) == utc(2026, 4, 4, 15, 30)
    # 2026-10-04 02:00 AEST -> 03:00 AEDT: 7 hours, and 02:30 moves to 03:00 AEDT.
    assert window_on(night(SAT), SYDNEY, date(2026, 10, 3)) == (
        utc(2026, 10, 3, 12, 0),
        utc(2026, 10, 3, 19, 0),
    )
    assert next_window_start(ambiguous, SYDNEY, utc(2026, 10, 3, 0, 0)) == utc(2026, 10, 3, 16, 0)


def test_a_skipped_day_moves_to_the_next_valid_minute() -> None:
    apia = ZoneInfo("Pacific/Apia")  # skipped 30 December 2011 entirely
    resolved = resolve_local(datetime(2011, 12, 30, 10, 0), apia)  # noqa: DTZ001 - local
    assert resolved.astimezone(apia).replace(tzinfo=None) == datetime(2011, 12, 31)  # noqa: DTZ001


def test_naive_instants_are_refused() -> None:
    with pytest.raises(ValueError, match="naive"):
        is_within(DEFAULT_HOURS, LONDON, datetime(2026, 1, 1, 10, 0))  # noqa: DTZ001
    with pytest.raises(ValueError, match="naive"):
        resolve_local(datetime(2026, 1, 1, tzinfo=UTC), LONDON)


# --- properties -----------------------------------------------------------------------

ZONES = [
    "America/New_York",
    "Europe/London",
    "Australia/Sydney",
    "Australia/Lord_Howe",  # 30-minute DST shift
    "Asia/Kolkata",
    "UTC",
]
TRANSITIONS = [
    utc(2026, 3, 8, 7, 0),
    utc(2026, 11, 1, 6, 0),
    utc(2026, 3, 29, 1, 0),
    utc(2026, 10, 25, 1, 0),
    utc(2026, 4, 4, 16, 0),
    utc(2026, 10, 3, 16, 0),
]


@st.composite
def working_hours(draw: st.DrawFn) -> WorkingHours:
    days = draw(st.frozensets(st.integers(0, 6), min_size=1))
    start = draw(st.integers(0, 1439))
    end = draw(st.integers(1, 1440).filter(lambda minute: minute != start))
    return WorkingHours(days, start, end)


instants = st.one_of(
    st.datetimes(
        min_value=datetime(2025, 6, 1),  # noqa: DTZ001 - bounds for an aware strategy
        max_value=datetime(2027, 6, 1),  # noqa: DTZ001
        timezones=st.just(UTC),
    ),
    st.builds(
        lambda base, minutes: base + timedelta(minutes=minutes),
        st.sampled_from(TRANSITIONS),
        st.integers(-3 * 1440, 3 * 1440),
    ),
)


@settings(max_examples=300, deadline=None)
@given(hours=working_hours(), zone=st.sampled_from(ZONES), after=instants, fraction=st.floats(0, 1))
def test_next_window_start_is_the_first_instant_within_hours(
    hours: WorkingHours, zone: str, after: datetime, fraction: float
) -> None:
    tz = ZoneInfo(zone)
    start = next_window_start(hours, tz, after)
    assert start >= after
    assert is_within(hours, tz, start)
    if start > after:
        assert not is_within(hours, tz, after + (start - after) * min(fraction, 0.999))
        assert not is_within(hours, tz, start - timedelta(microseconds=1))


def wall_clock_rule(hours: WorkingHours, zone: ZoneInfo, instant: datetime) -> bool:
    """The obvious reading of the hours on a local clock, valid away from DST changes."""
    wall = instant.astimezone(zone)
    minute, weekday = wall.hour * 60 + wall.minute, wall.weekday()
    if hours.crosses_midnight:
        return (weekday in hours.days and minute >= hours.start) or (
            (weekday - 1) % 7 in hours.days and minute < hours.end
        )
    return weekday in hours.days and hours.start <= minute < hours.end


@settings(max_examples=300, deadline=None)
@given(hours=working_hours(), zone=st.sampled_from(ZONES), instant=instants)
def test_is_within_matches_the_wall_clock_away_from_dst_changes(
    hours: WorkingHours, zone: str, instant: datetime
) -> None:
    tz = ZoneInfo(zone)
    offsets = {(instant + timedelta(hours=h)).astimezone(tz).utcoffset() for h in (-26, 0, 26)}
    if len(offsets) == 1:
        assert is_within(hours, tz, instant) == wall_clock_rule(hours, tz, instant)
