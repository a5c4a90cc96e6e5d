"""The SQLite database: a writer connection (serialised, explicit transactions) and a reader.

aiosqlite runs each connection on its own thread, so every statement on one connection
waits for the one before it. A write waiting out another process's lock would hold up
every read too; with WAL, a second, read-only connection reads the last committed state
while a write waits, so `/peerpulse status` or `/me show` answer at once.
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
import sqlite3
import stat
from collections.abc import AsyncIterator, Awaitable, Callable, Hashable, Iterable, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, Protocol, TypeVar, cast

import aiosqlite

Params = Sequence[Any] | dict[str, Any]
# A statement the read-only connection can run; the reader's `query_only` refuses any
# other, so a misrouted write fails loudly instead of quietly.
_READ_ONLY = re.compile(r"\s*SELECT\b", re.IGNORECASE)
# Tables whose reads may be memoised (`Database.memo`): any write naming one forgets them.
MEMO_TABLES = re.compile(r"\bgroups\b", re.IGNORECASE)
MEMO_LIMIT = 10_000  # entries; the oldest go first
T = TypeVar("T")


class DatabaseBusyError(Exception):
    """Another process held the database's write lock past the busy timeout; nothing was saved."""


def _is_busy(error: sqlite3.OperationalError) -> bool:
    code = getattr(error, "sqlite_errorcode", None)
    if code is not None:
        return int(code) & 0xFF in {sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED}
    return "locked" in str(error) or "busy" in str(error)


@asynccontextmanager
async def _busy_as_error() -> AsyncIterator[None]:
    try:
        yield
    except sqlite3.OperationalError as error:
        if _is_busy(error):
            raise DatabaseBusyError(str(error)) from error
        raise


log = logging.getLogger(__name__)


# Each statement is one trip to the connection's thread through aiosqlite's public
# `execute_fetchall` / `execute_insert` (`async with conn.execute(...) as cursor` takes
# three: execute, fetch, close). On a busy machine every trip waits for a thread switch,
# and every interaction runs a few statements.
async def _one(conn: aiosqlite.Connection, sql: str, params: Params) -> aiosqlite.Row | None:
    rows = await conn.execute_fetchall(sql, params)
    return next(iter(rows), None)


async def _all(conn: aiosqlite.Connection, sql: str, params: Params) -> list[aiosqlite.Row]:
    return list(await conn.execute_fetchall(sql, params))


async def _run(conn: aiosqlite.Connection, sql: str, params: Params) -> int:
    """Run a statement; the connection's last inserted row id (0 when none)."""
    row = await conn.execute_insert(sql, params)
    return int(row[0]) if row is not None and row[0] is not None else 0


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


def _open_point_reader(path: Path | str) -> sqlite3.Connection | None:
    """A read-only connection for `Database.point_read`, never waiting on a lock."""
    if str(path) == ":memory:":
        return None
    conn = sqlite3.connect(str(path), isolation_level=None, timeout=0)
    conn.row_factory = aiosqlite.Row
    conn.execute("PRAGMA query_only = ON")
    return conn


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
    """The bot's connections: writes serialised by a lock on one, reads on the other.

    SQLite allows one writer at a time anyway; serialising here keeps a transaction
    opened by one task from seeing (or being broken by) another task's statements.
    A plain SELECT through `fetchone`/`fetchall` reads committed data on the read-only
    connection, so it never queues behind a write waiting for the lock. A write that
    waits past the busy timeout raises `DatabaseBusyError` (rolled back: nothing saved).
    """

    def __init__(
        self,
        connection: aiosqlite.Connection,
        path: Path | str,
        reader: aiosqlite.Connection | None = None,
        point_reader: sqlite3.Connection | None = None,
    ) -> None:
        self._conn = connection
        self._lock = asyncio.Lock()
        self._reader = reader
        self._read_lock = asyncio.Lock() if reader is not None else self._lock
        self._point_reader = point_reader
        self.path = path
        # Read-through memo of rows from `MEMO_TABLES`, valid while `_memo_version` is unchanged.
        self._memo: dict[Hashable, Any] = {}
        self._memo_version = 0

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
        reader = None
        if str(path) != ":memory:":  # a second :memory: connection would be another database
            reader = await aiosqlite.connect(str(path), isolation_level=None)
            reader.row_factory = aiosqlite.Row
            await reader.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
            await reader.execute("PRAGMA query_only = ON")
        return cls(conn, path, reader, _open_point_reader(path))

    async def close(self) -> None:
        """Close the connections."""
        if self._point_reader is not None:
            self._point_reader.close()
            self._point_reader = None
        if self._reader is not None:
            async with self._read_lock:
                await self._reader.close()
        async with self._lock:
            await self._conn.close()

    def _forget(self, sql: str | None = None) -> None:
        """After a write (None: any write) to a memoised table, forget every memoised read."""
        if sql is None or (not _READ_ONLY.match(sql) and MEMO_TABLES.search(sql)):
            self._memo_version += 1
            self._memo.clear()

    async def memo(self, key: Hashable, load: Callable[[], Awaitable[T]]) -> T:
        """`load()`'s result, remembered under `key` until a write names a `MEMO_TABLES` table.

        For point reads of rarely written rows (a group by channel) that every interaction
        needs. Only this process writes them, and every write goes through this object, so
        a remembered value is never older than the last commit. A read that overlapped a
        write is returned but not remembered.
        """
        if key in self._memo:
            return cast("T", self._memo[key])
        version = self._memo_version
        value = await load()
        if version == self._memo_version:
            self._memo[key] = value
            while len(self._memo) > MEMO_LIMIT:
                del self._memo[next(iter(self._memo))]
        return value

    def _route(self, sql: str) -> tuple[asyncio.Lock, aiosqlite.Connection]:
        """A plain SELECT goes to the reader; anything else (e.g. `… RETURNING`) writes."""
        if self._reader is not None and _READ_ONLY.match(sql):
            return self._read_lock, self._reader
        return self._lock, self._conn

    async def fetchone(self, sql: str, params: Params = ()) -> aiosqlite.Row | None:
        """Run a query and return its first row, or None (a SELECT reads committed data)."""
        lock, conn = self._route(sql)
        try:
            async with _busy_as_error(), lock:
                return await _one(conn, sql, params)
        finally:
            self._forget(sql)

    async def point_read(self, sql: str, params: Params = ()) -> aiosqlite.Row | None:
        """A SELECT of one row by its key, answered at once on the event loop's thread.

        For the reads a member's button waits on: a trip to a connection's thread costs
        more than such a read itself (0.4 to 0.6 ms against about 0.01 ms on a busy
        2-core machine). WAL readers never wait for the writer; if SQLite is busy anyway
        (a checkpoint resetting the log), the read goes the usual way instead of waiting.
        """
        if self._point_reader is None or not _READ_ONLY.match(sql):
            return await self.fetchone(sql, params)
        try:
            return cast("aiosqlite.Row | None", self._point_reader.execute(sql, params).fetchone())
        except sqlite3.OperationalError as error:
            if not _is_busy(error):
                raise
        return await self.fetchone(sql, params)

    async def fetchall(self, sql: str, params: Params = ()) -> list[aiosqlite.Row]:
        """Run a query and return every row (a SELECT reads committed data)."""
        lock, conn = self._route(sql)
        try:
            async with _busy_as_error(), lock:
                return await _all(conn, sql, params)
        finally:
            self._forget(sql)

    async def execute(self, sql: str, params: Params = ()) -> int:
        """Run one statement in its own transaction; return the last row id."""
        try:
            async with _busy_as_error(), self._lock:
                return await _run(self._conn, sql, params)
        finally:
            self._forget(sql)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Transaction]:
        """Run several statements atomically (BEGIN IMMEDIATE … COMMIT, ROLLBACK on error)."""
        async with _busy_as_error(), self._lock:
            await self._conn.execute("BEGIN IMMEDIATE")
            tx = Transaction(self._conn)
            try:
                try:
                    yield tx
                except BaseException:
                    await self._conn.execute("ROLLBACK")
                    raise
                await self._conn.execute("COMMIT")
            finally:
                if tx.wrote_memo_table:  # only now: a read before COMMIT saw the old row
                    self._forget()

    async def set_trace_callback(self, callback: Callable[[str], object] | None) -> None:
        """Call `callback` with every statement either connection runs (None: stop); diagnostics."""
        # sqlite3 takes None to stop tracing; aiosqlite's annotation omits it.
        handler = cast("Callable[..., Any]", callback)
        async with self._lock:
            await self._conn.set_trace_callback(handler)
        if self._reader is not None:
            async with self._read_lock:
                await self._reader.set_trace_callback(handler)
        if self._point_reader is not None:
            self._point_reader.set_trace_callback(handler)

    @asynccontextmanager
    async def raw(self) -> AsyncIterator[aiosqlite.Connection]:
        """The bare connection, under the lock, for migrations and backups."""
        try:
            async with self._lock:
                yield self._conn
        finally:
            self._forget()  # migrations and restores may change anything


class Transaction:
    """Statements inside `Database.transaction()`."""

    def __init__(self, connection: aiosqlite.Connection) -> None:
        self._conn = connection
        self.wrote_memo_table = False  # a statement named a `MEMO_TABLES` table

    def _note(self, sql: str) -> None:
        if not _READ_ONLY.match(sql) and MEMO_TABLES.search(sql):
            self.wrote_memo_table = True

    async def execute(self, sql: str, params: Params = ()) -> int:
        """Run one statement; return the last row id."""
        self._note(sql)
        return await _run(self._conn, sql, params)

    async def executemany(self, sql: str, rows: Iterable[Params]) -> None:
        """Run one statement for each parameter set."""
        self._note(sql)
        await self._conn.executemany(sql, rows)

    async def fetchone(self, sql: str, params: Params = ()) -> aiosqlite.Row | None:
        """Run a query and return its first row, or None."""
        self._note(sql)
        return await _one(self._conn, sql, params)

    async def fetchall(self, sql: str, params: Params = ()) -> list[aiosqlite.Row]:
        """Run a query and return every row."""
        self._note(sql)
        return await _all(self._conn, sql, params)
