"""Retention of free text: notes and other typed text expire after the group's retention period.

Each capability that stores free text registers (table, text column, time column) in
`TEXT_RETENTION`; the table must have a `group_id` column, the time column must
hold UTC ISO-8601 text written by `to_db`, and an index on the time column WHERE the
text column IS NOT NULL keeps the step an index range check. Expired text is blanked
(set to NULL); the row stays, so counts and group summaries are unaffected.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime

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

    One statement per registered column, for every group at once: the range is first bounded
    by the loosest cutoff (the shortest retention period, read from an index), so with
    nothing to purge it is one index range check, then each row is compared with its own
    group's cutoff. Idempotent: a second run at the same `now` finds nothing left to purge.
    """
    utc = now.astimezone(UTC)
    # Whole days shift neither the time of day nor the microseconds, so a cutoff is the
    # date moved back by SQLite plus the fixed tail of `to_db(now)`: same text, same order.
    params = {"now": utc.strftime("%Y-%m-%d %H:%M:%S"), "tail": to_db(utc)[19:]}
    purged = 0
    for entry in registry.entries:
        rows = await sql.fetchall(
            f'UPDATE "{entry.table}" SET "{entry.text_column}" = NULL '  # noqa: S608 - registered identifiers
            f'WHERE "{entry.text_column}" IS NOT NULL '
            f'AND "{entry.time_column}" < ({_cutoff("(SELECT MIN(retention_days) FROM groups)")}) '
            f'AND "{entry.time_column}" < (SELECT {_cutoff("g.retention_days")} '
            f'FROM groups g WHERE g.id = "{entry.table}".group_id) RETURNING 1',
            params,
        )
        purged += len(rows)
    return purged


def _cutoff(days: str) -> str:
    """SQL for `to_db(now - days)`, given the `:now` and `:tail` parameters."""
    return f"strftime('%Y-%m-%dT%H:%M:%S', :now, '-' || {days} || ' days') || :tail"
