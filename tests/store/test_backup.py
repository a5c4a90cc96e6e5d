"""Online backup round trip."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.backup import BackupError, backup_database, check_integrity
from bot.clock import VirtualClock
from bot.config import GroupDefaults
from bot.db import Database
from bot.groups import ensure_group


async def test_backup_round_trip(db: Database, clock: VirtualClock, tmp_path: Path) -> None:
    group = await ensure_group(db, clock, 1, 2, GroupDefaults(timezone="Australia/Sydney"))
    target = tmp_path / "copy.db"
    await backup_database(db, target)
    assert check_integrity(target) == "ok"
    copy = await Database.open(target)
    try:
        row = await copy.fetchone("SELECT id, timezone FROM groups")
        versions = await copy.fetchall("SELECT version FROM schema_migrations")
    finally:
        await copy.close()
    assert row is not None
    assert (row["id"], row["timezone"]) == (group.id, "Australia/Sydney")
    assert len(versions) >= 1


async def test_backup_refuses_to_overwrite(db: Database, tmp_path: Path) -> None:
    target = tmp_path / "exists.db"
    target.write_bytes(b"keep me")
    with pytest.raises(BackupError, match="already exists"):
        await backup_database(db, target)
    assert target.read_bytes() == b"keep me"


async def test_backup_into_missing_directory(db: Database, tmp_path: Path) -> None:
    with pytest.raises(BackupError, match="not a directory"):
        await backup_database(db, tmp_path / "nope" / "copy.db")


def test_integrity_check_spots_a_damaged_file(tmp_path: Path) -> None:
    damaged = tmp_path / "damaged.db"
    damaged.write_bytes(b"SQLite format 3\x00" + b"\x00" * 200)
    assert check_integrity(damaged) != "ok"
