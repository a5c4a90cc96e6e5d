"""Benchmark: consultation finalize-to-event latency, and reminders during a DM fan-out.

Not a test (pytest does not collect bench_*.py). Run alone, or through run_all.py:

    python tests/benchmarks/bench_consult.py [--quick] [--runs 3]

1. Finalize to event: a 30-member group's poll (every member marked a time) is finalized
   with the organiser's button; the latency is from the click reaching the bot to the
   Discord scheduled event existing in the sandbox, and to the announcement (goal <= 1 s).
2. Reminder fan-out: 30 members going to a session get its 1-hour reminder while another
   group's check-in fans out 1,500 DMs (300 with --quick), through the production path:
   `DueSteps.tick` every 0.2 s on a clock driven from real time, delivery in its
   background worker. Lateness is when the 30th reminder reaches the sandbox, after its
   due instant, 10 s into the fan-out (goal <= 60 s: reminders within a minute).
Each figure is the median of `runs` runs, from fixed virtual instants.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from bot.clock import VirtualClock
from bot.consult import store
from bot.groups import ensure_group
from bot.members.preferences import set_dm_opt_in, set_hours
from bot.sandbox import SandboxServer
from bot.sandbox.chapters.consultations import FINALIZE, announcements, propose_and_post
from bot.sandbox.demo import DemoMember, build_demo_group
from bot.sandbox.running_bot import sandbox_settings, start_bot

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _table import Row, print_table
from bench_dm_fanout import START, fan_out_ready

MEMBERS = 30
REMINDER_DUE_AFTER = timedelta(seconds=10)


async def finalize_latency(tmp: Path) -> tuple[float, float]:
    """Seconds from the Finalize click reaching the bot to the event, and to the announcement."""
    clock = VirtualClock(START)
    async with SandboxServer(clock=clock.now) as server:
        demo = build_demo_group(server, [DemoMember(f"M{i:02d}", "UTC") for i in range(MEMBERS)])
        settings = sandbox_settings(server, demo.credentials.token, tmp / "finalize.db")
        running = await start_bot(settings, clock, sync=True)
        try:
            organiser, home = demo.member_ids[0], demo.home_channel_id
            poll_post = await propose_and_post(
                server, organiser, home, "wed 12:00, thu 12:00", place="Room 3"
            )
            group = await ensure_group(running.db, clock, demo.guild_id, home, settings.defaults)
            polls = await running.db.fetchall(
                "SELECT id FROM consult_polls WHERE group_id = ?", (group.id,)
            )
            poll_id = int(polls[0]["id"])
            slots = await store.poll_slots(running.db, poll_id)
            for index, user_id in enumerate(demo.member_ids):
                await store.save_availability(
                    running.db,
                    poll_id,
                    user_id,
                    works=sorted({slots[index % 2].id, slots[1].id}),
                    if_need_be=[],
                    now=clock.now(),
                )
            guild = server.world.guild(demo.guild_id)
            clicked = await server.actor(organiser).click(poll_post.id, label=FINALIZE, wait=False)
            started = time.perf_counter()
            event_at = announced_at = None
            while announced_at is None or event_at is None:
                if event_at is None and guild.scheduled_events:
                    event_at = time.perf_counter() - started
                if announced_at is None and announcements(server, home):
                    announced_at = time.perf_counter() - started
                if time.perf_counter() - started > 30:
                    raise RuntimeError("no event or announcement within 30 s")
                await asyncio.sleep(0.002)
            await clicked.final()
            return event_at, announced_at
        finally:
            await running.stop()


async def reminder_lateness(dms: int) -> tuple[float, int]:
    """Seconds after its due instant that the 30th reminder arrives, during `dms` DMs."""
    async with fan_out_ready(dms + MEMBERS, warm=True) as f:
        loop = asyncio.get_running_loop()
        db, server, clock, now = f.running.db, f.server, f.clock, f.clock.now()
        # The last 30 members form a consultation group in the server's other channel;
        # the check-in fan-out goes to the others.
        members, fanned = f.member_ids[-MEMBERS:], f.member_ids[:-MEMBERS]
        for user_id in members:
            await set_dm_opt_in(db, f.group.id, user_id, "checkins", False, now=now)
        guild = f.group.guild_id
        channel = next(
            c for c in server.world.guild(guild).channel_ids if c != f.group.home_channel_id
        )
        group = await ensure_group(db, clock, guild, channel, f.running.bot.settings.defaults)
        await store.save_settings(db, group.id, now=now, reminder_offsets=[60])
        start = now + REMINDER_DUE_AFTER + timedelta(minutes=60)
        session_id = await store.insert_session(
            db,
            group_id=group.id,
            title="Peer consultation",
            start=start,
            minutes=60,
            needs_presenter=False,
            location=store.Location("external", "Room 3"),
            channel_id=channel,
            now=now,
        )
        for user_id in members:
            await set_hours(
                db, group.id, user_id, days="every day", start="00:00", end="24:00", now=now
            )
            await set_dm_opt_in(db, group.id, user_id, "consultations", True, now=now)
            await store.set_rsvp(db, session_id, user_id, "going", now)
        await store.mark_synced(db, session_id, 0)  # its event is not what is measured here

        def reminded() -> int:
            return sum(any("Reminder" in m.content for m in server.dm_timeline(u)) for u in members)

        await f.service.open_now(f.group.id, now)
        base, base_real = clock.now(), loop.time()
        due = REMINDER_DUE_AFTER.total_seconds()
        steps = f.running.bot.steps
        steps.start(clock)
        arrived: float | None = None
        fan_out_done = 0
        try:
            while arrived is None:
                clock.set(base + timedelta(seconds=loop.time() - base_real))
                steps.tick(clock.now())
                await asyncio.sleep(0.2)
                if reminded() >= MEMBERS:
                    arrived = loop.time() - base_real - due
                    fan_out_done = sum(len(server.dm_timeline(u)) for u in fanned)
                if loop.time() - base_real > due + 600:
                    raise RuntimeError(f"only {reminded()} of {MEMBERS} reminders in 10 min")
        finally:
            await steps.stop()
        return arrived, fan_out_done


def rows(runs: int = 3, quick: bool = False) -> list[Row]:
    """The figures, each the median of `runs` runs."""
    dms = 300 if quick else 1500
    finals = []
    for _ in range(runs):
        with tempfile.TemporaryDirectory() as folder:
            finals.append(asyncio.run(finalize_latency(Path(folder))))
    lates = [asyncio.run(reminder_lateness(dms)) for _ in range(runs)]
    event = statistics.median(f[0] for f in finals)
    announced = statistics.median(f[1] for f in finals)
    late = statistics.median(r[0] for r in lates)
    n = f"median of {runs}"
    return [
        Row(
            f"finalize to event, {MEMBERS}-member poll",
            event,
            "s",
            "<= 1 s",
            f"{'met' if event <= 1 else 'NOT met'}; announcement after {announced:.2f} s; {n}",
        ),
        Row(
            f"{MEMBERS} reminders during {dms} check-in DMs, lateness of the last",
            late,
            "s",
            "<= 60 s",
            f"{'met' if late <= 60 else 'NOT met'}; due {REMINDER_DUE_AFTER.total_seconds():g} s "
            f"into the fan-out, ticks every 0.2 s; "
            f"{statistics.median(r[1] for r in lates):.0f} of {dms} check-in DMs out by then; {n}",
        ),
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="runs per figure (median)")
    parser.add_argument("--quick", action="store_true", help="fewer check-in DMs")
    args = parser.parse_args()
    print_table(rows(args.runs, args.quick), "Consultations")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
