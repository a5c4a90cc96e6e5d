"""Shared fixtures: a virtual clock and a temporary database with the migrations applied."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.clock import VirtualClock
from bot.db import Database
from bot.migrations import migrate

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
