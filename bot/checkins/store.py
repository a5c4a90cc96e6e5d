"""Check-in schedules, rounds and answers in SQLite.

Instants are stored as fixed-width UTC ISO strings, so comparing the text compares
the instants. No query here produces, and no table holds, a list of who did not answer.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Literal, cast

import aiosqlite

from bot.checkins.answers import Answer, AnswerInput, Boundaries, Caseload, Visibility
from bot.checkins.schedule import CheckinSchedule, RoundWindow
from bot.checkins.summary import RoundCounts
from bot.db import Database, Sql
from bot.delivery.outbox import OutboxItem
from bot.errors import UserError
from bot.ids import is_storable_id
from bot.members.personal_data import REGISTRY
from bot.members.retention import TEXT_RETENTION

# Members' export and erasure cover answers; the shared retention step blanks old notes.
REGISTRY.register("checkin_answers", "user_id")
TEXT_RETENTION.register("checkin_answers", "note", "note_created_at")

RoundStatus = Literal["open", "closed"]
SUMMARY_RETRY_WINDOW = timedelta(days=7)

_ROUND_COLUMNS = (
    "id, group_id, period, channel_id, opens_at, closes_at, reminder_due_at, status, manual, "
    "reminder_sent_at, closed_at, channel_message_id, summary_message_id"
)
_ROUND_COLUMNS_R = ", ".join(f"r.{c.strip()}" for c in _ROUND_COLUMNS.split(","))
_ANSWER_COLUMNS = (
    "round_id, user_id, energy, caseload, boundaries, wants_consult, share_consult_name, "
    "note, note_visibility, answered_at"
)
# The answer's columns beside a round's (`a_` + name), for one statement that reads both.
_ANSWER_COLUMNS_A = ", ".join(f"a.{c.strip()} AS a_{c.strip()}" for c in _ANSWER_COLUMNS.split(","))


def timestamp(instant: datetime) -> str:
    """The stored form of an instant: UTC, always with microseconds, so text order is time order."""
    if instant.tzinfo is None:
        raise ValueError("naive datetimes are not allowed; pass an aware datetime")
    return instant.astimezone(UTC).isoformat(timespec="microseconds")


def _instant(value: str) -> datetime:
    return datetime.fromisoformat(value).astimezone(UTC)


def _maybe_instant(value: str | None) -> datetime | None:
    return _instant(value) if value is not None else None


@dataclass(frozen=True)
class GroupSchedule:
    """A group's check-in schedule with where it posts."""

    group_id: int
    channel_id: int
    schedule: CheckinSchedule
    next_open_at: datetime | None


@dataclass(frozen=True)
class Round:
    """One week's check-in round."""

    id: int
    group_id: int
    period: str
    channel_id: int
    opens_at: datetime
    closes_at: datetime
    reminder_due_at: datetime
    status: RoundStatus
    manual: bool
    reminder_sent_at: datetime | None
    closed_at: datetime | None
    channel_message_id: int | None
    summary_message_id: int | None

    def accepts_answers(self, now: datetime) -> bool:
        """Open, and its close time has not passed (even if the close step has not run yet)."""
        return self.status == "open" and self.opens_at <= now < self.closes_at


@dataclass(frozen=True)
class SaveResult:
    """What saving an answer did; `replaced` tells the member their earlier answer was replaced."""

    replaced: bool


@dataclass(frozen=True)
class WeekAggregate:
    """One closed round's counts for the history chart (no user ids)."""

    period: str
    responses: int
    energy_counts: tuple[int, int, int, int, int]
    caseload_counts: tuple[int, int, int, int]


def _round(row: aiosqlite.Row) -> Round:
    return Round(
        id=row["id"],
        group_id=row["group_id"],
        period=row["period"],
        channel_id=row["channel_id"],
        opens_at=_instant(row["opens_at"]),
        closes_at=_instant(row["closes_at"]),
        reminder_due_at=_instant(row["reminder_due_at"]),
        status=cast(RoundStatus, row["status"]),
        manual=bool(row["manual"]),
        reminder_sent_at=_maybe_instant(row["reminder_sent_at"]),
        closed_at=_maybe_instant(row["closed_at"]),
        channel_message_id=row["channel_message_id"],
        summary_message_id=row["summary_message_id"],
    )


def _answer(row: aiosqlite.Row, prefix: str = "") -> Answer:
    return Answer(
        round_id=row[f"{prefix}round_id"],
        user_id=row[f"{prefix}user_id"],
        energy=row[f"{prefix}energy"],
        caseload=cast(Caseload, row[f"{prefix}caseload"]),
        boundaries=cast(Boundaries, row[f"{prefix}boundaries"]),
        wants_consult=bool(row[f"{prefix}wants_consult"]),
        share_consult_name=bool(row[f"{prefix}share_consult_name"]),
        note=row[f"{prefix}note"],
        note_visibility=cast(Visibility | None, row[f"{prefix}note_visibility"]),
        answered_at=_instant(row[f"{prefix}answered_at"]),
    )


def _group_schedule(row: aiosqlite.Row) -> GroupSchedule:
    hours, minutes = row["local_time"].split(":")
    return GroupSchedule(
        group_id=row["group_id"],
        channel_id=row["channel_id"],
        schedule=CheckinSchedule(
            timezone=row["timezone"],
            weekday=row["weekday"],
            local_time=time(int(hours), int(minutes)),
            open_hours=row["open_hours"],
            reminder=bool(row["reminder"]),
            paused=bool(row["paused"]),
        ),
        next_open_at=_maybe_instant(row["next_open_at"]),
    )


_SCHEDULE_SELECT = (
    "SELECT s.group_id, s.channel_id, s.weekday, s.local_time, s.open_hours, s.reminder, "
    "s.paused, s.next_open_at, g.timezone FROM checkin_schedules s "
    "JOIN groups g ON g.id = s.group_id"
)


# --- schedules -------------------------------------------------------------------------


async def save_schedule(
    sql: Sql,
    group_id: int,
    channel_id: int,
    schedule: CheckinSchedule,
    *,
    next_open_at: datetime,
    now: datetime,
) -> None:
    """Create or replace the group's schedule (unpaused); existing rounds keep their times."""
    await sql.execute(
        "INSERT INTO checkin_schedules (group_id, channel_id, weekday, local_time, open_hours, "
        "reminder, paused, next_open_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, 0, ?, ?) "
        "ON CONFLICT (group_id) DO UPDATE SET channel_id = excluded.channel_id, "
        "weekday = excluded.weekday, local_time = excluded.local_time, "
        "open_hours = excluded.open_hours, reminder = excluded.reminder, paused = 0, "
        "next_open_at = excluded.next_open_at, updated_at = excluded.updated_at",
        (
            group_id,
            channel_id,
            schedule.weekday,
            schedule.local_time.strftime("%H:%M"),
            schedule.open_hours,
            int(schedule.reminder),
            timestamp(next_open_at),
            timestamp(now),
        ),
    )


async def load_schedule(sql: Sql, group_id: int) -> GroupSchedule | None:
    """The group's schedule, in the group's current time zone, or None before setup."""
    row = await sql.fetchone(f"{_SCHEDULE_SELECT} WHERE s.group_id = ?", (group_id,))
    return _group_schedule(row) if row is not None else None


async def set_paused(
    sql: Sql, group_id: int, *, paused: bool, next_open_at: datetime | None, now: datetime
) -> None:
    """Pause or resume the schedule; `next_open_at` is when the opening step looks again."""
    await sql.execute(
        "UPDATE checkin_schedules SET paused = ?, next_open_at = ?, updated_at = ? "
        "WHERE group_id = ?",
        (
            int(paused),
            timestamp(next_open_at) if next_open_at else None,
            timestamp(now),
            group_id,
        ),
    )


async def schedules_due(sql: Sql, now: datetime) -> list[GroupSchedule]:
    """Unpaused schedules whose next open time has come."""
    rows = await sql.fetchall(
        f"{_SCHEDULE_SELECT} WHERE s.paused = 0 AND s.next_open_at <= ? "
        "ORDER BY s.next_open_at, s.group_id",
        (timestamp(now),),
    )
    return [_group_schedule(row) for row in rows]


async def set_next_open(sql: Sql, group_id: int, next_open_at: datetime) -> None:
    """Remember when the opening step should next look at this schedule."""
    await sql.execute(
        "UPDATE checkin_schedules SET next_open_at = ? WHERE group_id = ?",
        (timestamp(next_open_at), group_id),
    )


# --- rounds ----------------------------------------------------------------------------


async def insert_round(
    sql: Sql, group_id: int, channel_id: int, window: RoundWindow, *, manual: bool = False
) -> Round | None:
    """Create the round of `window.period`; None if the group already has one for that week."""
    row = await sql.fetchone(
        "INSERT INTO checkin_rounds (group_id, period, channel_id, opens_at, closes_at, "  # noqa: S608
        "reminder_due_at, manual) VALUES (?, ?, ?, ?, ?, ?, ?) "
        f"ON CONFLICT (group_id, period) DO NOTHING RETURNING {_ROUND_COLUMNS}",
        (
            group_id,
            window.period,
            channel_id,
            timestamp(window.opens_at),
            timestamp(window.closes_at),
            timestamp(window.reminder_at),
            int(manual),
        ),
    )
    return _round(row) if row is not None else None


async def get_round(sql: Sql, round_id: int) -> Round | None:
    """One round by id (buttons carry it); None for an id no round can have."""
    if not is_storable_id(round_id):
        return None  # a forged custom_id: SQLite would overflow
    row = await sql.fetchone(
        f"SELECT {_ROUND_COLUMNS} FROM checkin_rounds WHERE id = ?",  # noqa: S608 - constant columns
        (round_id,),
    )
    return _round(row) if row is not None else None


async def round_and_answer(
    db: Database, round_id: int, user_id: int
) -> tuple[Round | None, Answer | None]:
    """A round and the member's own answer to it (None, None: no such round), in one statement.

    The check-in button needs both to open the form: one point read, no trip to a thread.
    """
    if not is_storable_id(round_id):
        return None, None  # a forged custom_id: SQLite would overflow
    row = await db.point_read(
        f"SELECT {_ROUND_COLUMNS_R}, {_ANSWER_COLUMNS_A} FROM checkin_rounds r "  # noqa: S608
        "LEFT JOIN checkin_answers a ON a.round_id = r.id AND a.user_id = ? WHERE r.id = ?",
        (user_id, round_id),
    )
    if row is None:
        return None, None
    return _round(row), (_answer(row, "a_") if row["a_round_id"] is not None else None)


async def round_for_period(sql: Sql, group_id: int, period: str) -> Round | None:
    """The group's round of one ISO week, if it has one."""
    row = await sql.fetchone(
        f"SELECT {_ROUND_COLUMNS} FROM checkin_rounds "  # noqa: S608 - constant columns
        "WHERE group_id = ? AND period = ?",
        (group_id, period),
    )
    return _round(row) if row is not None else None


async def current_round(sql: Sql, group_id: int, now: datetime) -> Round | None:
    """The group's round that accepts answers at `now`, if any."""
    row = await sql.fetchone(
        f"SELECT {_ROUND_COLUMNS} FROM checkin_rounds "  # noqa: S608 - constant columns
        "WHERE group_id = ? AND status = 'open' AND opens_at <= ? AND closes_at > ? "
        "ORDER BY period DESC LIMIT 1",
        (group_id, timestamp(now), timestamp(now)),
    )
    return _round(row) if row is not None else None


async def previous_round(sql: Sql, group_id: int, period: str) -> Round | None:
    """The group's latest closed round before `period`."""
    row = await sql.fetchone(
        f"SELECT {_ROUND_COLUMNS} FROM checkin_rounds "  # noqa: S608 - constant columns
        "WHERE group_id = ? AND period < ? AND status = 'closed' ORDER BY period DESC LIMIT 1",
        (group_id, period),
    )
    return _round(row) if row is not None else None


async def rounds_to_publish(sql: Sql, now: datetime) -> list[Round]:
    """Open rounds whose channel post has not been made yet (or failed)."""
    rows = await sql.fetchall(
        f"SELECT {_ROUND_COLUMNS} FROM checkin_rounds "  # noqa: S608 - constant columns
        "WHERE status = 'open' AND channel_message_id IS NULL AND closes_at > ? "
        "ORDER BY closes_at, id",  # the order of the index (0008): no scan when none is due
        (timestamp(now),),
    )
    return [_round(row) for row in rows]


async def set_channel_message(sql: Sql, round_id: int, message_id: int) -> None:
    """Remember the round's channel post."""
    await sql.execute(
        "UPDATE checkin_rounds SET channel_message_id = ? WHERE id = ?", (message_id, round_id)
    )


async def rounds_due_reminder(sql: Sql, now: datetime) -> list[Round]:
    """Open rounds past their reminder time, not yet reminded, whose schedule wants a reminder."""
    rows = await sql.fetchall(
        f"SELECT {_ROUND_COLUMNS_R} "  # noqa: S608 - constant columns
        "FROM checkin_rounds r JOIN checkin_schedules s ON s.group_id = r.group_id "
        "WHERE r.status = 'open' AND r.reminder_sent_at IS NULL AND r.reminder_due_at <= ? "
        "AND r.closes_at > ? AND s.reminder = 1 AND s.paused = 0 "
        "ORDER BY r.reminder_due_at, r.id",  # the order of the index (0008)
        (timestamp(now), timestamp(now)),
    )
    return [_round(row) for row in rows]


async def claim_reminder(sql: Sql, round_id: int, now: datetime) -> bool:
    """Mark the round's one reminder as sent; False if it already was."""
    row = await sql.fetchone(
        "UPDATE checkin_rounds SET reminder_sent_at = ? "
        "WHERE id = ? AND reminder_sent_at IS NULL RETURNING id",
        (timestamp(now), round_id),
    )
    return row is not None


async def rounds_due_close(sql: Sql, now: datetime) -> list[Round]:
    """Open rounds whose close time has come."""
    rows = await sql.fetchall(
        f"SELECT {_ROUND_COLUMNS} FROM checkin_rounds "  # noqa: S608 - constant columns
        "WHERE status = 'open' AND closes_at <= ? ORDER BY closes_at, id",
        (timestamp(now),),
    )
    return [_round(row) for row in rows]


async def close_round(sql: Sql, round_id: int, now: datetime) -> bool:
    """Move the round from open to closed and record its counts; False if it was closed already.

    Run it inside a transaction so the status and the counts change together.
    """
    row = await sql.fetchone(
        "UPDATE checkin_rounds SET status = 'closed', closed_at = ? "
        "WHERE id = ? AND status = 'open' RETURNING id",
        (timestamp(now), round_id),
    )
    if row is None:
        return False
    await record_counts(sql, round_id)
    return True


async def summaries_to_post(sql: Sql, now: datetime) -> list[Round]:
    """Closed rounds whose summary has not been posted, closed recently enough to still matter."""
    rows = await sql.fetchall(
        f"SELECT {_ROUND_COLUMNS} FROM checkin_rounds "  # noqa: S608 - constant columns
        "WHERE status = 'closed' AND summary_message_id IS NULL AND closed_at > ? "
        "ORDER BY closed_at, id",
        (timestamp(now - SUMMARY_RETRY_WINDOW),),
    )
    return [_round(row) for row in rows]


async def set_summary_message(sql: Sql, round_id: int, message_id: int) -> None:
    """Remember the round's summary post."""
    await sql.execute(
        "UPDATE checkin_rounds SET summary_message_id = ? WHERE id = ?", (message_id, round_id)
    )


# --- answers ---------------------------------------------------------------------------


# An answer is saved only into a round that accepts answers (`Round.accepts_answers`).
_ACCEPTS = "r.id = :round_id AND r.status = 'open' AND r.opens_at <= :now AND r.closes_at > :now"
_GONE = "That check-in no longer exists. Use the latest check-in post."
_CLOSED = (
    "This check-in has closed, so answers can no longer be changed. "
    "The next one opens on the usual day."
)


async def save_answer(
    db: Database,
    round_id: int,
    user_id: int,
    answer: AnswerInput,
    now: datetime,
    *,
    replacing: bool = False,
) -> SaveResult:
    """Save a member's answer; an earlier answer to the same round is replaced until close.

    `answer` must already be cleaned and its note checked (see `rounds.CheckinService.answer`).
    Each statement checks the round itself, so each is atomic on its own. `replacing` (the
    member had answered when their form opened) only picks which statement to try first:
    usually the one that succeeds, so the save is one trip to SQLite's thread, which the
    member waits for. Saving releases what was held for the answer (migration 0009).
    """
    if not is_storable_id(round_id):
        raise UserError(_GONE)
    values = {
        "round_id": round_id,
        "user_id": user_id,
        "energy": answer.energy,
        "caseload": answer.caseload,
        "boundaries": answer.boundaries,
        "wants_consult": int(answer.wants_consult),
        "share_consult_name": int(answer.share_consult_name),
        "note": answer.note,
        "note_visibility": answer.note_visibility if answer.note is not None else None,
        "now": timestamp(now),
        "note_created_at": timestamp(now) if answer.note is not None else None,
    }
    for _ in range(2):  # a row erased or added between the statements: try both again
        for replace in (True, False) if replacing else (False, True):
            statement = _REPLACE_ANSWER if replace else _INSERT_ANSWER
            if await db.fetchone(statement, values) is not None:
                return SaveResult(replaced=replace)
        found = await get_round(db, round_id)
        if found is None:
            raise UserError(_GONE)
        if not found.accepts_answers(now):
            raise UserError(_CLOSED)
    raise UserError("Your answer could not be saved just now. Please send it again.")


_INSERT_ANSWER = (
    "INSERT INTO checkin_answers (round_id, group_id, user_id, energy, caseload, "  # noqa: S608
    "boundaries, wants_consult, share_consult_name, note, note_visibility, answered_at, "
    "note_created_at) SELECT r.id, r.group_id, :user_id, :energy, :caseload, "
    ":boundaries, :wants_consult, :share_consult_name, :note, :note_visibility, :now, "
    f":note_created_at FROM checkin_rounds r WHERE {_ACCEPTS} "
    "ON CONFLICT (round_id, user_id) DO NOTHING RETURNING 1"
)
# An unchanged note keeps its age, so editing other answers does not extend retention.
_REPLACE_ANSWER = (
    "UPDATE checkin_answers SET energy = :energy, caseload = :caseload, "  # noqa: S608
    "boundaries = :boundaries, wants_consult = :wants_consult, "
    "share_consult_name = :share_consult_name, note = :note, "
    "note_visibility = :note_visibility, answered_at = :now, "
    "note_created_at = CASE WHEN :note IS NOT NULL AND note = :note "
    "THEN note_created_at ELSE :note_created_at END "
    "WHERE round_id = :round_id AND user_id = :user_id "
    f"AND EXISTS (SELECT 1 FROM checkin_rounds r WHERE {_ACCEPTS}) RETURNING 1"
)


async def round_answers(sql: Sql, round_id: int) -> list[Answer]:
    """Every answer of a round, oldest first."""
    rows = await sql.fetchall(
        f"SELECT {_ANSWER_COLUMNS} FROM checkin_answers "  # noqa: S608 - constant columns
        "WHERE round_id = ? ORDER BY answered_at, user_id",
        (round_id,),
    )
    return [_answer(row) for row in rows]


async def member_answer(sql: Sql, round_id: int, user_id: int) -> Answer | None:
    """A member's own answer to a round (to prefill the form), or None."""
    row = await sql.fetchone(
        f"SELECT {_ANSWER_COLUMNS} FROM checkin_answers "  # noqa: S608 - constant columns
        "WHERE round_id = ? AND user_id = ?",
        (round_id, user_id),
    )
    return _answer(row) if row is not None else None


async def set_note_visibility(
    db: Database, round_id: int, user_id: int, visibility: Visibility, now: datetime
) -> Answer:
    """Change who may see a member's saved note, until the round closes."""
    async with db.transaction() as tx:
        found = await get_round(tx, round_id)
        if found is None or not found.accepts_answers(now):
            raise UserError(
                "This check-in has closed, so your note's visibility can no longer be changed."
            )
        row = await tx.fetchone(
            "UPDATE checkin_answers SET note_visibility = ? "  # noqa: S608 - constant columns
            f"WHERE round_id = ? AND user_id = ? AND note IS NOT NULL RETURNING {_ANSWER_COLUMNS}",
            (visibility, round_id, user_id),
        )
    if row is None:
        raise UserError("You have no note in this check-in; answer it first to add one.")
    return _answer(row)


async def latest_round(sql: Sql, group_id: int) -> Round | None:
    """The group's most recent round (open or closed), if any."""
    row = await sql.fetchone(
        f"SELECT {_ROUND_COLUMNS} FROM checkin_rounds "  # noqa: S608 - constant columns
        "WHERE group_id = ? ORDER BY period DESC LIMIT 1",
        (group_id,),
    )
    return _round(row) if row is not None else None


async def response_count(sql: Sql, round_id: int) -> int:
    """How many have answered a round so far (a number only, never who)."""
    row = await sql.fetchone("SELECT COUNT(*) FROM checkin_answers WHERE round_id = ?", (round_id,))
    return int(row[0]) if row is not None else 0


async def reminder_recipients(sql: Sql, checkin: Round) -> list[int]:
    """Who the round's one reminder is queued to, ascending: every member opted in to
    check-in DMs with reminders on, answered or not. Whether they have answered is decided
    when it is due (`answered_among`), so the queued rows never list who had not."""
    rows = await sql.fetchall(
        "SELECT p.user_id FROM member_preferences p "
        "WHERE p.group_id = ? AND p.dm_checkins = 1 AND p.reminders = 1 ORDER BY p.user_id",
        (checkin.group_id,),
    )
    return [int(row["user_id"]) for row in rows]


async def answered_among(sql: Sql, items: Sequence[OutboxItem]) -> set[int]:
    """Of due check-in reminder rows (ref: the round's period), the ids of those whose member
    has answered that round: the dispatcher drops them. One statement per batch."""
    if not items:
        return set()
    rows = await sql.fetchall(
        "SELECT o.key AS outbox_id FROM json_each(:items) AS o "
        "JOIN checkin_rounds r ON r.group_id = json_extract(o.value, '$[0]') "
        "AND r.period = json_extract(o.value, '$[1]') "
        "JOIN checkin_answers a ON a.round_id = r.id AND a.user_id = json_extract(o.value, '$[2]')",
        {"items": json.dumps({str(i.id): [i.group_id, i.ref, i.user_id] for i in items})},
    )
    return {int(row["outbox_id"]) for row in rows}


# --- history ---------------------------------------------------------------------------

COUNTS_QUERY = """
SELECT responses, energy_1, energy_2, energy_3, energy_4, energy_5,
       light, manageable, heavy, overwhelming, boundaries_yes, boundaries_mostly, boundaries_no
FROM checkin_round_counts WHERE round_id = ?
"""

HISTORY_QUERY = """
SELECT r.period, c.responses, c.energy_1, c.energy_2, c.energy_3, c.energy_4, c.energy_5,
       c.light, c.manageable, c.heavy, c.overwhelming
FROM checkin_rounds r JOIN checkin_round_counts c ON c.round_id = r.id
WHERE r.group_id = ? AND r.status = 'closed'
ORDER BY r.period DESC LIMIT ?
"""


async def record_counts(sql: Sql, round_id: int) -> None:
    """Store a closing round's counts for the history chart (call in the closing transaction)."""
    await sql.execute(
        "INSERT INTO checkin_round_counts (round_id, responses, energy_1, energy_2, energy_3, "
        "energy_4, energy_5, light, manageable, heavy, overwhelming, boundaries_yes, "
        "boundaries_mostly, boundaries_no) "
        "SELECT ?, COUNT(*), TOTAL(energy = 1), TOTAL(energy = 2), TOTAL(energy = 3), "
        "TOTAL(energy = 4), TOTAL(energy = 5), TOTAL(caseload = 'light'), "
        "TOTAL(caseload = 'manageable'), TOTAL(caseload = 'heavy'), "
        "TOTAL(caseload = 'overwhelming'), TOTAL(boundaries = 'yes'), "
        "TOTAL(boundaries = 'mostly'), TOTAL(boundaries = 'no') "
        "FROM checkin_answers WHERE round_id = ? ON CONFLICT (round_id) DO NOTHING",
        (round_id, round_id),
    )


async def round_counts(sql: Sql, round_id: int) -> RoundCounts | None:
    """A closed round's counts as stored at close (None before close)."""
    row = await sql.fetchone(COUNTS_QUERY, (round_id,))
    if row is None:
        return None
    return RoundCounts(
        responses=int(row["responses"]),
        energy=(
            int(row["energy_1"]),
            int(row["energy_2"]),
            int(row["energy_3"]),
            int(row["energy_4"]),
            int(row["energy_5"]),
        ),
        caseload=(
            int(row["light"]),
            int(row["manageable"]),
            int(row["heavy"]),
            int(row["overwhelming"]),
        ),
        boundaries=(
            int(row["boundaries_yes"]),
            int(row["boundaries_mostly"]),
            int(row["boundaries_no"]),
        ),
    )


async def history(sql: Sql, group_id: int, weeks: int) -> list[WeekAggregate]:
    """The group's last `weeks` closed rounds, oldest first, as counts only."""
    rows = await sql.fetchall(HISTORY_QUERY, (group_id, weeks))
    return [
        WeekAggregate(
            period=row["period"],
            responses=row["responses"],
            energy_counts=(
                int(row["energy_1"]),
                int(row["energy_2"]),
                int(row["energy_3"]),
                int(row["energy_4"]),
                int(row["energy_5"]),
            ),
            caseload_counts=(
                int(row["light"]),
                int(row["manageable"]),
                int(row["heavy"]),
                int(row["overwhelming"]),
            ),
        )
        for row in reversed(rows)
    ]
