"""A DM fan-out to 300 members through the real bot and the sandbox server.

Mixed zones (the group's and members' own), working hours (one crossing midnight),
away states, opt-outs and closed DMs; the virtual clock steps 15 minutes at a time
across eight days and the US switch to daylight saving time. The same run is repeated
with 30% of the DM requests failing (seeded 429s and 503s, some after Discord already
created the message, so only the message nonce prevents a double).
"""

# ruff: noqa: S311 - seeded generators make members and failures reproducible

from __future__ import annotations

import random
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.app.dm_transport import OutgoingDm
from bot.clock import VirtualClock
from bot.config import DeliveryConfig
from bot.delivery import outbox, recipients
from bot.delivery.outbox import OutboxItem
from bot.delivery.status import delivery_status
from bot.groups import SettingsChange, ensure_group, update_settings
from bot.members.hours import is_within
from bot.members.preferences import (
    get_preferences,
    set_away,
    set_dm_opt_in,
    set_hours,
    set_timezone,
)
from bot.sandbox import SandboxServer
from bot.sandbox.chaos import RandomFailures
from bot.sandbox.demo import DemoGroup, DemoMember, build_demo_group
from bot.sandbox.ratelimit import RateLimiter
from bot.sandbox.running_bot import RunningBot, sandbox_settings, start_bot

pytestmark = pytest.mark.e2e

KIND = "checkin_fanout_test"  # the "checkin" prefix: needs the check-in DM opt-in
GROUP_ZONE = "Europe/London"
SEND = ("POST", "/channels/{channel_id}/messages")
ZONES = (None, "America/New_York", "Europe/London", "Australia/Sydney", "Asia/Kolkata")
ZONES += ("America/Los_Angeles", "Asia/Kathmandu")
SHAPES = (
    ("Mon-Fri", "09:00", "17:00"),
    ("Sun-Thu", "22:00", "06:00"),
    ("Mon,Wed,Fri", "08:00", "12:00"),
    ("Sat,Sun", "10:00", "14:00"),
    ("Tue-Thu", "13:30", "19:45"),
)
TICK = timedelta(seconds=30)
SETUP_AT = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # Monday
DUE_AT = datetime(2026, 3, 5, 17, 0, tzinfo=UTC)  # Thursday; US DST starts on Sunday 8 March


@dataclass(frozen=True)
class Member:
    user_id: int
    zone: str | None
    shape: tuple[str, str, str]
    away_until: str | None  # "" = indefinitely
    opted_in: bool
    closed: bool
    fresh_channel: bool

    @property
    def away_at_due(self) -> bool:
        return self.away_until is not None and (
            self.away_until == "" or self.away_until >= "2026-03-05"
        )

    @property
    def expects_dm(self) -> bool:
        return self.opted_in and not self.closed and not self.away_at_due


@dataclass
class Fanout:
    server: SandboxServer
    group: DemoGroup
    running: RunningBot
    clock: VirtualClock
    members: list[Member]


async def render(item: OutboxItem) -> OutgoingDm:
    return OutgoingDm(content=f"Week {item.ref}: how are you doing? (a fan-out test DM)")


def plan_members(user_ids: list[int], rng: random.Random) -> list[Member]:
    away = {0: "", 3: "2026-03-04", 7: "2026-03-20"}  # indefinitely, back before due, still away
    return [
        Member(
            user_id=user_id,
            zone=rng.choice(ZONES),
            shape=rng.choice(SHAPES),
            away_until=away.get(index % 17),
            opted_in=index % 31 != 2,
            closed=index % 23 == 5,
            fresh_channel=index % 10 == 4,
        )
        for index, user_id in enumerate(user_ids)
    ]


@pytest.fixture
async def fanout(clock: VirtualClock, tmp_path: Path) -> AsyncIterator[Fanout]:
    # Discord does not publish its DM-open limit; the bot and the server agree on 20/s here
    # (the bot's default is a cautious 1/s) so that 30 new DM channels take no minutes.
    limiter = RateLimiter(route_limits={"POST /users/@me/channels": (20, 1.0)})
    server = SandboxServer(clock=clock.now, rate_limiter=limiter)
    await server.start()
    try:
        demo = [DemoMember(f"Member{i:03d}", "UTC") for i in range(300)]
        group = build_demo_group(server, demo)
        settings = sandbox_settings(server, group.credentials.token, tmp_path / "fanout.db")
        settings.delivery = DeliveryConfig(dm_opens_per_second=15.0)
        running = await start_bot(settings, clock)
        try:
            running.bot.dm_renderers.register(KIND, render)
            members = plan_members(list(group.member_ids), random.Random(11))
            await set_up_members(server, group, running, members)
            yield Fanout(server, group, running, clock, members)
        finally:
            await running.stop()
    finally:
        await server.stop()


async def set_up_members(
    server: SandboxServer, group: DemoGroup, running: RunningBot, members: list[Member]
) -> None:
    """Each member's settings as /me would save them, and DM channels the bot already knows."""
    db, now = running.db, SETUP_AT
    found = await ensure_group(
        db, running.clock, group.guild_id, group.home_channel_id, running.bot.settings.defaults
    )
    await update_settings(db, found.id, SettingsChange(timezone=GROUP_ZONE))
    for m in members:
        days, start, end = m.shape
        await set_hours(db, found.id, m.user_id, days=days, start=start, end=end, now=now)
        if m.zone:
            await set_timezone(db, found.id, m.user_id, m.zone, now=now)
        if m.opted_in:
            await set_dm_opt_in(db, found.id, m.user_id, "checkins", True, now=now)
        if m.away_until is not None:
            until = datetime.fromisoformat(m.away_until).date() if m.away_until else None
            await set_away(db, found.id, m.user_id, until, now=now, group_zone=GROUP_ZONE)
        if m.closed:
            server.set_dms_closed(m.user_id)
        if not m.fresh_channel:
            channel = server.world.dm_channel(m.user_id)
            await recipients.remember_channel(db, m.user_id, channel.id, now=now)


async def fan_out(f: Fanout) -> None:
    """Queue one DM per member due Thursday 17:00 UTC, then tick every 15 minutes for 8 days."""
    f.clock.set(DUE_AT)
    for m in f.members:
        await outbox.enqueue(
            f.running.db,
            group_id=1,
            user_id=m.user_id,
            kind=KIND,
            ref="2026-W10",
            due_at=DUE_AT,
            expires_at=DUE_AT + timedelta(days=9),
            payload={"week": 10},
        )
    end = DUE_AT + timedelta(days=8)
    while f.clock.now() < end:
        await f.running.tick()
        step_end = f.clock.now() + timedelta(minutes=15)
        # Production ticks every 30 s; keep that pace while retries wait, so that a resend
        # after a lost reply comes, as it would, within Discord's few-minute nonce window.
        while f.clock.now() + TICK < step_end and await retry_due_before(f, step_end):
            await f.running.advance(TICK)
        f.clock.set(step_end)
    await f.running.tick()


async def retry_due_before(f: Fanout, instant: datetime) -> bool:
    row = await f.running.db.fetchone(
        "SELECT 1 FROM outbox WHERE status = 'pending' AND hold_reason = 'retry' "
        "AND next_attempt_at < ?",
        (instant.isoformat(timespec="microseconds"),),
    )
    return row is not None


async def check_outcome(f: Fanout) -> None:
    server, db = f.server, f.running.db
    channel_owner = {
        channel.id: channel.recipient_id
        for channel in server.world.channels.values()
        if channel.recipient_id is not None
    }
    requests_by_user: dict[int, list[tuple[int, int | None]]] = {}
    for record in server.requests_to(*SEND):
        channel_id = int(record.path.split("/")[4])
        owner = channel_owner[channel_id]
        requests_by_user.setdefault(owner or 0, []).append((record.status, record.error_code))

    expected = [m for m in f.members if m.expects_dm]
    assert 200 < len(expected) < 280  # the mix really is mixed
    for m in f.members:
        dms = server.dm_timeline(m.user_id)
        tried = requests_by_user.get(m.user_id, [])
        if m.expects_dm:
            assert len(dms) == 1, m  # exactly once
            prefs = await get_preferences(db, 1, m.user_id)
            assert is_within(prefs.hours, prefs.zone(GROUP_ZONE), dms[0].timestamp), m
            assert dms[0].nonce is not None
        else:
            assert dms == [], m
        if m.away_at_due or not m.opted_in:
            assert tried == [], m  # never even tried
        if m.closed and m.opted_in and not m.away_at_due:
            assert [t for t in tried if t[0] == 403] == [(403, 50007)], m  # tried once
            assert tried[-1] == (403, 50007), m  # and never again

    # Finished rows are purged after two days; status keeps their counts.
    status = await delivery_status(db, 1, f.clock.now())
    assert Counter(status.outcomes[KIND]) == Counter(
        {
            "sent": len(expected),
            "away": sum(m.opted_in and m.away_at_due for m in f.members),
            "opted_out": sum(not m.opted_in for m in f.members),
            "dms_closed": sum(m.opted_in and m.closed and not m.away_at_due for m in f.members),
        }
    )
    assert status.backlog.total == 0
    assert status.members_with_dms_closed == sum(
        m.opted_in and m.closed and not m.away_at_due for m in f.members
    )
    assert server.ratelimit_counters.global_count == 0  # paced under Discord's 50/s


async def test_fan_out_to_300_members_delivers_each_due_dm_once_inside_their_hours(
    fanout: Fanout,
) -> None:
    await fan_out(fanout)
    await check_outcome(fanout)
    assert fanout.server.ratelimit_counters.total == 0
    sends = fanout.server.requests_to(*SEND)
    expected = sum(m.expects_dm for m in fanout.members)
    closed = sum(m.opted_in and m.closed and not m.away_at_due for m in fanout.members)
    assert len(sends) == expected + closed  # no retries were needed
    opens = fanout.server.requests_to("POST", "/users/@me/channels")
    assert len(opens) == sum(
        m.fresh_channel and m.opted_in and not m.away_at_due for m in fanout.members
    )


async def test_the_same_fan_out_with_30_percent_429_and_5xx_ends_the_same_way(
    fanout: Fanout,
) -> None:
    chaos = RandomFailures(rate=0.3, statuses=(429, 503), seed=3, lost_reply_share=0.3)
    fanout.server.inject_random_failures(chaos)
    await fan_out(fanout)
    await check_outcome(fanout)
    assert chaos.injected[429] > 30
    assert chaos.injected[503] > 30
    assert chaos.lost_replies > 5  # messages created whose answer was "lost": resent, not doubled
    # discord.py does not retry a 503: a DM delivered after one was retried by the outbox.
    answers: dict[str, list[int]] = {}
    for record in fanout.server.requests_to(*SEND):
        answers.setdefault(record.path, []).append(record.status)
    retried = [s for s in answers.values() if 503 in s and s[-1] == 200]
    assert len(retried) > 20  # the outbox retried what discord.py gave up on
