"""Benchmark (not a test): check-in queries at 1,000,000 answers, and one idle tick.

Builds a temporary database with the real migrations and bulk inserts: 10,000 groups
and about 1,000,000 answers; the measured group has five years (260) of weekly rounds of
25 answers, each closed round's counts filled in as the closing step writes them; every
other group has a schedule, an open round already posted, finished and held DMs, and a
retention period of its own (7 to 34 days, so the first retention run purges notes).
No ANALYZE: the bot never runs it, so the planner sees what it sees in production.

Figures (each the median of `--runs` runs on a fresh copy of the database):
- p50 of (a) everything a round's summary needs (its answers, last week's counts and the
  computation) and (b) the chart data for 260 and 12 weeks, idle, and while the retention
  step and the delivery step run concurrently (2,000 DMs through a transport that takes
  5 ms a DM, and a retention run that blanks the notes past each group's period);
- one tick of every due step (check-in open, remind, close, pending purge, retention,
  delivery) at 10,000 groups with nothing due, built as the bot builds its DueSteps, with
  a publisher and a DM transport that fail if called (nothing due: no network).

    .venv/bin/python tests/benchmarks/bench_checkin_summary.py [--runs N] [--repeat N]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))  # for _table, run as a script

from _table import Row, print_table

from bot.checkins import store
from bot.checkins.render import RenderedSummary
from bot.checkins.rounds import CheckinService
from bot.checkins.schedule import period_key
from bot.checkins.summary import CheckinSummary, summarize
from bot.clock import VirtualClock
from bot.db import Database
from bot.delivery import outbox
from bot.delivery.dispatcher import Dispatcher
from bot.delivery.outbox import OutboxItem
from bot.members.retention import purge_expired_text
from bot.migrations import migrate
from bot.scheduling import DueSteps

GROUPS = 10_000
MEMBERS = 25
TARGET_WEEKS = 260
OTHER_WEEKS = 4
TARGET_GROUP = 1
FIRST_MONDAY = date(2021, 3, 1)
# A Wednesday after the last week of data; every other group has this week's round open.
NOW = datetime(2026, 2, 25, 12, tzinfo=UTC)
FANOUT_DMS = 2_000
SEND_SECONDS = 0.005
SUMMARY_GOAL_MS = 5.0
TICK_GOAL_MS = 50.0


def _ts(instant: datetime) -> str:
    return store.timestamp(instant)


def _rounds() -> list[tuple[int, str, int, str, str, str, str, str]]:
    rows = []
    for group_id in range(1, GROUPS + 1):
        weeks = TARGET_WEEKS if group_id == TARGET_GROUP else OTHER_WEEKS
        first = FIRST_MONDAY + timedelta(weeks=TARGET_WEEKS - weeks)
        for week in range(weeks):
            day = first + timedelta(weeks=week)
            opens = datetime(day.year, day.month, day.day, 14, tzinfo=UTC)
            closes = opens + timedelta(hours=48)
            rows.append(
                (
                    group_id,
                    period_key(day),
                    group_id,
                    _ts(opens),
                    _ts(closes),
                    _ts(opens + timedelta(hours=24)),
                    "closed",
                    _ts(closes),
                )
            )
    return rows


def build(path: Path) -> int:
    """Fill the (migrated) database; return the number of answers."""
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA synchronous = OFF")
    stamp = _ts(datetime(2021, 1, 1, tzinfo=UTC))
    with conn:
        conn.execute(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?) "
            "INSERT INTO groups (id, guild_id, timezone, retention_days, created_at) "
            "SELECT i, 100000 + i, 'UTC', CASE WHEN i = ? THEN 3650 ELSE 7 + i % 28 END, ? "
            "FROM n",
            (GROUPS, TARGET_GROUP, stamp),
        )
        conn.executemany(
            "INSERT INTO checkin_rounds (group_id, period, channel_id, opens_at, closes_at, "
            "reminder_due_at, status, closed_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            _rounds(),
        )
        conn.execute(
            "WITH RECURSIVE member(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM member WHERE i < ?) "
            "INSERT INTO checkin_answers (round_id, group_id, user_id, energy, caseload, "
            "boundaries, wants_consult, share_consult_name, note, note_visibility, answered_at, "
            "note_created_at) "
            "SELECT r.id, r.group_id, 1000000 + r.group_id * 100 + member.i, "
            "  1 + abs(random()) % 5, "
            "  CASE abs(random()) % 4 WHEN 0 THEN 'light' WHEN 1 THEN 'manageable' "
            "    WHEN 2 THEN 'heavy' ELSE 'overwhelming' END, "
            "  CASE abs(random()) % 3 WHEN 0 THEN 'yes' WHEN 1 THEN 'mostly' ELSE 'no' END, "
            "  abs(random()) % 5 = 0, abs(random()) % 2, "
            "  CASE WHEN member.i % 5 = 0 THEN 'A note about a heavy week.' END, "
            "  CASE WHEN member.i % 5 = 0 THEN 'group' END, "
            "  r.opens_at, CASE WHEN member.i % 5 = 0 THEN r.opens_at END "
            "FROM checkin_rounds r CROSS JOIN member",
            (MEMBERS,),
        )
        # What the closing step writes for each round (store.record_counts), in bulk.
        conn.execute(
            "INSERT INTO checkin_round_counts (round_id, responses, energy_1, energy_2, "
            "energy_3, energy_4, energy_5, light, manageable, heavy, overwhelming) "
            "SELECT round_id, COUNT(*), TOTAL(energy = 1), TOTAL(energy = 2), "
            "TOTAL(energy = 3), TOTAL(energy = 4), TOTAL(energy = 5), "
            "TOTAL(caseload = 'light'), TOTAL(caseload = 'manageable'), "
            "TOTAL(caseload = 'heavy'), TOTAL(caseload = 'overwhelming') "
            "FROM checkin_answers GROUP BY round_id"
        )
        conn.execute("UPDATE checkin_rounds SET summary_message_id = 1")
        _nothing_due_yet(conn)
    answers = int(conn.execute("SELECT COUNT(*) FROM checkin_answers").fetchone()[0])
    conn.close()
    return answers


def _nothing_due_yet(conn: sqlite3.Connection) -> None:
    """Schedules, this week's posted open rounds, finished and held DMs: nothing due at NOW."""
    week = period_key(NOW.date())
    conn.execute(
        "INSERT INTO checkin_schedules (group_id, channel_id, weekday, local_time, open_hours, "
        "next_open_at, updated_at) SELECT id, id, 0, '14:00', 48, ?, ? FROM groups",
        (_ts(NOW + timedelta(days=5)), _ts(NOW)),
    )
    conn.execute(
        "INSERT INTO checkin_rounds (group_id, period, channel_id, opens_at, closes_at, "
        "reminder_due_at, channel_message_id) SELECT id, ?, id, ?, ?, ?, 1 FROM groups "
        "WHERE id != ?",
        (
            week,
            _ts(NOW - timedelta(hours=20)),
            _ts(NOW + timedelta(hours=28)),
            _ts(NOW + timedelta(hours=4)),
            TARGET_GROUP,
        ),
    )
    outbox_row = (
        "INSERT INTO outbox (group_id, user_id, kind, ref, due_at, status, hold_reason, "
        "next_attempt_at, created_at, updated_at, finished_at, outcome) "
        "SELECT g.id, 2000000 + g.id * 10 + k.i, 'checkin_open', ?, ?, ?, ?, ?, ?, ?, ?, ? "
        "FROM groups g CROSS JOIN (SELECT 1 AS i UNION ALL SELECT 2 UNION ALL SELECT 3) k"
    )
    earlier = _ts(NOW - timedelta(hours=20))
    conn.execute(
        outbox_row, (week, earlier, "sent", None, earlier, earlier, earlier, earlier, "sent")
    )
    later = _ts(NOW + timedelta(hours=2))
    conn.execute(
        outbox_row.replace("k.i", "k.i + 5"),
        (week, earlier, "pending", "hours", later, earlier, earlier, None, None),
    )


def _fanout(conn: sqlite3.Connection) -> None:
    """FANOUT_DMS DMs due now to opted-in members, with their DM channel known."""
    conn.execute(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?) "
        "INSERT INTO member_preferences (group_id, user_id, work_days, work_start, work_end, "
        "dm_checkins, created_at, updated_at) "
        "SELECT 2 + i % (? - 1), 5000000 + i, 127, 0, 1440, 1, ?, ? FROM n",
        (FANOUT_DMS, GROUPS, _ts(NOW), _ts(NOW)),
    )
    conn.execute(
        "INSERT INTO dm_recipients (user_id, channel_id, updated_at) "
        "SELECT user_id, user_id + 1, ? FROM member_preferences WHERE user_id >= 5000000",
        (_ts(NOW),),
    )
    conn.execute(
        "INSERT INTO outbox (group_id, user_id, kind, ref, payload, due_at, expires_at, "
        "next_attempt_at, created_at, updated_at) "
        "SELECT group_id, user_id, 'checkin_reminder', 'bench', '{}', ?, ?, ?, ?, ? "
        "FROM member_preferences WHERE user_id >= 5000000",
        (_ts(NOW), _ts(NOW + timedelta(days=1)), _ts(NOW), _ts(NOW), _ts(NOW)),
    )


class NoDiscord:
    """The check-in publisher: with nothing due, nothing is posted."""

    async def post_round_open(self, checkin: store.Round) -> int:
        raise AssertionError(f"round {checkin.id} was due to open")

    async def post_summary(
        self, checkin: store.Round, summary: CheckinSummary, rendered: RenderedSummary
    ) -> int:
        raise AssertionError(f"round {checkin.id} was due a summary")

    async def moderators_among(
        self, channel_id: int, moderator_role_id: int | None, user_ids: Sequence[int]
    ) -> list[int]:
        raise AssertionError("no moderator is told anything")


class SlowTransport:
    """A DM transport that takes SEND_SECONDS a DM (or fails if `allowed` is False)."""

    def __init__(self) -> None:
        self.allowed = True
        self.sent = 0

    async def open_dm(self, user_id: int) -> int:
        raise AssertionError(f"the DM channel of {user_id} is known")

    async def send(self, channel_id: int, item: OutboxItem) -> int:
        if not self.allowed:
            raise AssertionError(f"DM {item.id} was due")
        await asyncio.sleep(SEND_SECONDS)
        self.sent += 1
        return item.id


def due_steps(db: Database, transport: SlowTransport) -> DueSteps:
    """The bot's due steps, in its order, without Discord (see bot/app/client.py)."""
    steps = DueSteps()
    CheckinService(db, NoDiscord()).register(steps)

    async def retention(now: datetime) -> int:
        return await purge_expired_text(db, now) + await outbox.purge_finished(db, now)

    steps.register("retention", retention)
    steps.register("delivery", Dispatcher(db, transport).run_due)
    return steps


class TimedSteps(DueSteps):
    """`DueSteps` that also keeps each step's last duration."""

    def __init__(self, inner: DueSteps) -> None:
        super().__init__()
        self.took_ms: dict[str, float] = {}
        for name, step in inner._steps.items():
            self.register(name, self._timed(name, step))

    def _timed(
        self, name: str, step: Callable[[datetime], Awaitable[int]]
    ) -> Callable[[datetime], Awaitable[int]]:
        async def timed(now: datetime) -> int:
            started = time.perf_counter()
            try:
                return await step(now)
            finally:
                self.took_ms[name] = (time.perf_counter() - started) * 1000

        return timed


async def p50_ms(action: Callable[[], Awaitable[object]], repeat: int) -> float:
    """Median wall time of `action` in milliseconds, after two warm-up runs."""
    for _ in range(2):
        await action()
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        await action()
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples)


async def one_run(template: Path, folder: Path, repeat: int) -> dict[str, float]:
    """Queries idle and under load, then idle ticks, on a fresh copy of the database."""
    path = folder / "run.db"
    shutil.copyfile(template, path)
    with contextlib.closing(sqlite3.connect(path)) as conn, conn:
        _fanout(conn)
    db = await Database.open(path)
    figures: dict[str, float] = {}
    try:
        latest_row = await db.fetchone(
            "SELECT id FROM checkin_rounds WHERE group_id = ? ORDER BY period DESC LIMIT 1",
            (TARGET_GROUP,),
        )
        assert latest_row is not None
        latest = await store.get_round(db, latest_row["id"])
        assert latest is not None

        async def summary() -> object:
            answers_now = await store.round_answers(db, latest.id)
            previous = await store.previous_round(db, TARGET_GROUP, latest.period)
            before = await store.round_counts(db, previous.id) if previous else None
            return summarize(latest.period, answers_now, before)

        async def chart_data_260() -> object:
            return await store.history(db, TARGET_GROUP, 260)

        async def chart_data_12() -> object:
            return await store.history(db, TARGET_GROUP, 12)

        queries = {
            "summary": summary,
            "chart data, 260 weeks": chart_data_260,
            "chart data, 12 weeks": chart_data_12,
        }
        for name, action in queries.items():
            figures[f"{name}, idle"] = await p50_ms(action, repeat)

        transport = SlowTransport()
        steps = TimedSteps(due_steps(db, transport))
        stop = asyncio.Event()
        purged = 0

        async def retention_and_delivery() -> None:
            nonlocal purged
            while not stop.is_set():
                results = await steps.run_due(NOW)
                purged += results["retention"]
                await asyncio.sleep(0)

        background = asyncio.create_task(retention_and_delivery())
        await asyncio.sleep(0)
        # Sample the queries for as long as the fan-out lasts (its first retention run too).
        samples: dict[str, list[float]] = {name: [] for name in queries}
        deadline = time.perf_counter() + 60
        while transport.sent < FANOUT_DMS // 2 and time.perf_counter() < deadline:
            for name, action in queries.items():
                started = time.perf_counter()
                await action()
                samples[name].append((time.perf_counter() - started) * 1000)
        for name in queries:
            figures[f"{name}, under load"] = statistics.median(samples[name])
        figures["DMs sent while measuring"] = transport.sent
        figures["samples under load"] = len(samples["summary"])
        stop.set()
        await background
        while (await steps.run_due(NOW))["delivery"]:
            pass  # what is left of the fan-out: afterwards, nothing is due
        assert purged > 0, "the retention step had nothing to purge"

        transport.allowed = False
        await steps.run_due(NOW)  # warm
        ticks = []
        per_step: dict[str, list[float]] = {}
        for _ in range(max(5, repeat // 20)):
            started = time.perf_counter()
            results = await steps.run_due(NOW)
            ticks.append((time.perf_counter() - started) * 1000)
            assert not any(results.values()), results
            for name, took in steps.took_ms.items():
                per_step.setdefault(name, []).append(took)
        figures["idle tick"] = statistics.median(ticks)
        for name, took in per_step.items():
            figures[f"step {name}"] = statistics.median(took)
    finally:
        await db.close()
    return figures


async def rows(runs: int = 3, repeat: int = 200) -> list[Row]:
    """Every figure of this benchmark (medians of `runs` runs), for a table."""
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        template = folder / "template.db"
        db = await Database.open(template)
        await migrate(db, VirtualClock(datetime(2021, 1, 1, tzinfo=UTC)))
        await db.close()
        started = time.perf_counter()
        answers = build(template)
        built_s = time.perf_counter() - started
        results = [await one_run(template, folder, repeat) for _ in range(runs)]
    scale = f"{GROUPS:,} groups, {answers:,} answers"

    def median(key: str) -> float:
        return statistics.median(result[key] for result in results)

    out: list[Row] = []
    for name in ("summary", "chart data, 260 weeks", "chart data, 12 weeks"):
        loaded = median(f"{name}, under load")
        out.append(
            Row(
                f"{name} p50, retention and delivery running",
                loaded,
                "ms",
                f"<= {SUMMARY_GOAL_MS:g} ms",
                f"{'met' if loaded <= SUMMARY_GOAL_MS else 'NOT met'}; idle "
                f"{median(f'{name}, idle'):.2f} ms; {scale}; "
                f"{median('samples under load'):.0f} samples while "
                f"{median('DMs sent while measuring'):.0f} DMs went out",
            )
        )
    tick = median("idle tick")
    step_ms = {k[5:]: median(k) for k in results[0] if k.startswith("step ")}
    slowest = ", ".join(
        f"{name} {took:.1f} ms" for name, took in sorted(step_ms.items(), key=lambda i: -i[1])[:3]
    )
    out.append(
        Row(
            "one tick of every due step, nothing due",
            tick,
            "ms",
            f"<= {TICK_GOAL_MS:g} ms",
            f"{'met' if tick <= TICK_GOAL_MS else 'NOT met'}; {GROUPS:,} groups; "
            f"built in {built_s:.0f} s; slowest steps: {slowest}",
        )
    )
    return out


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="runs (median)")
    parser.add_argument("--repeat", type=int, default=200, help="timed runs per query")
    arguments = parser.parse_args()
    print_table(asyncio.run(rows(arguments.runs, arguments.repeat)), "Check-in queries and ticks")
