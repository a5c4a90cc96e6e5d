"""Benchmarks 3 and 4: a DM fan-out through the real bot, the sandbox enforcing 50/s.

Not a test (pytest does not collect bench_*.py). Run alone, or through run_all.py:

    python tests/benchmarks/bench_dm_fanout.py [--quick] [--runs 3]

3. 1,000 DMs to members whose DM channels are known (warm): each DM costs two requests,
   asking whether the member is still in the server and the message, so the ideal is
   2,000 requests / 50 per s = 40 s (goal <= 1.08x, zero 429s), also given as DMs/s;
   and to first-time members (cold): each also opens a channel, paced at 1/s by default.
4. Lateness of a scheduled step at the open and at the close instant while 1,500 warm
   DMs fan out, through the production path: `DueSteps.tick` every 0.2 s on a clock
   driven from real time, delivery in its background worker (goal <= 1 s). The probe
   steps read the database, as an open or close would.
Each figure is the median of `runs` runs; --quick sends fewer DMs once.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from collections import deque
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from bot.app.dm_transport import OutgoingDm
from bot.clock import SystemClock, VirtualClock
from bot.config import DeliveryConfig
from bot.delivery import outbox, recipients
from bot.delivery.outbox import OutboxItem
from bot.delivery.pacing import DEFAULT_DM_OPENS_PER_SECOND
from bot.groups import ensure_group
from bot.members.preferences import set_dm_opt_in, set_hours
from bot.sandbox import SandboxServer
from bot.sandbox.demo import DemoMember, build_demo_group
from bot.sandbox.running_bot import RunningBot, sandbox_settings, start_bot

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _table import Row, print_table

GLOBAL_LIMIT = 50
KIND = "bench_dm"
SEND = ("POST", "/channels/{channel_id}/messages")


@dataclass(frozen=True)
class Result:
    rate: float
    dms: int
    requests: int
    seconds: float
    ratelimited: int
    busiest_second: int

    @property
    def ideal(self) -> float:
        return self.requests / GLOBAL_LIMIT

    def line(self) -> str:
        return (
            f"rate {self.rate:>4g}/s  {self.dms} DMs  {self.requests} requests  "
            f"{self.seconds:6.2f} s  ideal {self.ideal:5.2f} s  "
            f"{self.seconds / self.ideal:.3f}x  429s {self.ratelimited}  "
            f"busiest second {self.busiest_second}"
        )


async def render(item: OutboxItem) -> OutgoingDm:
    return OutgoingDm(content=f"Benchmark DM {item.ref}")


def busiest_second(times: list[float]) -> int:
    window: deque[float] = deque()
    best = 0
    for at in sorted(times):
        window.append(at)
        while window[0] <= at - 1.0:
            window.popleft()
        best = max(best, len(window))
    return best


@dataclass
class Fanout:
    server: SandboxServer
    running: RunningBot
    clock: VirtualClock
    member_ids: list[int]


@asynccontextmanager
async def fan_out_ready(
    dms: int, *, warm: bool, rate: float | None = None
) -> AsyncIterator[Fanout]:
    """A bot with `dms` members, one DM due for each, their channels known if `warm`."""
    clock = VirtualClock(SystemClock().now())
    with tempfile.TemporaryDirectory() as folder:
        async with SandboxServer(clock=clock.now) as server:
            members = [DemoMember(f"M{i:04d}", "UTC") for i in range(dms)]
            group = build_demo_group(server, members)
            settings = sandbox_settings(server, group.credentials.token, Path(folder) / "b.db")
            if rate is not None:
                settings.delivery = DeliveryConfig(requests_per_second=rate)
            running = await start_bot(settings, clock, sync=False)
            try:
                running.bot.dm_renderers.register(KIND, render)
                db, now = running.db, clock.now()
                found = await ensure_group(
                    db, clock, group.guild_id, group.home_channel_id, settings.defaults
                )
                for user_id in group.member_ids:
                    await set_hours(
                        db, found.id, user_id, days="every day", start="00:00", end="24:00", now=now
                    )
                    # Every DM needs the member's consent (this kind: any DM kind on).
                    await set_dm_opt_in(db, found.id, user_id, "checkins", True, now=now)
                    if warm:
                        channel = server.world.dm_channel(user_id)
                        await recipients.remember_channel(db, user_id, channel.id, now=now)
                    await outbox.enqueue(
                        db,
                        group_id=found.id,
                        user_id=user_id,
                        kind=KIND,
                        ref="1",
                        due_at=now,
                        expires_at=None,
                        payload={},
                    )
                await asyncio.sleep(1.1)  # let the login's requests leave the rolling window
                yield Fanout(server, running, clock, list(group.member_ids))
            finally:
                await running.stop()


def _check_all_sent(f: Fanout) -> None:
    sent = sum(len(f.server.dm_timeline(u)) for u in f.member_ids)
    if sent != len(f.member_ids):
        raise RuntimeError(f"only {sent} of {len(f.member_ids)} DMs arrived")


async def measure(dms: int, rate: float | None = None, *, warm: bool = True) -> Result:
    """One fan-out, one due step delivering all of it."""
    async with fan_out_ready(dms, warm=warm, rate=rate) as f:
        first = len(f.server.requests)
        started = time.perf_counter()
        await f.running.tick()
        seconds = time.perf_counter() - started
        _check_all_sent(f)
        requests = f.server.requests[first:]
        return Result(
            rate=rate or f.running.bot.settings.delivery.requests_per_second,
            dms=dms,
            requests=len(requests),
            seconds=seconds,
            ratelimited=sum(r.status == 429 for r in requests),
            busiest_second=busiest_second([r.time for r in requests]),
        )


@dataclass(frozen=True)
class Lateness:
    open: float
    close: float
    delivered_at_close: int


async def lateness(dms: int, open_after: float = 5.0, close_after: float = 15.0) -> Lateness:
    """How late scheduled steps start (and read the database) while `dms` DMs fan out."""
    async with fan_out_ready(dms, warm=True) as f:
        loop = asyncio.get_running_loop()
        steps, db = f.running.bot.steps, f.running.db
        base_instant, base = f.clock.now(), loop.time()
        late: dict[str, float] = {}
        sent: dict[str, int] = {}

        def probe(name: str, after: float) -> None:
            async def step(now: datetime) -> int:
                if name in late or now < base_instant + timedelta(seconds=after):
                    return 0
                row = await db.fetchone("SELECT count(*) FROM outbox WHERE status = 'sent'")
                late[name] = loop.time() - base - after
                sent[name] = row[0] if row else 0
                return 0

            steps.register(f"bench-{name}", step)

        probe("open", open_after)
        probe("close", close_after)
        steps.start(f.clock)
        try:
            while len(late) < 2 or steps.running("delivery"):
                f.clock.set(base_instant + timedelta(seconds=loop.time() - base))
                steps.tick(f.clock.now())
                await asyncio.sleep(0.2)
            while sum(len(f.server.dm_timeline(u)) for u in f.member_ids) < dms:
                steps.tick(f.clock.now())
                await asyncio.sleep(0.2)
        finally:
            await steps.stop()
        _check_all_sent(f)
        if sent["close"] >= dms:
            raise RuntimeError("the fan-out was over before the close: not a measurement")
        return Lateness(late["open"], late["close"], sent["close"])


def rows(runs: int = 3, quick: bool = False) -> list[Row]:
    """The figures of benchmarks 3 and 4, each the median of `runs` runs."""
    warm_dms, cold_dms, late_dms = (200, 10, 300) if quick else (1000, 30, 1500)
    warm = [asyncio.run(measure(warm_dms)) for _ in range(runs)]
    cold = [asyncio.run(measure(cold_dms, warm=False)) for _ in range(1 if quick else runs)]
    when = (2.0, 5.0) if quick else (5.0, 15.0)
    lates = [asyncio.run(lateness(late_dms, *when)) for _ in range(runs)]
    ratio = statistics.median(r.seconds / r.ideal for r in warm)
    seconds = statistics.median(r.seconds for r in warm)
    requests = statistics.median(r.requests for r in warm)
    cold_seconds = statistics.median(r.seconds for r in cold)
    late_open = statistics.median(r.open for r in lates)
    late_close = statistics.median(r.close for r in lates)
    n = f"median of {runs}"
    return [
        Row(
            f"{warm_dms} DMs, warm channels, vs ideal",
            ratio,
            "x",
            "<= 1.08x",
            f"{'met' if ratio <= 1.08 else 'NOT met'}; {seconds:.1f} s for {requests:.0f} "
            f"requests (ideal {requests / GLOBAL_LIMIT:.1f} s = requests / 50 per s); {n}",
        ),
        Row(f"{warm_dms} DMs, warm channels, DMs/s", warm_dms / seconds, "DMs/s", "", n),
        Row(
            f"{warm_dms} DMs, warm channels, 429s (worst run)",
            max(r.ratelimited for r in warm),
            "",
            "0",
            f"busiest rolling second {max(r.busiest_second for r in warm)} requests",
        ),
        Row(
            f"{cold_dms} DMs, cold channels",
            cold_seconds,
            "s",
            "report",
            f"opens paced at {DEFAULT_DM_OPENS_PER_SECOND:g}/s, 2 openers feeding the "
            f"senders: {cold_dms / cold_seconds:.2f} DMs/s; 1,000 cold DMs would take "
            f"about {1000 / DEFAULT_DM_OPENS_PER_SECOND / 60:.0f} min",
        ),
        Row(
            f"scheduled open, lateness during {late_dms} DMs",
            late_open,
            "s",
            "<= 1 s",
            f"{'met' if late_open <= 1 else 'NOT met'}; due {when[0]:g} s into the fan-out, "
            f"ticks every 0.2 s; {n}",
        ),
        Row(
            f"scheduled close, lateness during {late_dms} DMs",
            late_close,
            "s",
            "<= 1 s",
            f"{'met' if late_close <= 1 else 'NOT met'}; "
            f"{statistics.median(r.delivered_at_close for r in lates):.0f} of {late_dms} DMs "
            f"recorded as sent at the close, {when[1]:g} s into the fan-out; {n}",
        ),
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="runs per figure (median)")
    parser.add_argument("--quick", action="store_true", help="fewer DMs, cold case once")
    args = parser.parse_args()
    print_table(rows(args.runs, args.quick), "DM fan-out")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
