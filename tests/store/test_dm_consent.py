"""Opting in to DMs queues one welcome DM; the lookups /me and /peerpulse status use."""

# ruff: noqa: RUF001 - the bot writes day and time ranges with en dashes

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.clock import VirtualClock
from bot.db import Database
from bot.delivery import outbox
from bot.errors import UserError
from bot.groups import group_by_id
from bot.members.dm_consent import (
    WELCOME_EXPIRES_AFTER,
    WELCOME_KIND,
    choose_dms,
    welcome_text,
)
from bot.members.instants import to_db
from bot.members.preferences import get_preferences, member_group_ids, set_hours

USER = 1001


async def new_group(db: Database, clock: VirtualClock, guild: int = 555) -> int:
    return await db.execute(
        "INSERT INTO groups (guild_id, timezone, created_at) VALUES (?, 'Europe/London', ?)",
        (guild, clock.now().isoformat()),
    )


async def welcome_rows(db: Database) -> list[tuple[object, ...]]:
    rows = await db.fetchall("SELECT group_id, user_id, kind, ref, due_at, expires_at FROM outbox")
    return [tuple(row) for row in rows]


async def test_the_first_opt_in_queues_one_welcome_per_group(
    db: Database, clock: VirtualClock
) -> None:
    group, other = await new_group(db, clock), await new_group(db, clock, guild=556)
    prefs, queued = await choose_dms(db, group, USER, "checkins", True, now=clock.now())
    assert queued
    assert prefs.wants("checkins")
    now = clock.now()
    assert await welcome_rows(db) == [
        (
            group,
            USER,
            WELCOME_KIND,
            "first",
            to_db(now),
            to_db(now + WELCOME_EXPIRES_AFTER),
        )
    ]
    clock.advance(timedelta(days=1))
    for kind, on in (("pulse", True), ("checkins", False), ("checkins", True)):
        _, queued = await choose_dms(db, group, USER, kind, on, now=clock.now())
        assert not queued
    _, queued = await choose_dms(db, other, USER, "pulse", True, now=clock.now())
    assert queued
    assert len(await welcome_rows(db)) == 2


async def test_opting_out_queues_nothing_and_a_bad_kind_changes_nothing(
    db: Database, clock: VirtualClock
) -> None:
    group = await new_group(db, clock)
    prefs, queued = await choose_dms(db, group, USER, "pulse", False, now=clock.now())
    assert not queued
    assert not prefs.wants("pulse")
    with pytest.raises(UserError, match="Choose one of"):
        await choose_dms(db, group, USER, "newsletters", True, now=clock.now())
    assert await welcome_rows(db) == []


async def test_welcome_text_reads_the_settings_at_send_time(
    db: Database, clock: VirtualClock
) -> None:
    group = await new_group(db, clock)
    await choose_dms(db, group, USER, "consultations", True, now=clock.now())
    await set_hours(db, group, USER, days="Sun-Thu", start="22:00", end="06:00", now=clock.now())
    text = welcome_text("Riverside", await get_preferences(db, group, USER), "Europe/London")
    assert "for **Riverside**" in text
    assert "You get consultation reminders here." in text
    assert "(Sun–Thu 22:00–06:00 (next day), Europe/London)" in text
    assert "/me dms" in text


async def test_member_groups_group_lookup_and_next_attempt(
    db: Database, clock: VirtualClock
) -> None:
    first, second = await new_group(db, clock), await new_group(db, clock, guild=556)
    assert await member_group_ids(db, USER) == []
    assert await outbox.next_attempt_at(db) is None
    await choose_dms(db, second, USER, "pulse", True, now=clock.now())
    assert await member_group_ids(db, USER) == [second]
    await choose_dms(db, first, USER, "pulse", True, now=clock.now() + timedelta(hours=2))
    assert await member_group_ids(db, USER) == [first, second]
    assert await outbox.next_attempt_at(db) == clock.now()
    assert await outbox.next_attempt_at(db, first) == clock.now() + timedelta(hours=2)
    found = await group_by_id(db, second)
    assert found is not None
    assert found.guild_id == 556
    assert await group_by_id(db, 999) is None
