"""Shared fixtures: a virtual clock, a temporary database with the migrations applied, and
headless Chromium."""

from __future__ import annotations

import os
import sys
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.clock import VirtualClock
from bot.db import Database
from bot.migrations import migrate

# tests/tools holds what the tests share with the scripts beside them (headless Chromium).
sys.path.insert(0, str(Path(__file__).parent / "tools"))
import headless

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # a Monday, a week before US DST starts


@pytest.fixture
def clock() -> VirtualClock:
    return VirtualClock(START)


@pytest.fixture
async def db(tmp_path: Path, clock: VirtualClock) -> AsyncIterator[Database]:
    database = await Database.open(tmp_path / "test.db")
    await migrate(database, clock)
    yield database
    await database.close()


@pytest.fixture(autouse=True)
def _no_stray_config(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Tests never read the developer's config.toml or PEERPULSE_* variables."""
    import os

    for name in list(os.environ):
        if name.upper().startswith("PEERPULSE_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)


@pytest.fixture(scope="session")
def chromium() -> str:
    """Chromium's binary. CI installs it (.ci/run), so there a missing one fails the test."""
    found = headless.find()
    if found is None:
        if os.environ.get("CI"):
            pytest.fail(f"{headless.MISSING}; CI must install it")
        pytest.skip(headless.MISSING)
    return found
