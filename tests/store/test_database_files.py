"""The database and its backups are private files, and deleted content is overwritten."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aiosqlite
import pytest

from bot.backup import backup_database
from bot.clock import VirtualClock
from bot.db import Database
from bot.migrations import migrate


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def usual_umask() -> Iterator[None]:
    """A common umask (022), under which files are created world-readable unless asked not to."""
    previous = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(previous)


@pytest.mark.usefixtures("usual_umask")
async def test_database_wal_and_shm_are_created_owner_only(
    tmp_path: Path, clock: VirtualClock
) -> None:
    path = tmp_path / "peerpulse.db"
    db = await Database.open(path)
    try:
        await migrate(db, clock)
        await db.execute("INSERT INTO groups (guild_id, created_at) VALUES (1, 'x')")
        files = [path, tmp_path / "peerpulse.db-wal", tmp_path / "peerpulse.db-shm"]
        assert all(f.exists() for f in files)
        assert {f.name: mode(f) for f in files} == {f.name: 0o600 for f in files}
    finally:
        await db.close()


@pytest.mark.usefixtures("usual_umask")
async def test_an_existing_world_readable_database_is_made_owner_only(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    db = await Database.open(path)
    await db.close()
    path.chmod(0o644)
    db = await Database.open(path)
    await db.close()
    assert mode(path) == 0o600


@pytest.mark.usefixtures("usual_umask")
async def test_backups_are_owner_only(db: Database, tmp_path: Path) -> None:
    target = tmp_path / "backup.db"
    await backup_database(db, target)
    assert mode(target) == 0o600


async def test_secure_delete_is_set_explicitly(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """ON, and said so by peerpulse itself rather than left to how SQLite was built."""
    statements: list[str] = []
    connect = aiosqlite.connect

    async def traced(*args: Any, **kwargs: Any) -> aiosqlite.Connection:
        conn = await connect(*args, **kwargs)
        await conn.set_trace_callback(statements.append)
        return conn

    monkeypatch.setattr(aiosqlite, "connect", traced)
    db = await Database.open(tmp_path / "t.db")
    try:
        row = await db.fetchone("PRAGMA secure_delete")
    finally:
        await db.close()
    assert row is not None
    assert row[0] == 1
    assert any(s.replace(" ", "").lower() == "pragmasecure_delete=on" for s in statements)
