"""On real time (the ticker's mode) a due step runs on time while a fan-out is held."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import timedelta

import pytest
from checkin_steps import TUESDAY_9, count, group_id_of, opt_in, set_up

from bot.clock import VirtualClock
from bot.members.preferences import set_hours
from bot.sandbox import SandboxServer
from bot.sandbox.demo import DemoGroup
from bot.sandbox.running_bot import RunningBot

pytestmark = pytest.mark.e2e

MEMBER_FETCH = ("GET", "/guilds/{guild_id}/members/{user_id}")  # the access check before a DM


async def until(condition: Callable[[], bool], seconds: float = 10) -> None:
    async with asyncio.timeout(seconds):
        while not condition():
            await asyncio.sleep(0.005)


async def test_the_close_runs_on_time_while_the_open_fan_out_is_held(
    server: SandboxServer, group: DemoGroup, peerpulse: RunningBot, clock: VirtualClock
) -> None:
    members = group.member_ids[:3]
    await set_up(server, group, hours_open=48)
    await opt_in(peerpulse, group, *members)
    group_id = await group_id_of(peerpulse, group)
    for user_id in members:
        await set_hours(
            peerpulse.db,
            group_id,
            user_id,
            days="Mon-Sun",
            start="00:00",
            end="24:00",
            now=clock.now(),
        )
    steps = peerpulse.bot.steps
    steps.start(clock)
    try:
        server.stall_replies(*MEMBER_FETCH)
        clock.set(TUESDAY_9)
        steps.tick(clock.now())  # the round opens and its DMs fan out...
        await until(lambda: server.stalled_replies >= 1)  # ...and the fan-out is held
        assert steps.running("delivery")

        clock.set(TUESDAY_9 + timedelta(hours=48))
        steps.tick(clock.now())  # the close is due while the fan-out is still held
        closed = "SELECT COUNT(*) FROM checkin_rounds WHERE closed_at IS NOT NULL"
        async with asyncio.timeout(10):
            while await count(peerpulse, closed) == 0:
                await asyncio.sleep(0.01)
        assert server.stalled_replies >= 1
        assert steps.running("delivery")  # still held: the close did not wait for it
    finally:
        server.release_replies()
        await until(lambda: not steps.running("delivery"), 30)
        await steps.stop()
