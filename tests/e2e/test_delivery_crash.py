"""SIGKILL the bot in the middle of a DM fan-out, twice, and restart it: nothing is lost.

The bot runs as a separate process through the real CLI (`peerpulse --config c.toml run`)
against this test's sandbox server, on real time. Each member's working hours are
chosen from the real clock so that their DM is due and allowed now; a short lease
(`[delivery] lease_seconds`) lets a restarted bot take back the DMs the killed one had
claimed without waiting two minutes.
"""

from __future__ import annotations

import asyncio
import signal
import sqlite3
import sys
from collections import Counter
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.clock import SystemClock
from bot.config import GroupDefaults
from bot.db import Database
from bot.delivery import outbox, recipients
from bot.groups import ensure_group
from bot.members.dm_consent import WELCOME_KIND, WELCOME_REF
from bot.members.hours import DAY_NAMES, format_minute, is_within
from bot.members.preferences import get_preferences, set_dm_opt_in, set_hours, set_timezone
from bot.migrations import migrate
from bot.sandbox import SandboxServer
from bot.sandbox.demo import DemoGroup, DemoMember, build_demo_group

pytestmark = pytest.mark.e2e

MEMBERS = 120
KILL_AT = (30, 70)  # DMs delivered when each SIGKILL lands
ZONES = ("America/New_York", "Europe/London", "Australia/Sydney", "Asia/Kolkata", "UTC")
SEND = ("POST", "/channels/{channel_id}/messages")


def peerpulse_command() -> list[str]:
    script = Path(sys.executable).with_name("peerpulse")
    return [str(script)] if script.exists() else [sys.executable, "-m", "bot"]


def hours_around(now: datetime, zone: str) -> tuple[str, str, str]:
    """A four-hour window that started an hour ago in `zone`: (day it started, start, end)."""
    local = now.astimezone(ZoneInfo(zone))
    started = local - timedelta(hours=1)
    start = started.hour * 60 + started.minute
    end = (start + 240) % 1440 or 1440
    return DAY_NAMES[started.weekday()], format_minute(start), format_minute(end)


async def prepare(server: SandboxServer, group: DemoGroup, path: Path) -> None:
    """The group, members whose hours cover now, known DM channels, one due DM each."""
    clock = SystemClock()
    db = await Database.open(path)
    try:
        await migrate(db, clock)
        found = await ensure_group(
            db, clock, group.guild_id, group.home_channel_id, GroupDefaults()
        )
        now = clock.now()
        for user_id in group.member_ids:
            zone = group.zones[user_id]
            days, start, end = hours_around(now, zone)
            await set_timezone(db, found.id, user_id, zone, now=now)
            await set_hours(db, found.id, user_id, days=days, start=start, end=end, now=now)
            # The welcome DM goes only to members with a DM kind on.
            await set_dm_opt_in(db, found.id, user_id, "checkins", True, now=now)
            prefs = await get_preferences(db, found.id, user_id)
            assert is_within(prefs.hours, prefs.zone("UTC"), now)
            channel = server.world.dm_channel(user_id)
            await recipients.remember_channel(db, user_id, channel.id, now=now)
            await outbox.enqueue(
                db,
                group_id=found.id,
                user_id=user_id,
                kind=WELCOME_KIND,
                ref=WELCOME_REF,
                due_at=now,
                expires_at=now + timedelta(hours=1),
                payload={},
            )
    finally:
        await db.close()


def write_config(path: Path, server: SandboxServer, group: DemoGroup, concurrency: int) -> Path:
    path.write_text(
        "[discord]\n"
        f'token = "{group.credentials.token}"\n'
        f'api_base_url = "{server.api_base}"\n'
        f'gateway_url = "{server.gateway_url}"\n'
        "guild_ready_timeout = 0.1\n"
        "reidentify_delay = 0\n"
        "[database]\n"
        f'path = "{path.parent / "peerpulse.db"}"\n'
        "[scheduler]\n"
        "tick_seconds = 0.2\n"
        "[delivery]\n"
        "lease_seconds = 2.0\n"
        f"concurrency = {concurrency}\n",
        encoding="utf-8",
    )
    return path


async def start(config: Path, log: Path) -> asyncio.subprocess.Process:
    with log.open("ab") as sink:
        return await asyncio.create_subprocess_exec(
            *peerpulse_command(),
            "--config",
            str(config),
            "run",
            cwd=config.parent,
            stdout=sink,
            stderr=sink,
        )


async def until(condition: Callable[[], bool], seconds: float = 60) -> None:
    async with asyncio.timeout(seconds):
        while not condition():
            await asyncio.sleep(0.005)


def delivered(server: SandboxServer, group: DemoGroup) -> int:
    return sum(len(server.dm_timeline(user_id)) for user_id in group.member_ids)


def outbox_statuses(path: Path) -> Counter[str]:
    conn = sqlite3.connect(path)
    try:
        return Counter(status for (status,) in conn.execute("SELECT status FROM outbox"))
    finally:
        conn.close()


@pytest.mark.parametrize(
    ("concurrency", "nonce_honoured"),
    [(16, True), (1, False)],
    ids=["default-with-discord-nonce", "one-at-a-time-without-nonce"],
)
async def test_sigkill_mid_fan_out_loses_nothing_and_duplicates_at_most_one_per_kill(
    tmp_path: Path, concurrency: int, nonce_honoured: bool
) -> None:
    demo = [DemoMember(f"Member{i:03d}", ZONES[i % len(ZONES)]) for i in range(MEMBERS)]
    async with SandboxServer() as server:  # real time, Discord's 50/s global limit
        if not nonce_honoured:
            server.world.nonce_window = timedelta(0)
        group = build_demo_group(server, demo)
        database = tmp_path / "peerpulse.db"
        await prepare(server, group, database)
        config = write_config(tmp_path / "c.toml", server, group, concurrency)
        log = tmp_path / "bot.log"

        claimed_at_kill = []
        for threshold in KILL_AT:
            bot = await start(config, log)
            await until(lambda threshold=threshold: delivered(server, group) >= threshold)
            # Kill it with every worker's DM created at Discord but not yet acknowledged.
            held = server.stalled_replies + concurrency
            server.stall_replies(*SEND)
            await until(lambda held=held: server.stalled_replies >= held)
            bot.send_signal(signal.SIGKILL)
            assert await bot.wait() == -signal.SIGKILL
            server.release_replies()
            claimed_at_kill.append(outbox_statuses(database)["sending"])
            assert delivered(server, group) < MEMBERS  # killed in the middle

        bot = await start(config, log)
        try:
            await until(lambda: outbox_statuses(database) == Counter({"sent": MEMBERS}))
        finally:
            bot.send_signal(signal.SIGTERM)
            assert await asyncio.wait_for(bot.wait(), 30) == 0, log.read_text()[-3000:]

    per_member = Counter({u: len(server.dm_timeline(u)) for u in group.member_ids})
    assert min(per_member.values()) == 1  # nothing lost
    duplicates = sum(per_member.values()) - MEMBERS
    assert duplicates <= len(KILL_AT)  # at most one per kill
    assert all(n >= concurrency for n in claimed_at_kill)  # each kill left DMs claimed
    nonces = Counter(r.body["nonce"] for r in server.requests_to(*SEND) if r.status == 200)
    resent = sum(n - 1 for n in nonces.values())
    assert resent == concurrency * len(KILL_AT)  # exactly the DMs in flight went out again
    if nonce_honoured:
        assert duplicates == 0  # Discord's enforce_nonce absorbed every re-send
    else:
        assert duplicates == len(KILL_AT)  # one worker: its one DM in flight, once per kill
    assert "Traceback" not in log.read_text()
