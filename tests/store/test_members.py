"""Member preferences on a temporary database: defaults, validation, round trips, fan-out."""

# ruff: noqa: RUF001 - the bot writes day and time ranges with en dashes

from __future__ import annotations

from datetime import date, timedelta

import pytest

from bot.clock import VirtualClock
from bot.db import Database
from bot.errors import UserError
from bot.members.away import parse_date
from bot.members.hours import DEFAULT_HOURS, WorkingHours
from bot.members.preferences import (
    Preferences,
    describe,
    get_preferences,
    members_opted_in,
    set_away,
    set_back,
    set_dm_opt_in,
    set_hours,
    set_reminders,
    set_timezone,
)

USER, OTHER = 1001, 1002
LONDON = "Europe/London"


async def new_group(db: Database, clock: VirtualClock, zone: str = LONDON) -> int:
    return await db.execute(
        "INSERT INTO groups (guild_id, timezone, created_at) VALUES (?, ?, ?)",
        (555, zone, clock.now().isoformat()),
    )


async def test_a_member_without_a_row_gets_the_defaults(db: Database, clock: VirtualClock) -> None:
    group = await new_group(db, clock)
    prefs = await get_preferences(db, group, USER)
    assert prefs == Preferences(group, USER)
    assert prefs.timezone is None
    assert prefs.hours == DEFAULT_HOURS
    assert prefs.away is None
    assert prefs.dm_opt_in == frozenset()
    assert prefs.reminders is True
    assert await db.fetchall("SELECT * FROM member_preferences") == []


async def test_every_setting_round_trips(db: Database, clock: VirtualClock) -> None:
    group = await new_group(db, clock)
    now = clock.now()
    await set_timezone(db, group, USER, "america/new_york", now=now)
    await set_hours(db, group, USER, days="Sun-Thu", start="22:00", end="06:00", now=now)
    await set_dm_opt_in(db, group, USER, "checkins", True, now=now)
    await set_dm_opt_in(db, group, USER, "pulse", True, now=now)
    await set_dm_opt_in(db, group, USER, "pulse", False, now=now)
    await set_reminders(db, group, USER, False, now=now)
    prefs = await set_away(db, group, USER, date(2026, 3, 10), now=now, group_zone=LONDON)
    assert prefs.timezone == "America/New_York"
    assert prefs.hours == WorkingHours(frozenset({6, 0, 1, 2, 3}), 22 * 60, 6 * 60)
    assert prefs.dm_opt_in == frozenset({"checkins"})
    assert prefs.reminders is False
    assert prefs.away is not None
    assert (prefs.away.since, prefs.away.until) == (now, date(2026, 3, 10))
    assert await get_preferences(db, group, USER) == prefs
    back = await set_back(db, group, USER, now=now)
    assert back.away is None
    assert back.hours == prefs.hours
    reset = await set_timezone(db, group, USER, None, now=now)
    assert reset.timezone is None
    assert reset.zone(LONDON).key == LONDON


async def test_preferences_are_per_group(db: Database, clock: VirtualClock) -> None:
    first, second = await new_group(db, clock), await new_group(db, clock)
    await set_dm_opt_in(db, first, USER, "checkins", True, now=clock.now())
    assert (await get_preferences(db, second, USER)).dm_opt_in == frozenset()


@pytest.mark.parametrize(
    ("days", "start", "end", "message"),
    [
        ("Mon-Fri", "9 o'clock", "17:00", r"Type it like 09:00, 17:30, 9am or 9:30 pm\."),
        ("Mon-Fri", "09:00", "25:00", r"Type it like 09:00, 17:30, 9am or 9:30 pm\."),
        ("Someday", "09:00", "17:00", "Mon-Fri"),
        ("Mon-Fri", "09:00", "09:00", "must differ"),
    ],
)
async def test_bad_hours_change_nothing_and_say_what_to_type(  # noqa: PLR0917 - parametrized
    db: Database, clock: VirtualClock, days: str, start: str, end: str, message: str
) -> None:
    group = await new_group(db, clock)
    with pytest.raises(UserError, match=message):
        await set_hours(db, group, USER, days=days, start=start, end=end, now=clock.now())
    assert await get_preferences(db, group, USER) == Preferences(group, USER)


async def test_other_bad_input_is_refused(db: Database, clock: VirtualClock) -> None:
    group = await new_group(db, clock)
    now = clock.now()
    with pytest.raises(UserError, match="don't know the time zone"):
        await set_timezone(db, group, USER, "Mars/Olympus", now=now)
    with pytest.raises(UserError, match="checkins, consultations, pulse"):
        await set_dm_opt_in(db, group, USER, "everything", True, now=now)
    with pytest.raises(UserError, match="That date has passed"):
        await set_away(db, group, USER, date(2026, 3, 1), now=now, group_zone=LONDON)
    with pytest.raises(UserError, match="within the next year"):
        await set_away(db, group, USER, date(2027, 6, 1), now=now, group_zone=LONDON)
    assert await db.fetchall("SELECT * FROM member_preferences") == []


async def test_away_today_is_allowed_in_the_members_own_zone(
    db: Database, clock: VirtualClock
) -> None:
    group = await new_group(db, clock)
    clock.set(clock.now().replace(hour=23, minute=30))  # Mon 23:30 UTC = Tue 10:30 in Sydney
    await set_timezone(db, group, USER, "Australia/Sydney", now=clock.now())
    with pytest.raises(UserError, match="passed"):
        await set_away(db, group, USER, date(2026, 3, 2), now=clock.now(), group_zone=LONDON)
    prefs = await set_away(db, group, USER, date(2026, 3, 3), now=clock.now(), group_zone=LONDON)
    assert prefs.is_away(prefs.zone(LONDON), clock.now())


async def test_indefinite_away_lasts_until_back(db: Database, clock: VirtualClock) -> None:
    group = await new_group(db, clock)
    prefs = await set_away(db, group, USER, None, now=clock.now(), group_zone=LONDON)
    zone = prefs.zone(LONDON)
    assert prefs.is_away(zone, clock.now() + timedelta(days=400))
    back = await set_back(db, group, USER, now=clock.now())
    assert not back.is_away(zone, clock.now())


async def test_members_opted_in_lists_only_that_kind_in_that_group(
    db: Database, clock: VirtualClock
) -> None:
    group, elsewhere = await new_group(db, clock), await new_group(db, clock)
    now = clock.now()
    for user in (30, 10, 20):
        await set_dm_opt_in(db, group, user, "checkins", True, now=now)
    await set_dm_opt_in(db, group, 20, "checkins", False, now=now)
    await set_dm_opt_in(db, group, 40, "pulse", True, now=now)
    await set_dm_opt_in(db, elsewhere, 50, "checkins", True, now=now)
    await set_away(db, group, 30, None, now=now, group_zone=LONDON)
    assert await members_opted_in(db, group, "checkins") == [10, 30]
    assert await members_opted_in(db, group, "pulse") == [40]
    assert await members_opted_in(db, group, "consultations") == []


async def test_describe_says_it_plainly(db: Database, clock: VirtualClock) -> None:
    group = await new_group(db, clock)
    now = clock.now()  # Monday 09:00 UTC
    defaults = describe(await get_preferences(db, group, USER), LONDON, now)
    assert defaults == [
        "Time zone: Europe/London, the group's",
        "Working hours: Mon–Fri 09:00–17:00 (Europe/London)",
        "Within your working hours now.",
        "DMs: none (opt in with /me dms)",
        "Reminders: on",
        "Consultation reminders: on",
    ]
    await set_hours(db, group, USER, days="Mon-Thu", start="10:00", end="17:00", now=now)
    await set_dm_opt_in(db, group, USER, "checkins", True, now=now)
    waiting = describe(await get_preferences(db, group, USER), LONDON, now)
    ten = int(now.replace(hour=10).timestamp())
    assert f"Next working window: <t:{ten}:F> (<t:{ten}:R>)" in waiting
    assert "DMs: check-in prompts" in waiting
    away = await set_away(db, group, USER, date(2026, 3, 3), now=now, group_zone=LONDON)
    assert "Away until Tue 3 Mar: no DMs until that day ends." in describe(away, LONDON, now)


def test_parse_date_accepts_what_people_type() -> None:
    today = date(2026, 3, 2)
    assert parse_date("2026-03-10", today) == date(2026, 3, 10)
    assert parse_date("10 Mar", today) == date(2026, 3, 10)
    assert parse_date("march 10", today) == date(2026, 3, 10)
    assert parse_date("1 Feb", today) == date(2027, 2, 1)  # the next one
    assert parse_date("3 March 2026", today) == date(2026, 3, 3)
    for bad in ("next week", "31 Feb", "2026-02-30", "10 Smarch"):
        with pytest.raises(UserError):
            parse_date(bad, today)
