"""Groups and their settings on a temporary database."""

from __future__ import annotations

import asyncio

import pytest
from sql_trace import counting

from bot.clock import VirtualClock
from bot.config import GroupDefaults
from bot.db import Database
from bot.errors import UserError
from bot.groups import SettingsChange, ensure_group, group_for_channel, update_settings

GUILD, CHANNEL, OTHER_CHANNEL = 111, 222, 333


async def test_first_use_creates_one_group_with_defaults(db: Database, clock: VirtualClock) -> None:
    defaults = GroupDefaults(timezone="Europe/London", retention_days=30, anonymity_threshold=4)
    assert await group_for_channel(db, GUILD, CHANNEL) is None
    first = await ensure_group(db, clock, GUILD, CHANNEL, defaults)
    again = await ensure_group(db, clock, GUILD, OTHER_CHANNEL, defaults)
    assert first == again
    assert (first.timezone, first.retention_days, first.anonymity_threshold) == (
        "Europe/London",
        30,
        4,
    )
    assert len(await db.fetchall("SELECT id FROM groups")) == 1


async def test_groups_are_keyed_by_group_not_guild(db: Database, clock: VirtualClock) -> None:
    """A second group in the same server needs no migration: its home channel finds it."""
    first = await ensure_group(db, clock, GUILD, CHANNEL, GroupDefaults())
    await update_settings(db, first.id, SettingsChange(home_channel_id=CHANNEL))
    second_id = await db.execute(
        "INSERT INTO groups (guild_id, home_channel_id, created_at) VALUES (?, ?, ?)",
        (GUILD, OTHER_CHANNEL, clock.now().isoformat()),
    )
    found = await group_for_channel(db, GUILD, OTHER_CHANNEL)
    assert found is not None
    assert found.id == second_id
    home = await group_for_channel(db, GUILD, CHANNEL)
    assert home is not None
    assert home.id == first.id


async def test_update_changes_only_what_was_asked(db: Database, clock: VirtualClock) -> None:
    group = await ensure_group(db, clock, GUILD, CHANNEL, GroupDefaults())
    updated = await update_settings(
        db, group.id, SettingsChange(timezone="america/new_york", moderator_role_id=42)
    )
    assert updated.timezone == "America/New_York"
    assert updated.moderator_role_id == 42
    assert updated.home_channel_id is None
    cleared = await update_settings(db, group.id, SettingsChange(clear_moderator_role=True))
    assert cleared.moderator_role_id is None
    assert cleared.timezone == "America/New_York"


async def test_unknown_zone_changes_nothing(db: Database, clock: VirtualClock) -> None:
    group = await ensure_group(db, clock, GUILD, CHANNEL, GroupDefaults())
    with pytest.raises(UserError, match="don't know the time zone 'Mars/Base'"):
        await update_settings(
            db, group.id, SettingsChange(timezone="Mars/Base", home_channel_id=CHANNEL)
        )
    unchanged = await group_for_channel(db, GUILD, CHANNEL)
    assert unchanged == group


async def test_a_channel_is_home_to_one_group_only(db: Database, clock: VirtualClock) -> None:
    group = await ensure_group(db, clock, GUILD, CHANNEL, GroupDefaults())
    other_id = await db.execute(
        "INSERT INTO groups (guild_id, home_channel_id, created_at) VALUES (?, ?, ?)",
        (GUILD, OTHER_CHANNEL, clock.now().isoformat()),
    )
    assert other_id != group.id
    with pytest.raises(UserError, match="already another group's home channel"):
        await update_settings(db, group.id, SettingsChange(home_channel_id=OTHER_CHANNEL))


async def test_a_channel_s_group_is_read_once_until_a_write(
    db: Database, clock: VirtualClock
) -> None:
    """Every command asks for its channel's group: it is remembered, not queried each time."""
    group = await ensure_group(db, clock, GUILD, CHANNEL, GroupDefaults())
    async with counting(db) as statements:
        for _ in range(3):
            assert await group_for_channel(db, GUILD, CHANNEL) == group
    assert len([s for s in statements if "FROM groups" in s]) <= 1


async def test_the_remembered_group_is_never_older_than_a_write(
    db: Database, clock: VirtualClock
) -> None:
    """Settings changes, raw writes and new groups are all seen by the very next read."""
    group = await ensure_group(db, clock, GUILD, CHANNEL, GroupDefaults())
    assert await group_for_channel(db, GUILD, CHANNEL) == group
    await update_settings(db, group.id, SettingsChange(timezone="Asia/Tokyo"))
    found = await group_for_channel(db, GUILD, CHANNEL)
    assert found is not None
    assert found.timezone == "Asia/Tokyo"
    await db.execute("UPDATE groups SET retention_days = 30")
    found = await group_for_channel(db, GUILD, CHANNEL)
    assert found is not None
    assert found.retention_days == 30
    async with db.transaction() as tx:
        await tx.execute("UPDATE groups SET anonymity_threshold = 9")
    found = await group_for_channel(db, GUILD, CHANNEL)
    assert found is not None
    assert found.anonymity_threshold == 9
    assert await group_for_channel(db, GUILD + 1, CHANNEL) is None
    created = await ensure_group(db, clock, GUILD + 1, CHANNEL, GroupDefaults())
    assert await group_for_channel(db, GUILD + 1, CHANNEL) == created


async def test_a_read_overlapping_a_write_is_not_remembered(
    db: Database, clock: VirtualClock
) -> None:
    """A read that started before a settings change committed is not kept for later."""
    group = await ensure_group(db, clock, GUILD, CHANNEL, GroupDefaults())
    started, release = asyncio.Event(), asyncio.Event()

    async def slow_read() -> str:
        started.set()
        await release.wait()
        return "old"

    reading = asyncio.create_task(db.memo("key", slow_read))
    await started.wait()
    await update_settings(db, group.id, SettingsChange(timezone="Asia/Tokyo"))
    release.set()
    assert await reading == "old"

    async def fresh_read() -> str:
        return "new"

    assert await db.memo("key", fresh_read) == "new"
