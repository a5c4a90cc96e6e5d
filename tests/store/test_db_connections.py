"""The database's two connections: reads never queue behind a write that waits for a lock."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from pathlib import Path

import pytest

from bot.db import Database, DatabaseBusyError


async def open_with_table(path: Path, busy_timeout_ms: int) -> Database:
    db = await Database.open(path, busy_timeout_ms=busy_timeout_ms)
    await db.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)")
    await db.execute("INSERT INTO t (v) VALUES ('before')")
    return db


def lock(path: Path) -> sqlite3.Connection:
    """Another process's write lock (BEGIN IMMEDIATE), held until the caller commits."""
    other = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    other.execute("BEGIN IMMEDIATE")
    return other


async def test_a_read_answers_while_a_write_waits_for_another_process(tmp_path: Path) -> None:
    path = tmp_path / "x.db"
    db = await open_with_table(path, busy_timeout_ms=3000)
    other = lock(path)
    try:
        writing = asyncio.create_task(db.execute("INSERT INTO t (v) VALUES ('after')"))
        await asyncio.sleep(0.2)  # the write now waits for the lock, holding the writer
        began = time.monotonic()
        rows = await db.fetchall("SELECT v FROM t")
        assert time.monotonic() - began < 0.5
        assert [r["v"] for r in rows] == ["before"]
        other.execute("COMMIT")
        await writing
        assert [r["v"] for r in await db.fetchall("SELECT v FROM t ORDER BY id")] == [
            "before",
            "after",
        ]
    finally:
        other.close()
        await db.close()


async def test_a_write_past_the_busy_timeout_is_a_busy_error_and_saves_nothing(
    tmp_path: Path,
) -> None:
    path = tmp_path / "x.db"
    db = await open_with_table(path, busy_timeout_ms=200)
    other = lock(path)
    try:
        with pytest.raises(DatabaseBusyError):
            async with db.transaction() as tx:
                await tx.execute("INSERT INTO t (v) VALUES ('lost?')")
        with pytest.raises(DatabaseBusyError):
            await db.fetchone("DELETE FROM t RETURNING id")  # a write, though it returns rows
    finally:
        other.execute("COMMIT")
        other.close()
    assert [r["v"] for r in await db.fetchall("SELECT v FROM t")] == ["before"]
    await db.close()


async def test_writes_that_return_rows_still_write(tmp_path: Path) -> None:
    db = await open_with_table(tmp_path / "x.db", busy_timeout_ms=1000)
    row = await db.fetchone("INSERT INTO t (v) VALUES ('new') RETURNING id")
    assert row is not None
    deleted = await db.fetchall("DELETE FROM t WHERE v = 'before' RETURNING id")
    assert len(deleted) == 1
    assert [r["v"] for r in await db.fetchall("  select v from t")] == ["new"]
    await db.close()


async def test_each_statement_is_one_trip_to_the_connection_thread(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every interaction runs a few statements; each thread hop costs a switch under load."""
    import aiosqlite

    db = await open_with_table(tmp_path / "x.db", busy_timeout_ms=3000)
    trips = 0
    queue = aiosqlite.Connection._execute

    async def counted(self: aiosqlite.Connection, fn: object, *args: object) -> object:
        nonlocal trips
        trips += 1
        return await queue(self, fn, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(aiosqlite.Connection, "_execute", counted)
    try:
        row = await db.fetchone("SELECT v FROM t WHERE id = ?", (1,))
        assert row is not None
        assert row["v"] == "before"
        assert trips == 1
        assert [r["v"] for r in await db.fetchall("SELECT v FROM t")] == ["before"]
        assert trips == 2
        assert await db.execute("INSERT INTO t (v) VALUES ('x')") == 2
        assert trips == 3
        async with db.transaction() as tx:
            assert await tx.execute("INSERT INTO t (v) VALUES ('y')") == 3
            assert (await tx.fetchone("SELECT COUNT(*) AS n FROM t"))["n"] == 3  # type: ignore[index]
            assert len(await tx.fetchall("SELECT v FROM t")) == 3
        assert trips == 3 + 5  # BEGIN, three statements, COMMIT
    finally:
        monkeypatch.undo()
        await db.close()


SLOW_READ = (
    "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 3000000) "
    "SELECT count(*) FROM n"
)


async def test_a_point_read_answers_at_once_while_the_reader_is_busy(tmp_path: Path) -> None:
    # The check-in button's read: no trip to a connection's thread, so no queue behind one.
    db = await open_with_table(tmp_path / "x.db", busy_timeout_ms=3000)
    try:
        slow = asyncio.create_task(db.fetchall(SLOW_READ))
        await asyncio.sleep(0)  # the slow read now holds the reader
        row = await db.point_read("SELECT v FROM t WHERE id = ?", (1,))
        assert row is not None
        assert row["v"] == "before"
        assert not slow.done()
        await slow
    finally:
        await db.close()


async def test_a_point_read_sees_the_last_commit_and_never_writes(tmp_path: Path) -> None:
    db = await open_with_table(tmp_path / "x.db", busy_timeout_ms=3000)
    try:
        await db.execute("UPDATE t SET v = 'after' WHERE id = 1")
        row = await db.point_read("SELECT v FROM t WHERE id = ?", (1,))
        assert row is not None
        assert row["v"] == "after"
        with pytest.raises(sqlite3.OperationalError):  # routed to the writer: no table there
            await db.point_read("DELETE FROM nowhere")
    finally:
        await db.close()
