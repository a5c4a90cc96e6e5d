"""Benchmark (not a test): closing a pulse survey of 30 answers, checkpoint and secure delete
included, idle and while another group's DM fan-out writes to the outbox.

Each run builds a fresh database with the real migrations: one group's survey with 30
answers and the invitations of 30 members in the outbox, and another group with 2,000
queued DMs. The fan-out is the outbox's own claim and mark-sent statements, one DM at a
time, with 5 ms per DM for Discord, as the dispatcher writes them. Figures are the p50
of `--runs` closes.

    .venv/bin/python tests/benchmarks/bench_pulse_close.py [--runs N]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import statistics
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock_time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))  # for _table, run as a script

from _table import Row, print_table

from bot.clock import VirtualClock
from bot.config import GroupDefaults
from bot.db import Database
from bot.delivery import outbox
from bot.groups import ensure_group
from bot.migrations import migrate
from bot.pulse import store
from bot.pulse.instrument import InstrumentLibrary
from bot.pulse.schedule import PulseSchedule, window_for

ANSWERS = 30
FANOUT_DMS = 2_000
SEND_SECONDS = 0.005
GOAL_MS = 50.0
NOW = datetime(2026, 3, 2, 9, tzinfo=UTC)
PLAN = PulseSchedule("UTC", 2, 0, clock_time(9, 0), 5, date(2026, 3, 2))


async def _prepared(folder: Path) -> tuple[Database, store.Survey, int]:
    clock = VirtualClock(NOW)
    db = await Database.open(folder / "bench.db")
    await migrate(db, clock)
    pulse_group = await ensure_group(db, clock, 1, 10, GroupDefaults())
    other_group = await ensure_group(db, clock, 2, 20, GroupDefaults())
    await store.save_settings(db, store.PulseSettings(pulse_group.id, "UTC"), NOW)
    instrument = InstrumentLibrary().default
    survey = await store.open_survey(
        db, pulse_group.id, window_for(PLAN, PLAN.anchor), instrument, channel_id=10
    )
    assert survey is not None
    members = [10**17 + i for i in range(ANSWERS)]
    for kind in (store.INVITE_KIND, store.REMINDER_KIND):
        await outbox.enqueue_many(
            db,
            group_id=pulse_group.id,
            user_ids=members,
            kind=kind,
            ref=survey.ref,
            due_at=NOW,
            expires_at=survey.closes_at,
            payload={"survey_id": survey.id},
        )
    for number, member in enumerate(members):
        values = tuple((number + i) % 5 for i in range(8))
        await store.submit(db, survey.id, member, values, NOW)
    await outbox.enqueue_many(
        db,
        group_id=other_group.id,
        user_ids=[2 * 10**17 + i for i in range(FANOUT_DMS)],
        kind="checkin_open",
        ref="2026-W10",
        due_at=NOW,
        expires_at=NOW + timedelta(days=2),
        payload={"round_id": 1},
    )
    return db, survey, other_group.id


async def _fan_out(db: Database, group_id: int) -> None:
    rows = await db.fetchall(
        "SELECT id FROM outbox WHERE group_id = ? AND status = 'pending' ORDER BY id", (group_id,)
    )
    for row in rows:
        now = NOW + timedelta(seconds=1)
        async with db.transaction() as tx:
            await outbox.claim(
                tx, [row["id"]], owner="bench", lease_until=now + timedelta(minutes=2), now=now
            )
        await asyncio.sleep(SEND_SECONDS)
        await outbox.mark_sent(db, row["id"], owner="bench", message_id=row["id"], now=now)


async def _close_ms(*, during_fanout: bool) -> float:
    with tempfile.TemporaryDirectory() as folder:
        db, survey, other = await _prepared(Path(folder))
        instrument = InstrumentLibrary().default
        fanout = asyncio.create_task(_fan_out(db, other)) if during_fanout else None
        try:
            if fanout is not None:
                await asyncio.sleep(0.2)  # the fan-out is under way
            started = time.perf_counter()
            closed = await store.close_survey(db, survey.id, instrument, survey.closes_at)
            elapsed = (time.perf_counter() - started) * 1000
            assert closed is not None
            assert closed.result is not None
            assert closed.result.n == ANSWERS
        finally:
            if fanout is not None:
                fanout.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await fanout
            await db.close()
        return elapsed


async def rows(runs: int = 15) -> list[Row]:
    """p50 close time, idle and during another group's fan-out."""
    idle = [await _close_ms(during_fanout=False) for _ in range(runs)]
    busy = [await _close_ms(during_fanout=True) for _ in range(runs)]
    figures = []
    for name, values in (("idle", idle), ("during a DM fan-out", busy)):
        p50 = statistics.median(values)
        figures.append(
            Row(
                f"close a survey of {ANSWERS} answers with checkpoint, p50 ({name})",
                p50,
                "ms",
                f"<= {GOAL_MS:g} ms",
                "met" if p50 <= GOAL_MS else "not met",
            )
        )
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    arguments = parser.parse_args()
    print_table(asyncio.run(rows(arguments.runs)), "pulse close")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
