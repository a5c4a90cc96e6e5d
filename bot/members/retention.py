"""Retention of free text: notes and other typed text expire after the group's retention period.

Each capability that stores free text registers (table, text column, time column) in
`TEXT_RETENTION`; the table must have a `group_id` column, the time column must
hold UTC ISO-8601 text written by `to_db`, and an index on (group_id, time column) WHERE
the text column IS NOT NULL keeps the step one index seek per group. Expired text is blanked
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

    One statement per registered column for every group at once: each group's expired text
    is found with one index seek (on `group_id, time column`) against the cutoff of its own
    retention period, so with nothing to purge the cost is one seek per group.
    Idempotent: a second run at the same `now` finds nothing left to purge.
    """
    utc = now.astimezone(UTC)
    # Whole days shift neither the time of day nor the microseconds, so a cutoff is the
    # date moved back by SQLite plus the fixed tail of `to_db(now)`: same text, same order.
    params = {"now": utc.strftime("%Y-%m-%d %H:%M:%S"), "tail": to_db(utc)[19:]}
    purged = 0
    for entry in registry.entries:
        # One cutoff per distinct retention period (computed a few times, not once per
        # group); CROSS JOIN fixes the order: periods, their groups, one seek per group.
        rows = await sql.fetchall(
            "WITH cutoffs (days, cutoff) AS MATERIALIZED ("  # noqa: S608 - registered identifiers
            f"SELECT days, {_cutoff('days')} FROM "
            "(SELECT DISTINCT retention_days AS days FROM groups)) "
            f'UPDATE "{entry.table}" SET "{entry.text_column}" = NULL WHERE rowid IN ('
            f'SELECT t.rowid FROM cutoffs c CROSS JOIN groups g CROSS JOIN "{entry.table}" t '
            "WHERE g.retention_days = c.days AND t.group_id = g.id "
            f'AND t."{entry.text_column}" IS NOT NULL AND t."{entry.time_column}" < c.cutoff) '
            "RETURNING 1",
            params,
        )
        purged += len(rows)
    return purged


def _cutoff(days: str) -> str:
    """SQL for `to_db(now - days)`, given the `:now` and `:tail` parameters."""
    return f"strftime('%Y-%m-%dT%H:%M:%S', :now, '-' || {days} || ' days') || :tail"
