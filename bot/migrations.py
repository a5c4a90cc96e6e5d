"""Numbered SQL migrations (`NNNN_description.sql`), applied in order, each in one transaction.

The applied versions are recorded in `schema_migrations`. A landed migration is never
edited: later changes add a new file.
"""

from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from bot.clock import Clock
from bot.db import Database

_FILENAME = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")
_BOOTSTRAP = """
CREATE TABLE IF NOT EXISTS schema_migrations (
    version    INTEGER PRIMARY KEY,
    name       TEXT NOT NULL,
    applied_at TEXT NOT NULL
)
"""


@dataclass(frozen=True)
class Migration:
    """One SQL file."""

    version: int
    name: str
    path: Path

    def sql(self) -> str:
        """The file's SQL text."""
        return self.path.read_text(encoding="utf-8")


class MigrationError(Exception):
    """The migrations cannot be applied; the message says why and what to do."""


def default_migrations_dir() -> Path:
    """Where the migrations are: inside the installed package, else the source checkout."""
    here = Path(__file__).resolve().parent
    for candidate in (here / "_migrations", here.parent / "migrations"):
        if candidate.is_dir():
            return candidate
    raise MigrationError(f"no migrations directory found next to {here}")


def discover(directory: Path | None = None) -> list[Migration]:
    """List the migrations in `directory`, checking they are numbered 1, 2, 3… without gaps."""
    folder = directory or default_migrations_dir()
    found: list[Migration] = []
    for path in sorted(folder.glob("*.sql")):
        match = _FILENAME.match(path.name)
        if not match:
            raise MigrationError(f"{path.name}: migration files are named NNNN_description.sql")
        found.append(Migration(int(match[1]), match[2], path))
    for expected, migration in enumerate(found, start=1):
        if migration.version != expected:
            raise MigrationError(
                f"{migration.path.name}: expected migration number {expected:04d} "
                "(numbers run 0001, 0002, … without gaps or repeats)"
            )
    return found


async def current_version(db: Database) -> int:
    """The highest applied migration, 0 for a fresh database."""
    async with db.raw() as conn:
        await conn.execute(_BOOTSTRAP)
        async with conn.execute("SELECT MAX(version) FROM schema_migrations") as cursor:
            row = await cursor.fetchone()
    return int(row[0]) if row and row[0] is not None else 0


async def pending(db: Database, directory: Path | None = None) -> list[Migration]:
    """Migrations not yet applied; refuses a database newer than this code."""
    return _after(await current_version(db), discover(directory))


def pending_in_file(path: Path, directory: Path | None = None) -> list[Migration]:
    """Like `pending`, for `migrate --dry-run`: reads the file without creating or changing
    anything on disk (no database, no -wal/-shm, no folder). A missing file has every
    migration pending."""
    migrations = discover(directory)
    if str(path) == ":memory:" or not path.exists():
        return migrations
    # A read-only connection to a WAL database creates -wal/-shm unless they exist; when
    # they do not, every committed change is in the main file, so reading it as
    # immutable is exact and touches nothing.
    in_use = (
        path.with_name(path.name + "-wal").exists() and path.with_name(path.name + "-shm").exists()
    )
    uri = path.resolve().as_uri() + ("?mode=ro" if in_use else "?mode=ro&immutable=1")
    try:
        conn = sqlite3.connect(uri, uri=True)
        try:
            has_table = conn.execute(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'"
            ).fetchone()
            row = (
                conn.execute("SELECT MAX(version) FROM schema_migrations").fetchone()
                if has_table
                else None
            )
        finally:
            conn.close()
    except sqlite3.DatabaseError as error:
        raise MigrationError(f"{path} cannot be read as a SQLite database ({error})") from None
    version = int(row[0]) if row and row[0] is not None else 0
    return _after(version, migrations)


def _after(version: int, migrations: list[Migration]) -> list[Migration]:
    known = migrations[-1].version if migrations else 0
    if version > known:
        raise MigrationError(
            f"the database is at schema version {version} but this peerpulse only knows up to "
            f"{known}; upgrade peerpulse, or restore a backup made with this version"
        )
    return [m for m in migrations if m.version > version]


async def migrate(db: Database, clock: Clock, directory: Path | None = None) -> list[Migration]:
    """Apply every pending migration, each in its own transaction; return those applied."""
    applied: list[Migration] = []
    for migration in await pending(db, directory):
        async with db.raw() as conn:
            try:
                await conn.executescript(f"BEGIN IMMEDIATE;\n{migration.sql()}\n;")
                await conn.execute(
                    "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
                    (migration.version, migration.name, clock.now().isoformat()),
                )
                await conn.execute("COMMIT")
            except Exception as error:
                if conn.in_transaction:
                    await conn.execute("ROLLBACK")
                raise MigrationError(
                    f"migration {migration.path.name} failed and was rolled back: {error}"
                ) from error
        applied.append(migration)
    return applied
