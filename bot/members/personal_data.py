"""Everything linked to a member: a registry of tables, and export and erase over it.

Each capability that stores a member's user id registers its table here (in
`REGISTRY` below, next to the others), so `/me export` finds it and `/me forget`
erases it. A store test scans every table in the database and fails on any column
named like a user id that is not registered.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from bot.db import Database, Sql

Erase = Literal["delete", "nullify"]
USER_ID_COLUMN = re.compile(r"^(user_id|member_id|\w+_user_id)$", re.IGNORECASE)
_IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_]*$")

FORGET_EXPLANATION = (
    "Erased: your settings, your DM history with this bot, and everything you answered "
    "or wrote that is linked to you. Anonymous pulse answers were never linked to you, so "
    "they can be neither found nor erased; group summaries already posted stay as they are."
)


@dataclass(frozen=True)
class PersonalTable:
    """A table holding a member's user id in `user_column`.

    `erase="delete"` removes the member's rows; `"nullify"` keeps a row the group still
    needs (say, a consultation someone else scheduled) and blanks the member's id.
    """

    table: str
    user_column: str
    erase: Erase = "delete"

    def __post_init__(self) -> None:
        for name in (self.table, self.user_column):
            if not _IDENTIFIER.match(name):
                raise ValueError(f"{name!r} is not a plain SQL identifier")


class PersonalDataRegistry:
    """The (table, user column) pairs that hold data linked to a member."""

    def __init__(self, tables: Iterable[PersonalTable] = ()) -> None:
        self._tables: dict[tuple[str, str], PersonalTable] = {}
        for entry in tables:
            self.add(entry)

    def register(
        self, table: str, user_column: str = "user_id", *, erase: Erase = "delete"
    ) -> None:
        """Add a table; registering the same pair again the same way changes nothing."""
        self.add(PersonalTable(table, user_column, erase))

    def add(self, entry: PersonalTable) -> None:
        """Add one entry; a pair registered with a different erase rule is refused."""
        key = (entry.table, entry.user_column)
        existing = self._tables.get(key)
        if existing is not None and existing != entry:
            raise ValueError(f"{entry.table}.{entry.user_column} is already registered differently")
        self._tables[key] = entry

    @property
    def tables(self) -> tuple[PersonalTable, ...]:
        """Every entry, in registration order."""
        return tuple(self._tables.values())

    def covers(self, table: str, column: str) -> bool:
        """True when this pair is registered."""
        return (table, column) in self._tables


REGISTRY = PersonalDataRegistry(
    [
        PersonalTable("member_preferences", "user_id"),
        PersonalTable("dm_recipients", "user_id"),
        PersonalTable("outbox", "user_id"),
        # Also registered by bot.checkins.store; listed here so that export and forget
        # cover check-in answers whichever modules a process happens to import.
        PersonalTable("checkin_answers", "user_id"),
        # Also registered by bot.consult.store (same reason): a member's poll answers and
        # marks, RSVPs, queue place, presenter requests and history are deleted; a poll
        # they organised stays the group's, with the organiser blanked.
        PersonalTable("consult_responses", "user_id"),
        PersonalTable("consult_marks", "user_id"),
        PersonalTable("consult_rsvps", "user_id"),
        PersonalTable("consult_queue", "user_id"),
        PersonalTable("consult_presenter_requests", "user_id"),
        PersonalTable("consult_presenters", "user_id"),
        PersonalTable("consult_polls", "organiser_user_id", "nullify"),
    ]
)


async def user_id_columns(sql: Sql) -> list[tuple[str, str]]:
    """Every (table, column) in the database whose column name looks like a user id."""
    tables = await sql.fetchall(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
        "ORDER BY name"
    )
    found: list[tuple[str, str]] = []
    for table in tables:
        columns = await sql.fetchall("SELECT name FROM pragma_table_info(?)", (table["name"],))
        found += [
            (table["name"], column["name"])
            for column in columns
            if USER_ID_COLUMN.match(column["name"])
        ]
    return found


async def unregistered_columns(
    sql: Sql, registry: PersonalDataRegistry = REGISTRY
) -> list[tuple[str, str]]:
    """User-id-like columns no registry entry covers (export and forget would miss them)."""
    return [pair for pair in await user_id_columns(sql) if not registry.covers(*pair)]


async def export_member(
    sql: Sql, user_id: int, registry: PersonalDataRegistry = REGISTRY
) -> dict[str, list[dict[str, object]]]:
    """Every row of every registered table linked to `user_id`, JSON-serialisable, by table."""
    export: dict[str, list[dict[str, object]]] = {}
    for table, columns in _columns_by_table(registry).items():
        condition = " OR ".join(f'"{column}" = :user' for column in columns)
        rows = await sql.fetchall(
            f'SELECT * FROM "{table}" WHERE {condition} ORDER BY rowid',  # noqa: S608 - registered identifiers
            {"user": user_id},
        )
        export[table] = [
            {key: _jsonable(row[key]) for key in row.keys()}  # noqa: SIM118 - sqlite3.Row
            for row in rows
        ]
    return export


async def forget_member(
    db: Database, user_id: int, registry: PersonalDataRegistry = REGISTRY
) -> dict[str, int]:
    """Erase everything linked to `user_id` in one transaction; rows affected per table."""
    counts: dict[str, int] = {}
    ordered = sorted(registry.tables, key=lambda entry: entry.erase != "delete")
    async with db.transaction() as tx:
        for entry in ordered:
            if entry.erase == "delete":
                statement = (
                    f'DELETE FROM "{entry.table}" WHERE "{entry.user_column}" = ? RETURNING 1'  # noqa: S608 - registered identifiers
                )
            else:
                statement = (
                    f'UPDATE "{entry.table}" SET "{entry.user_column}" = NULL '  # noqa: S608 - registered identifiers
                    f'WHERE "{entry.user_column}" = ? RETURNING 1'
                )
            affected = len(await tx.fetchall(statement, (user_id,)))
            counts[entry.table] = counts.get(entry.table, 0) + affected
    return counts


def _columns_by_table(registry: PersonalDataRegistry) -> dict[str, list[str]]:
    grouped: dict[str, list[str]] = {}
    for entry in registry.tables:
        grouped.setdefault(entry.table, []).append(entry.user_column)
    return grouped


def _jsonable(value: object) -> object:
    return value.hex() if isinstance(value, bytes) else value
