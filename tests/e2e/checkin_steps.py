"""Steps the check-in end-to-end tests share (imported by name: tests/e2e is on sys.path)."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.groups import group_for_channel
from bot.members.preferences import set_dm_opt_in
from bot.sandbox import MessageView, SandboxServer
from bot.sandbox.demo import DemoGroup
from bot.sandbox.running_bot import RunningBot

TUESDAY_9 = datetime(2026, 3, 3, 9, tzinfo=UTC)  # the fixture clock starts Monday 09:00 UTC


async def set_up(
    server: SandboxServer,
    group: DemoGroup,
    *,
    weekday: str = "Tuesday",
    time: str = "09:00",
    hours_open: int = 48,
    reminder: bool = True,
) -> str:
    """Mira sets up check-ins; returns the confirmation's text."""
    result = await server.actor(group.moderator_id).slash(
        "checkin setup",
        channel_id=group.home_channel_id,
        options={"weekday": weekday, "time": time, "hours_open": hours_open, "reminder": reminder},
    )
    assert result.message is not None
    assert result.message.ephemeral
    return result.message.text


async def group_id_of(running: RunningBot, group: DemoGroup) -> int:
    found = await group_for_channel(running.db, group.guild_id, group.home_channel_id)
    assert found is not None
    return found.id


async def opt_in(running: RunningBot, group: DemoGroup, *members: int) -> None:
    """Members choose check-in DMs in their settings (as /me would record it)."""
    group_id = await group_id_of(running, group)
    for member in members:
        await set_dm_opt_in(running.db, group_id, member, "checkins", True, now=running.clock.now())


async def advance_to(running: RunningBot, instant: datetime) -> None:
    await running.advance(instant - running.clock.now())


def public_messages(server: SandboxServer, group: DemoGroup) -> list[MessageView]:
    """Every non-ephemeral message in every channel of the demo server."""
    owner = server.actor(group.owner_id)
    channels = server.world.guild(group.guild_id).channel_ids
    return [m for c in channels for m in owner.sees(c) if not m.ephemeral]


def bot_dms(server: SandboxServer, user_id: int) -> list[MessageView]:
    return [m for m in server.actor(user_id).dms() if m.author_is_bot and not m.ephemeral]


async def count(running: RunningBot, sql: str, *params: object) -> int:
    row = await running.db.fetchone(sql, params)
    assert row is not None
    return int(row[0])
