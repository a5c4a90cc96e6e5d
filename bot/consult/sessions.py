"""Booked consultations: sessions (one Discord scheduled event each), RSVPs, changes.

A session comes from a finalized poll (one per poll) or a recurring rule's date (one per
rule and date). Moving or cancelling one tells those going or maybe once, through the
outbox, in the same transaction, and drops their pending reminders for the old time.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Final

import aiosqlite

from bot.consult.model import RSVPS, Actor, Location, Rsvp, Session
from bot.db import Database, Sql
from bot.delivery import outbox
from bot.delivery.policy import CONSULT_REMINDER_KIND as REMINDER_KIND
from bot.errors import NotPermittedError, UserError
from bot.members.instants import from_db, to_db

CHANGED_KIND: Final = "consult_session_changed"  # to going/maybe: moved or cancelled

# --- sessions ---------------------------------------------------------------------

_SESSION_COLUMNS = (
    "id, group_id, poll_id, rule_id, occurrence_date, title, starts_at, ends_at, "
    "needs_presenter, location_kind, location_text, voice_channel_id, channel_id, status, "
    "sequence, synced_sequence, discord_event_id, announcement_message_id"
)


def _session(row: aiosqlite.Row) -> Session:
    return Session(
        id=row["id"],
        group_id=row["group_id"],
        poll_id=row["poll_id"],
        rule_id=row["rule_id"],
        occurrence_date=row["occurrence_date"],
        title=row["title"],
        start=from_db(row["starts_at"]),
        end=from_db(row["ends_at"]),
        needs_presenter=bool(row["needs_presenter"]),
        location=Location(row["location_kind"], row["location_text"], row["voice_channel_id"]),
        channel_id=row["channel_id"],
        status=row["status"],
        sequence=row["sequence"],
        synced_sequence=row["synced_sequence"],
        discord_event_id=row["discord_event_id"],
        announcement_message_id=row["announcement_message_id"],
    )


async def insert_session(
    sql: Sql,
    *,
    group_id: int,
    title: str,
    start: datetime,
    minutes: int,
    needs_presenter: bool,
    location: Location,
    channel_id: int,
    now: datetime,
    poll_id: int | None = None,
    rule_id: int | None = None,
    occurrence_date: str | None = None,
) -> int:
    """A new session (0 when its poll or rule date already has one)."""
    rows = await sql.fetchall(
        "INSERT INTO consult_sessions (group_id, poll_id, rule_id, occurrence_date, title, "
        "starts_at, ends_at, needs_presenter, location_kind, location_text, voice_channel_id, "
        "channel_id, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
        "ON CONFLICT DO NOTHING RETURNING id",
        (
            group_id,
            poll_id,
            rule_id,
            occurrence_date,
            title,
            to_db(start),
            to_db(start + timedelta(minutes=minutes)),
            int(needs_presenter),
            location.kind,
            location.text,
            location.voice_channel_id,
            channel_id,
            to_db(now),
            to_db(now),
        ),
    )
    return int(rows[0]["id"]) if rows else 0


async def get_session(sql: Sql, session_id: int) -> Session | None:
    """One session, or None."""
    row = await sql.fetchone(
        f"SELECT {_SESSION_COLUMNS} FROM consult_sessions WHERE id = ?",  # noqa: S608 - constant columns
        (session_id,),
    )
    return _session(row) if row else None


async def require_session(sql: Sql, session_id: int) -> Session:
    """One session, or a `UserError` saying it is gone."""
    session = await get_session(sql, session_id)
    if session is None:
        raise UserError("That consultation no longer exists.")
    return session


async def upcoming_sessions(sql: Sql, group_id: int, now: datetime) -> list[Session]:
    """The group's scheduled sessions not yet over, earliest first."""
    rows = await sql.fetchall(
        f"SELECT {_SESSION_COLUMNS} FROM consult_sessions "  # noqa: S608 - constant columns
        "WHERE group_id = ? AND status = 'scheduled' AND ends_at > ? ORDER BY starts_at, id",
        (group_id, to_db(now)),
    )
    return [_session(row) for row in rows]


async def sessions_to_sync(sql: Sql) -> list[Session]:
    """Sessions whose Discord event (and announcement) does not show the latest change."""
    rows = await sql.fetchall(
        f"SELECT {_SESSION_COLUMNS} FROM consult_sessions "  # noqa: S608 - constant columns
        "WHERE synced_sequence IS NULL OR synced_sequence < sequence ORDER BY id"
    )
    return [_session(row) for row in rows]


async def mark_synced(
    sql: Sql,
    session_id: int,
    sequence: int,
    *,
    discord_event_id: int | None = None,
    announcement_message_id: int | None = None,
) -> None:
    """The Discord event (and announcement) now show `sequence`; remember their ids."""
    await sql.execute(
        "UPDATE consult_sessions SET synced_sequence = MAX(COALESCE(synced_sequence, -1), ?), "
        "discord_event_id = COALESCE(?, discord_event_id), "
        "announcement_message_id = COALESCE(?, announcement_message_id) WHERE id = ?",
        (sequence, discord_event_id, announcement_message_id, session_id),
    )


async def sessions_starting_or_ending(sql: Sql, since: datetime, until: datetime) -> list[Session]:
    """Scheduled sessions with a Discord event that start or end in (since, until].

    The glue starts each event when its session starts and ends it when it ends.
    """
    rows = await sql.fetchall(
        f"SELECT {_SESSION_COLUMNS} FROM consult_sessions "  # noqa: S608 - constant columns
        "WHERE status = 'scheduled' AND discord_event_id IS NOT NULL "
        "AND ((starts_at > :since AND starts_at <= :until) "
        "OR (ends_at > :since AND ends_at <= :until)) ORDER BY starts_at, id",
        {"since": to_db(since), "until": to_db(until)},
    )
    return [_session(row) for row in rows]


async def session_by_event(sql: Sql, discord_event_id: int) -> Session | None:
    """The session behind a Discord scheduled event, or None."""
    row = await sql.fetchone(
        f"SELECT {_SESSION_COLUMNS} FROM consult_sessions WHERE discord_event_id = ?",  # noqa: S608 - constant columns
        (discord_event_id,),
    )
    return _session(row) if row else None


async def may_change_session(sql: Sql, session: Session, actor: Actor) -> bool:
    """Moderators may change any session; a poll's organiser may change theirs."""
    if actor.is_moderator:
        return True
    if session.poll_id is None:
        return False
    row = await sql.fetchone(
        "SELECT organiser_user_id FROM consult_polls WHERE id = ?", (session.poll_id,)
    )
    return row is not None and row["organiser_user_id"] == actor.user_id


async def reschedule(
    db: Database, session_id: int, start: datetime, *, actor: Actor, now: datetime
) -> Session:
    """Move a session (same duration); those going or maybe are told once."""
    async with db.transaction() as tx:
        session = await _changeable(tx, session_id, actor, now)
        if start <= now:
            raise UserError("Pick a new time still ahead.")
        if start == session.start:
            raise UserError("That is the time it already has.")
        length = session.end - session.start
        await tx.execute(
            "UPDATE consult_sessions SET starts_at = ?, ends_at = ?, sequence = sequence + 1, "
            "updated_at = ? WHERE id = ?",
            (to_db(start), to_db(start + length), to_db(now), session_id),
        )
        await tx.execute(
            "UPDATE consult_presenters SET presented_at = ? WHERE session_id = ?",
            (to_db(start), session_id),
        )
        moved = await require_session(tx, session_id)
        await _tell_attendees(tx, moved, now, cancelled=False)
    return moved


async def cancel_session(db: Database, session_id: int, *, actor: Actor, now: datetime) -> Session:
    """Cancel a session; those going or maybe are told once; its presenter is released."""
    async with db.transaction() as tx:
        await _changeable(tx, session_id, actor, now)
        return await cancel_in(tx, session_id, now)


async def cancel_in(sql: Sql, session_id: int, now: datetime) -> Session:
    """Cancel inside an open transaction (also used when a recurring date is skipped)."""
    await sql.execute(
        "UPDATE consult_sessions SET status = 'cancelled', sequence = sequence + 1, "
        "updated_at = ? WHERE id = ? AND status = 'scheduled'",
        (to_db(now), session_id),
    )
    await sql.execute("DELETE FROM consult_presenters WHERE session_id = ?", (session_id,))
    await sql.execute(
        "UPDATE consult_presenter_requests SET status = 'withdrawn', answered_at = ? "
        "WHERE session_id = ? AND status = 'asked'",
        (to_db(now), session_id),
    )
    session = await require_session(sql, session_id)
    await _tell_attendees(sql, session, now, cancelled=True)
    return session


async def _changeable(sql: Sql, session_id: int, actor: Actor, now: datetime) -> Session:
    session = await require_session(sql, session_id)
    if not await may_change_session(sql, session, actor):
        raise NotPermittedError("Only the organiser or a moderator can change this consultation.")
    if session.status == "cancelled":
        raise UserError("This consultation was cancelled already.")
    if session.start <= now:
        raise UserError("This consultation has started; it can no longer be changed.")
    return session


async def _tell_attendees(sql: Sql, session: Session, now: datetime, *, cancelled: bool) -> None:
    """One notice per change to those going or maybe; pending reminders for the old time go."""
    await outbox.drop_pending(
        sql, session.group_id, REMINDER_KIND, reminder_ref_prefix(session.id), now=now
    )
    await outbox.enqueue_many(
        sql,
        group_id=session.group_id,
        user_ids=await attendees(sql, session.id),
        kind=CHANGED_KIND,
        ref=f"s{session.id}.v{session.sequence}",
        due_at=now,
        expires_at=max(session.start, now + timedelta(hours=1)),
        payload={**session_payload(session), "cancelled": cancelled},
        now=now,
    )


def reminder_ref_prefix(session_id: int) -> str:
    """Every reminder of a session has a ref starting with this."""
    return f"s{session_id}@"


def session_payload(session: Session) -> dict[str, object]:
    """Render parameters for a DM about a session (no member data)."""
    return {
        "session_id": session.id,
        "title": session.title,
        "starts_at": to_db(session.start),
        "channel_id": session.channel_id,
    }


# --- RSVPs ------------------------------------------------------------------------


async def set_rsvp(sql: Sql, session_id: int, user_id: int, answer: str, now: datetime) -> Rsvp:
    """Record going, maybe or can't; refused once the session started or was cancelled."""
    choice = next((known for known in RSVPS if known == answer), None)
    if choice is None:
        raise UserError("Choose going, maybe or can't.")
    session = await require_session(sql, session_id)
    if session.status == "cancelled":
        raise UserError("This consultation was cancelled.")
    if session.start <= now:
        raise UserError("This consultation has started; answers are closed.")
    await sql.execute(
        "INSERT INTO consult_rsvps (session_id, user_id, answer, answered_at) VALUES (?, ?, ?, ?) "
        "ON CONFLICT (session_id, user_id) DO UPDATE SET answer = excluded.answer, "
        "answered_at = excluded.answered_at",
        (session_id, user_id, choice, to_db(now)),
    )
    return choice


async def rsvp_of(sql: Sql, session_id: int, user_id: int) -> Rsvp | None:
    """The member's answer, or None."""
    row = await sql.fetchone(
        "SELECT answer FROM consult_rsvps WHERE session_id = ? AND user_id = ?",
        (session_id, user_id),
    )
    return row["answer"] if row else None


async def rsvp_counts(sql: Sql, session_id: int) -> dict[Rsvp, int]:
    """How many answered each way."""
    rows = await sql.fetchall(
        "SELECT answer, COUNT(*) AS n FROM consult_rsvps WHERE session_id = ? GROUP BY answer",
        (session_id,),
    )
    counts: dict[Rsvp, int] = dict.fromkeys(RSVPS, 0)
    counts.update({row["answer"]: int(row["n"]) for row in rows})
    return counts


async def attendees(sql: Sql, session_id: int) -> list[int]:
    """Members going or maybe, ascending."""
    rows = await sql.fetchall(
        "SELECT user_id FROM consult_rsvps WHERE session_id = ? AND answer IN ('going', 'maybe') "
        "ORDER BY user_id",
        (session_id,),
    )
    return [row["user_id"] for row in rows]
