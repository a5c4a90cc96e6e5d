"""Consultation buttons and forms work after the bot restarts (they hold ids, not memory)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.clock import VirtualClock
from bot.sandbox import SandboxServer
from bot.sandbox.chapters.consultations import (
    CONFIRM,
    FINALIZE,
    GOING,
    MARK,
    announcements,
    mark,
    propose,
    propose_and_post,
    shows,
    slot_values,
)
from bot.sandbox.demo import DemoGroup
from bot.sandbox.running_bot import RunningBot, sandbox_settings, start_bot

pytestmark = pytest.mark.e2e


@pytest.fixture(autouse=True)
def no_request_rejected(server: SandboxServer) -> Iterator[None]:
    """Every request of the test passed the sandbox's validation (events included)."""
    yield
    rejected = [f"{r.method} {r.route} -> {r.status}" for r in server.requests if r.status >= 400]
    assert rejected == []


TIMES = "wed 12:00, thu 12:00"
PLACE = "Room 3"


async def restarted(
    running: RunningBot, path: Path, server: SandboxServer, group: DemoGroup, clock: VirtualClock
) -> RunningBot:
    """Stop the bot and start a new process's worth of it on the same database."""
    await running.stop()
    return await start_bot(
        sandbox_settings(server, group.credentials.token, path), clock, sync=False
    )


async def test_poll_form_and_announcement_survive_a_restart(
    server: SandboxServer, group: DemoGroup, clock: VirtualClock, tmp_path: Path
) -> None:
    ana, ben, chen = group.member_ids[:3]
    home = group.home_channel_id
    path = tmp_path / "peerpulse.db"
    running = await start_bot(sandbox_settings(server, group.credentials.token, path), clock)
    try:
        poll = await propose_and_post(server, ana, home, TIMES, place=PLACE)
        echo = await propose(server, ana, home, TIMES, place=PLACE)
        assert echo.message is not None
        # Ben opens the form before the restart and submits it after.
        opened = await server.actor(ben).click(poll.id, label=MARK)
        assert opened.modal is not None
        values = [o["value"] for o in slot_values(opened)]
        running = await restarted(running, path, server, group, clock)

        saved = await server.actor(ben).submit_modal(
            opened.modal, {"works": [values[1]], "if_need_be": []}
        )
        assert saved.message is not None
        assert "Saved" in saved.message.content
        await mark(server, chen, poll.id, works=[1])
        await shows(server, home, poll.id, "2 members answered")

        # A proposal waits in memory only: after a restart, Confirm says so plainly.
        expired = await server.actor(ana).click(echo.message.id, label=CONFIRM)
        assert expired.message is not None
        assert "Run /consult propose again" in expired.message.content

        await (await server.actor(ana).click(poll.id, label=FINALIZE)).final()
        [announcement] = announcements(server, home)
        running = await restarted(running, path, server, group, clock)
        going = await server.actor(chen).click(announcement.id, label=GOING)
        assert going.message is not None
        assert "Saved: going" in going.message.content
    finally:
        await running.stop()
