"""Migrations on a temporary database: fresh, re-run, newer refusal, rollback of a failure."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bot.clock import VirtualClock
from bot.db import Database
from bot.migrations import (
    MigrationError,
    current_version,
    default_migrations_dir,
    discover,
    migrate,
    pending,
)


async def tables(db: Database) -> set[str]:
    rows = await db.fetchall("SELECT name FROM sqlite_master WHERE type = 'table'")
    return {row["name"] for row in rows}


def copy_migrations(target: Path) -> Path:
    shutil.copytree(default_migrations_dir(), target)
    return target


async def test_fresh_database_gets_every_migration(tmp_path: Path, clock: VirtualClock) -> None:
    db = await Database.open(tmp_path / "fresh.db")
    try:
        applied = await migrate(db, clock)
        assert [m.version for m in applied] == [m.version for m in discover()]
        assert await current_version(db) == len(discover())
        assert {"groups", "schema_migrations"} <= await tables(db)
        row = await db.fetchone("SELECT applied_at FROM schema_migrations WHERE version = 1")
        assert row is not None
        assert row["applied_at"] == clock.now().isoformat()
    finally:
        await db.close()


async def test_rerun_is_a_no_op(db: Database, clock: VirtualClock) -> None:
    before = await db.fetchall("SELECT * FROM schema_migrations")
    assert await migrate(db, clock) == []
    assert await pending(db) == []
    assert [tuple(r) for r in await db.fetchall("SELECT * FROM schema_migrations")] == [
        tuple(r) for r in before
    ]


async def test_newer_database_is_refused(db: Database, clock: VirtualClock) -> None:
    await db.execute(
        "INSERT INTO schema_migrations (version, name, applied_at) VALUES (999, 'future', 'x')"
    )
    with pytest.raises(MigrationError, match=r"schema version 999.*upgrade peerpulse"):
        await migrate(db, clock)


async def test_failing_migration_rolls_back_and_keeps_previous_version(
    tmp_path: Path, clock: VirtualClock
) -> None:
    folder = copy_migrations(tmp_path / "migrations")
    good = len(discover(folder))
    bad = folder / f"{good + 1:04d}_broken.sql"
    bad.write_text(
        "CREATE TABLE half_done (id INTEGER);\nINSERT INTO no_such_table VALUES (1);\n",
        encoding="utf-8",
    )
    db = await Database.open(tmp_path / "rollback.db")
    try:
        with pytest.raises(MigrationError, match=r"broken\.sql failed and was rolled back"):
            await migrate(db, clock, folder)
        assert await current_version(db) == good
        assert "half_done" not in await tables(db)
        bad.write_text("CREATE TABLE half_done (id INTEGER);\n", encoding="utf-8")
        applied = await migrate(db, clock, folder)
        assert [m.name for m in applied] == ["broken"]
        assert "half_done" in await tables(db)
    finally:
        await db.close()


def test_gaps_and_bad_names_are_refused(tmp_path: Path) -> None:
    folder = copy_migrations(tmp_path / "gap")
    skipped = len(discover(folder)) + 2  # one number past the next free one
    (folder / f"{skipped:04d}_later.sql").write_text("SELECT 1;", encoding="utf-8")
    with pytest.raises(MigrationError, match="expected migration number"):
        discover(folder)
    named = copy_migrations(tmp_path / "named")
    (named / "two.sql").write_text("SELECT 1;", encoding="utf-8")
    with pytest.raises(MigrationError, match=r"NNNN_description\.sql"):
        discover(named)


async def test_connection_pragmas(db: Database) -> None:
    journal = await db.fetchone("PRAGMA journal_mode")
    foreign = await db.fetchone("PRAGMA foreign_keys")
    sync = await db.fetchone("PRAGMA synchronous")
    busy = await db.fetchone("PRAGMA busy_timeout")
    assert journal is not None
    assert journal[0] == "wal"
    assert foreign is not None
    assert foreign[0] == 1
    assert sync is not None
    assert sync[0] == 1
    assert busy is not None
    assert busy[0] == 5000


async def test_transaction_rolls_back_on_error(db: Database) -> None:
    async def insert_then_fail() -> None:
        async with db.transaction() as tx:
            await tx.execute(
                "INSERT INTO groups (guild_id, created_at) VALUES (1, '2026-01-01T00:00:00+00:00')"
            )
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        await insert_then_fail()
    assert await db.fetchall("SELECT * FROM groups") == []


def test_migrations_ship_inside_the_installed_package() -> None:
    """In a wheel they live in bot/_migrations; in a checkout, in migrations/."""
    import bot

    folder = default_migrations_dir()
    package = Path(bot.__file__).resolve().parent
    assert folder in (package / "_migrations", package.parent / "migrations")
    assert discover(folder), "no migration files found"
