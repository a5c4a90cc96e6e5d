"""The consultation due steps: each an idempotent `async (now) -> int` for `DueSteps`.

- `finalize_due`: polls past their deadline are finalized (earliest wins a tie).
- `ready_notices_due`: the organiser's one DM when every member who is not away has
  answered, or when the deadline finalized the poll (whichever comes first).
- `reminders_due`: reminders to those going or maybe, at each of the group's offsets;
  after downtime only the nearest due offset is sent. Each expires at the start: the
  dispatcher holds it for the member's working hours (unless they allowed otherwise)
  and drops it when it could not arrive before the session starts.
- `presenters_due`: unanswered presenter requests time out and the next member is
  asked; a session that needs a presenter and has nobody asked gets its first request.
- `occurrences_due` (bot.consult.rules): the next occurrence of each recurring rule.
- `purge_due`: marks, answers and RSVPs go 30 days after their poll or session ended.

What needs Discord (the scheduled event, the announcement, redrawing a poll post) is
the glue's: it reads `store.sessions_to_sync` and `store.polls_to_refresh`.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime, timedelta
from typing import Final, Protocol

from bot.consult import presenters, rules, store
from bot.consult.store import Poll, get_poll, reminder_ref_prefix
from bot.db import Database, Sql
from bot.delivery import outbox
from bot.delivery.policy import CONSULT_REMINDER_KIND as REMINDER_KIND
from bot.errors import UserError
from bot.members.instants import to_db
from bot.scheduling import DueSteps

READY_KIND: Final = "consult_poll_ready"
READY_EXPIRES_AFTER: Final = timedelta(days=7)
# Who marked which time, who answered and who RSVP'd are kept this long after the poll
# closed or the session ended, then deleted: they serve the scheduling, not a record.
KEPT_AFTER: Final = timedelta(days=30)


class Roster(Protocol):
    """The group's members (user ids) as Discord knows them; the glue implements it."""

    async def members(self, group_id: int) -> Collection[int]:
        """User ids of the group's members (bots excluded)."""
        ...


async def finalize_due(db: Database, now: datetime) -> int:
    """Finalize every open (or tied) poll whose deadline passed; how many."""
    rows = await db.fetchall(
        "SELECT id FROM consult_polls WHERE status IN ('open', 'tie') AND deadline_at <= ? "
        "ORDER BY deadline_at, id",
        (to_db(now),),
    )
    done = 0
    for row in rows:
        try:
            await store.finalize(db, row["id"], now=now)
        except UserError:  # finalized by a person meanwhile
            continue
        done += 1
    return done


async def ready_notices_due(db: Database, now: datetime, roster: Roster | None = None) -> int:
    """Queue each organiser's one 'ready' DM that is due; how many were queued."""
    queued = 0
    deadline_rows = await db.fetchall(
        "SELECT p.id FROM consult_polls p JOIN consult_finalizations f ON f.poll_id = p.id "
        "WHERE p.ready_notice_at IS NULL AND f.how = 'deadline' ORDER BY p.id"
    )
    for row in deadline_rows:
        queued += await _ready(db, row["id"], "deadline", now)
    if roster is None:
        return queued
    open_rows = await db.fetchall(
        "SELECT p.id, g.timezone FROM consult_polls p JOIN groups g ON g.id = p.group_id "
        "WHERE p.ready_notice_at IS NULL AND p.status = 'open' AND p.deadline_at > ? "
        "AND EXISTS (SELECT 1 FROM consult_responses r WHERE r.poll_id = p.id) ORDER BY p.id",
        (to_db(now),),
    )
    for row in open_rows:
        poll = await get_poll(db, row["id"])
        if poll is None:
            continue
        members = await roster.members(poll.group_id)
        if await store.everyone_answered(db, poll, members, row["timezone"], now):
            queued += await _ready(db, poll.id, "answered", now)
    return queued


async def _ready(db: Database, poll_id: int, reason: str, now: datetime) -> int:
    async with db.transaction() as tx:
        claimed = await tx.fetchall(
            "UPDATE consult_polls SET ready_notice_at = ? "
            "WHERE id = ? AND ready_notice_at IS NULL RETURNING 1",
            (to_db(now), poll_id),
        )
        poll = await get_poll(tx, poll_id)
        if not claimed or poll is None or poll.organiser_user_id is None:
            return 0
        return int(await _queue_ready(tx, poll, poll.organiser_user_id, reason, now))


async def _queue_ready(sql: Sql, poll: Poll, organiser: int, reason: str, now: datetime) -> bool:
    return await outbox.enqueue(
        sql,
        group_id=poll.group_id,
        user_id=organiser,
        kind=READY_KIND,
        ref=f"poll{poll.id}",
        due_at=now,
        expires_at=now + READY_EXPIRES_AFTER,
        payload={
            "poll_id": poll.id,
            "title": poll.title,
            "channel_id": poll.channel_id,
            "reason": reason,  # "answered" or "deadline"
            "status": poll.status,
        },
        now=now,
    )


async def reminders_due(db: Database, now: datetime) -> int:
    """Queue the reminders now due; how many DMs were queued."""
    rows = await db.fetchall(
        "SELECT id FROM consult_sessions WHERE status = 'scheduled' AND starts_at > ? "
        "AND starts_at <= ? ORDER BY starts_at, id",
        (to_db(now), to_db(now + timedelta(minutes=store.MAX_OFFSET))),
    )
    queued = 0
    for row in rows:
        session = await store.get_session(db, row["id"])
        if session is None:
            continue
        offsets = (await store.get_settings(db, session.group_id)).reminder_offsets
        due = [o for o in offsets if session.start - timedelta(minutes=o) <= now]
        # Read first: only a due offset not yet run takes the write lock.
        if not due or set(due) <= await _reminders_run(db, session):
            continue
        async with db.transaction() as tx:
            current = await store.get_session(tx, session.id)
            if current != session or session.status != "scheduled" or session.start <= now:
                continue
            nearest = min(due)
            ran = set()
            for offset in due:
                claimed = await tx.fetchall(
                    "INSERT INTO consult_reminder_steps (session_id, starts_at, offset_minute, "
                    "ran_at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING RETURNING 1",
                    (session.id, to_db(session.start), offset, to_db(now)),
                )
                if claimed:
                    ran.add(offset)
            if nearest not in ran:
                continue
            queued += await outbox.enqueue_many(
                tx,
                group_id=session.group_id,
                user_ids=await store.attendees(tx, session.id),
                kind=REMINDER_KIND,
                ref=f"{reminder_ref_prefix(session.id)}{int(session.start.timestamp())}/{nearest}",
                due_at=session.start - timedelta(minutes=nearest),
                expires_at=session.start,
                payload={**store.session_payload(session), "minutes_before": nearest},
                now=now,
            )
    return queued


async def _reminders_run(sql: Sql, session: store.Session) -> set[int]:
    rows = await sql.fetchall(
        "SELECT offset_minute FROM consult_reminder_steps WHERE session_id = ? AND starts_at = ?",
        (session.id, to_db(session.start)),
    )
    return {row["offset_minute"] for row in rows}


async def presenters_due(db: Database, now: datetime) -> int:
    """Time out requests past their deadline, and ask for sessions with nobody asked yet."""
    zones = {
        row["id"]: row["timezone"]
        for row in await db.fetchall(
            "SELECT DISTINCT g.id, g.timezone FROM groups g JOIN consult_sessions s "
            "ON s.group_id = g.id WHERE s.status = 'scheduled' AND s.needs_presenter = 1 "
            "AND s.starts_at > ?",
            (to_db(now),),
        )
    }
    effects = await presenters.timeouts_due(db, zones, now)
    rows = await db.fetchall(
        "SELECT s.id FROM consult_sessions s WHERE s.status = 'scheduled' "
        "AND s.needs_presenter = 1 AND s.starts_at > ? "
        "AND NOT EXISTS (SELECT 1 FROM consult_presenters p WHERE p.session_id = s.id) "
        "AND NOT EXISTS (SELECT 1 FROM consult_presenter_requests q "
        "WHERE q.session_id = s.id AND q.status = 'asked') ORDER BY s.starts_at, s.id",
        (to_db(now),),
    )
    for row in rows:
        session = await store.get_session(db, row["id"])
        if session is None:
            continue
        zone = zones.get(session.group_id, "UTC")
        # Read first: a session nobody is left to ask costs no write lock on every tick.
        if await presenters.next_candidate(db, session, zone, now) is None:
            continue
        async with db.transaction() as tx:
            current = await store.require_session(tx, session.id)
            effects += await presenters.ask_next(tx, current, zone, now) is not None
    return effects


_SPENT_POLLS = (
    "SELECT p.id FROM consult_polls p WHERE p.status IN ('finalized', 'closed', 'cancelled') "
    "AND p.closed_at < :cutoff AND NOT EXISTS (SELECT 1 FROM consult_sessions s "
    "WHERE s.poll_id = p.id AND s.ends_at >= :cutoff)"
)
_ENDED_SESSIONS = "SELECT id FROM consult_sessions WHERE ends_at < :cutoff"
_PURGED = (
    ("consult_marks", "poll_id", _SPENT_POLLS),
    ("consult_responses", "poll_id", _SPENT_POLLS),
    ("consult_rsvps", "session_id", _ENDED_SESSIONS),
    ("consult_reminder_steps", "session_id", _ENDED_SESSIONS),
)
_PURGES: Final = tuple(
    f"DELETE FROM {table} WHERE {column} IN ({subquery}) RETURNING 1"  # noqa: S608 - constants
    for table, column, subquery in _PURGED
)
# Read first, so a tick with nothing to purge takes no write lock.
_EXISTS: Final = " OR ".join(
    f"EXISTS (SELECT 1 FROM {table} WHERE {column} IN ({subquery}))"  # noqa: S608 - constants
    for table, column, subquery in _PURGED
)
_ANY_TO_PURGE: Final = f"SELECT {_EXISTS} AS due"


async def purge_due(db: Database, now: datetime) -> int:
    """Delete marks, answers and RSVPs past `KEPT_AFTER`, and spent reminder steps; rows."""
    cutoff = {"cutoff": to_db(now - KEPT_AFTER)}
    deleted = 0
    found = await db.fetchone(_ANY_TO_PURGE, cutoff)
    if found is None or not found["due"]:
        return 0
    async with db.transaction() as tx:
        for statement in _PURGES:
            deleted += len(await tx.fetchall(statement, cutoff))
    return deleted


class ConsultSteps:
    """The consultation due steps bound to a database (and the glue's roster)."""

    def __init__(self, db: Database, roster: Roster | None = None) -> None:
        self.db = db
        self.roster = roster

    def register(self, steps: DueSteps) -> None:
        """Register every step under a `consult_` name, in the order they should run."""
        steps.register("consult_finalize", self.finalize_due)
        steps.register("consult_ready", self.ready_notices_due)
        steps.register("consult_occurrences", self.occurrences_due)
        steps.register("consult_presenters", self.presenters_due)
        steps.register("consult_reminders", self.reminders_due)
        steps.register("consult_purge", self.purge_due)

    async def finalize_due(self, now: datetime) -> int:
        """See `finalize_due`."""
        return await finalize_due(self.db, now)

    async def ready_notices_due(self, now: datetime) -> int:
        """See `ready_notices_due`."""
        return await ready_notices_due(self.db, now, self.roster)

    async def occurrences_due(self, now: datetime) -> int:
        """See `bot.consult.rules.occurrences_due`."""
        return await rules.occurrences_due(self.db, now)

    async def presenters_due(self, now: datetime) -> int:
        """See `presenters_due`."""
        return await presenters_due(self.db, now)

    async def reminders_due(self, now: datetime) -> int:
        """See `reminders_due`."""
        return await reminders_due(self.db, now)

    async def purge_due(self, now: datetime) -> int:
        """See `purge_due`."""
        return await purge_due(self.db, now)
