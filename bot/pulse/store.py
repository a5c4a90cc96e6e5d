"""Pulse settings, surveys, participation, answers and published results in SQLite.

Anonymity in storage (see migrations/0010_pulse.sql for the threat model):

- An answer row holds its survey id, the instrument version and the item values, under a
  random 16-byte key (`secrets`) in a WITHOUT ROWID table: no member id, no time.
- Who has answered is HMAC-SHA256(survey secret, member id); the secret is created at
  open and deleted at close together with the participation rows and the survey's
  invitation and reminder rows in the outbox; then the WAL is checkpointed (TRUNCATE)
  so no remnant of the open survey stays in the -wal file. `secure_delete` is on.
- There is deliberately no function that counts the answers of an open survey.
- A submission logs nothing: not even a line without a member, since one line per answer
  lets whoever reads the log count an open survey's answers, or a round below k.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from enum import Enum
from typing import Final, Literal, cast

import aiosqlite

from bot.db import Database, Sql, Transaction
from bot.delivery.outbox import OutboxItem
from bot.ids import is_storable_id
from bot.members.instants import from_db, optional_from_db, to_db
from bot.pulse import pooling, scoring
from bot.pulse.instrument import DEFAULT_INSTRUMENT_ID, Instrument
from bot.pulse.schedule import PulseSchedule, SurveyWindow

log = logging.getLogger(__name__)

INVITE_KIND: Final = "pulse_invite"
REMINDER_KIND: Final = "pulse_reminder"  # the outbox's `_reminder` suffix: reminders must be on
SECRET_BYTES: Final = 32
ANSWER_KEY_BYTES: Final = 16
CHECKPOINT_TRIES: Final = 3
CHECKPOINT_WAIT_MS: Final = 100
SurveyState = Literal["open", "closed"]
Outcome = Literal["published", "carried", "dropped"]

_SURVEY_COLUMNS = (
    "id, group_id, period_start, channel_id, instrument_id, instrument_version, opens_at, "
    "closes_at, reminder_due_at, manual, state, reminder_sent_at, closed_at, outcome, "
    "result_id, channel_message_id"
)
_SETTINGS_COLUMNS = (
    "s.group_id, s.scheduled, s.every_weeks, s.weekday, s.local_time, s.days_open, "
    "s.anchor_date, s.next_open_at, s.k, s.post_results, s.support_text, s.support_replaces, "
    "s.instrument_id, s.keep_raw_answers, s.reminders, g.timezone"
)
_RESULT_COLUMNS = (
    "id, group_id, instrument_id, instrument_version, period_starts, pooled, n, index_median, "
    "index_q1, index_q3, shares, option_counts, suggestions, published_at, message_id"
)


# --- values ------------------------------------------------------------------------------


@dataclass(frozen=True)
class PulseSettings:
    """A group's pulse settings; `schedule` is None while the schedule is off."""

    group_id: int
    timezone: str
    schedule: PulseSchedule | None = None
    next_open_at: datetime | None = None
    k: int = pooling.DEFAULT_K
    post_results: bool = True
    support_text: str | None = None
    support_replaces: bool = False  # the group's text replaces the default crisis lines
    instrument_id: str = DEFAULT_INSTRUMENT_ID
    keep_raw_answers: bool = False
    reminders: bool = False


@dataclass(frozen=True)
class Survey:
    """One survey (no answers, no counts)."""

    id: int
    group_id: int
    period_start: date
    channel_id: int | None
    instrument_id: str
    instrument_version: str
    opens_at: datetime
    closes_at: datetime
    reminder_due_at: datetime
    manual: bool
    state: SurveyState
    reminder_sent_at: datetime | None
    closed_at: datetime | None
    outcome: Outcome | None
    result_id: int | None
    channel_message_id: int | None

    @property
    def ref(self) -> str:
        """The outbox ref of its invitation and reminder DMs."""
        return self.period_start.isoformat()

    def accepts_answers(self, now: datetime) -> bool:
        """Open, and its close time has not passed (even if the close step has not run)."""
        return self.state == "open" and self.opens_at <= now < self.closes_at


@dataclass(frozen=True)
class PublishedPoint:
    """One published result: aggregates only, with the dates of every survey in it."""

    id: int
    group_id: int
    instrument_id: str
    instrument_version: str
    period_starts: tuple[date, ...]
    pooled: bool
    n: int
    index_median: float
    index_q1: float
    index_q3: float
    shares: dict[str, int]  # item key -> percent in its top two options
    option_counts: dict[str, tuple[int, ...]] | None
    suggestions: tuple[str, ...]
    published_at: datetime
    message_id: int | None


class SubmitResult(Enum):
    """What a submission did."""

    STORED = "stored"
    ALREADY_ANSWERED = "already_answered"  # one submission per person
    CLOSED = "closed"  # not open (or past its close time)


@dataclass(frozen=True)
class CloseOutcome:
    """What closing a survey did (no n unless published, when n ≥ k)."""

    survey_id: int
    outcome: Outcome
    result: PublishedPoint | None
    dropped_period_starts: tuple[date, ...]
    checkpointed: bool  # the -wal file was truncated after commit


# --- rows --------------------------------------------------------------------------------


def _survey(row: aiosqlite.Row) -> Survey:
    return Survey(
        id=row["id"],
        group_id=row["group_id"],
        period_start=date.fromisoformat(row["period_start"]),
        channel_id=row["channel_id"],
        instrument_id=row["instrument_id"],
        instrument_version=row["instrument_version"],
        opens_at=from_db(row["opens_at"]),
        closes_at=from_db(row["closes_at"]),
        reminder_due_at=from_db(row["reminder_due_at"]),
        manual=bool(row["manual"]),
        state=cast("SurveyState", row["state"]),
        reminder_sent_at=optional_from_db(row["reminder_sent_at"]),
        closed_at=optional_from_db(row["closed_at"]),
        outcome=cast("Outcome | None", row["outcome"]),
        result_id=row["result_id"],
        channel_message_id=row["channel_message_id"],
    )


def _settings(row: aiosqlite.Row) -> PulseSettings:
    schedule = None
    if row["scheduled"] and row["anchor_date"] is not None:
        hours, minutes = row["local_time"].split(":")
        schedule = PulseSchedule(
            timezone=row["timezone"],
            every_weeks=row["every_weeks"],
            weekday=row["weekday"],
            local_time=time(int(hours), int(minutes)),
            days_open=row["days_open"],
            anchor=date.fromisoformat(row["anchor_date"]),
        )
    return PulseSettings(
        group_id=row["group_id"],
        timezone=row["timezone"],
        schedule=schedule,
        next_open_at=optional_from_db(row["next_open_at"]),
        k=row["k"],
        post_results=bool(row["post_results"]),
        support_text=row["support_text"],
        support_replaces=bool(row["support_replaces"]),
        instrument_id=row["instrument_id"],
        keep_raw_answers=bool(row["keep_raw_answers"]),
        reminders=bool(row["reminders"]),
    )


def _point(row: aiosqlite.Row) -> PublishedPoint:
    counts = json.loads(row["option_counts"]) if row["option_counts"] else None
    return PublishedPoint(
        id=row["id"],
        group_id=row["group_id"],
        instrument_id=row["instrument_id"],
        instrument_version=row["instrument_version"],
        period_starts=tuple(date.fromisoformat(d) for d in json.loads(row["period_starts"])),
        pooled=bool(row["pooled"]),
        n=row["n"],
        index_median=row["index_median"],
        index_q1=row["index_q1"],
        index_q3=row["index_q3"],
        shares={key: int(value) for key, value in json.loads(row["shares"]).items()},
        option_counts=(
            {key: tuple(value) for key, value in counts.items()} if counts is not None else None
        ),
        suggestions=tuple(json.loads(row["suggestions"])),
        published_at=from_db(row["published_at"]),
        message_id=row["message_id"],
    )


# --- settings ----------------------------------------------------------------------------


async def load_settings(sql: Sql, group_id: int) -> PulseSettings | None:
    """The group's pulse settings, or None before the pulse was set up."""
    row = await sql.fetchone(
        f"SELECT {_SETTINGS_COLUMNS} FROM pulse_settings s "  # noqa: S608 - constant columns
        "JOIN groups g ON g.id = s.group_id WHERE s.group_id = ?",
        (group_id,),
    )
    return _settings(row) if row is not None else None


async def save_settings(sql: Sql, settings: PulseSettings, now: datetime) -> None:
    """Create or replace the group's settings (a schedule of None turns the schedule off)."""
    plan = settings.schedule
    await sql.execute(
        "INSERT INTO pulse_settings (group_id, scheduled, every_weeks, weekday, local_time, "
        "days_open, anchor_date, next_open_at, k, post_results, support_text, support_replaces, "
        "instrument_id, keep_raw_answers, reminders, updated_at) "
        "VALUES (:group_id, :scheduled, :every_weeks, :weekday, :local_time, :days_open, "
        ":anchor, :next_open_at, :k, :post_results, :support_text, :support_replaces, "
        ":instrument_id, :keep_raw, :reminders, :now) "
        "ON CONFLICT (group_id) DO UPDATE SET scheduled = excluded.scheduled, "
        "every_weeks = excluded.every_weeks, weekday = excluded.weekday, "
        "local_time = excluded.local_time, days_open = excluded.days_open, "
        "anchor_date = excluded.anchor_date, next_open_at = excluded.next_open_at, "
        "k = excluded.k, post_results = excluded.post_results, "
        "support_text = excluded.support_text, support_replaces = excluded.support_replaces, "
        "instrument_id = excluded.instrument_id, keep_raw_answers = excluded.keep_raw_answers, "
        "reminders = excluded.reminders, updated_at = excluded.updated_at",
        {
            "group_id": settings.group_id,
            "scheduled": int(plan is not None),
            "every_weeks": plan.every_weeks if plan else 2,
            "weekday": plan.weekday if plan else 0,
            "local_time": plan.local_time.strftime("%H:%M") if plan else "09:00",
            "days_open": plan.days_open if plan else 5,
            "anchor": plan.anchor.isoformat() if plan else None,
            "next_open_at": to_db(settings.next_open_at) if settings.next_open_at else None,
            "k": pooling.check_k(settings.k),
            "post_results": int(settings.post_results),
            "support_text": settings.support_text,
            "support_replaces": int(settings.support_replaces),
            "instrument_id": settings.instrument_id,
            "keep_raw": int(settings.keep_raw_answers),
            "reminders": int(settings.reminders),
            "now": to_db(now),
        },
    )


async def settings_due(sql: Sql, now: datetime) -> list[PulseSettings]:
    """Groups with a schedule on whose next open time has come."""
    rows = await sql.fetchall(
        f"SELECT {_SETTINGS_COLUMNS} FROM pulse_settings s "  # noqa: S608 - constant columns
        "JOIN groups g ON g.id = s.group_id "
        "WHERE s.scheduled = 1 AND s.next_open_at <= ? ORDER BY s.next_open_at, s.group_id",
        (to_db(now),),
    )
    return [_settings(row) for row in rows]


async def set_next_open(sql: Sql, group_id: int, next_open_at: datetime | None) -> None:
    """When the opening step should next look at the group's schedule."""
    await sql.execute(
        "UPDATE pulse_settings SET next_open_at = ? WHERE group_id = ?",
        (to_db(next_open_at) if next_open_at else None, group_id),
    )


# --- surveys -----------------------------------------------------------------------------


async def open_survey(
    sql: Sql,
    group_id: int,
    window: SurveyWindow,
    instrument: Instrument,
    *,
    channel_id: int | None,
    manual: bool = False,
) -> Survey | None:
    """Create the survey of `window.period_start` with a fresh HMAC secret (idempotent).

    None when the group already has a survey for that period start, or has one open now
    (one survey at a time).
    """
    row = await sql.fetchone(
        "INSERT INTO pulse_surveys (group_id, period_start, channel_id, instrument_id, "  # noqa: S608 - constant columns
        "instrument_version, opens_at, closes_at, reminder_due_at, manual, secret) "
        "SELECT :group_id, :period_start, :channel_id, :instrument_id, :version, :opens_at, "
        ":closes_at, :reminder_at, :manual, :secret "
        "WHERE NOT EXISTS (SELECT 1 FROM pulse_surveys "
        "WHERE group_id = :group_id AND state = 'open') "
        f"ON CONFLICT (group_id, period_start) DO NOTHING RETURNING {_SURVEY_COLUMNS}",
        {
            "group_id": group_id,
            "period_start": window.period_start.isoformat(),
            "channel_id": channel_id,
            "instrument_id": instrument.id,
            "version": instrument.version,
            "opens_at": to_db(window.opens_at),
            "closes_at": to_db(window.closes_at),
            "reminder_at": to_db(window.reminder_at),
            "manual": int(manual),
            "secret": secrets.token_bytes(SECRET_BYTES),
        },
    )
    return _survey(row) if row is not None else None


async def get_survey(sql: Sql, survey_id: int) -> Survey | None:
    """One survey by id (buttons and DMs carry it); None for an id no survey can have."""
    if not is_storable_id(survey_id):
        return None
    row = await sql.fetchone(
        f"SELECT {_SURVEY_COLUMNS} FROM pulse_surveys WHERE id = ?",  # noqa: S608 - constant columns
        (survey_id,),
    )
    return _survey(row) if row is not None else None


async def survey_for_period(sql: Sql, group_id: int, period_start: date) -> Survey | None:
    """The group's survey of one period start, if any."""
    row = await sql.fetchone(
        f"SELECT {_SURVEY_COLUMNS} FROM pulse_surveys "  # noqa: S608 - constant columns
        "WHERE group_id = ? AND period_start = ?",
        (group_id, period_start.isoformat()),
    )
    return _survey(row) if row is not None else None


async def open_survey_of(sql: Sql, group_id: int) -> Survey | None:
    """The group's open survey, if any."""
    row = await sql.fetchone(
        f"SELECT {_SURVEY_COLUMNS} FROM pulse_surveys "  # noqa: S608 - constant columns
        "WHERE group_id = ? AND state = 'open'",
        (group_id,),
    )
    return _survey(row) if row is not None else None


async def surveys_due_close(sql: Sql, now: datetime) -> list[Survey]:
    """Open surveys whose close time has come, across groups."""
    rows = await sql.fetchall(
        f"SELECT {_SURVEY_COLUMNS} FROM pulse_surveys "  # noqa: S608 - constant columns
        "WHERE state = 'open' AND closes_at <= ? ORDER BY closes_at, id",
        (to_db(now),),
    )
    return [_survey(row) for row in rows]


async def surveys_due_reminder(sql: Sql, now: datetime) -> list[Survey]:
    """Open surveys whose one reminder is due, in groups that turned reminders on."""
    rows = await sql.fetchall(
        f"SELECT {', '.join('v.' + c.strip() for c in _SURVEY_COLUMNS.split(','))} "  # noqa: S608
        "FROM pulse_surveys v JOIN pulse_settings s ON s.group_id = v.group_id "
        "WHERE v.state = 'open' AND s.reminders = 1 AND v.reminder_sent_at IS NULL "
        "AND v.reminder_due_at <= :now AND v.closes_at > :now ORDER BY v.reminder_due_at, v.id",
        {"now": to_db(now)},
    )
    return [_survey(row) for row in rows]


async def claim_reminder(tx: Transaction, survey_id: int, now: datetime) -> bool:
    """Mark the survey's one reminder as sent; False if it already was (or it closed)."""
    rows = await tx.fetchall(
        "UPDATE pulse_surveys SET reminder_sent_at = ? "
        "WHERE id = ? AND state = 'open' AND reminder_sent_at IS NULL RETURNING id",
        (to_db(now), survey_id),
    )
    return bool(rows)


async def set_channel_message(sql: Sql, survey_id: int, message_id: int) -> None:
    """Record the invitation post in the group's channel."""
    await sql.execute(
        "UPDATE pulse_surveys SET channel_message_id = ? WHERE id = ?", (message_id, survey_id)
    )


async def surveys_to_announce(sql: Sql) -> list[Survey]:
    """Open surveys whose invitation is not yet posted in the channel."""
    rows = await sql.fetchall(
        f"SELECT {_SURVEY_COLUMNS} FROM pulse_surveys "  # noqa: S608 - constant columns
        "WHERE state = 'open' AND channel_message_id IS NULL ORDER BY opens_at, id"
    )
    return [_survey(row) for row in rows]


async def closed_surveys(sql: Sql, group_id: int) -> list[Survey]:
    """The group's closed surveys, oldest first (outcomes and dates, never a count)."""
    rows = await sql.fetchall(
        f"SELECT {_SURVEY_COLUMNS} FROM pulse_surveys "  # noqa: S608 - constant columns
        "WHERE group_id = ? AND state = 'closed' ORDER BY period_start",
        (group_id,),
    )
    return [_survey(row) for row in rows]


# --- answering ---------------------------------------------------------------------------


def member_hmac(secret: bytes, member_id: int) -> bytes:
    """HMAC-SHA256 of the member id (8 bytes, big-endian) under the survey's secret."""
    return hmac.new(secret, member_id.to_bytes(8, "big", signed=True), hashlib.sha256).digest()


async def has_answered(sql: Sql, survey_id: int, member_id: int) -> bool:
    """Whether the member has answered the open survey (False once it has closed)."""
    row = await sql.fetchone("SELECT secret FROM pulse_surveys WHERE id = ?", (survey_id,))
    if row is None or row["secret"] is None:
        return False
    found = await sql.fetchone(
        "SELECT 1 FROM pulse_participation WHERE survey_id = ? AND member_hmac = ?",
        (survey_id, member_hmac(row["secret"], member_id)),
    )
    return found is not None


async def not_answered(sql: Sql, survey_id: int, member_ids: Sequence[int]) -> list[int]:
    """Of `member_ids`, those who have not answered (computed in memory, never stored).

    For the one reminder only: never show, log or return its length anywhere.
    """
    row = await sql.fetchone("SELECT secret FROM pulse_surveys WHERE id = ?", (survey_id,))
    if row is None or row["secret"] is None:
        return []
    rows = await sql.fetchall(
        "SELECT member_hmac FROM pulse_participation WHERE survey_id = ?", (survey_id,)
    )
    answered = {bytes(r["member_hmac"]) for r in rows}
    return [m for m in member_ids if member_hmac(row["secret"], m) not in answered]


async def answered_among(sql: Sql, items: Sequence[OutboxItem]) -> set[int]:
    """Of due pulse reminder rows, the ids of those whose member has answered the survey
    (or whose survey has closed): the dispatcher drops them. Computed in memory only."""
    by_survey: dict[int, list[OutboxItem]] = {}
    for item in items:
        by_survey.setdefault(int(item.payload["survey_id"]), []).append(item)
    answered: set[int] = set()
    for survey_id, group in by_survey.items():
        waiting = set(await not_answered(sql, survey_id, [item.user_id for item in group]))
        answered |= {item.id for item in group if item.user_id not in waiting}
    return answered


def encode_values(values: Sequence[int]) -> str:
    """Item values as digits, e.g. (3, 1, 2) -> "312"."""
    if not values or any(not 0 <= v <= 9 for v in values):
        raise ValueError("item values are single digits")
    return "".join(str(v) for v in values)


def decode_values(text: str) -> tuple[int, ...]:
    """The inverse of `encode_values`."""
    return tuple(int(c) for c in text)


async def submit(
    db: Database, survey_id: int, member_id: int, values: Sequence[int], now: datetime
) -> SubmitResult:
    """Store one member's answer: participation HMAC and answer row in one transaction.

    `values` must already be checked against the survey's instrument. A second
    submission by the same member is refused (`ALREADY_ANSWERED`), nothing changed.
    """
    encoded = encode_values(values)
    async with db.transaction() as tx:
        row = await tx.fetchone(
            "SELECT secret, instrument_version, opens_at, closes_at FROM pulse_surveys "
            "WHERE id = ? AND state = 'open'",
            (survey_id,),
        )
        if row is None or not from_db(row["opens_at"]) <= now < from_db(row["closes_at"]):
            return SubmitResult.CLOSED
        inserted = await tx.fetchall(
            "INSERT INTO pulse_participation (survey_id, member_hmac) VALUES (?, ?) "
            "ON CONFLICT DO NOTHING RETURNING 1",
            (survey_id, member_hmac(row["secret"], member_id)),
        )
        if not inserted:
            return SubmitResult.ALREADY_ANSWERED
        await tx.execute(
            "INSERT INTO pulse_answers (id, survey_id, instrument_version, item_values) "
            "VALUES (?, ?, ?, ?)",
            (secrets.token_bytes(ANSWER_KEY_BYTES), survey_id, row["instrument_version"], encoded),
        )
    return SubmitResult.STORED


# --- closing -----------------------------------------------------------------------------


async def _answers_of(tx: Transaction, survey_ids: Sequence[int]) -> list[tuple[int, ...]]:
    rows = await tx.fetchall(
        "SELECT item_values FROM pulse_answers WHERE survey_id IN (SELECT value FROM json_each(?))",
        (json.dumps(list(survey_ids)),),
    )
    return [decode_values(r["item_values"]) for r in rows]


async def _closed_survey(tx: Transaction, survey: Survey) -> pooling.ClosedSurvey:
    row = await tx.fetchone(
        "SELECT COUNT(*) AS n FROM pulse_answers WHERE survey_id = ?", (survey.id,)
    )
    n = int(row["n"]) if row is not None else 0
    instrument = f"{survey.instrument_id}@{survey.instrument_version}"
    return pooling.ClosedSurvey(survey.id, survey.period_start, n, instrument)


async def _carried(tx: Transaction, group_id: int) -> list[Survey]:
    rows = await tx.fetchall(
        f"SELECT {_SURVEY_COLUMNS} FROM pulse_surveys "  # noqa: S608 - constant columns
        "WHERE group_id = ? AND outcome = 'carried' ORDER BY period_start",
        (group_id,),
    )
    return [_survey(row) for row in rows]


async def _publish(
    tx: Transaction,
    survey: Survey,
    instrument: Instrument,
    decision: pooling.Decision,
    now: datetime,
) -> PublishedPoint:
    answers = await _answers_of(tx, [s.survey_id for s in decision.published])
    result = scoring.summarize(instrument, answers)
    earlier = await tx.fetchall(
        "SELECT index_median FROM pulse_results WHERE group_id = ? AND instrument_id = ? "
        "ORDER BY last_period_start",
        (survey.group_id, instrument.id),
    )
    advice = scoring.suggestions(instrument, result, [r["index_median"] for r in earlier])
    row = await tx.fetchone(
        "INSERT INTO pulse_results (group_id, instrument_id, instrument_version, "  # noqa: S608 - constant columns
        "period_starts, last_period_start, pooled, n, index_median, index_q1, index_q3, shares, "
        "option_counts, suggestions, published_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
        f"RETURNING {_RESULT_COLUMNS}",
        (
            survey.group_id,
            instrument.id,
            instrument.version,
            json.dumps([s.period_start.isoformat() for s in decision.published]),
            survey.period_start.isoformat(),
            int(decision.pooled),
            result.n,
            result.index_median,
            result.index_q1,
            result.index_q3,
            json.dumps({share.key: share.share_percent for share in result.items}),
            json.dumps(result.option_counts) if result.option_counts is not None else None,
            json.dumps(list(advice)),
            to_db(now),
        ),
    )
    assert row is not None  # noqa: S101 - RETURNING of an INSERT always yields the row
    point = _point(row)
    await tx.execute(
        "UPDATE pulse_surveys SET outcome = 'published', result_id = ? "
        "WHERE id IN (SELECT value FROM json_each(?))",
        (point.id, json.dumps([s.survey_id for s in decision.published])),
    )
    return point


async def close_survey(
    db: Database, survey_id: int, instrument: Instrument, now: datetime
) -> CloseOutcome | None:
    """Close an open survey exactly once (None if it is not open): publish, carry or drop.

    In one transaction: apply the pooling rule with the group's k, store the published
    aggregates, mark carried and dropped surveys, delete the secret, the participation rows
    and the survey's invitation and reminder outbox rows, and delete the raw answers of
    published and dropped surveys unless the group keeps them. Then checkpoint the WAL.
    """
    await _ensure_secure_delete(db)
    async with db.transaction() as tx:
        row = await tx.fetchone(
            f"SELECT {_SURVEY_COLUMNS} FROM pulse_surveys WHERE id = ? AND state = 'open'",  # noqa: S608
            (survey_id,),
        )
        if row is None:
            return None
        survey = _survey(row)
        if (survey.instrument_id, survey.instrument_version) != (instrument.id, instrument.version):
            raise ValueError(
                f"survey {survey.id} used {survey.instrument_id} {survey.instrument_version}, "
                f"not {instrument.id} {instrument.version}"
            )
        settings = await load_settings(tx, survey.group_id)
        k = settings.k if settings is not None else pooling.DEFAULT_K
        keep = settings.keep_raw_answers if settings is not None else False
        carried = [await _closed_survey(tx, s) for s in await _carried(tx, survey.group_id)]
        decision = pooling.decide(carried, await _closed_survey(tx, survey), k)
        outcome: Outcome = "carried"
        if decision.published:
            outcome = "published"
        elif any(s.survey_id == survey.id for s in decision.dropped):
            outcome = "dropped"
        await tx.execute(
            "UPDATE pulse_surveys SET state = 'closed', secret = NULL, closed_at = ?, "
            "outcome = ? WHERE id = ?",
            (to_db(now), outcome, survey.id),
        )
        point = (
            await _publish(tx, survey, instrument, decision, now) if decision.published else None
        )
        await _mark(tx, decision.dropped, "dropped")
        await _mark(tx, decision.carried, "carried")
        await tx.execute("DELETE FROM pulse_participation WHERE survey_id = ?", (survey.id,))
        await tx.execute(
            "DELETE FROM outbox WHERE group_id = ? AND kind IN (?, ?) AND ref = ?",
            (survey.group_id, INVITE_KIND, REMINDER_KIND, survey.ref),
        )
        if not keep:
            finished = [s.survey_id for s in (*decision.published, *decision.dropped)]
            await tx.execute(
                "DELETE FROM pulse_answers WHERE survey_id IN (SELECT value FROM json_each(?))",
                (json.dumps(finished),),
            )
    checkpointed = await checkpoint(db)
    return CloseOutcome(
        survey.id,
        outcome,
        point,
        tuple(s.period_start for s in decision.dropped),
        checkpointed,
    )


async def expire_carried(db: Database, group_id: int, today: date) -> tuple[date, ...]:
    """Drop the group's carried surveys older than 12 weeks (no survey closed meanwhile)."""
    async with db.transaction() as tx:
        settings = await load_settings(tx, group_id)
        carried = [await _closed_survey(tx, s) for s in await _carried(tx, group_id)]
        decision = pooling.expire(carried, today)
        await _mark(tx, decision.dropped, "dropped")
        if decision.dropped and not (settings and settings.keep_raw_answers):
            await tx.execute(
                "DELETE FROM pulse_answers WHERE survey_id IN (SELECT value FROM json_each(?))",
                (json.dumps([s.survey_id for s in decision.dropped]),),
            )
    if decision.dropped:
        await checkpoint(db)
    return tuple(s.period_start for s in decision.dropped)


async def groups_with_carried(sql: Sql, today: date | None = None) -> list[int]:
    """Groups with surveys carried forward (with `today`: only those carried too long)."""
    before = (today - pooling.MAX_CARRY).isoformat() if today is not None else None
    rows = await sql.fetchall(
        "SELECT DISTINCT group_id FROM pulse_surveys WHERE outcome = 'carried' "
        "AND (:before IS NULL OR period_start < :before) ORDER BY group_id",
        {"before": before},
    )
    return [int(r["group_id"]) for r in rows]


async def _mark(tx: Transaction, surveys: Sequence[pooling.ClosedSurvey], outcome: str) -> None:
    if surveys:
        await tx.execute(
            "UPDATE pulse_surveys SET outcome = ? "
            "WHERE state = 'closed' AND id IN (SELECT value FROM json_each(?))",
            (outcome, json.dumps([s.survey_id for s in surveys])),
        )


async def _ensure_secure_delete(db: Database) -> None:
    """Deleted cells are overwritten with zeros: turn `secure_delete` on and check it is."""
    await db.execute("PRAGMA secure_delete = ON")
    row = await db.fetchone("PRAGMA secure_delete")
    if row is None or int(row[0]) != 1:
        raise RuntimeError("PRAGMA secure_delete could not be turned on")


async def checkpoint(db: Database) -> bool:
    """Copy the WAL into the database and truncate it; False if a reader kept it busy.

    Waits at most `CHECKPOINT_WAIT_MS` per try (not the connection's busy timeout): while
    it waits, it holds the write lock, and other groups' writes wait too.
    """
    row = await db.fetchone("PRAGMA busy_timeout")
    usual = int(row[0]) if row is not None else 0
    await db.execute(f"PRAGMA busy_timeout = {CHECKPOINT_WAIT_MS}")
    try:
        for attempt in range(CHECKPOINT_TRIES):
            result = await db.fetchone("PRAGMA wal_checkpoint(TRUNCATE)")
            if result is not None and int(result[0]) == 0:
                return True
            await asyncio.sleep(0.01 * (attempt + 1))
    finally:
        await db.execute(f"PRAGMA busy_timeout = {usual}")
    log.warning("pulse: the WAL checkpoint was busy; the close step tries again")
    return False


# --- results -----------------------------------------------------------------------------


async def published_points(sql: Sql, group_id: int) -> list[PublishedPoint]:
    """The group's published results, oldest first (the trend chart, the export)."""
    rows = await sql.fetchall(
        f"SELECT {_RESULT_COLUMNS} FROM pulse_results "  # noqa: S608 - constant columns
        "WHERE group_id = ? ORDER BY last_period_start",
        (group_id,),
    )
    return [_point(row) for row in rows]


async def latest_result(sql: Sql, group_id: int) -> PublishedPoint | None:
    """The group's latest published result, or None."""
    row = await sql.fetchone(
        f"SELECT {_RESULT_COLUMNS} FROM pulse_results "  # noqa: S608 - constant columns
        "WHERE group_id = ? ORDER BY last_period_start DESC LIMIT 1",
        (group_id,),
    )
    return _point(row) if row is not None else None


async def results_to_post(sql: Sql) -> list[PublishedPoint]:
    """Published results not yet posted, in groups that post results in the channel."""
    rows = await sql.fetchall(
        f"SELECT {', '.join('r.' + c.strip() for c in _RESULT_COLUMNS.split(','))} "  # noqa: S608
        "FROM pulse_results r JOIN pulse_settings s ON s.group_id = r.group_id "
        "WHERE r.message_id IS NULL AND s.post_results = 1 ORDER BY r.published_at, r.id"
    )
    return [_point(row) for row in rows]


async def set_result_message(sql: Sql, result_id: int, message_id: int) -> None:
    """Record the channel post of a published result."""
    await sql.execute(
        "UPDATE pulse_results SET message_id = ? WHERE id = ?", (message_id, result_id)
    )


async def drops_to_announce(sql: Sql) -> list[Survey]:
    """Dropped surveys whose group has not been told "not enough answers" yet."""
    rows = await sql.fetchall(
        f"SELECT {_SURVEY_COLUMNS} FROM pulse_surveys "  # noqa: S608 - constant columns
        "WHERE outcome = 'dropped' AND drop_announced = 0 ORDER BY period_start, id"
    )
    return [_survey(row) for row in rows]


async def mark_drop_announced(sql: Sql, survey_id: int) -> None:
    """Record that the group was told a dropped survey had not enough answers."""
    await sql.execute("UPDATE pulse_surveys SET drop_announced = 1 WHERE id = ?", (survey_id,))
