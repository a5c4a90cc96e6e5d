"""Benchmark (not a test): the check-in summary query and chart data on a large database.

Builds a temporary database with the real migrations: 10,000 groups and about 1,000,000
answers; the measured group has five years (260) of weekly rounds of 25 answers. Each
closed round's counts are filled in as the closing step writes them. Reports
the p50 of (a) everything a round's summary needs (its answers, last week's round and
answers, and the computation) and (b) the chart data for 260 and 12 weeks (the chart
render is measured by bench_charts.py). Run it as:

    .venv/bin/python tests/benchmarks/bench_checkin_summary.py [--repeat N]
"""

from __future__ import annotations

import argparse
import asyncio
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from bot.checkins import store
from bot.checkins.schedule import period_key
from bot.checkins.summary import summarize
from bot.clock import VirtualClock
from bot.db import Database
from bot.migrations import migrate

GROUPS = 10_000
MEMBERS = 25
TARGET_WEEKS = 260
OTHER_WEEKS = 4
TARGET_GROUP = 1
FIRST_MONDAY = date(2021, 3, 1)


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
            "INSERT INTO groups (id, guild_id, timezone, created_at) "
            "SELECT i, 100000 + i, 'UTC', ? FROM n",
            (GROUPS, stamp),
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
    conn.execute("ANALYZE")
    answers = int(conn.execute("SELECT COUNT(*) FROM checkin_answers").fetchone()[0])
    conn.close()
    return answers


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


async def main(repeat: int) -> None:
    """Build the data set, then measure and print the figures."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "bench.db"
        db = await Database.open(path)
        await migrate(db, VirtualClock(datetime(2021, 1, 1, tzinfo=UTC)))
        await db.close()
        started = time.perf_counter()
        answers = build(path)
        built_s = time.perf_counter() - started
        db = await Database.open(path)
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

            async def both() -> object:
                await summary()
                return await chart_data_260()

            weeks_260 = await store.history(db, TARGET_GROUP, 260)

            print(f"database: {GROUPS} groups, {answers} answers (built in {built_s:.1f} s)")  # noqa: T201
            print(f"measured group: {len(weeks_260)} weekly rounds of {MEMBERS} answers")  # noqa: T201
            for label, action, times in (
                ("summary query + computation", summary, repeat),
                ("chart data, 260 weeks", chart_data_260, repeat),
                ("chart data, 12 weeks", chart_data_12, repeat),
                ("summary + chart data (260 weeks)", both, repeat),
            ):
                print(f"{label:<36} p50 {await p50_ms(action, times):8.2f} ms")  # noqa: T201
        finally:
            await db.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=200, help="timed runs per query")
    asyncio.run(main(parser.parse_args().repeat))
