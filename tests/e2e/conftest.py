"""End-to-end fixtures: the sandbox server, a demo group, and the real bot connected to it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.clock import VirtualClock
from bot.sandbox import SandboxServer
from bot.sandbox.demo import DemoGroup, build_demo_group
from bot.sandbox.running_bot import RunningBot, sandbox_settings, start_bot


@pytest.fixture
async def server(clock: VirtualClock) -> AsyncIterator[SandboxServer]:
    sandbox = SandboxServer(clock=clock.now)
    await sandbox.start()
    try:
        yield sandbox
    finally:
        await sandbox.stop()


@pytest.fixture
def group(server: SandboxServer) -> DemoGroup:
    return build_demo_group(server)


@pytest.fixture
async def peerpulse(
    server: SandboxServer, group: DemoGroup, clock: VirtualClock, tmp_path: Path
) -> AsyncIterator[RunningBot]:
    settings = sandbox_settings(server, group.credentials.token, tmp_path / "peerpulse.db")
    running = await start_bot(settings, clock)
    try:
        yield running
    finally:
        await running.stop()
