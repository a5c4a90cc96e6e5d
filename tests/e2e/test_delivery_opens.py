"""First-time recipients wait for their DM channel to open; nobody else waits with them.

Opening a DM channel is paced far slower than sending (1/s by default), so a first-time
fan-out can take minutes. Here the server never answers the opens until told to: a
member whose channel the bot already knows, even one whose DM became due after the
fan-out started, still gets their DM meanwhile.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest

from bot.app.dm_transport import OutgoingDm
from bot.clock import VirtualClock
from bot.delivery import outbox, recipients
from bot.delivery.outbox import OutboxItem
from bot.groups import ensure_group
from bot.members.preferences import set_dm_opt_in, set_hours
from bot.sandbox import SandboxServer
from bot.sandbox.demo import DemoMember, build_demo_group
from bot.sandbox.running_bot import sandbox_settings, start_bot

pytestmark = pytest.mark.e2e

KIND = "checkin_opens_test"
OPEN = ("POST", "/users/@me/channels")
COLD, WARM = 20, 3  # more first-time members than the bot has senders (16)


async def render(item: OutboxItem) -> OutgoingDm:
    return OutgoingDm(content=f"Check-in {item.ref}")


async def until(condition: Callable[[], bool], seconds: float = 10) -> None:
    async with asyncio.timeout(seconds):
        while not condition():
            await asyncio.sleep(0.01)


async def test_members_with_known_channels_are_not_held_behind_first_time_opens(
    clock: VirtualClock, tmp_path: Path
) -> None:
    async with SandboxServer(clock=clock.now) as server:
        group = build_demo_group(
            server, [DemoMember(f"M{i:02d}", "UTC") for i in range(COLD + WARM)]
        )
        settings = sandbox_settings(server, group.credentials.token, tmp_path / "b.db")
        running = await start_bot(settings, clock, sync=False)
        try:
            running.bot.dm_renderers.register(KIND, render)
            db, now = running.db, clock.now()
            found = await ensure_group(
                db, clock, group.guild_id, group.home_channel_id, settings.defaults
            )
            members = list(group.member_ids)
            cold, warm = members[:COLD], members[COLD:]

            async def due(user_id: int, ref: str) -> None:
                await outbox.enqueue(
                    db,
                    group_id=found.id,
                    user_id=user_id,
                    kind=KIND,
                    ref=ref,
                    due_at=now,
                    expires_at=now + timedelta(days=1),
                    payload={},
                )

            for user_id in members:
                await set_hours(
                    db, found.id, user_id, days="every day", start="00:00", end="24:00", now=now
                )
                await set_dm_opt_in(db, found.id, user_id, "checkins", True, now=now)
            for user_id in warm:
                channel = server.world.dm_channel(user_id)
                await recipients.remember_channel(db, user_id, channel.id, now=now)
            for user_id in cold + warm[:1]:  # the first-time members are first in line
                await due(user_id, "early")

            server.stall_replies(*OPEN)
            tick = asyncio.create_task(running.tick())
            try:
                await until(lambda: len(server.dm_timeline(warm[0])) == 1)
                # DMs that become due while the first-time members still wait go out too.
                for user_id in warm:
                    await due(user_id, "late")
                await until(lambda: all(server.dm_timeline(u) for u in warm[1:]))
                await until(lambda: len(server.dm_timeline(warm[0])) == 2)
                assert not any(server.dm_timeline(u) for u in cold)
                assert server.stalled_replies >= 1  # the opens really were held
            finally:
                server.release_replies()
            await asyncio.wait_for(tick, 60)
            assert all(len(server.dm_timeline(u)) == 1 for u in cold)
            statuses = await db.fetchall("SELECT status FROM outbox")
            assert {row["status"] for row in statuses} == {"sent"}
        finally:
            await running.stop()
