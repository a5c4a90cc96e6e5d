"""Recurring consultations in SQLite: one rule per group, skipped dates, occurrences.

`occurrences_due` creates a rule's next occurrence when it has no session still
ahead: one occurrence ahead, never more (at most two future sessions per rule even
while one is being replaced). Each occurrence is keyed by (rule, local date), so a
cancelled or skipped date is never created again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import aiosqlite

from bot.consult.presenters import ask_next
from bot.consult.recurrence import RecurringRule, check_skip, new_rule
from bot.consult.store import (
    Location,
    cancel_in,
    check_duration,
    check_location,
    check_title,
    get_session,
    insert_session,
)
from bot.db import Database, Sql
from bot.errors import UserError
from bot.members.instants import to_db

_MAX_TAKEN = 60  # dates already booked or cancelled to step over, at most
NO_RULE = (
    "This group has no recurring consultation. A moderator can set one with /consult recurring set."
)


@dataclass(frozen=True)
class RuleSpec:
    """What a moderator sets: when, and what each occurrence is."""

    weekday: int  # 0 = Monday
    minute: int  # after local midnight, in the group's zone
    every_weeks: int  # 1, 2 or 4
    title: str
    duration_minutes: int
    needs_presenter: bool
    location: Location
    channel_id: int


@dataclass(frozen=True)
class StoredRule:
    """A group's rule as stored."""

    id: int
    group_id: int
    rule: RecurringRule
    spec: RuleSpec
    active: bool


async def group_zone(sql: Sql, group_id: int) -> str:
    """The group's IANA zone."""
    row = await sql.fetchone("SELECT timezone FROM groups WHERE id = ?", (group_id,))
    return str(row["timezone"]) if row else "UTC"


async def _stored(sql: Sql, row: aiosqlite.Row) -> StoredRule:
    zone = await group_zone(sql, row["group_id"])
    skips = await sql.fetchall("SELECT day FROM consult_skips WHERE rule_id = ?", (row["id"],))
    anchor = date.fromisoformat(row["anchor_date"])
    rule = RecurringRule(
        anchor,
        row["local_minute"],
        row["every_weeks"],
        zone,
        frozenset(date.fromisoformat(s["day"]) for s in skips),
    )
    spec = RuleSpec(
        anchor.weekday(),
        row["local_minute"],
        row["every_weeks"],
        row["title"],
        row["duration_minutes"],
        bool(row["needs_presenter"]),
        Location(row["location_kind"], row["location_text"], row["voice_channel_id"]),
        row["channel_id"],
    )
    return StoredRule(row["id"], row["group_id"], rule, spec, bool(row["active"]))


async def get_rule(sql: Sql, group_id: int) -> StoredRule | None:
    """The group's rule (active or not), or None."""
    row = await sql.fetchone("SELECT * FROM consult_rules WHERE group_id = ?", (group_id,))
    return await _stored(sql, row) if row else None


async def set_rule(db: Database, group_id: int, spec: RuleSpec, now: datetime) -> StoredRule:
    """Set (or replace) the group's rule; future occurrences not on it are cancelled."""
    title = check_title(spec.title)
    duration = check_duration(spec.duration_minutes)
    location = check_location(spec.location)
    async with db.transaction() as tx:
        zone = await group_zone(tx, group_id)
        rule = new_rule(
            weekday=spec.weekday,
            minute=spec.minute,
            every_weeks=spec.every_weeks,
            zone=zone,
            now=now,
        )
        await tx.execute(
            "INSERT INTO consult_rules (group_id, anchor_date, local_minute, every_weeks, title, "
            "duration_minutes, needs_presenter, location_kind, location_text, voice_channel_id, "
            "channel_id, active, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?) "
            "ON CONFLICT (group_id) DO UPDATE SET anchor_date = excluded.anchor_date, "
            "local_minute = excluded.local_minute, every_weeks = excluded.every_weeks, "
            "title = excluded.title, duration_minutes = excluded.duration_minutes, "
            "needs_presenter = excluded.needs_presenter, location_kind = excluded.location_kind, "
            "location_text = excluded.location_text, voice_channel_id = excluded.voice_channel_id, "
            "channel_id = excluded.channel_id, active = 1, updated_at = excluded.updated_at",
            (
                group_id,
                rule.anchor.isoformat(),
                rule.minute,
                rule.every_weeks,
                title,
                duration,
                int(spec.needs_presenter),
                location.kind,
                location.text,
                location.voice_channel_id,
                spec.channel_id,
                to_db(now),
            ),
        )
        stored = await get_rule(tx, group_id)
        if stored is None:  # pragma: no cover - written just above
            raise RuntimeError("rule vanished inside its transaction")
        await tx.execute("DELETE FROM consult_skips WHERE rule_id = ?", (stored.id,))
        for session_id, day, starts_at in await _future(tx, stored.id, now):
            if not (rule.is_on(day) and rule.start_on(day) == starts_at):
                await cancel_in(tx, session_id, now)
        return await _require(tx, group_id)


async def skip(db: Database, group_id: int, day: date, now: datetime) -> StoredRule:
    """Skip one date of the rule; a session already booked that day is cancelled."""
    async with db.transaction() as tx:
        stored = await _require(tx, group_id)
        if not stored.active:
            raise UserError(NO_RULE)
        check_skip(stored.rule, day, now)
        await tx.execute(
            "INSERT INTO consult_skips (rule_id, day) VALUES (?, ?) ON CONFLICT DO NOTHING",
            (stored.id, day.isoformat()),
        )
        for session_id, occurrence, _ in await _future(tx, stored.id, now):
            if occurrence == day:
                await cancel_in(tx, session_id, now)
        return await _require(tx, group_id)


async def turn_off(db: Database, group_id: int, now: datetime) -> bool:
    """Stop creating occurrences (one already booked stays); False when there was no rule."""
    rows = await db.fetchall(
        "UPDATE consult_rules SET active = 0, updated_at = ? "
        "WHERE group_id = ? AND active = 1 RETURNING 1",
        (to_db(now), group_id),
    )
    return bool(rows)


async def occurrences_due(db: Database, now: datetime) -> int:
    """Create the next occurrence of each active rule that has none ahead; how many."""
    rows = await db.fetchall(
        "SELECT r.* FROM consult_rules r WHERE r.active = 1 AND NOT EXISTS ("
        "SELECT 1 FROM consult_sessions s WHERE s.rule_id = r.id AND s.status = 'scheduled' "
        "AND s.starts_at > ?)",
        (to_db(now),),
    )
    created = 0
    for row in rows:
        async with db.transaction() as tx:
            stored = await _stored(tx, row)
            taken = await tx.fetchall(
                "SELECT occurrence_date FROM consult_sessions WHERE rule_id = ?", (stored.id,)
            )
            found = _next_free(stored.rule, now, {r["occurrence_date"] for r in taken})
            if found is None:
                continue
            day, start = found
            spec = stored.spec
            session_id = await insert_session(
                tx,
                group_id=stored.group_id,
                title=spec.title,
                start=start,
                minutes=spec.duration_minutes,
                needs_presenter=spec.needs_presenter,
                location=spec.location,
                channel_id=spec.channel_id,
                now=now,
                rule_id=stored.id,
                occurrence_date=day.isoformat(),
            )
            if not session_id:
                continue
            created += 1
            session = await get_session(tx, session_id)
            if session is not None:
                await ask_next(tx, session, stored.rule.zone, now)
    return created


def _next_free(rule: RecurringRule, now: datetime, taken: set[str]) -> tuple[date, datetime] | None:
    """The rule's first date ahead that has no session yet (a cancelled one counts)."""
    after = now
    for _ in range(_MAX_TAKEN):
        found = rule.next_after(after)
        if found is None or found[0].isoformat() not in taken:
            return found
        after = found[1]
    return None


async def _require(sql: Sql, group_id: int) -> StoredRule:
    stored = await get_rule(sql, group_id)
    if stored is None:
        raise UserError(NO_RULE)
    return stored


async def _future(sql: Sql, rule_id: int, now: datetime) -> list[tuple[int, date, datetime]]:
    rows = await sql.fetchall(
        "SELECT id, occurrence_date, starts_at FROM consult_sessions "
        "WHERE rule_id = ? AND status = 'scheduled' AND starts_at > ?",
        (rule_id, to_db(now)),
    )
    return [
        (r["id"], date.fromisoformat(r["occurrence_date"]), datetime.fromisoformat(r["starts_at"]))
        for r in rows
    ]
