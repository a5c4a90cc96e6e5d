"""Personal data: every user-id column is registered; export finds it all; forget erases it all."""

from __future__ import annotations

import importlib
import json
import pkgutil
from datetime import timedelta

import pytest

import bot
from bot.clock import VirtualClock
from bot.db import Database
from bot.delivery import outbox, recipients
from bot.members.personal_data import (
    REGISTRY,
    PersonalDataRegistry,
    PersonalTable,
    export_member,
    forget_member,
    unregistered_columns,
    user_id_columns,
)
from bot.members.preferences import set_away, set_dm_opt_in, set_hours
from bot.members.retention import TextRetentionRegistry, purge_expired_text

CORE_TABLES = {"member_preferences", "dm_recipients", "outbox"}
ALICE, BOB = 880_000_000_000_000_001, 880_000_000_000_000_002  # snowflake-sized, unmistakable


def import_every_bot_module() -> None:
    """Capabilities register their tables when imported; load them all, as the bot does."""
    skip = ("bot.__main__", "bot.cli", "bot.app", "bot.sandbox")  # glue and entry points
    for module in pkgutil.walk_packages(bot.__path__, "bot."):
        if not module.name.startswith(skip):
            importlib.import_module(module.name)


async def new_group(db: Database, clock: VirtualClock, retention_days: int = 90) -> int:
    return await db.execute(
        "INSERT INTO groups (guild_id, timezone, retention_days, created_at) VALUES (?, ?, ?, ?)",
        (555, "Europe/London", retention_days, clock.now().isoformat()),
    )


async def rows_mentioning(db: Database, value: int) -> list[str]:
    """Every (table.column) in the whole database holding `value`."""
    found = []
    for table in await db.fetchall(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
    ):
        for column in await db.fetchall("SELECT name FROM pragma_table_info(?)", (table["name"],)):
            hit = await db.fetchone(
                f'SELECT 1 FROM "{table["name"]}" WHERE "{column["name"]}" = ? LIMIT 1',  # noqa: S608
                (value,),
            )
            if hit:
                found.append(f"{table['name']}.{column['name']}")
    return found


async def fill(db: Database, clock: VirtualClock, group: int, user: int) -> None:
    now = clock.now()
    await set_hours(db, group, user, days="Mon-Thu", start="08:00", end="16:00", now=now)
    await set_dm_opt_in(db, group, user, "checkins", True, now=now)
    await recipients.remember_channel(db, user, 4000 + user % 1000, now=now)
    await outbox.enqueue(
        db,
        group_id=group,
        user_id=user,
        kind="checkin_prompt",
        ref="round-1",
        due_at=now,
        expires_at=None,
        payload={"round_id": 1},
    )


async def test_every_user_id_column_in_the_database_is_registered(db: Database) -> None:
    import_every_bot_module()
    columns = await user_id_columns(db)
    assert ("outbox", "user_id") in columns
    assert await unregistered_columns(db) == [], (
        "register these tables in bot.members.personal_data.REGISTRY so /me export and "
        "/me forget cover them"
    )


async def test_the_scan_catches_a_table_nobody_registered(db: Database) -> None:
    import_every_bot_module()
    await db.execute("CREATE TABLE review_notes (id INTEGER PRIMARY KEY, reviewer_user_id INTEGER)")
    await db.execute("CREATE TABLE votes (id INTEGER PRIMARY KEY, member_id INTEGER)")
    missing = await unregistered_columns(db, PersonalDataRegistry(REGISTRY.tables))
    assert missing == [("review_notes", "reviewer_user_id"), ("votes", "member_id")]


async def test_export_holds_everything_linked_and_nothing_else(
    db: Database, clock: VirtualClock
) -> None:
    group = await new_group(db, clock)
    await fill(db, clock, group, ALICE)
    await fill(db, clock, group, BOB)
    await set_away(db, group, ALICE, None, now=clock.now(), group_zone="Europe/London")
    export = await export_member(db, ALICE)
    json.dumps(export)  # JSON-serialisable as is
    assert {table: len(rows) for table, rows in export.items()} == {
        "member_preferences": 1,
        "dm_recipients": 1,
        "outbox": 1,
        **{t.table: 0 for t in REGISTRY.tables if t.table not in CORE_TABLES},
    }
    assert export["member_preferences"][0]["work_start"] == 8 * 60
    assert export["member_preferences"][0]["away_since"] is not None
    assert str(BOB) not in json.dumps(export)


async def test_forget_erases_every_row_referencing_the_member(
    db: Database, clock: VirtualClock
) -> None:
    import_every_bot_module()
    group, other_group = await new_group(db, clock), await new_group(db, clock)
    await fill(db, clock, group, ALICE)
    await fill(db, clock, other_group, ALICE)
    await fill(db, clock, group, BOB)
    await recipients.mark_dms_closed(db, ALICE, now=clock.now())
    assert await rows_mentioning(db, ALICE)
    counts = await forget_member(db, ALICE)
    assert counts["member_preferences"] == 2
    assert counts["outbox"] == 2
    assert counts["dm_recipients"] == 1
    assert await rows_mentioning(db, ALICE) == []
    assert sorted(await rows_mentioning(db, BOB)) == [
        "dm_recipients.user_id",
        "member_preferences.user_id",
        "outbox.user_id",
    ]
    assert await forget_member(db, ALICE) == dict.fromkeys(counts, 0)


async def test_forget_is_all_or_nothing(db: Database, clock: VirtualClock) -> None:
    group = await new_group(db, clock)
    await fill(db, clock, group, ALICE)
    broken = PersonalDataRegistry([*REGISTRY.tables, PersonalTable("no_such_table", "user_id")])
    with pytest.raises(Exception, match="no_such_table"):
        await forget_member(db, ALICE, broken)
    assert "outbox.user_id" in await rows_mentioning(db, ALICE)


async def test_nullify_keeps_the_groups_row_and_blanks_the_member(
    db: Database, clock: VirtualClock
) -> None:
    await db.execute(
        "CREATE TABLE sessions (id INTEGER PRIMARY KEY, title TEXT, presenter_user_id INTEGER)"
    )
    await db.execute("INSERT INTO sessions (title, presenter_user_id) VALUES ('case', ?)", (ALICE,))
    registry = PersonalDataRegistry(REGISTRY.tables)
    registry.register("sessions", "presenter_user_id", erase="nullify")
    assert (await export_member(db, ALICE, registry))["sessions"][0]["title"] == "case"
    assert (await forget_member(db, ALICE, registry))["sessions"] == 1
    row = await db.fetchone("SELECT title, presenter_user_id FROM sessions")
    assert row is not None
    assert tuple(row) == ("case", None)


def test_registry_refuses_conflicts_and_odd_names() -> None:
    registry = PersonalDataRegistry()
    registry.register("a", "user_id")
    registry.register("a", "user_id")  # the same again is fine
    with pytest.raises(ValueError, match="differently"):
        registry.register("a", "user_id", erase="nullify")
    with pytest.raises(ValueError, match="identifier"):
        registry.register("a; DROP TABLE groups", "user_id")


async def test_retention_blanks_free_text_older_than_each_groups_setting(
    db: Database, clock: VirtualClock
) -> None:
    await db.execute(
        "CREATE TABLE notes (id INTEGER PRIMARY KEY, group_id INTEGER, note TEXT, written_at TEXT)"
    )
    short, long = await new_group(db, clock, retention_days=30), await new_group(db, clock, 90)
    now = clock.now()
    for group in (short, long):
        for age_days in (10, 45, 120):
            await db.execute(
                "INSERT INTO notes (group_id, note, written_at) VALUES (?, ?, ?)",
                (group, f"note {age_days}", (now - timedelta(days=age_days)).isoformat()),
            )
    registry = TextRetentionRegistry()
    assert await purge_expired_text(db, now, registry) == 0  # nothing registered yet
    registry.register("notes", "note", "written_at")
    registry.register("notes", "note", "written_at")
    assert await purge_expired_text(db, now, registry) == 3
    assert await purge_expired_text(db, now, registry) == 0  # idempotent
    rows = await db.fetchall("SELECT group_id, note FROM notes WHERE note IS NOT NULL ORDER BY id")
    assert [tuple(row) for row in rows] == [
        (short, "note 10"),
        (long, "note 10"),
        (long, "note 45"),
    ]
    assert len(await db.fetchall("SELECT id FROM notes")) == 6  # rows stay; only text goes


def test_the_privacy_section_fits_in_the_statement() -> None:
    from bot.members.privacy_section import MEMBERS_PRIVACY
    from bot.privacy import privacy_statement

    sections = privacy_statement(None, "Call your local crisis line.", [MEMBERS_PRIVACY])
    assert MEMBERS_PRIVACY in sections
    assert "/me forget" in "\n".join(section.body for section in sections)
