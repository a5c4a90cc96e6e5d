"""The SQLite database: one aiosqlite connection, serialised access, explicit transactions."""

from __future__ import annotations

import asyncio
import logging
import os
import stat
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, Protocol

import aiosqlite

Params = Sequence[Any] | dict[str, Any]
log = logging.getLogger(__name__)

OWNER_ONLY = 0o600
# SQLite gives these files the database file's own mode when it creates them.
_COMPANIONS = ("-wal", "-shm", "-journal")


def create_owner_only(path: Path) -> None:
    """Create `path` (empty) readable and writable by its owner only, unless it exists."""
    try:
        descriptor = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, OWNER_ONLY)
    except FileExistsError:
        return
    os.close(descriptor)


def restrict_to_owner(path: Path) -> None:
    """Make the database file and its -wal/-shm/-journal files owner-only (0600)."""
    for candidate in (path, *(path.with_name(path.name + suffix) for suffix in _COMPANIONS)):
        try:
            mode = stat.S_IMODE(candidate.stat().st_mode)
            if mode & 0o077:
                candidate.chmod(mode & 0o700)
        except FileNotFoundError:
            continue
        except OSError as error:
            log.warning("could not make %s owner-only: %s", candidate, error.strerror)


class Sql(Protocol):
    """What both `Database` and `Transaction` offer, for functions that work inside either."""

    async def execute(self, sql: str, params: Params = ()) -> int:
        """Run one statement; return the last row id."""
        ...

    async def fetchone(self, sql: str, params: Params = ()) -> aiosqlite.Row | None:
        """Run a query and return its first row, or None."""
        ...

    async def fetchall(self, sql: str, params: Params = ()) -> list[aiosqlite.Row]:
        """Run a query and return every row."""
        ...


class Database:
    """A single connection shared by the bot; every call is serialised by a lock.

    SQLite allows one writer at a time anyway; serialising here keeps a transaction
    opened by one task from seeing (or being broken by) another task's statements.
    """

    def __init__(self, connection: aiosqlite.Connection, path: Path | str) -> None:
        self._conn = connection
        self._lock = asyncio.Lock()
        self.path = path

    @classmethod
    async def open(cls, path: Path | str, *, busy_timeout_ms: int = 5000) -> Database:
        """Open (creating if needed) the database at `path` with peerpulse's pragmas."""
        if str(path) != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
            # Created 0600 before SQLite opens it, so its -wal and -shm are 0600 too.
            create_owner_only(Path(path))
            restrict_to_owner(Path(path))
        conn = await aiosqlite.connect(str(path), isolation_level=None)
        conn.row_factory = aiosqlite.Row
        await conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
        # Deleted rows (erased members, purged text) are overwritten, whatever the build's default.
        await conn.execute("PRAGMA secure_delete = ON")
        await conn.execute("PRAGMA journal_mode = WAL")
        await conn.execute("PRAGMA synchronous = NORMAL")
        await conn.execute("PRAGMA foreign_keys = ON")
        return cls(conn, path)

    async def close(self) -> None:
        """Close the connection."""
        async with self._lock:
            await self._conn.close()

    async def fetchone(self, sql: str, params: Params = ()) -> aiosqlite.Row | None:
        """Run a query and return its first row, or None."""
        async with self._lock, self._conn.execute(sql, params) as cursor:
            return await cursor.fetchone()

    async def fetchall(self, sql: str, params: Params = ()) -> list[aiosqlite.Row]:
        """Run a query and return every row."""
        async with self._lock, self._conn.execute(sql, params) as cursor:
            return list(await cursor.fetchall())

    async def execute(self, sql: str, params: Params = ()) -> int:
        """Run one statement in its own transaction; return the last row id."""
        async with self._lock, self._conn.execute(sql, params) as cursor:
            return cursor.lastrowid or 0

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Transaction]:
        """Run several statements atomically (BEGIN IMMEDIATE … COMMIT, ROLLBACK on error)."""
        async with self._lock:
            await self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield Transaction(self._conn)
            except BaseException:
                await self._conn.execute("ROLLBACK")
                raise
            await self._conn.execute("COMMIT")

    @asynccontextmanager
    async def raw(self) -> AsyncIterator[aiosqlite.Connection]:
        """The bare connection, under the lock, for migrations and backups."""
        async with self._lock:
            yield self._conn


class Transaction:
    """Statements inside `Database.transaction()`."""

    def __init__(self, connection: aiosqlite.Connection) -> None:
        self._conn = connection

    async def execute(self, sql: str, params: Params = ()) -> int:
        """Run one statement; return the last row id."""
        async with self._conn.execute(sql, params) as cursor:
            return cursor.lastrowid or 0

    async def executemany(self, sql: str, rows: Iterable[Params]) -> None:
        """Run one statement for each parameter set."""
        await self._conn.executemany(sql, rows)

    async def fetchone(self, sql: str, params: Params = ()) -> aiosqlite.Row | None:
        """Run a query and return its first row, or None."""
        async with self._conn.execute(sql, params) as cursor:
            return await cursor.fetchone()

    async def fetchall(self, sql: str, params: Params = ()) -> list[aiosqlite.Row]:
        """Run a query and return every row."""
        async with self._conn.execute(sql, params) as cursor:
            return list(await cursor.fetchall())
