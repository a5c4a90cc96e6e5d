"""A DM fan-out under a tight global rate limit: the bot slows down instead of hammering.

The sandbox enforces a global limit of N requests per rolling second on real time (as
Discord does), 16 workers deliver one DM to each of 45 members, and the test counts
what Discord would count against the bot: 429 answers. Discord bans a bot at 10,000
invalid requests in 10 minutes, so at most one rejected request per delivered DM at
3/s, and none at 50/s (the pace stays under it).

Print the figures with:
    pytest -s tests/e2e/test_delivery_global_limit.py
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
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
from bot.sandbox.demo import DemoGroup, DemoMember, build_demo_group
from bot.sandbox.ratelimit import RateLimiter
from bot.sandbox.running_bot import RunningBot, sandbox_settings, start_bot

pytestmark = pytest.mark.e2e

KIND = "checkin_rate_test"
MEMBERS = 45


@dataclass
class Fanout:
    server: SandboxServer
    group: DemoGroup
    running: RunningBot
    clock: VirtualClock


async def render(item: OutboxItem) -> OutgoingDm:
    return OutgoingDm(content=f"Week {item.ref}: a rate-limit test DM")


@pytest.fixture
async def fanout(
    request: pytest.FixtureRequest, clock: VirtualClock, tmp_path: Path
) -> AsyncIterator[Fanout]:
    limit: int = request.param
    server = SandboxServer(clock=clock.now, rate_limiter=RateLimiter(global_per_second=limit))
    await server.start()
    try:
        group = build_demo_group(server, [DemoMember(f"M{i:02d}", "UTC") for i in range(MEMBERS)])
        settings = sandbox_settings(server, group.credentials.token, tmp_path / "rate.db")
        running = await start_bot(settings, clock, sync=False)
        try:
            running.bot.dm_renderers.register(KIND, render)
            await queue_one_dm_each(server, group, running)
            yield Fanout(server, group, running, clock)
        finally:
            await running.stop()
    finally:
        await server.stop()


async def queue_one_dm_each(server: SandboxServer, group: DemoGroup, running: RunningBot) -> None:
    db, now = running.db, running.clock.now()
    found = await ensure_group(
        db, running.clock, group.guild_id, group.home_channel_id, running.bot.settings.defaults
    )
    for user_id in group.member_ids:
        await set_hours(db, found.id, user_id, days="Mon-Sun", start="00:00", end="24:00", now=now)
        await set_dm_opt_in(db, found.id, user_id, "checkins", True, now=now)
        channel = server.world.dm_channel(user_id)
        await recipients.remember_channel(db, user_id, channel.id, now=now)
        await outbox.enqueue(
            db,
            group_id=found.id,
            user_id=user_id,
            kind=KIND,
            ref="2026-W10",
            due_at=now,
            expires_at=now + timedelta(days=1),
            payload={},
        )


async def deliver_all(f: Fanout) -> tuple[int, int]:
    """Tick (a minute apart on the virtual clock, for retries) until every DM is sent."""
    for _ in range(30):
        await f.running.tick()
        row = await f.running.db.fetchone("SELECT COUNT(*) AS n FROM outbox WHERE status != 'sent'")
        assert row is not None
        if row["n"] == 0:
            break
        f.clock.advance(timedelta(minutes=1))
    delivered = sum(len(f.server.dm_timeline(user_id)) for user_id in f.group.member_ids)
    return delivered, f.server.ratelimit_counters.total


@pytest.mark.parametrize("fanout", [3], indirect=True)
async def test_under_a_3_per_second_global_limit_at_most_one_429_per_delivered_dm(
    fanout: Fanout,
) -> None:
    delivered, rejected = await deliver_all(fanout)
    print(f"\nglobal limit 3/s: {rejected} 429s for {delivered} DMs = {rejected / delivered:.2f}")  # noqa: T201 - the figures the issue asks for
    assert delivered == MEMBERS
    assert rejected <= delivered


@pytest.mark.parametrize("fanout", [50], indirect=True)
async def test_under_discords_50_per_second_global_limit_no_429(fanout: Fanout) -> None:
    delivered, rejected = await deliver_all(fanout)
    print(f"\nglobal limit 50/s: {rejected} 429s for {delivered} DMs")  # noqa: T201 - the figures the issue asks for
    assert delivered == MEMBERS
    assert rejected == 0
