"""End-to-end fixtures: the sandbox server, a demo group, and the real bot connected to it."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from bot.clock import VirtualClock
from bot.logs import QUIETED, uninstall_redaction
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


@pytest.fixture
def debug_logging(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    """Run with the bot's own logging set up at DEBUG, captured from every logger."""
    root = logging.getLogger()
    saved_handlers, saved_level = list(root.handlers), root.level
    saved_levels = {name: logging.getLogger(name).level for name in QUIETED}
    try:
        yield caplog
    finally:
        uninstall_redaction()
        for handler in list(root.handlers):
            root.removeHandler(handler)
        for handler in saved_handlers:
            root.addHandler(handler)
        root.setLevel(saved_level)
        for name, level in saved_levels.items():
            logging.getLogger(name).setLevel(level)
