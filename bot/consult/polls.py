"""Availability polls: saving one, members' marks, what the post shows, finalizing.

Who did NOT answer is never stored: only who did (a scheduling poll is not anonymous,
and the poll says so), and that set is only compared with the roster in memory.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

import aiosqlite

from bot.consult import slots as slot_rule
from bot.consult.model import (
    Actor,
    FinalizedBy,
    FinalizeResult,
    Location,
    Poll,
    PollDraft,
    PollStatus,
    PollView,
    Slot,
    SlotView,
    check_deadline,
    check_duration,
    check_location,
    check_title,
    default_deadline,
)
from bot.consult.sessions import get_session, insert_session
from bot.consult.settings import get_settings
from bot.consult.slots import Choice, Mark
from bot.db import Database, Sql
from bot.errors import NotPermittedError, UserError
from bot.members.instants import from_db, optional_from_db, to_db
from bot.members.preferences import get_preferences

# --- polls ------------------------------------------------------------------------

_POLL_COLUMNS = (
    "id, group_id, organiser_user_id, title, duration_minutes, deadline_at, needs_presenter, "
    "location_kind, location_text, voice_channel_id, channel_id, message_id, status, "
    "ready_notice_at, post_version, post_synced"
)


def _poll(row: aiosqlite.Row) -> Poll:
    return Poll(
        id=row["id"],
        group_id=row["group_id"],
        organiser_user_id=row["organiser_user_id"],
        title=row["title"],
        duration_minutes=row["duration_minutes"],
        deadline_at=from_db(row["deadline_at"]),
        needs_presenter=bool(row["needs_presenter"]),
        location=Location(row["location_kind"], row["location_text"], row["voice_channel_id"]),
        channel_id=row["channel_id"],
        message_id=row["message_id"],
        status=row["status"],
        ready_notice_at=optional_from_db(row["ready_notice_at"]),
        post_version=row["post_version"],
        post_synced=row["post_synced"],
    )


async def create_poll(db: Database, draft: PollDraft, *, origin: str, now: datetime) -> Poll:
    """Save a confirmed poll and its slots; the same `origin` again returns the first poll."""
    title = check_title(draft.title)
    duration = check_duration(draft.duration_minutes)
    location = check_location(draft.location)
    starts = sorted(set(draft.starts))
    if not 2 <= len(starts) <= 10 or starts[0] <= now:
        raise UserError("A poll needs 2 to 10 candidate times, all still ahead.")
    deadline = check_deadline(draft.deadline_at or default_deadline(starts[0], now), starts[0], now)
    async with db.transaction() as tx:
        rows = await tx.fetchall(
            "INSERT INTO consult_polls (group_id, origin, organiser_user_id, title, "
            "duration_minutes, deadline_at, needs_presenter, location_kind, location_text, "
            "voice_channel_id, channel_id, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (group_id, origin) DO NOTHING RETURNING id",
            (
                draft.group_id,
                origin,
                draft.organiser_user_id,
                title,
                duration,
                to_db(deadline),
                int(draft.needs_presenter),
                location.kind,
                location.text,
                location.voice_channel_id,
                draft.channel_id,
                to_db(now),
            ),
        )
        if rows:
            await tx.executemany(
                "INSERT INTO consult_slots (poll_id, position, starts_at) VALUES (?, ?, ?)",
                [(rows[0]["id"], i, to_db(start)) for i, start in enumerate(starts)],
            )
        poll_row = await tx.fetchone(
            f"SELECT {_POLL_COLUMNS} FROM consult_polls WHERE group_id = ? AND origin = ?",  # noqa: S608 - constant columns
            (draft.group_id, origin),
        )
    if poll_row is None:  # pragma: no cover - inserted or found in this transaction
        raise RuntimeError("poll vanished inside its transaction")
    return _poll(poll_row)


async def get_poll(sql: Sql, poll_id: int) -> Poll | None:
    """One poll, or None."""
    row = await sql.fetchone(
        f"SELECT {_POLL_COLUMNS} FROM consult_polls WHERE id = ?",  # noqa: S608 - constant columns
        (poll_id,),
    )
    return _poll(row) if row else None


async def require_poll(sql: Sql, poll_id: int) -> Poll:
    """One poll, or a `UserError` saying it is gone."""
    poll = await get_poll(sql, poll_id)
    if poll is None:
        raise UserError("That poll no longer exists.")
    return poll


async def poll_slots(sql: Sql, poll_id: int) -> list[Slot]:
    """The poll's slots, earliest first."""
    rows = await sql.fetchall(
        "SELECT id, poll_id, position, starts_at FROM consult_slots WHERE poll_id = ? "
        "ORDER BY position",
        (poll_id,),
    )
    return [Slot(r["id"], r["poll_id"], r["position"], from_db(r["starts_at"])) for r in rows]


async def set_poll_message(sql: Sql, poll_id: int, message_id: int) -> None:
    """Remember the poll post, to edit it in place."""
    await sql.execute("UPDATE consult_polls SET message_id = ? WHERE id = ?", (message_id, poll_id))


async def polls_to_refresh(sql: Sql) -> list[Poll]:
    """Posted polls a due step changed (closed at the deadline) since the post was drawn."""
    rows = await sql.fetchall(
        f"SELECT {_POLL_COLUMNS} FROM consult_polls "  # noqa: S608 - constant columns
        "WHERE post_synced < post_version AND message_id IS NOT NULL ORDER BY id"
    )
    return [_poll(row) for row in rows]


async def mark_post_refreshed(sql: Sql, poll_id: int, version: int) -> None:
    """The post now shows `version` of the poll."""
    await sql.execute(
        "UPDATE consult_polls SET post_synced = MAX(post_synced, ?) WHERE id = ?",
        (version, poll_id),
    )


async def save_availability(
    db: Database,
    poll_id: int,
    user_id: int,
    *,
    works: Collection[int],
    if_need_be: Collection[int],
    now: datetime,
) -> None:
    """Replace the member's marks (slot ids); ticking nothing still counts as an answer."""
    both = set(works) & set(if_need_be)
    if both:
        raise UserError("Tick a time under 'works for me' or 'if need be', not both.")
    async with db.transaction() as tx:
        poll = await require_poll(tx, poll_id)
        if poll.status != "open" or poll.deadline_at <= now:
            raise UserError("This poll is closed; marks can no longer change.")
        known = {slot.id for slot in await poll_slots(tx, poll_id)}
        if not set(works) | set(if_need_be) <= known:
            raise UserError("That time is not in this poll. Open the poll again and retry.")
        await tx.execute(
            "DELETE FROM consult_marks WHERE poll_id = ? AND user_id = ?", (poll_id, user_id)
        )
        marks = [(poll_id, s, user_id, "works") for s in sorted(works)]
        marks += [(poll_id, s, user_id, "if_need_be") for s in sorted(if_need_be)]
        await tx.executemany(
            "INSERT INTO consult_marks (poll_id, slot_id, user_id, mark) VALUES (?, ?, ?, ?)",
            marks,
        )
        await tx.execute(
            "INSERT INTO consult_responses (poll_id, user_id, answered_at) VALUES (?, ?, ?) "
            "ON CONFLICT (poll_id, user_id) DO UPDATE SET answered_at = excluded.answered_at",
            (poll_id, user_id, to_db(now)),
        )


async def member_marks(sql: Sql, poll_id: int, user_id: int) -> dict[int, Mark]:
    """The member's marks by slot id (to prefill the form)."""
    rows = await sql.fetchall(
        "SELECT slot_id, mark FROM consult_marks WHERE poll_id = ? AND user_id = ?",
        (poll_id, user_id),
    )
    return {row["slot_id"]: row["mark"] for row in rows}


async def poll_view(sql: Sql, poll_id: int) -> PollView:
    """The poll with counts and marks per slot."""
    poll = await require_poll(sql, poll_id)
    slots = await poll_slots(sql, poll_id)
    rows = await sql.fetchall(
        "SELECT slot_id, user_id, mark FROM consult_marks WHERE poll_id = ? "
        "ORDER BY slot_id, user_id",
        (poll_id,),
    )
    marks: dict[tuple[int, str], list[int]] = {}
    for row in rows:
        marks.setdefault((row["slot_id"], row["mark"]), []).append(row["user_id"])
    answered = await sql.fetchone(
        "SELECT COUNT(*) AS n FROM consult_responses WHERE poll_id = ?", (poll_id,)
    )
    settings = await get_settings(sql, poll.group_id)
    return PollView(
        poll,
        tuple(
            SlotView(
                slot,
                tuple(marks.get((slot.id, "works"), ())),
                tuple(marks.get((slot.id, "if_need_be"), ())),
            )
            for slot in slots
        ),
        int(answered["n"]) if answered else 0,
        settings.show_names,
    )


async def respondents(sql: Sql, poll_id: int) -> set[int]:
    """Members who answered the poll."""
    rows = await sql.fetchall("SELECT user_id FROM consult_responses WHERE poll_id = ?", (poll_id,))
    return {row["user_id"] for row in rows}


async def everyone_answered(
    sql: Sql, poll: Poll, members: Collection[int], group_zone: str, now: datetime
) -> bool:
    """True when every member in `members` who is not away now answered (and there is one)."""
    answered = await respondents(sql, poll.id)
    waiting = False
    for user_id in members:
        if user_id in answered:
            continue
        prefs = await get_preferences(sql, poll.group_id, user_id)
        if not prefs.is_away(prefs.zone(group_zone), now):
            waiting = True
            break
    return not waiting and bool(answered)


# --- finalization -----------------------------------------------------------------


async def finalize(
    db: Database,
    poll_id: int,
    *,
    now: datetime,
    actor: Actor | None = None,
    slot_id: int | None = None,
) -> FinalizeResult:
    """Close the poll and book its slot: `actor` None is the deadline (earliest wins a tie).

    With `slot_id`, the organiser (or a moderator) picks that slot, as after a tie.
    Finalizing twice is refused with a sentence; the deadline step skips closed polls.
    """
    async with db.transaction() as tx:
        poll = await require_poll(tx, poll_id)
        if actor is not None and not poll.may_finalize(actor):
            raise NotPermittedError("Only the organiser or a moderator can finalize this poll.")
        if poll.status not in ("open", "tie"):
            raise UserError("This poll is already closed.")
        view = await poll_view(tx, poll_id)
        tallies = [slot.tally for slot in view.slots]
        if slot_id is not None:
            picked = next((t for t in tallies if t.slot_id == slot_id), None)
            if picked is None:
                raise UserError("That time is not in this poll.")
            choice = Choice("chosen", picked, (picked,))
        else:
            choice = slot_rule.choose(tallies, automatic=actor is None)
        how: FinalizedBy = "deadline" if actor is None else "organiser"
        if choice.outcome == "tie":
            await _set_poll_status(tx, poll_id, "tie", now)
            return FinalizeResult(choice, None)
        chosen = choice.slot
        await tx.execute(
            "INSERT INTO consult_finalizations (poll_id, slot_id, how, decided_at) "
            "VALUES (?, ?, ?, ?)",
            (poll_id, chosen.slot_id if chosen else None, how, to_db(now)),
        )
        if chosen is None:
            await _set_poll_status(tx, poll_id, "closed", now)
            return FinalizeResult(choice, None)
        await _set_poll_status(tx, poll_id, "finalized", now)
        session_id = await insert_session(
            tx,
            group_id=poll.group_id,
            title=poll.title,
            start=chosen.start,
            minutes=poll.duration_minutes,
            needs_presenter=poll.needs_presenter,
            location=poll.location,
            channel_id=poll.channel_id,
            now=now,
            poll_id=poll_id,
        )
        session = await get_session(tx, session_id)
    return FinalizeResult(choice, session)


async def cancel_poll(db: Database, poll_id: int, actor: Actor, now: datetime) -> Poll:
    """Close an open (or tied) poll without a session."""
    async with db.transaction() as tx:
        poll = await require_poll(tx, poll_id)
        if not poll.may_finalize(actor):
            raise NotPermittedError("Only the organiser or a moderator can cancel this poll.")
        if poll.status not in ("open", "tie"):
            raise UserError("This poll is already closed.")
        await _set_poll_status(tx, poll_id, "cancelled", now)
        return await require_poll(tx, poll_id)


async def _set_poll_status(sql: Sql, poll_id: int, status: PollStatus, now: datetime) -> None:
    await sql.execute(
        "UPDATE consult_polls SET status = ?, post_version = post_version + 1, "
        "closed_at = CASE WHEN ? IN ('finalized', 'closed', 'cancelled') THEN ? END "
        "WHERE id = ?",
        (status, status, to_db(now), poll_id),
    )


async def finalized_slot(sql: Sql, poll_id: int) -> int | None:
    """The slot a finalized poll booked, or None."""
    row = await sql.fetchone(
        "SELECT slot_id FROM consult_finalizations WHERE poll_id = ?", (poll_id,)
    )
    return row["slot_id"] if row else None
