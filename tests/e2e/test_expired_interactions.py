"""An interaction that reaches the bot too late (10062) is logged once, as a warning, and
not answered a second time on its dead token."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator

import pytest

from bot.clock import VirtualClock
from bot.sandbox import SandboxServer
from bot.sandbox.demo import DemoGroup
from bot.sandbox.running_bot import RunningBot

pytestmark = pytest.mark.e2e


class SkewedTime:
    """The sandbox's deadline clock, which a test can move past Discord's 3 s at once."""

    def __init__(self) -> None:
        self.skew = 0.0

    def __call__(self) -> float:
        return time.monotonic() + self.skew


@pytest.fixture
def deadline_clock() -> SkewedTime:
    return SkewedTime()


@pytest.fixture
async def server(clock: VirtualClock, deadline_clock: SkewedTime) -> AsyncIterator[SandboxServer]:
    sandbox = SandboxServer(clock=clock.now, now=deadline_clock)
    await sandbox.start()
    try:
        yield sandbox
    finally:
        await sandbox.stop()


async def test_a_late_interaction_is_a_warning_and_is_not_answered_twice(
    server: SandboxServer,
    group: DemoGroup,
    peerpulse: RunningBot,
    deadline_clock: SkewedTime,
    caplog: pytest.LogCaptureFixture,
) -> None:
    ana = server.actor(group.member_ids[0])
    caplog.set_level(logging.INFO)
    late = await ana.slash("me show", channel_id=group.home_channel_id, wait=False)
    deadline_clock.skew = 5.0  # by the time the bot answers, 5 s have passed for Discord
    token = late.interaction.token
    for _ in range(200):
        if any("expired before it was answered" in r.getMessage() for r in caplog.records):
            break
        await asyncio.sleep(0.02)
    await asyncio.sleep(2.0)  # past the acknowledgement guard: it must not try again

    to_token = [r for r in server.requests if token in r.path]
    assert [(r.method, r.status, r.error_code) for r in to_token] == [("POST", 404, 10062)]
    warnings = [r for r in caplog.records if "expired before it was answered" in r.getMessage()]
    assert len(warnings) == 1
    assert warnings[0].levelno == logging.WARNING
    assert warnings[0].exc_info is None
    assert str(late.interaction.id) in warnings[0].getMessage()
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert late.interaction.response_type is None
