"""Online backups with SQLite's backup API, checked before they are called good."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from bot.db import Database, create_owner_only


class BackupError(Exception):
    """The backup could not be made or did not pass its check."""


async def backup_database(db: Database, target: Path) -> None:
    """Copy the live database to `target` and check the copy with `integrity_check`."""
    check_target(target)
    create_owner_only(target)  # a backup holds what the database holds: owner-only
    async with db.raw() as conn:
        copy = sqlite3.connect(target)
        try:
            await conn.backup(copy)
        finally:
            copy.close()
    result = check_integrity(target)
    if result != "ok":
        raise BackupError(f"the copy at {target} failed its integrity check: {result}")


def check_target(target: Path) -> None:
    """Refuse to overwrite a file or to write into a missing directory."""
    if target.exists():
        raise BackupError(f"{target} already exists; choose a new file name")
    if not target.parent.is_dir():
        raise BackupError(f"{target.parent} is not a directory; create it first")


def check_integrity(path: Path) -> str:
    """Open `path` read-only and return SQLite's integrity_check verdict ('ok' when sound)."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        row = conn.execute("PRAGMA integrity_check").fetchone()
    except sqlite3.DatabaseError as error:
        return str(error)
    finally:
        conn.close()
    return str(row[0]) if row else "no answer"
