"""Guard-rail fixtures: one bot and sandbox server per test module, on a loop in a thread."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from guardrail_kit import (
    ANSWER_TIMEOUT,
    BotWorld,
    LogRecords,
    LoopThread,
    StoryRun,
    capture_logs,
    operator_log,
    start_world,
)

from bot.cli import SANDBOX_START
from bot.clock import VirtualClock
from bot.sandbox import SandboxServer
from bot.sandbox.demo import build_demo_group
from bot.sandbox.scenario import PlayedStory, play_story


@pytest.fixture(scope="module")
def loop_thread() -> Iterator[LoopThread]:
    thread = LoopThread()
    try:
        yield thread
    finally:
        thread.close()


@pytest.fixture(scope="module")
def logs() -> Iterator[LogRecords]:
    """Warnings and errors from every logger while the module's bot runs."""
    with capture_logs() as records:
        yield records


@pytest.fixture(scope="module")
def world(
    loop_thread: LoopThread, logs: LogRecords, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[BotWorld]:
    """The demo group, a foreign server and the real bot, shared by one module's tests."""
    started = loop_thread.run(start_world(tmp_path_factory.mktemp("guardrails")))
    try:
        yield started
    finally:
        loop_thread.run(started.stop())


@pytest.fixture(scope="session")
def story_run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StoryRun]:
    """Play the whole story with logging configured as `peerpulse run` does, at DEBUG."""
    loop = LoopThread()
    clock = VirtualClock(SANDBOX_START)
    out = tmp_path_factory.mktemp("story")

    async def play() -> tuple[SandboxServer, PlayedStory, str]:
        server = SandboxServer(clock=clock.now, interaction_timeout=ANSWER_TIMEOUT)
        await server.start()
        group = build_demo_group(server)
        with operator_log("DEBUG", [group.credentials.token]) as stream:
            played = await play_story(server, out, clock, lambda _line: None, group)
        return server, played, stream.getvalue()

    server, played, text = loop.run(play())
    try:
        yield StoryRun(loop, server, played, clock, text)
    finally:
        loop.run(server.stop())
        loop.close()
