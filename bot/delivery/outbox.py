"""The durable DM outbox: every bot-initiated DM is a row, queued once per natural key.

A row moves pending → sending (claimed under a lease) → sent, or ends dropped (decided
not to send: stale, away, opted out, DMs closed) or failed (tried and could not). An
expired lease returns the row to pending, so a crash loses nothing and re-sends at
most what was in flight.

Finished rows (sent, dropped, failed) are deleted `FINISHED_ROWS_KEPT` after they
finish, leaving only anonymous counts per group, kind, outcome and day for
`/peerpulse status`: a row names whom the bot DMed. A reminder row is deleted as soon
as it finishes (`forget_finished_reminders`): a reminder is queued to every opted-in
member and dropped at send time for those who answered, so a pending row says only
"opted in", while a finished one would say who had not answered.

Kinds are named `<capability>_<what>`: the prefix (checkin, consult, pulse) says which
DM opt-in the member must have, and a `_reminder` suffix also needs reminders on.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final, Literal, Protocol

import aiosqlite

from bot.db import Database, Sql, Transaction
from bot.members.instants import from_db, optional_from_db, to_db
from bot.members.preferences import Preferences, preferences_from_row

Status = Literal["pending", "sending", "sent", "dropped", "failed"]
STATUSES: Final[tuple[Status, ...]] = ("pending", "sending", "sent", "dropped", "failed")
MAX_PAYLOAD_CHARS = 1024
FINISHED_ROWS_KEPT: Final = timedelta(days=2)
COUNTS_KEPT: Final = timedelta(days=8)  # /peerpulse status looks back 7 days
# Never counted, not even anonymously: pulse reminders go only to members who have not
# answered, so their number would be a live count of an open survey's answers.
UNCOUNTED_KIND: Final = "pulse_reminder"
REMINDER_KIND_PATTERN: Final = "%\\_reminder"  # LIKE ... ESCAPE '\\': kinds ending in _reminder
UNCOUNTED_OUTCOME: Final = "answered"  # not a delivery: the member answered before it was due
_ITEM_COLUMNS = (
    "o.id, o.group_id, o.user_id, o.kind, o.ref, o.payload, o.due_at, o.expires_at, o.attempts"
)


@dataclass(frozen=True)
class OutboxItem:
    """One queued DM: who, what kind about what, and the parameters to render it with."""

    id: int
    group_id: int
    user_id: int
    kind: str
    ref: str
    payload: Mapping[str, Any]
    due_at: datetime
    expires_at: datetime | None
    attempts: int

    @property
    def nonce(self) -> str:
        """A stable nonce (≤ 25 chars) for Discord's `enforce_nonce`, which drops a re-send."""
        return f"pp{self.id}"


@dataclass(frozen=True)
class DueRow:
    """A due row with what the dispatcher needs to decide about it."""

    item: OutboxItem
    preferences: Preferences
    group_zone: str
    channel_id: int | None
    dms_closed: bool
    guild_id: int = 0
    home_channel_id: int | None = None
    dms_retry_at: datetime | None = None  # after DMs were found closed: not before this


def _item(row: aiosqlite.Row) -> OutboxItem:
    return OutboxItem(
        id=row["id"],
        group_id=row["group_id"],
        user_id=row["user_id"],
        kind=row["kind"],
        ref=row["ref"],
        payload=json.loads(row["payload"]),
        due_at=from_db(row["due_at"]),
        expires_at=optional_from_db(row["expires_at"]),
        attempts=row["attempts"],
    )


async def enqueue(
    sql: Sql,
    *,
    group_id: int,
    user_id: int,
    kind: str,
    ref: str,
    due_at: datetime,
    expires_at: datetime | None,
    payload: Mapping[str, object],
    now: datetime | None = None,
) -> bool:
    """Queue a DM; False when one with this (group, user, kind, ref) exists already.

    `payload` holds render parameters only (ids, titles, times), never answers or notes;
    it must be JSON-serialisable and small. `now` only stamps `created_at` (due_at if
    omitted).
    """
    queued = await enqueue_many(
        sql,
        group_id=group_id,
        user_ids=[user_id],
        kind=kind,
        ref=ref,
        due_at=due_at,
        expires_at=expires_at,
        payload=payload,
        now=now,
    )
    return bool(queued)


class EnqueueMany(Protocol):
    """`enqueue_many`'s shape, for services that take it as a parameter (tests replace it)."""

    async def __call__(
        self,
        sql: Sql,
        *,
        group_id: int,
        user_ids: Sequence[int],
        kind: str,
        ref: str,
        due_at: datetime,
        expires_at: datetime | None,
        payload: Mapping[str, object],
        now: datetime | None = None,
    ) -> int: ...


async def enqueue_many(
    sql: Sql,
    *,
    group_id: int,
    user_ids: Sequence[int],
    kind: str,
    ref: str,
    due_at: datetime,
    expires_at: datetime | None,
    payload: Mapping[str, object],
    now: datetime | None = None,
) -> int:
    """Queue the same DM to each of `user_ids` in one statement; how many were new.

    As `enqueue`, for a whole fan-out: a (group, user, kind, ref) already queued is skipped.
    """
    if not kind or not ref:
        raise ValueError("an outbox row needs a kind and a ref")
    if expires_at is not None and expires_at <= due_at:
        raise ValueError("expires_at must be after due_at")
    encoded = json.dumps(dict(payload), sort_keys=True, separators=(",", ":"))
    if len(encoded) > MAX_PAYLOAD_CHARS:
        raise ValueError(f"outbox payload is {len(encoded)} chars; keep it to render parameters")
    if not user_ids:
        return 0
    stamp = to_db(now or due_at)
    rows = await sql.fetchall(
        "INSERT INTO outbox (group_id, user_id, kind, ref, payload, due_at, expires_at, "
        "next_attempt_at, created_at, updated_at) "
        "SELECT :group_id, users.value, :kind, :ref, :payload, :due_at, :expires_at, :due_at, "
        ":stamp, :stamp FROM json_each(:user_ids) AS users "
        "WHERE true "  # lets SQLite parse the ON CONFLICT after a SELECT
        "ON CONFLICT (group_id, user_id, kind, ref) DO NOTHING RETURNING id",
        {
            "group_id": group_id,
            "kind": kind,
            "ref": ref,
            "payload": encoded,
            "due_at": to_db(due_at),
            "expires_at": to_db(expires_at) if expires_at else None,
            "stamp": stamp,
            "user_ids": json.dumps([int(user_id) for user_id in user_ids]),
        },
    )
    return len(rows)


async def get_item(sql: Sql, outbox_id: int) -> OutboxItem | None:
    """One row by id, or None."""
    row = await sql.fetchone(
        f"SELECT {_ITEM_COLUMNS} FROM outbox o WHERE o.id = ?",  # noqa: S608 - constant column list
        (outbox_id,),
    )
    return _item(row) if row else None


async def reclaim_expired_leases(sql: Sql, now: datetime) -> int:
    """Return rows whose lease ran out (their sender died) to pending; how many."""
    rows = await sql.fetchall(
        "UPDATE outbox SET status = 'pending', lease_owner = NULL, lease_until = NULL, "
        "next_attempt_at = :now, updated_at = :now "
        "WHERE status = 'sending' AND lease_until <= :now RETURNING id",
        {"now": to_db(now)},
    )
    return len(rows)


_DUE_ROW_SELECT = (
    f"SELECT {_ITEM_COLUMNS}, g.timezone AS group_zone, g.guild_id, g.home_channel_id, "  # noqa: S608 - constant columns
    "p.timezone, p.work_days, p.work_start, p.work_end, p.away_since, p.away_until, "
    "p.dm_checkins, p.dm_consultations, p.dm_pulse, p.reminders, p.consult_reminders, "
    "p.consult_outside_hours, "
    "p.user_id IS NOT NULL AS has_preferences, r.channel_id, r.dms_closed_at, r.dms_retry_at "
    "FROM outbox o JOIN groups g ON g.id = o.group_id "
    "LEFT JOIN member_preferences p ON p.group_id = o.group_id AND p.user_id = o.user_id "
    "LEFT JOIN dm_recipients r ON r.user_id = o.user_id "
)


def _due_row(row: aiosqlite.Row) -> DueRow:
    return DueRow(
        item=_item(row),
        preferences=(
            preferences_from_row(row)
            if row["has_preferences"]
            else Preferences(row["group_id"], row["user_id"])
        ),
        group_zone=row["group_zone"],
        channel_id=row["channel_id"],
        dms_closed=row["dms_closed_at"] is not None,
        dms_retry_at=optional_from_db(row["dms_retry_at"]),
        guild_id=row["guild_id"],
        home_channel_id=row["home_channel_id"],
    )


# Kinds that are worthless late: they go before anything else due, so a reminder before a
# consultation does not wait behind another group's check-in fan-out of a thousand DMs.
URGENT_KINDS: Final = ("consult_reminder",)
_URGENT_FIRST = f"(o.kind IN ({', '.join(repr(k) for k in URGENT_KINDS)})) DESC"


async def due_rows(sql: Sql, now: datetime, limit: int) -> list[DueRow]:
    """Pending rows whose next attempt is due, urgent kinds first, then oldest first, with
    preferences and DM state."""
    rows = await sql.fetchall(
        _DUE_ROW_SELECT + "WHERE o.status = 'pending' AND o.next_attempt_at <= ? "
        f"ORDER BY {_URGENT_FIRST}, o.next_attempt_at, o.id LIMIT ?",
        (to_db(now), limit),
    )
    return [_due_row(row) for row in rows]


async def leased_row(sql: Sql, outbox_id: int, owner: str) -> DueRow | None:
    """A row still leased to `owner`, with the member's settings as they are now.

    None when the row is gone (the member used /me forget) or no longer leased.
    """
    row = await sql.fetchone(
        _DUE_ROW_SELECT + "WHERE o.id = ? AND o.status = 'sending' AND o.lease_owner = ?",
        (outbox_id, owner),
    )
    return _due_row(row) if row is not None else None


async def claim(
    tx: Transaction, ids: Iterable[int], *, owner: str, lease_until: datetime, now: datetime
) -> None:
    """Lease pending rows to `owner` until `lease_until`, counting an attempt for each."""
    await tx.executemany(
        "UPDATE outbox SET status = 'sending', lease_owner = ?, lease_until = ?, "
        "attempts = attempts + 1, hold_reason = NULL, updated_at = ? "
        "WHERE id = ? AND status = 'pending'",
        [(owner, to_db(lease_until), to_db(now), outbox_id) for outbox_id in ids],
    )


async def hold(sql: Sql, outbox_id: int, until: datetime, *, now: datetime) -> None:
    """Keep a pending row waiting for the member's next working window."""
    await sql.execute(
        "UPDATE outbox SET next_attempt_at = ?, hold_reason = 'hours', updated_at = ? "
        "WHERE id = ? AND status = 'pending'",
        (to_db(until), to_db(now), outbox_id),
    )


async def drop(sql: Sql, outbox_id: int, outcome: str, *, now: datetime) -> None:
    """Decide not to send a pending (or leased) row, recording why."""
    await sql.execute(
        "UPDATE outbox SET status = 'dropped', outcome = ?, hold_reason = NULL, "
        "lease_owner = NULL, lease_until = NULL, updated_at = ?, finished_at = ? "
        "WHERE id = ? AND status IN ('pending', 'sending')",
        (outcome, to_db(now), to_db(now), outbox_id),
    )


async def drop_pending(
    sql: Sql, group_id: int, kind: str, ref_prefix: str, *, now: datetime, outcome: str = "stale"
) -> int:
    """Drop the group's pending rows of `kind` whose ref starts with `ref_prefix` (say, the
    reminders of a session that moved); rows in flight are left to finish. How many."""
    rows = await sql.fetchall(
        "UPDATE outbox SET status = 'dropped', outcome = ?, hold_reason = NULL, updated_at = ?, "
        "finished_at = ? WHERE group_id = ? AND kind = ? AND status = 'pending' "
        "AND substr(ref, 1, length(?)) = ? RETURNING id",
        (outcome, to_db(now), to_db(now), group_id, kind, ref_prefix, ref_prefix),
    )
    return len(rows)


async def mark_sent(
    sql: Sql, outbox_id: int, *, owner: str, message_id: int, now: datetime
) -> bool:
    """Record a delivered DM; False when the row was no longer leased to `owner`."""
    rows = await sql.fetchall(
        "UPDATE outbox SET status = 'sent', outcome = 'sent', message_id = ?, "
        "lease_owner = NULL, lease_until = NULL, last_error = NULL, updated_at = ?, "
        "finished_at = ? WHERE id = ? AND status = 'sending' AND lease_owner = ? RETURNING id",
        (message_id, to_db(now), to_db(now), outbox_id, owner),
    )
    return bool(rows)


async def mark_failed(
    sql: Sql, outbox_id: int, *, owner: str, outcome: str, error: str, now: datetime
) -> None:
    """Record a DM that was tried and cannot be delivered."""
    await sql.execute(
        "UPDATE outbox SET status = 'failed', outcome = ?, last_error = ?, lease_owner = NULL, "
        "lease_until = NULL, updated_at = ?, finished_at = ? "
        "WHERE id = ? AND status = 'sending' AND lease_owner = ?",
        (outcome, error, to_db(now), to_db(now), outbox_id, owner),
    )


async def release(
    sql: Sql,
    outbox_id: int,
    *,
    owner: str,
    retry_at: datetime,
    error: str | None,
    now: datetime,
    attempted: bool = True,
    hold_reason: Literal["retry", "hours"] = "retry",
) -> None:
    """Give a leased row back to pending, to be tried at `retry_at`.

    `attempted=False` un-counts the attempt claimed for a row that was never sent.
    """
    await sql.execute(
        "UPDATE outbox SET status = 'pending', lease_owner = NULL, lease_until = NULL, "
        "next_attempt_at = ?, hold_reason = ?, last_error = COALESCE(?, last_error), "
        "attempts = attempts - ?, updated_at = ? "
        "WHERE id = ? AND status = 'sending' AND lease_owner = ?",
        (
            to_db(retry_at),
            hold_reason,
            error,
            0 if attempted else 1,
            to_db(now),
            outbox_id,
            owner,
        ),
    )


async def next_attempt_at(sql: Sql, group_id: int | None = None) -> datetime | None:
    """When the earliest pending row (of one group, or any) is next due, or None."""
    row = await sql.fetchone(
        "SELECT MIN(next_attempt_at) AS due FROM outbox WHERE status = 'pending' "
        "AND (:group IS NULL OR group_id = :group)",
        {"group": group_id},
    )
    return optional_from_db(row["due"]) if row is not None else None


async def counts_by_status_and_kind(sql: Sql, group_id: int) -> dict[tuple[str, str], int]:
    """How many rows the group has per (status, kind)."""
    rows = await sql.fetchall(
        "SELECT status, kind, COUNT(*) AS n FROM outbox WHERE group_id = ? "
        "GROUP BY status, kind ORDER BY status, kind",
        (group_id,),
    )
    return {(row["status"], row["kind"]): int(row["n"]) for row in rows}


async def purge_finished(db: Database, now: datetime) -> int:
    """Fold rows finished before `now - FINISHED_ROWS_KEPT` into anonymous counts and delete them.

    Also deletes counts older than `COUNTS_KEPT`. Returns how many rows were deleted;
    idempotent: a second run at the same `now` finds nothing.
    """
    cutoff = {"cutoff": to_db(now - FINISHED_ROWS_KEPT)}
    # `+status`: look rows up by finished_at (index outbox_finished, 0008), not by status,
    # so with nothing to purge this is a range check, not a walk over every finished row.
    async with db.transaction() as tx:
        await tx.execute(
            "INSERT INTO delivery_counts (group_id, kind, outcome, day, count) "
            "SELECT group_id, kind, COALESCE(outcome, status), substr(finished_at, 1, 10), "
            "COUNT(*) FROM outbox "
            "WHERE finished_at < :cutoff AND +status IN ('sent', 'dropped', 'failed') "
            "AND kind != :uncounted "
            "GROUP BY group_id, kind, COALESCE(outcome, status), substr(finished_at, 1, 10) "
            "ON CONFLICT (group_id, kind, outcome, day) "
            "DO UPDATE SET count = count + excluded.count",
            {**cutoff, "uncounted": UNCOUNTED_KIND},
        )
        deleted = await tx.fetchall(
            "DELETE FROM outbox "
            "WHERE finished_at < :cutoff AND +status IN ('sent', 'dropped', 'failed') RETURNING 1",
            cutoff,
        )
        await tx.execute(
            "DELETE FROM delivery_counts WHERE day < ?", ((now - COUNTS_KEPT).date().isoformat(),)
        )
    return len(deleted)


async def forget_finished_reminders(db: Database) -> int:
    """Fold every finished reminder row into anonymous counts and delete it; how many.

    Pulse reminders and reminders dropped because the member had answered are deleted
    without being counted. Idempotent.
    """
    finished = (
        "finished_at IS NOT NULL AND +status IN ('sent', 'dropped', 'failed') "
        "AND kind LIKE :pattern ESCAPE '\\'"
    )
    params = {"pattern": REMINDER_KIND_PATTERN}
    async with db.transaction() as tx:
        await tx.execute(
            "INSERT INTO delivery_counts (group_id, kind, outcome, day, count) "  # noqa: S608 - constant clause
            "SELECT group_id, kind, COALESCE(outcome, status), substr(finished_at, 1, 10), "
            f"COUNT(*) FROM outbox WHERE {finished} "
            "AND kind != :uncounted AND COALESCE(outcome, '') != :answered "
            "GROUP BY group_id, kind, COALESCE(outcome, status), substr(finished_at, 1, 10) "
            "ON CONFLICT (group_id, kind, outcome, day) "
            "DO UPDATE SET count = count + excluded.count",
            {**params, "uncounted": UNCOUNTED_KIND, "answered": UNCOUNTED_OUTCOME},
        )
        deleted = await tx.fetchall(
            f"DELETE FROM outbox WHERE {finished} RETURNING 1",  # noqa: S608 - constant clause
            params,
        )
    return len(deleted)
