"""Another process holds the database's write lock: every interaction is still answered in time.

A separate sqlite3 connection (on a thread, as another process would) takes the write lock
with BEGIN IMMEDIATE while members use a read-only command, a saving command and the
check-in form. The sandbox refuses any first answer later than Discord's 3 s (10062), so an
interaction that was acknowledged at all was acknowledged in time. Each outcome must be
honest: saved and said so, or "not saved, try again" with the member's note given back.
"""

from __future__ import annotations

import asyncio
import math
import sqlite3
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from checkin_steps import TUESDAY_9, advance_to, count, set_up

from bot.clock import VirtualClock
from bot.config import DatabaseSettings
from bot.sandbox import SandboxServer
from bot.sandbox.actors import InteractionResult, InteractionTimeoutError
from bot.sandbox.chapters.checkins import ANSWER, checkin_posts
from bot.sandbox.demo import DemoGroup
from bot.sandbox.running_bot import RunningBot, sandbox_settings, start_bot

pytestmark = pytest.mark.e2e

DEADLINE = 3.0  # Discord's, enforced by the sandbox
NOTE = "Heavy week; two cancellations and a difficult supervision."


@asynccontextmanager
async def write_lock_held(path: Path, seconds: float) -> AsyncIterator[asyncio.Task[None]]:
    """Hold BEGIN IMMEDIATE on `path` from another connection for `seconds`."""
    taken = threading.Event()

    def hold() -> None:
        conn = sqlite3.connect(path, isolation_level=None, timeout=10)
        try:
            conn.execute("BEGIN IMMEDIATE")
            taken.set()
            time.sleep(seconds)
            conn.execute("COMMIT")
        finally:
            conn.close()

    holder = asyncio.create_task(asyncio.to_thread(hold))
    while not taken.is_set():
        await asyncio.sleep(0.01)
    try:
        yield holder
    finally:
        await holder


async def acknowledged(
    start: Callable[[], Awaitable[InteractionResult]],
) -> tuple[InteractionResult, float]:
    """Start an interaction and time its first answer (the sandbox refuses one after 3 s).

    Never answered (the sandbox refused a late answer with 10062) counts as infinitely late.
    """
    began = time.monotonic()
    result = await start()
    try:
        await result.answered(timeout=DEADLINE + 2)
    except InteractionTimeoutError:
        return result, math.inf
    return result, time.monotonic() - began


async def use_everything_while_locked(
    server: SandboxServer, group: DemoGroup, running: RunningBot, path: Path, seconds: float
) -> dict[str, tuple[InteractionResult, float]]:
    """Seven people act at once while another process holds the write lock.

    Reads: Mira's /peerpulse status, Ana's /me show, Eve's /privacy, Chen opening the form.
    Writes: Ben's /me timezone, Dev's /me hours, Chen's check-in with a note.
    """
    mira = server.actor(group.moderator_id)
    ana, ben, chen, dev, eve = (server.actor(u) for u in group.member_ids)
    channel = group.home_channel_id
    await set_up(server, group)
    await advance_to(running, TUESDAY_9)
    [post] = checkin_posts(server, channel)
    async with write_lock_held(path, seconds):
        opened, opened_in = await acknowledged(lambda: chen.click(post.id, label=ANSWER))
        assert opened.modal is not None
        modal = opened.modal
        results = await asyncio.gather(
            acknowledged(lambda: mira.slash("peerpulse status", channel_id=channel, wait=False)),
            acknowledged(lambda: ana.slash("me show", channel_id=channel, wait=False)),
            acknowledged(lambda: eve.slash("privacy", channel_id=channel, wait=False)),
            acknowledged(
                lambda: ben.slash(
                    "me timezone",
                    channel_id=channel,
                    options={"zone": "Europe/Lisbon"},
                    wait=False,
                )
            ),
            acknowledged(
                lambda: dev.slash(
                    "me hours",
                    channel_id=channel,
                    options={"days": "Mon-Thu", "start": "08:00", "end": "16:00"},
                    wait=False,
                )
            ),
            acknowledged(
                lambda: chen.submit_modal(
                    modal,
                    {
                        "energy": "2",
                        "caseload": "heavy",
                        "boundaries": "mostly",
                        "consult": "no",
                        "note": NOTE,
                    },
                    wait=False,
                )
            ),
        )
    names = ("status", "show", "privacy", "timezone", "hours", "form")
    return {"open form": (opened, opened_in), **dict(zip(names, results, strict=True))}


def share_in_time(results: dict[str, tuple[InteractionResult, float]]) -> float:
    return sum(elapsed < DEADLINE for _, elapsed in results.values()) / len(results)


@pytest.mark.parametrize("seconds", [4, 8])
async def test_a_held_write_lock_delays_answers_but_loses_nothing(
    server: SandboxServer, group: DemoGroup, clock: VirtualClock, tmp_path: Path, seconds: int
) -> None:
    path = tmp_path / "peerpulse.db"
    running = await start_bot(sandbox_settings(server, group.credentials.token, path), clock)
    try:
        results = await use_everything_while_locked(server, group, running, path, seconds)
        share = share_in_time(results)
        # The figure the closing note quotes (run with -s to see it).
        slowest = max(elapsed for _, elapsed in results.values())
        print(  # noqa: T201
            f"\nwrite lock held {seconds} s: {share:.0%} of {len(results)} interactions "
            f"answered within 3 s (slowest first answer {slowest:.2f} s)"
        )
        assert share == 1.0, {name: round(t, 2) for name, (_, t) in results.items()}

        status = await results["status"][0].final()
        assert "peerpulse status" in status.text
        shown = await results["show"][0].final()
        assert "Your settings" in shown.text
        zone = await results["timezone"][0].final(timeout=30)
        assert "Time zone saved" in zone.text
        assert "Europe/Lisbon" in zone.text
        hours = await results["hours"][0].final(timeout=30)
        assert "Working hours saved" in hours.text
        assert "What peerpulse keeps" in (await results["privacy"][0].final()).text
        form = await results["form"][0].final(timeout=30)
        assert form.ephemeral
        assert "your check-in is saved" in form.content
        saved = "SELECT COUNT(*) FROM checkin_answers WHERE note = ?"
        assert await count(running, saved, NOTE) == 1
    finally:
        await running.stop()


async def test_a_lock_held_past_the_busy_timeout_says_not_saved_and_gives_the_note_back(
    server: SandboxServer, group: DemoGroup, clock: VirtualClock, tmp_path: Path
) -> None:
    path = tmp_path / "peerpulse.db"
    settings = sandbox_settings(server, group.credentials.token, path)
    settings = settings.model_copy(
        update={"database": DatabaseSettings(path=path, busy_timeout_ms=1000)}
    )
    running = await start_bot(settings, clock)
    try:
        # Three writes queue, each waiting 1 s at most: all give up before the lock ends.
        results = await use_everything_while_locked(server, group, running, path, 6)
        assert share_in_time(results) == 1.0

        zone = await results["timezone"][0].final(timeout=30)
        assert zone.ephemeral
        assert "database is busy" in zone.content
        assert "not saved" in zone.content
        assert "try it again" in zone.content
        hours = await results["hours"][0].final(timeout=30)
        assert "not saved" in hours.text
        form = await results["form"][0].final(timeout=30)
        assert form.ephemeral
        assert "**not saved**" in form.content
        assert "answer again" in form.content
        assert NOTE in form.text  # what Chen typed is given back to him
        assert await count(running, "SELECT COUNT(*) FROM checkin_answers") == 0
        assert await count(running, "SELECT COUNT(*) FROM member_preferences") == 0
        # The reads were never held up.
        assert "Your settings" in (await results["show"][0].final()).text
        assert "peerpulse status" in (await results["status"][0].final()).text
    finally:
        await running.stop()
