"""The bot loses the right to post in the check-in channel, and gets it back.

Whether the server announces the change (CHANNEL_UPDATE) or not (only Discord's 403
answers tell), the bot retries a few times, then stops, logs
once, says so in /peerpulse status, tells the moderators who opted in to check-in DMs
once, and posts what waited by itself when the permission returns.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from datetime import datetime, timedelta

import discord
import pytest
from checkin_steps import TUESDAY_9, advance_to, bot_dms, count, group_id_of, opt_in, set_up

from bot.clock import VirtualClock
from bot.members.preferences import set_hours
from bot.sandbox import SandboxServer
from bot.sandbox import permissions as perm
from bot.sandbox.demo import DemoGroup
from bot.sandbox.ratelimit import RateLimiter
from bot.sandbox.running_bot import RunningBot

pytestmark = pytest.mark.e2e


@pytest.fixture
async def server(clock: VirtualClock) -> AsyncIterator[SandboxServer]:
    # Two days of virtual ticks pass in seconds of real time, while the sandbox enforces
    # Discord's per-channel limit (5 posts per 5 s) in real time: an hourly retry must not
    # wait for a real-time bucket, so that limit is lifted here (the global one stays).
    limiter = RateLimiter(route_limits={"POST /channels/{channel_id}/messages": (50, 1.0)})
    sandbox = SandboxServer(clock=clock.now, rate_limiter=limiter)
    await sandbox.start()
    try:
        yield sandbox
    finally:
        await sandbox.stop()


THURSDAY_9 = TUESDAY_9 + timedelta(days=2)  # the round closes: its summary is due
CANNOT_POST = "I can no longer post in"
STATUS = "I can't post in"


async def status_text(server: SandboxServer, group: DemoGroup) -> str:
    result = await server.actor(group.moderator_id).slash(
        "peerpulse status", channel_id=group.home_channel_id
    )
    assert result.message is not None
    return result.message.embed_text()


async def bot_sees_no_overwrites(running: RunningBot, channel_id: int) -> None:
    """Wait until the bot has read the CHANNEL_UPDATE (gateway events arrive on their own)."""
    for _ in range(200):
        channel = running.bot.get_channel(channel_id)
        if isinstance(channel, discord.abc.GuildChannel) and not channel.overwrites:
            return
        await asyncio.sleep(0.01)
    raise AssertionError("the bot never saw the channel update")


async def tick_until(running: RunningBot, end: datetime, step: timedelta) -> None:
    while running.clock.now() < end:
        await running.advance(step)


@pytest.mark.parametrize("announced", [True, False], ids=["channel-update", "only-403s"])
async def test_lost_permission_to_post_is_said_once_and_posting_recovers_by_itself(
    server: SandboxServer,
    group: DemoGroup,
    peerpulse: RunningBot,
    caplog: pytest.LogCaptureFixture,
    announced: bool,
) -> None:
    mira, ana = group.moderator_id, group.member_ids[0]
    await set_up(server, group)
    await opt_in(peerpulse, group, mira, ana)  # a moderator and a member, both want DMs
    group_id = await group_id_of(peerpulse, group)
    for user_id in (mira, ana):
        await set_hours(
            peerpulse.db,
            group_id,
            user_id,
            days="Mon-Sun",
            start="00:00",
            end="24:00",
            now=peerpulse.clock.now(),
        )
    await advance_to(peerpulse, TUESDAY_9)  # the round opens and is posted
    assert (
        await count(
            peerpulse, "SELECT COUNT(*) FROM checkin_rounds WHERE channel_message_id IS NOT NULL"
        )
        == 1
    )

    bot = group.credentials.bot_user_id
    deny = [perm.Overwrite(bot, 1, deny=perm.SEND_MESSAGES)]
    channel = server.world.channel(group.home_channel_id)
    if announced:
        server.set_channel_overwrites(group.home_channel_id, deny)
    else:
        channel.overwrites = deny  # no event: the bot's cache still says it may post
    caplog.clear()
    # Production ticks every 30 s: six hours of that after the close, then two days.
    with caplog.at_level(logging.DEBUG):
        async with asyncio.timeout(120):
            await advance_to(peerpulse, THURSDAY_9)
            await tick_until(peerpulse, THURSDAY_9 + timedelta(hours=6), timedelta(seconds=30))
            await tick_until(peerpulse, THURSDAY_9 + timedelta(days=2), timedelta(minutes=10))

    ours = [r for r in caplog.records if r.name.startswith(("bot.", "cogs."))]
    failures = [r for r in ours if r.levelno >= logging.WARNING]
    assert len(failures) == 1, [r.getMessage() for r in failures]  # logged once
    assert failures[0].exc_info is None  # no traceback
    assert str(group.home_channel_id) in failures[0].getMessage()
    refused = [r for r in server.requests if r.status == 403 and r.error_code == 50013]
    assert 4 <= len(refused) <= 3 + 48  # a few quick tries, then hourly
    assert (
        await count(
            peerpulse, "SELECT COUNT(*) FROM checkin_rounds WHERE summary_message_id IS NOT NULL"
        )
        == 0
    )

    assert STATUS in await status_text(server, group)
    told = [m for m in bot_dms(server, mira) if CANNOT_POST in m.content]
    assert len(told) == 1  # the moderator, once
    assert [m for m in bot_dms(server, ana) if CANNOT_POST in m.content] == []  # not a member

    # The permission returns: the summary that waited is posted, and status says no more.
    if announced:
        server.set_channel_overwrites(group.home_channel_id, [])
        await bot_sees_no_overwrites(peerpulse, group.home_channel_id)
        await peerpulse.advance(timedelta(seconds=30))  # the next tick
    else:
        channel.overwrites = []
        await tick_until(
            peerpulse, peerpulse.clock.now() + timedelta(hours=1), timedelta(minutes=1)
        )
    assert (
        await count(
            peerpulse, "SELECT COUNT(*) FROM checkin_rounds WHERE summary_message_id IS NOT NULL"
        )
        == 1
    )
    assert STATUS not in await status_text(server, group)
    assert len([m for m in bot_dms(server, mira) if CANNOT_POST in m.content]) == 1


async def test_checkin_now_without_the_right_to_post_says_so_and_posts_it_later(
    server: SandboxServer, group: DemoGroup, peerpulse: RunningBot
) -> None:
    await set_up(server, group)
    deny = [perm.Overwrite(group.credentials.bot_user_id, 1, deny=perm.SEND_MESSAGES)]
    server.set_channel_overwrites(group.home_channel_id, deny)
    result = await server.actor(group.moderator_id).slash(
        "checkin now", channel_id=group.home_channel_id
    )
    answer = await result.final()
    assert answer.ephemeral
    assert "This week's check-in is open, but I can't post in" in answer.text
    server.set_channel_overwrites(group.home_channel_id, [])
    await bot_sees_no_overwrites(peerpulse, group.home_channel_id)
    await peerpulse.advance(timedelta(seconds=30))
    posted = "SELECT COUNT(*) FROM checkin_rounds WHERE channel_message_id IS NOT NULL"
    assert await count(peerpulse, posted) == 1
