"""Due steps run a fixed number of statements however many groups or members there are."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import UTC, datetime, time, timedelta

from sql_trace import counting

from bot.checkins import store
from bot.checkins.answers import AnswerInput
from bot.checkins.render import RenderedSummary
from bot.checkins.rounds import REMINDER_KIND, CheckinService
from bot.checkins.schedule import CheckinSchedule, window_for_week
from bot.checkins.summary import CheckinSummary
from bot.clock import VirtualClock
from bot.config import GroupDefaults
from bot.db import Database
from bot.delivery import outbox
from bot.delivery.dispatcher import Dispatcher
from bot.delivery.outbox import OutboxItem
from bot.groups import ensure_group
from bot.members.preferences import set_dm_opt_in, set_reminders
from bot.members.retention import purge_expired_text
from bot.scheduling import DueSteps

WEEKLY = CheckinSchedule("UTC", 0, time(9, 0), 48)
OPENS = datetime(2026, 3, 2, 9, tzinfo=UTC)


def form(note: str | None) -> AnswerInput:
    return AnswerInput(3, "heavy", "mostly", False, False, note, "group")


async def groups_with_notes(db: Database, clock: VirtualClock, count: int) -> list[int]:
    """`count` groups, alternately keeping text 30 and 90 days, each with one note of 60 days
    ago, one of 100 days ago and an answer without a note."""
    group_ids = []
    for index in range(count):
        days = 30 if index % 2 == 0 else 90
        group = await ensure_group(
            db, clock, 1000 + index, 2000 + index, GroupDefaults(retention_days=days)
        )
        checkin = await store.insert_round(
            db, group.id, 2000 + index, window_for_week(WEEKLY, 2026, 10)
        )
        assert checkin is not None
        await store.save_answer(db, checkin.id, 1, form("sixty"), OPENS + timedelta(hours=1))
        await store.save_answer(db, checkin.id, 2, form("hundred"), OPENS + timedelta(hours=1))
        await store.save_answer(db, checkin.id, 3, form(None), OPENS + timedelta(hours=1))
        group_ids.append(group.id)
    # Back-date the notes (answers are only accepted while the round is open).
    await db.execute(
        "UPDATE checkin_answers SET note_created_at = CASE user_id WHEN 1 THEN ? ELSE ? END "
        "WHERE note IS NOT NULL",
        (store.timestamp(OPENS - timedelta(days=60)), store.timestamp(OPENS - timedelta(days=100))),
    )
    return group_ids


async def retention_step(db: Database, now: datetime) -> tuple[int, list[str]]:
    """The retention step as the bot registers it; what it purged and the statements run."""
    async with counting(db) as statements:
        purged = await purge_expired_text(db, now) + await outbox.purge_finished(db, now)
    return purged, statements


async def test_retention_purges_every_group_in_one_statement(
    db: Database, clock: VirtualClock
) -> None:
    counts = []
    for size in (3, 50):
        await db.execute("DELETE FROM groups")
        await groups_with_notes(db, clock, size)
        purged, statements = await retention_step(db, OPENS)
        short_kept = (size + 1) // 2
        # 30-day groups lose both notes, 90-day groups only the 100-day-old one.
        assert purged == 2 * short_kept + (size - short_kept)
        rows = await db.fetchall(
            "SELECT g.retention_days AS days, a.user_id, a.note FROM checkin_answers a "
            "JOIN groups g ON g.id = a.group_id WHERE a.note IS NOT NULL"
        )
        assert {(row["days"], row["user_id"], row["note"]) for row in rows} == {(90, 1, "sixty")}
        assert len(rows) == size - short_kept
        counts.append(len(statements))
    assert counts[0] == counts[1]


async def test_retention_cutoff_is_exact_to_the_microsecond(
    db: Database, clock: VirtualClock
) -> None:
    [group_id] = await groups_with_notes(db, clock, 1)  # keeps text 30 days
    written = OPENS - timedelta(days=60)
    assert await purge_expired_text(db, written + timedelta(days=30)) == 1  # the 100-day-old
    assert await purge_expired_text(db, written + timedelta(days=30)) == 0
    assert await purge_expired_text(db, written + timedelta(days=30, microseconds=1)) == 1
    row = await db.fetchone(
        "SELECT COUNT(*) AS n FROM checkin_answers WHERE group_id = ? AND note IS NOT NULL",
        (group_id,),
    )
    assert row is not None
    assert row["n"] == 0


def _bookkeeping(statement: str) -> bool:
    """Transaction control, and the row-id read aiosqlite's `execute_insert` adds."""
    first = statement.split(maxsplit=1)[0].upper()
    return first in {"BEGIN", "COMMIT", "ROLLBACK"} or statement == "SELECT last_insert_rowid()"


async def test_retention_reads_by_index_only(db: Database, clock: VirtualClock) -> None:
    """Every statement of the step seeks by index; the only full pass is over the groups'
    narrow retention index (one seek per group), never over answers or the outbox."""
    await groups_with_notes(db, clock, 3)
    _, statements = await retention_step(db, OPENS)
    plans = []
    async with db.raw() as connection:
        for statement in statements:
            if _bookkeeping(statement):
                continue
            plan = await connection.execute_fetchall(f"EXPLAIN QUERY PLAN {statement}")
            plans += [str(row[3]) for row in plan]
    scans = [line for line in plans if line.startswith("SCAN")]
    # Only the groups' retention index (its distinct periods), and the cutoffs made from them.
    allowed = ("SCAN groups USING COVERING INDEX groups_by_retention", "SCAN (subquery-1)")
    assert sorted(set(scans)) == sorted({*allowed, "SCAN c"}), plans
    assert any("checkin_answers_note_age" in line for line in plans), plans
    assert any("outbox_finished" in line for line in plans), plans


class SilentPublisher:
    """Accepts every post; the reminder step never posts."""

    async def post_round_open(self, checkin: store.Round) -> int:
        return 1

    async def post_summary(
        self, checkin: store.Round, summary: CheckinSummary, rendered: RenderedSummary
    ) -> int:
        return 2

    async def moderators_among(
        self, channel_id: int, moderator_role_id: int | None, user_ids: Sequence[int]
    ) -> list[int]:
        return []


async def remind_with_members(
    db: Database, clock: VirtualClock, guild_id: int, members: int
) -> tuple[list[int], list[str]]:
    """A round whose members all opted in; every third answered, every third but one turned
    reminders off. Who got the reminder, and the statements the step ran."""
    group = await ensure_group(db, clock, guild_id, guild_id + 1, GroupDefaults())
    checkin = await store.insert_round(
        db, group.id, guild_id + 1, window_for_week(WEEKLY, 2026, 10)
    )
    assert checkin is not None
    await store.save_schedule(
        db, group.id, guild_id + 1, WEEKLY, next_open_at=OPENS + timedelta(days=7), now=OPENS
    )
    await db.execute("UPDATE checkin_rounds SET channel_message_id = 1 WHERE id = ?", (checkin.id,))
    for user_id in range(1, members + 1):
        await set_dm_opt_in(db, group.id, user_id, "checkins", True, now=clock.now())
        if user_id % 3 == 1:
            await set_reminders(db, group.id, user_id, False, now=clock.now())
        if user_id % 3 == 0:
            await store.save_answer(db, checkin.id, user_id, form(None), OPENS)
    service = CheckinService(db, SilentPublisher())
    async with counting(db) as statements:
        queued = await service.remind_due(checkin.reminder_due_at)
    rows = await db.fetchall(
        "SELECT user_id FROM outbox WHERE group_id = ? AND kind = ? ORDER BY user_id",
        (group.id, REMINDER_KIND),
    )
    assert queued == len(rows)
    return [int(row["user_id"]) for row in rows], statements


async def test_reminder_recipients_are_read_in_one_statement(
    db: Database, clock: VirtualClock
) -> None:
    few, few_statements = await remind_with_members(db, clock, 100, 3)
    many, many_statements = await remind_with_members(db, clock, 200, 30)
    # Everyone opted in with reminders on, answered (u % 3 == 0) or not: the queue never
    # lists who had not answered (the dispatcher decides that when the reminder is due).
    assert few == [2, 3]
    assert many == [u for u in range(1, 31) if u % 3 != 1]
    assert len(few_statements) == len(many_statements)


class WritingPublisher(SilentPublisher):
    """Writes to the database while "Discord" is called: a transaction held across the call
    would hold the write lock, and this write would wait for it forever."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.calls = 0

    async def _write(self) -> None:
        await asyncio.wait_for(
            self.db.execute("UPDATE groups SET retention_days = retention_days"), 2
        )
        self.calls += 1

    async def post_round_open(self, checkin: store.Round) -> int:
        await self._write()
        return 1

    async def post_summary(
        self, checkin: store.Round, summary: CheckinSummary, rendered: RenderedSummary
    ) -> int:
        await self._write()
        return 2


async def test_no_transaction_is_held_while_discord_is_called(
    db: Database, clock: VirtualClock
) -> None:
    group = await ensure_group(db, clock, 1, 2, GroupDefaults())
    await set_dm_opt_in(db, group.id, 7, "checkins", True, now=clock.now())
    publisher = WritingPublisher(db)
    service = CheckinService(db, publisher)
    await store.save_schedule(db, group.id, 2, WEEKLY, next_open_at=OPENS, now=OPENS)
    assert await service.open_due(OPENS) == 1
    assert await service.remind_due(OPENS + timedelta(hours=24)) == 1
    assert await service.close_due(OPENS + timedelta(hours=48)) == 1
    assert publisher.calls == 2


class NoTransport:
    """A DM transport for ticks with nothing due: any DM fails the test."""

    async def open_dm(self, user_id: int) -> int:
        raise AssertionError(f"no DM channel is due to open ({user_id})")

    async def send(self, channel_id: int, item: OutboxItem) -> int:
        raise AssertionError(f"no DM is due ({item.id})")


async def test_every_due_step_reads_by_index_when_nothing_is_due(
    db: Database, clock: VirtualClock
) -> None:
    """One tick of every step, as the bot registers them: no statement walks a table."""
    group = await ensure_group(db, clock, 1, 2, GroupDefaults())
    await set_dm_opt_in(db, group.id, 7, "checkins", True, now=clock.now())
    service = CheckinService(db, SilentPublisher())
    await store.save_schedule(db, group.id, 2, WEEKLY, next_open_at=OPENS, now=OPENS)
    await service.open_due(OPENS)  # a round open and posted, its DM queued for later
    steps = DueSteps()
    service.register(steps)

    async def retention(now: datetime) -> int:
        return await purge_expired_text(db, now) + await outbox.purge_finished(db, now)

    steps.register("retention", retention)
    steps.register("delivery", Dispatcher(db, NoTransport()).run_due)
    await db.execute(
        "UPDATE outbox SET next_attempt_at = ?", (store.timestamp(OPENS + timedelta(hours=1)),)
    )
    async with counting(db) as statements:
        results = await steps.run_due(OPENS + timedelta(minutes=1))
    assert not any(results.values()), results
    scans = []
    async with db.raw() as connection:
        for statement in statements:
            if _bookkeeping(statement):
                continue
            plan = await connection.execute_fetchall(f"EXPLAIN QUERY PLAN {statement}")
            scans += [(str(row[3]), statement) for row in plan if str(row[3]).startswith("SCAN")]
    allowed = {
        "SCAN groups USING COVERING INDEX groups_by_retention",
        "SCAN (subquery-1)",
        "SCAN c",
    }
    assert [scan for scan in scans if scan[0] not in allowed] == []
