"""Guard-rail fixtures: one bot and sandbox server per test module, on a loop in a thread."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from guardrail_kit import BotWorld, LogRecords, LoopThread, capture_logs, start_world


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
