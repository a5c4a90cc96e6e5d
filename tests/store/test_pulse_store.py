"""Pulse storage: idempotent open, HMAC participation, one submission, close exactly once,
pooling across closes, outbox rows and secrets gone, and what the database file holds."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import pytest

from bot.clock import VirtualClock
from bot.config import GroupDefaults
from bot.db import Database
from bot.delivery import outbox
from bot.groups import ensure_group
from bot.pulse import store
from bot.pulse.instrument import BUILTIN_DIR, load_instrument
from bot.pulse.schedule import PulseSchedule, window_for
from bot.pulse.store import PulseSettings, SubmitResult

GUILD, CHANNEL = 111, 222
INSTRUMENT = load_instrument(BUILTIN_DIR / "peerpulse-default.toml")
PLAN = PulseSchedule("UTC", 2, 0, time(9, 0), 5, date(2026, 3, 2))
OPENS = datetime(2026, 3, 2, 9, tzinfo=UTC)
MEMBERS = [401234567890123456 + i * 7919 for i in range(12)]  # Discord-sized ids, distinct bytes
ANSWER = (3, 1, 2, 4, 1, 3, 3, 2)


async def setup_group(db: Database, clock: VirtualClock, **settings: object) -> int:
    group = await ensure_group(db, clock, GUILD, CHANNEL, GroupDefaults())
    await store.save_settings(
        db,
        PulseSettings(group.id, "UTC", schedule=PLAN, **settings),
        clock.now(),  # type: ignore[arg-type]
    )
    return group.id


async def open_period(db: Database, group_id: int, period: date) -> store.Survey:
    survey = await store.open_survey(
        db, group_id, window_for(PLAN, period), INSTRUMENT, channel_id=CHANNEL
    )
    assert survey is not None
    return survey


async def test_open_is_idempotent_and_one_survey_at_a_time(
    db: Database, clock: VirtualClock
) -> None:
    group_id = await setup_group(db, clock)
    survey = await open_period(db, group_id, date(2026, 3, 2))
    assert (survey.state, survey.instrument_id, survey.instrument_version) == (
        "open",
        "peerpulse-default",
        "1",
    )
    assert survey.ref == "2026-03-02"
    again = await store.open_survey(
        db, group_id, window_for(PLAN, date(2026, 3, 2)), INSTRUMENT, channel_id=CHANNEL
    )
    assert again is None
    other = await store.open_survey(
        db, group_id, window_for(PLAN, date(2026, 3, 16)), INSTRUMENT, channel_id=CHANNEL
    )
    assert other is None  # the first is still open
    row = await db.fetchone("SELECT secret FROM pulse_surveys WHERE id = ?", (survey.id,))
    assert row is not None
    assert len(row["secret"]) == 32
    assert await store.open_survey_of(db, group_id) == survey


async def test_one_submission_per_member_and_none_after_close(
    db: Database, clock: VirtualClock
) -> None:
    group_id = await setup_group(db, clock)
    survey = await open_period(db, group_id, date(2026, 3, 2))
    now = OPENS + timedelta(hours=1)
    assert not await store.has_answered(db, survey.id, MEMBERS[0])
    assert await store.submit(db, survey.id, MEMBERS[0], ANSWER, now) is SubmitResult.STORED
    assert await store.has_answered(db, survey.id, MEMBERS[0])
    assert not await store.has_answered(db, survey.id, MEMBERS[1])
    second = await store.submit(db, survey.id, MEMBERS[0], (0,) * 8, now)
    assert second is SubmitResult.ALREADY_ANSWERED
    rows = await db.fetchall("SELECT item_values FROM pulse_answers")
    assert [r["item_values"] for r in rows] == ["31241332"]
    assert await store.not_answered(db, survey.id, MEMBERS[:3]) == MEMBERS[1:3]
    late = await store.submit(db, survey.id, MEMBERS[1], ANSWER, survey.closes_at)
    assert late is SubmitResult.CLOSED
    assert await store.submit(db, 999, MEMBERS[1], ANSWER, now) is SubmitResult.CLOSED


async def test_submission_logs_no_member_and_no_count(
    db: Database, clock: VirtualClock, caplog: pytest.LogCaptureFixture
) -> None:
    group_id = await setup_group(db, clock)
    survey = await open_period(db, group_id, date(2026, 3, 2))
    caplog.set_level("DEBUG", logger="bot")  # aiosqlite's own DEBUG is capped in bot.logs
    for member in MEMBERS[:3]:
        await store.submit(db, survey.id, member, ANSWER, OPENS + timedelta(hours=1))
    # Not even an anonymous line per answer: counting lines would count the answers.
    assert [r.getMessage() for r in caplog.records if r.name.startswith("bot")] == []


async def answer_all(db: Database, survey: store.Survey, members: list[int]) -> None:
    for number, member in enumerate(members):
        values = tuple((number + i) % 5 for i in range(8))
        result = await store.submit(db, survey.id, member, values, survey.opens_at)
        assert result is SubmitResult.STORED


async def test_close_publishes_once_and_forgets_who_answered(
    db: Database, clock: VirtualClock
) -> None:
    group_id = await setup_group(db, clock)
    survey = await open_period(db, group_id, date(2026, 3, 2))
    await answer_all(db, survey, MEMBERS[:6])
    for kind in (store.INVITE_KIND, store.REMINDER_KIND):
        await outbox.enqueue_many(
            db,
            group_id=group_id,
            user_ids=MEMBERS[6:9],
            kind=kind,
            ref=survey.ref,
            due_at=survey.opens_at,
            expires_at=survey.closes_at,
            payload={"survey_id": survey.id},
        )
    await outbox.enqueue(
        db,
        group_id=group_id,
        user_id=MEMBERS[0],
        kind="checkin_open",
        ref="2026-W10",
        due_at=OPENS,
        expires_at=None,
        payload={},
    )
    closed = await store.close_survey(db, survey.id, INSTRUMENT, survey.closes_at)
    assert closed is not None
    assert closed.outcome == "published"
    assert closed.checkpointed
    assert closed.result is not None
    assert (closed.result.n, closed.result.pooled) == (6, False)
    assert closed.result.period_starts == (date(2026, 3, 2),)
    assert closed.result.option_counts is None
    assert set(closed.result.shares) == {i.key for i in INSTRUMENT.items}
    assert await store.close_survey(db, survey.id, INSTRUMENT, survey.closes_at) is None
    assert await store.published_points(db, group_id) == [closed.result]
    assert await store.latest_result(db, group_id) == closed.result
    after = await store.get_survey(db, survey.id)
    assert after is not None
    assert (after.state, after.outcome, after.result_id) == (
        "closed",
        "published",
        closed.result.id,
    )
    for table in ("pulse_participation", "pulse_answers"):
        row = await db.fetchone(f"SELECT COUNT(*) AS n FROM {table}")  # noqa: S608
        assert row is not None
        assert row["n"] == 0, table
    secret = await db.fetchone("SELECT secret FROM pulse_surveys WHERE id = ?", (survey.id,))
    assert secret is not None
    assert secret["secret"] is None
    kinds = await db.fetchall("SELECT kind FROM outbox")
    assert [r["kind"] for r in kinds] == ["checkin_open"]  # only the pulse rows went
    assert not await store.has_answered(db, survey.id, MEMBERS[0])
    assert await store.results_to_post(db) == [closed.result]
    await store.set_result_message(db, closed.result.id, 555)
    assert await store.results_to_post(db) == []


async def test_a_group_may_keep_raw_answers(db: Database, clock: VirtualClock) -> None:
    group_id = await setup_group(db, clock, keep_raw_answers=True, post_results=False)
    survey = await open_period(db, group_id, date(2026, 3, 2))
    await answer_all(db, survey, MEMBERS[:5])
    closed = await store.close_survey(db, survey.id, INSTRUMENT, survey.closes_at)
    assert closed is not None
    assert closed.outcome == "published"
    rows = await db.fetchall("SELECT * FROM pulse_answers")
    assert len(rows) == 5
    assert set(rows[0].keys()) == {"id", "survey_id", "instrument_version", "item_values"}
    assert await store.results_to_post(db) == []


@pytest.mark.parametrize("k", [3, 5, 7])
async def test_below_k_is_carried_then_published_pooled(
    db: Database, clock: VirtualClock, k: int
) -> None:
    group_id = await setup_group(db, clock, k=k)
    first = await open_period(db, group_id, date(2026, 3, 2))
    await answer_all(db, first, MEMBERS[: k - 1])
    carried = await store.close_survey(db, first.id, INSTRUMENT, first.closes_at)
    assert carried is not None
    assert (carried.outcome, carried.result) == ("carried", None)
    assert await store.published_points(db, group_id) == []
    kept = await db.fetchone("SELECT COUNT(*) AS n FROM pulse_answers")
    assert kept is not None
    assert kept["n"] == k - 1  # carried answers wait for the pool
    second = await open_period(db, group_id, date(2026, 3, 16))
    await answer_all(db, second, MEMBERS[:1])
    pooled = await store.close_survey(db, second.id, INSTRUMENT, second.closes_at)
    assert pooled is not None
    assert pooled.result is not None
    assert pooled.outcome == "published"
    assert (pooled.result.n, pooled.result.pooled) == (k, True)
    assert pooled.result.period_starts == (date(2026, 3, 2), date(2026, 3, 16))
    surveys = await store.closed_surveys(db, group_id)
    assert [(s.outcome, s.result_id) for s in surveys] == [("published", pooled.result.id)] * 2
    assert await store.published_points(db, group_id) == [pooled.result]


async def test_a_carried_survey_is_dropped_after_twelve_weeks(
    db: Database, clock: VirtualClock
) -> None:
    group_id = await setup_group(db, clock)
    first = await open_period(db, group_id, date(2026, 3, 2))
    await answer_all(db, first, MEMBERS[:2])
    await store.close_survey(db, first.id, INSTRUMENT, first.closes_at)
    assert await store.groups_with_carried(db) == [group_id]
    assert await store.groups_with_carried(db, date(2026, 5, 25)) == []
    assert await store.groups_with_carried(db, date(2026, 5, 26)) == [group_id]
    assert await store.expire_carried(db, group_id, date(2026, 5, 25)) == ()
    assert await store.expire_carried(db, group_id, date(2026, 5, 26)) == (date(2026, 3, 2),)
    assert await store.groups_with_carried(db) == []
    assert [s.id for s in await store.drops_to_announce(db)] == [first.id]
    await store.mark_drop_announced(db, first.id)
    assert await store.drops_to_announce(db) == []
    row = await db.fetchone("SELECT COUNT(*) AS n FROM pulse_answers")
    assert row is not None
    assert row["n"] == 0
    # A late survey closing with enough answers is published alone, never with the dropped one.
    late = await open_period(db, group_id, date(2026, 6, 1))
    await answer_all(db, late, MEMBERS[:5])
    closed = await store.close_survey(db, late.id, INSTRUMENT, late.closes_at)
    assert closed is not None
    assert closed.result is not None
    assert closed.result.period_starts == (date(2026, 6, 1),)


async def test_k_below_three_is_refused_by_the_schema(db: Database, clock: VirtualClock) -> None:
    group_id = await setup_group(db, clock)
    with pytest.raises(sqlite3.IntegrityError):
        await db.execute("UPDATE pulse_settings SET k = 2 WHERE group_id = ?", (group_id,))
    with pytest.raises(ValueError, match="at least 3"):
        await store.save_settings(db, PulseSettings(group_id, "UTC", k=2), clock.now())


async def test_settings_round_trip(db: Database, clock: VirtualClock) -> None:
    group_id = await setup_group(db, clock, support_text="Call Dana", reminders=True)
    loaded = await store.load_settings(db, group_id)
    assert loaded == PulseSettings(
        group_id, "UTC", schedule=PLAN, support_text="Call Dana", reminders=True
    )
    await store.set_next_open(db, group_id, OPENS)
    assert [s.group_id for s in await store.settings_due(db, OPENS)] == [group_id]
    assert await store.settings_due(db, OPENS - timedelta(seconds=1)) == []
    await store.save_settings(db, PulseSettings(group_id, "UTC"), clock.now())
    off = await store.load_settings(db, group_id)
    assert off is not None
    assert off.schedule is None
    assert await store.settings_due(db, OPENS) == []


def id_forms(member: int) -> list[bytes]:
    return [
        str(member).encode(),
        member.to_bytes(8, "big"),
        member.to_bytes(8, "little"),
    ]


async def test_the_database_file_links_no_answer_to_anyone(
    tmp_path: Path, clock: VirtualClock
) -> None:
    path = tmp_path / "inspect.db"
    from bot.migrations import migrate

    db = await Database.open(path)
    await migrate(db, clock)
    group_id = await setup_group(db, clock)
    survey = await open_period(db, group_id, date(2026, 3, 2))
    secret_row = await db.fetchone("SELECT secret FROM pulse_surveys WHERE id = ?", (survey.id,))
    assert secret_row is not None
    secret = bytes(secret_row["secret"])
    members = MEMBERS[:8]
    hmacs = [store.member_hmac(secret, m) for m in members]
    await answer_all(db, survey, members)
    await outbox.enqueue_many(  # invitations name members; they go at close
        db,
        group_id=group_id,
        user_ids=members,
        kind=store.INVITE_KIND,
        ref=survey.ref,
        due_at=survey.opens_at,
        expires_at=survey.closes_at,
        payload={"survey_id": survey.id},
    )
    closed = await store.close_survey(db, survey.id, INSTRUMENT, survey.closes_at)
    assert closed is not None
    assert closed.outcome == "published"
    wal = path.with_name(path.name + "-wal")
    # While the bot still runs (closing the last connection would checkpoint by itself):
    assert not wal.exists() or wal.stat().st_size == 0
    await db.close()

    assert not wal.exists() or wal.stat().st_size == 0
    raw = path.read_bytes()
    # Collected, not asserted one by one: pytest would diff the whole file on a failure.
    leaks = [(m, f) for m in members for f in id_forms(m) if f in raw]
    leaks += [(0, d) for d in hmacs if d in raw]
    assert leaks == []
    assert raw.find(secret) == -1
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT COUNT(*) FROM pulse_participation").fetchone() == (0,)
        assert conn.execute("SELECT secret FROM pulse_surveys").fetchall() == [(None,)]
        columns = [r[1] for r in conn.execute("PRAGMA table_info(pulse_answers)")]
        assert columns == ["id", "survey_id", "instrument_version", "item_values"]
        result = conn.execute("SELECT period_starts, n FROM pulse_results").fetchall()
        assert result == [(json.dumps(["2026-03-02"]), 8)]


async def test_answer_rows_in_physical_order_do_not_follow_submission(
    db: Database, clock: VirtualClock
) -> None:
    group_id = await setup_group(db, clock, keep_raw_answers=True)
    answers = [(i % 5, i // 5, 0, 0, 0, 0, 0, 0) for i in range(8)]  # all different
    in_submission_order = tuple(store.encode_values(a) for a in answers)
    orders = []
    for run in range(5):
        survey = await open_period(db, group_id, date(2026, 3, 2) + timedelta(weeks=2 * run))
        for member, values in zip(MEMBERS, answers, strict=False):
            result = await store.submit(db, survey.id, member, values, survey.opens_at)
            assert result is SubmitResult.STORED
        # The table's own b-tree, in key order: what reading the file page by page shows.
        rows = await db.fetchall(
            "SELECT item_values FROM pulse_answers NOT INDEXED WHERE survey_id = ?", (survey.id,)
        )
        orders.append(tuple(r["item_values"] for r in rows))
        await store.close_survey(db, survey.id, INSTRUMENT, survey.closes_at)
    assert sorted(orders[0]) == sorted(in_submission_order)
    assert sum(order == in_submission_order for order in orders) <= 1  # 1 in 40320 by chance
    assert len(set(orders)) > 1


async def test_status_never_counts_pulse_reminders(db: Database, clock: VirtualClock) -> None:
    """Reminders go only to those who have not answered: counting them counts answers."""
    from bot.delivery.status import delivery_status

    group_id = await setup_group(db, clock)
    now = clock.now()
    for kind in (store.INVITE_KIND, store.REMINDER_KIND):
        await outbox.enqueue_many(
            db,
            group_id=group_id,
            user_ids=MEMBERS[:3],
            kind=kind,
            ref="2026-03-02",
            due_at=now,
            expires_at=now + timedelta(days=20),
            payload={},
        )
    rows = await db.fetchall("SELECT id, kind FROM outbox ORDER BY id")
    for row in rows[:1] + rows[3:4]:  # one invitation and one reminder finish
        await outbox.drop(db, row["id"], "away", now=now)
    status = await delivery_status(db, group_id, now, since=now - timedelta(days=7))
    assert sum(vars(status.backlog).values()) == 2  # the two pending invitations only
    assert status.outcomes == {store.INVITE_KIND: {"away": 1}}
    clock.advance(timedelta(days=3))
    assert await outbox.purge_finished(db, clock.now()) == 2
    counts = await db.fetchall("SELECT kind FROM delivery_counts")
    assert [r["kind"] for r in counts] == [store.INVITE_KIND]
    assert outbox.UNCOUNTED_KIND == store.REMINDER_KIND


async def test_a_busy_checkpoint_is_retried_by_the_close_step(
    tmp_path: Path, clock: VirtualClock
) -> None:
    from bot.migrations import migrate
    from bot.pulse.instrument import InstrumentLibrary
    from bot.pulse.service import PulseService

    path = tmp_path / "busy.db"
    db = await Database.open(path)
    await migrate(db, clock)
    group_id = await setup_group(db, clock)
    survey = await open_period(db, group_id, date(2026, 3, 2))
    await answer_all(db, survey, MEMBERS[:5])
    wal = path.with_name(path.name + "-wal")
    reader = sqlite3.connect(path)  # another process reading: its snapshot pins the WAL
    reader.execute("BEGIN")
    reader.execute("SELECT COUNT(*) FROM pulse_surveys").fetchall()
    service = PulseService(db, InstrumentLibrary())
    try:
        assert await service.close_due(survey.closes_at) == 1
        assert wal.stat().st_size > 0
        row = await db.fetchone("PRAGMA busy_timeout")
        assert row is not None
        assert row[0] == 5000  # restored after the short wait
    finally:
        reader.rollback()
        reader.close()
    assert await service.close_due(survey.closes_at + timedelta(minutes=1)) == 0
    assert wal.stat().st_size == 0
    await db.close()
