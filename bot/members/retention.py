"""Retention of free text: notes and other typed text expire after the group's retention period.

Each capability that stores free text registers (table, text column, time column) in
`TEXT_RETENTION`; the table must have a `group_id` column and the time column must
hold UTC ISO-8601 text. Expired text is blanked (set to NULL); the row stays, so
counts and group summaries are unaffected.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.db import Sql
from bot.members.instants import to_db

_IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_]*$")


@dataclass(frozen=True)
class FreeText:
    """A column of free text and the column saying when it was written."""

    table: str
    text_column: str
    time_column: str

    def __post_init__(self) -> None:
        for name in (self.table, self.text_column, self.time_column):
            if not _IDENTIFIER.match(name):
                raise ValueError(f"{name!r} is not a plain SQL identifier")


class TextRetentionRegistry:
    """The free-text columns the retention step purges."""

    def __init__(self) -> None:
        self._entries: list[FreeText] = []

    def register(self, table: str, text_column: str, time_column: str) -> None:
        """Add a free-text column; the same entry twice is kept once."""
        entry = FreeText(table, text_column, time_column)
        if entry not in self._entries:
            self._entries.append(entry)

    @property
    def entries(self) -> tuple[FreeText, ...]:
        """Every entry, in registration order."""
        return tuple(self._entries)


TEXT_RETENTION = TextRetentionRegistry()


async def purge_expired_text(
    sql: Sql, now: datetime, registry: TextRetentionRegistry = TEXT_RETENTION
) -> int:
    """Blank free text older than its group's `retention_days`; return how many values were blanked.

    Idempotent: a second run at the same `now` finds nothing left to purge.
    """
    if not registry.entries:
        return 0
    groups = await sql.fetchall("SELECT id, retention_days FROM groups ORDER BY id")
    purged = 0
    for group in groups:
        cutoff = to_db(now - timedelta(days=int(group["retention_days"])))
        for entry in registry.entries:
            rows = await sql.fetchall(
                f'UPDATE "{entry.table}" SET "{entry.text_column}" = NULL '  # noqa: S608 - registered identifiers
                f'WHERE group_id = ? AND "{entry.text_column}" IS NOT NULL '
                f'AND "{entry.time_column}" < ? RETURNING 1',
                (group["id"], cutoff),
            )
            purged += len(rows)
    return purged
