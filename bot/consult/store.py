"""Consultation polls, availability, finalization, sessions and RSVPs in SQLite.

Every write that must happen once has a natural key: a poll per (group, origin), a
mark per (poll, slot, member), one finalization per poll, one session per poll or per
(rule, date), one Discord event per session. Notices to members are outbox rows queued
in the same transaction as the change they announce, so each goes out once.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final, Literal, get_args

import aiosqlite

from bot.consult import slots as slot_rule
from bot.consult.slots import Choice, Mark, SlotTally
from bot.db import Database, Sql
from bot.delivery import outbox
from bot.delivery.policy import CONSULT_REMINDER_KIND as REMINDER_KIND
from bot.errors import NotPermittedError, UserError
from bot.members.instants import from_db, optional_from_db, to_db
from bot.members.personal_data import REGISTRY
from bot.members.preferences import get_preferences
from bot.wording import visible

# /me export and /me forget: a member's marks, answers, RSVPs, queue place, presenter
# requests and history are deleted; a poll they organised stays the group's, without them.
for _table in (
    "consult_responses",
    "consult_marks",
    "consult_rsvps",
    "consult_queue",
    "consult_presenter_requests",
    "consult_presenters",
):
    REGISTRY.register(_table, "user_id")
REGISTRY.register("consult_polls", "organiser_user_id", erase="nullify")

LocationKind = Literal["voice", "external"]
PollStatus = Literal["open", "tie", "finalized", "closed", "cancelled"]
SessionStatus = Literal["scheduled", "cancelled"]
Rsvp = Literal["going", "maybe", "cant"]
RSVPS: Final[tuple[Rsvp, ...]] = get_args(Rsvp)
FinalizedBy = Literal["organiser", "deadline"]

MAX_TITLE: Final = 100
MAX_LOCATION: Final = 100
MIN_DURATION: Final = 15
MAX_DURATION: Final = 480
DEFAULT_DEADLINE_BEFORE: Final = timedelta(hours=48)
DEFAULT_OFFSETS: Final = (24 * 60, 60)
MAX_OFFSETS: Final = 3
MAX_OFFSET: Final = 7 * 24 * 60

CHANGED_KIND: Final = "consult_session_changed"  # to going/maybe: moved or cancelled


@dataclass(frozen=True)
class Actor:
    """Who is acting, and whether they moderate the group (the glue decides that)."""

    user_id: int
    is_moderator: bool = False


@dataclass(frozen=True)
class Location:
    """The group's voice channel, or an external place (text ≤ 100)."""

    kind: LocationKind
    text: str | None = None
    voice_channel_id: int | None = None


@dataclass(frozen=True)
class ConsultSettings:
    """A group's consultation settings."""

    group_id: int
    show_names: bool = True
    reminder_offsets: tuple[int, ...] = DEFAULT_OFFSETS  # minutes before the start
    location_kind: LocationKind = "voice"
    voice_channel_id: int | None = None


@dataclass(frozen=True)
class PollDraft:
    """What the proposer confirmed; `starts` are the parsed candidate instants."""

    group_id: int
    organiser_user_id: int
    channel_id: int
    title: str
    duration_minutes: int
    starts: Sequence[datetime]
    needs_presenter: bool
    location: Location
    deadline_at: datetime | None = None  # None: 48 h before the first candidate


@dataclass(frozen=True)
class Slot:
    """One candidate time of a poll."""

    id: int
    poll_id: int
    position: int
    start: datetime


@dataclass(frozen=True)
class Poll:
    """An availability poll."""

    id: int
    group_id: int
    organiser_user_id: int | None
    title: str
    duration_minutes: int
    deadline_at: datetime
    needs_presenter: bool
    location: Location
    channel_id: int
    message_id: int | None
    status: PollStatus
    ready_notice_at: datetime | None
    post_version: int
    post_synced: int

    def may_finalize(self, actor: Actor) -> bool:
        """The organiser or a moderator may finalize, pick a tied slot, or cancel."""
        return actor.is_moderator or actor.user_id == self.organiser_user_id


@dataclass(frozen=True)
class SlotView:
    """A slot with its counts and who marked it (user ids; names are the glue's)."""

    slot: Slot
    works: tuple[int, ...]
    if_need_be: tuple[int, ...]

    @property
    def tally(self) -> SlotTally:
        """Counts for the slot rule."""
        return SlotTally(self.slot.id, self.slot.start, len(self.works), len(self.if_need_be))


@dataclass(frozen=True)
class PollView:
    """What the poll post shows."""

    poll: Poll
    slots: tuple[SlotView, ...]
    answered: int  # how many members answered (with or without a slot ticked)
    show_names: bool


@dataclass(frozen=True)
class Session:
    """A booked consultation: one Discord scheduled event."""

    id: int
    group_id: int
    poll_id: int | None
    rule_id: int | None
    occurrence_date: str | None
    title: str
    start: datetime
    end: datetime
    needs_presenter: bool
    location: Location
    channel_id: int
    status: SessionStatus
    sequence: int
    synced_sequence: int | None
    discord_event_id: int | None
    announcement_message_id: int | None


@dataclass(frozen=True)
class FinalizeResult:
    """How a finalize went: a session, a tie for the organiser, or nobody could."""

    choice: Choice
    session: Session | None


# --- validation -------------------------------------------------------------------


def check_title(title: str) -> str:
    """A title of 1-100 visible characters, one line."""
    cleaned = " ".join(visible(title).split())
    if not cleaned:
        raise UserError("Give the consultation a title, like 'Peer consultation'.")
    if len(cleaned) > MAX_TITLE:
        raise UserError(f"Keep the title to {MAX_TITLE} characters; it is {len(cleaned)}.")
    return cleaned


def check_duration(minutes: int) -> int:
    """15 minutes to 8 hours."""
    if not MIN_DURATION <= minutes <= MAX_DURATION:
        raise UserError("Choose a duration between 15 minutes and 8 hours.")
    return minutes


def check_location(location: Location) -> Location:
    """An external place needs a text of 1-100 characters; a voice channel needs no text."""
    if location.kind == "voice":
        return Location("voice", None, location.voice_channel_id)
    text = " ".join(visible(location.text or "").split())
    if not text:
        raise UserError("Say where the consultation takes place, like a room or a video link.")
    if len(text) > MAX_LOCATION:
        raise UserError(f"Keep the place to {MAX_LOCATION} characters; it is {len(text)}.")
    return Location("external", text, None)


def default_deadline(first_start: datetime, now: datetime) -> datetime:
    """48 h before the first candidate, or halfway there when that is already past."""
    deadline = first_start - DEFAULT_DEADLINE_BEFORE
    return deadline if deadline > now else now + (first_start - now) / 2


def check_deadline(deadline: datetime, first_start: datetime, now: datetime) -> datetime:
    """A deadline still ahead and no later than the first candidate."""
    if deadline <= now:
        raise UserError("The voting deadline has passed. Pick a deadline still ahead.")
    if deadline > first_start:
        raise UserError("End the vote before the first candidate time, so people can plan.")
    return deadline


def check_offsets(offsets: Sequence[int]) -> tuple[int, ...]:
    """1-3 distinct reminder offsets, 5 minutes to 7 days before, largest first."""
    unique = tuple(sorted(set(offsets), reverse=True))
    if not 1 <= len(unique) <= MAX_OFFSETS or not all(5 <= o <= MAX_OFFSET for o in unique):
        raise UserError("Choose 1 to 3 reminder times between 5 minutes and 7 days before.")
    return unique


# --- settings ---------------------------------------------------------------------


async def get_settings(sql: Sql, group_id: int) -> ConsultSettings:
    """The group's consultation settings, or the defaults."""
    row = await sql.fetchone(
        "SELECT show_names, reminder_offsets, location_kind, voice_channel_id "
        "FROM consult_settings WHERE group_id = ?",
        (group_id,),
    )
    if row is None:
        return ConsultSettings(group_id)
    return ConsultSettings(
        group_id,
        bool(row["show_names"]),
        tuple(int(o) for o in json.loads(row["reminder_offsets"])),
        row["location_kind"],
        row["voice_channel_id"],
    )


async def save_settings(
    sql: Sql,
    group_id: int,
    *,
    now: datetime,
    show_names: bool | None = None,
    reminder_offsets: Sequence[int] | None = None,
    location_kind: LocationKind | None = None,
    voice_channel_id: int | None = None,
) -> ConsultSettings:
    """Change some settings (None: unchanged); return them all."""
    current = await get_settings(sql, group_id)
    offsets = (
        check_offsets(reminder_offsets)
        if reminder_offsets is not None
        else current.reminder_offsets
    )
    await sql.execute(
        "INSERT INTO consult_settings (group_id, show_names, reminder_offsets, location_kind, "
        "voice_channel_id, updated_at) VALUES (?, ?, ?, ?, ?, ?) "
        "ON CONFLICT (group_id) DO UPDATE SET show_names = excluded.show_names, "
        "reminder_offsets = excluded.reminder_offsets, location_kind = excluded.location_kind, "
        "voice_channel_id = excluded.voice_channel_id, updated_at = excluded.updated_at",
        (
            group_id,
            int(current.show_names if show_names is None else show_names),
            json.dumps(list(offsets)),
            location_kind or current.location_kind,
            voice_channel_id if voice_channel_id is not None else current.voice_channel_id,
            to_db(now),
        ),
    )
    return await get_settings(sql, group_id)


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
    poll = await get_poll(sql, session.poll_id)
    return poll is not None and poll.organiser_user_id == actor.user_id


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
