"""The presenter queue, requests to present, and the history `queue show` lists.

Who is asked follows `bot.consult.rotation`. Asked are queued members who marked the
session's slot "works" (a recurring session has no poll: any queued member), who did
not answer "can't" to the session, who are not away on its date, and who opted in to
consultation DMs (the request is a DM; without it nobody could answer). One request
is open per session at a time; a pass or a timeout asks the next; nobody left means no
presenter until a moderator names one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Final

from bot.consult import rotation
from bot.consult.rotation import QueueEntry
from bot.consult.store import (
    Session,
    finalized_slot,
    require_session,
    session_payload,
)
from bot.db import Database, Sql
from bot.delivery import outbox
from bot.errors import UserError
from bot.members.instants import from_db, optional_from_db, to_db
from bot.members.preferences import get_preferences

ASK_KIND: Final = "consult_presenter_ask"
HISTORY_SHOWN: Final = 10


@dataclass(frozen=True)
class Presented:
    """One entry of the history: who presented (or will present) which session."""

    session_id: int
    user_id: int
    presented_at: datetime
    title: str


@dataclass(frozen=True)
class Request:
    """An open request to present."""

    session_id: int
    user_id: int
    asked_at: datetime
    answer_by: datetime


# --- the queue --------------------------------------------------------------------


async def join_queue(sql: Sql, group_id: int, user_id: int, now: datetime) -> bool:
    """Join the queue; False when already in it (their place is kept)."""
    rows = await sql.fetchall(
        "INSERT INTO consult_queue (group_id, user_id, joined_at) VALUES (?, ?, ?) "
        "ON CONFLICT (group_id, user_id) DO NOTHING RETURNING 1",
        (group_id, user_id, to_db(now)),
    )
    return bool(rows)


async def leave_queue(sql: Sql, group_id: int, user_id: int) -> bool:
    """Leave the queue (history stays); False when not in it."""
    rows = await sql.fetchall(
        "DELETE FROM consult_queue WHERE group_id = ? AND user_id = ? RETURNING 1",
        (group_id, user_id),
    )
    return bool(rows)


async def queue(sql: Sql, group_id: int) -> list[QueueEntry]:
    """The queue with each member's latest presentation, in the order they would be asked."""
    rows = await sql.fetchall(
        "SELECT q.user_id, q.joined_at, MAX(p.presented_at) AS last_presented "
        "FROM consult_queue q LEFT JOIN consult_presenters p "
        "ON p.group_id = q.group_id AND p.user_id = q.user_id "
        "WHERE q.group_id = ? GROUP BY q.user_id, q.joined_at",
        (group_id,),
    )
    entries = [
        QueueEntry(r["user_id"], from_db(r["joined_at"]), optional_from_db(r["last_presented"]))
        for r in rows
    ]
    order = rotation.presenter_order(entries, {e.user_id for e in entries})
    by_user = {entry.user_id: entry for entry in entries}
    return [by_user[user_id] for user_id in order]


async def history(sql: Sql, group_id: int, limit: int = HISTORY_SHOWN) -> list[Presented]:
    """The latest presenters (of sessions not cancelled), newest first."""
    rows = await sql.fetchall(
        "SELECT p.session_id, p.user_id, p.presented_at, s.title FROM consult_presenters p "
        "JOIN consult_sessions s ON s.id = p.session_id "
        "WHERE p.group_id = ? ORDER BY p.presented_at DESC, p.session_id DESC LIMIT ?",
        (group_id, limit),
    )
    return [
        Presented(r["session_id"], r["user_id"], from_db(r["presented_at"]), r["title"])
        for r in rows
    ]


async def presenter_of(sql: Sql, session_id: int) -> int | None:
    """Who presents the session, or None."""
    row = await sql.fetchone(
        "SELECT user_id FROM consult_presenters WHERE session_id = ?", (session_id,)
    )
    return row["user_id"] if row else None


async def open_request(sql: Sql, session_id: int) -> Request | None:
    """The session's unanswered request, or None."""
    row = await sql.fetchone(
        "SELECT session_id, user_id, asked_at, answer_by FROM consult_presenter_requests "
        "WHERE session_id = ? AND status = 'asked'",
        (session_id,),
    )
    if row is None:
        return None
    return Request(
        row["session_id"], row["user_id"], from_db(row["asked_at"]), from_db(row["answer_by"])
    )


# --- asking -----------------------------------------------------------------------


async def available_for(sql: Sql, session: Session, group_zone: str) -> set[int]:
    """Queued members who can present the session (see the module docstring)."""
    if session.poll_id is not None:
        slot_id = await finalized_slot(sql, session.poll_id)
        rows = await sql.fetchall(
            "SELECT q.user_id FROM consult_queue q JOIN consult_marks m "
            "ON m.user_id = q.user_id AND m.poll_id = ? AND m.slot_id = ? AND m.mark = 'works' "
            "WHERE q.group_id = ?",
            (session.poll_id, slot_id, session.group_id),
        )
    else:
        rows = await sql.fetchall(
            "SELECT user_id FROM consult_queue WHERE group_id = ?", (session.group_id,)
        )
    cant = {
        row["user_id"]
        for row in await sql.fetchall(
            "SELECT user_id FROM consult_rsvps WHERE session_id = ? AND answer = 'cant'",
            (session.id,),
        )
    }
    available: set[int] = set()
    for row in rows:
        if row["user_id"] in cant:
            continue
        prefs = await get_preferences(sql, session.group_id, row["user_id"])
        if prefs.wants("consultations") and not prefs.is_away(
            prefs.zone(group_zone), session.start
        ):
            available.add(row["user_id"])
    return available


async def next_candidate(sql: Sql, session: Session, group_zone: str, now: datetime) -> int | None:
    """Whom `ask_next` would ask now, or None (reads only)."""
    if (
        not session.needs_presenter
        or session.status != "scheduled"
        or session.start <= now
        or await presenter_of(sql, session.id) is not None
        or await open_request(sql, session.id) is not None
    ):
        return None
    asked = await sql.fetchall(
        "SELECT user_id FROM consult_presenter_requests WHERE session_id = ?", (session.id,)
    )
    order = rotation.presenter_order(
        await queue(sql, session.group_id),
        await available_for(sql, session, group_zone),
        skip={row["user_id"] for row in asked},
    )
    return order[0] if order else None


async def ask_next(sql: Sql, session: Session, group_zone: str, now: datetime) -> int | None:
    """Ask the next member to present, inside the caller's transaction; whom, or None.

    Nothing happens when the session needs no presenter, has one, has a request open,
    is cancelled or has started, or nobody is left to ask.
    """
    user_id = await next_candidate(sql, session, group_zone, now)
    if user_id is None:
        return None
    answer_by = rotation.answer_deadline(now, session.start)
    await sql.execute(
        "INSERT INTO consult_presenter_requests (session_id, user_id, asked_at, answer_by) "
        "VALUES (?, ?, ?, ?)",
        (session.id, user_id, to_db(now), to_db(answer_by)),
    )
    await outbox.enqueue(
        sql,
        group_id=session.group_id,
        user_id=user_id,
        kind=ASK_KIND,
        ref=f"s{session.id}",
        due_at=now,
        expires_at=answer_by,
        payload={**session_payload(session), "answer_by": to_db(answer_by)},
        now=now,
    )
    return user_id


async def answer(
    db: Database, session_id: int, user_id: int, *, accept: bool, group_zone: str, now: datetime
) -> int | None:
    """The asked member accepts or passes; a pass asks the next. Returns who was asked next."""
    async with db.transaction() as tx:
        request = await open_request(tx, session_id)
        if request is None or request.user_id != user_id:
            raise UserError("This request is no longer open; nothing to answer.")
        if request.answer_by <= now:
            raise UserError("This request timed out, so the next member was asked. Thank you!")
        session = await require_session(tx, session_id)
        await tx.execute(
            "UPDATE consult_presenter_requests SET status = ?, answered_at = ? "
            "WHERE session_id = ? AND user_id = ?",
            ("accepted" if accept else "passed", to_db(now), session_id, user_id),
        )
        if accept:
            await _set_presenter(tx, session, user_id, "accepted")
            return None
        return await ask_next(tx, session, group_zone, now)


async def name_presenter(db: Database, session_id: int, user_id: int, now: datetime) -> None:
    """A moderator names the presenter (`/consult presenter`): any open request is withdrawn."""
    async with db.transaction() as tx:
        session = await require_session(tx, session_id)
        if session.status != "scheduled" or session.start <= now:
            raise UserError("That consultation is cancelled or has started.")
        await tx.execute(
            "UPDATE consult_presenter_requests SET status = 'withdrawn', answered_at = ? "
            "WHERE session_id = ? AND status = 'asked'",
            (to_db(now), session_id),
        )
        await _set_presenter(tx, session, user_id, "moderator")


async def timeouts_due(db: Database, group_zones: dict[int, str], now: datetime) -> int:
    """Time out unanswered requests past their deadline and ask the next; how many timed out.

    `group_zones` maps group id to zone (for away checks); see `bot.consult.steps`.
    """
    rows = await db.fetchall(
        "SELECT session_id, user_id FROM consult_presenter_requests "
        "WHERE status = 'asked' AND answer_by <= ? ORDER BY answer_by",
        (to_db(now),),
    )
    timed_out = 0
    for row in rows:
        async with db.transaction() as tx:
            changed = await tx.fetchall(
                "UPDATE consult_presenter_requests SET status = 'timed_out', answered_at = ? "
                "WHERE session_id = ? AND user_id = ? AND status = 'asked' RETURNING 1",
                (to_db(now), row["session_id"], row["user_id"]),
            )
            if not changed:
                continue
            timed_out += 1
            session = await require_session(tx, row["session_id"])
            await ask_next(tx, session, group_zones.get(session.group_id, "UTC"), now)
    return timed_out


async def _set_presenter(sql: Sql, session: Session, user_id: int, how: str) -> None:
    await sql.execute(
        "INSERT INTO consult_presenters (session_id, group_id, user_id, presented_at, how) "
        "VALUES (?, ?, ?, ?, ?) ON CONFLICT (session_id) DO UPDATE SET "
        "user_id = excluded.user_id, how = excluded.how",
        (session.id, session.group_id, user_id, to_db(session.start), how),
    )
    # The announcement shows the presenter: the glue redraws it on the next sync.
    await sql.execute(
        "UPDATE consult_sessions SET sequence = sequence + 1 WHERE id = ?", (session.id,)
    )
