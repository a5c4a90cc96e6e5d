"""Benchmarks 3 and 4: a check-in's DM fan-out through the real bot, the sandbox at 50/s.

Not a test (pytest does not collect bench_*.py). Run alone, or through run_all.py:

    python tests/benchmarks/bench_dm_fanout.py [--quick] [--runs 3]

Every DM is a real check-in invitation: a group of N opted-in members opens its round
with `/checkin now`'s code path, and the bot renders each DM with its check-in renderer.

3. 1,000 DMs to members whose DM channels are known (warm): each DM costs two requests,
   asking whether the member is still in the server and the message, so the ideal is
   2,000 requests / 50 per s = 40 s (goal <= 1.08x, zero 429s), also given as DMs/s;
   and to first-time members (cold): each also opens a channel, paced at 1/s by default.
4. Lateness of another group's scheduled check-in open and close while 1,500 warm DMs
   fan out, through the production path: `DueSteps.tick` every 0.2 s on a clock driven
   from real time, delivery in its background worker (goal <= 1 s). Lateness is when the
   round's post and its summary reach the sandbox, after their due instants; the close
   instant is moved to 15 s after the open (a round is open for hours).
Each figure is the median of `runs` runs, from fixed virtual instants; --quick sends
fewer DMs once.
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
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.checkins.rounds import CheckinService
from bot.checkins.store import timestamp
from bot.clock import VirtualClock
from bot.config import DeliveryConfig
from bot.delivery import recipients
from bot.delivery.pacing import DEFAULT_DM_OPENS_PER_SECOND
from bot.groups import Group, ensure_group
from bot.members.preferences import set_dm_opt_in, set_hours
from bot.sandbox import SandboxServer
from bot.sandbox.demo import DemoMember, build_demo_group
from bot.sandbox.running_bot import RunningBot, sandbox_settings, start_bot
from cogs._checkin_context import COG_NAME

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _table import Row, print_table

GLOBAL_LIMIT = 50
# Monday 08:59:55 UTC: the other group's check-in opens at 09:00, 5 s into the fan-out.
START = datetime(2026, 3, 2, 8, 59, 55, tzinfo=UTC)
OTHER_OPENS = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


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
    service: CheckinService
    group: Group
    member_ids: list[int]
    other: Group  # a small group in another server, its check-in due at OTHER_OPENS
    other_channel_id: int


@asynccontextmanager
async def fan_out_ready(
    dms: int, *, warm: bool, rate: float | None = None
) -> AsyncIterator[Fanout]:
    """A bot with `dms` opted-in members (their DM channels known if `warm`), and a second
    server whose group's weekly check-in opens at `OTHER_OPENS`."""
    clock = VirtualClock(START)
    with tempfile.TemporaryDirectory() as folder:
        async with SandboxServer(clock=clock.now) as server:
            members = [DemoMember(f"M{i:04d}", "UTC") for i in range(dms)]
            demo = build_demo_group(server, members)
            other_guild = server.create_guild("Harbour Peer Group", owner_id=demo.owner_id)
            other_channel = server.create_text_channel(other_guild, "check-ins")
            for i in range(4):
                server.add_member(other_guild, server.create_user(f"O{i}"))
            settings = sandbox_settings(server, demo.credentials.token, Path(folder) / "b.db")
            if rate is not None:
                settings.delivery = DeliveryConfig(requests_per_second=rate)
            running = await start_bot(settings, clock, sync=False)
            try:
                db, now = running.db, clock.now()
                cog = running.bot.get_cog(COG_NAME)
                service: CheckinService = cog.service  # type: ignore[union-attr]
                group = await ensure_group(
                    db, clock, demo.guild_id, demo.home_channel_id, settings.defaults
                )
                other = await ensure_group(db, clock, other_guild, other_channel, settings.defaults)
                for found, home, day in (
                    (group, demo.home_channel_id, "Thursday"),
                    (other, other_channel, "Monday"),
                ):
                    await service.setup(
                        found.id,
                        "UTC",
                        channel_id=home,
                        weekday=day,
                        local_time="09:00",
                        open_hours=48,
                        reminder=False,
                        now=now,
                    )
                for user_id in demo.member_ids:
                    await set_hours(
                        db, group.id, user_id, days="every day", start="00:00", end="24:00", now=now
                    )
                    await set_dm_opt_in(db, group.id, user_id, "checkins", True, now=now)
                    if warm:
                        dm = server.world.dm_channel(user_id)
                        await recipients.remember_channel(db, user_id, dm.id, now=now)
                await asyncio.sleep(1.1)  # let the login's requests leave the rolling window
                yield Fanout(
                    server,
                    running,
                    clock,
                    service,
                    group,
                    list(demo.member_ids),
                    other,
                    other_channel,
                )
            finally:
                await running.stop()


def _delivered(f: Fanout) -> int:
    return sum(len(f.server.dm_timeline(u)) for u in f.member_ids)


def _check_all_sent(f: Fanout) -> None:
    sent = _delivered(f)
    if sent != len(f.member_ids):
        raise RuntimeError(f"only {sent} of {len(f.member_ids)} DMs arrived")


async def measure(dms: int, rate: float | None = None, *, warm: bool = True) -> Result:
    """One check-in opened by hand, one due step delivering all of its DMs."""
    async with fan_out_ready(dms, warm=warm, rate=rate) as f:
        await f.service.open_now(f.group.id, f.clock.now())
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


async def lateness(dms: int, close_after: float = 15.0) -> Lateness:
    """How late another group's check-in opens and closes while `dms` DMs fan out."""
    async with fan_out_ready(dms, warm=True) as f:
        loop = asyncio.get_running_loop()
        steps, db = f.running.bot.steps, f.running.db
        await f.service.open_now(f.group.id, f.clock.now())
        base, base_real = f.clock.now(), loop.time()
        open_due = (OTHER_OPENS - base).total_seconds()
        close_due = open_due + close_after
        posted: dict[str, float] = {}
        delivered_at_close = 0

        def real_now() -> datetime:
            return base + timedelta(seconds=loop.time() - base_real)

        async def watch() -> None:
            nonlocal delivered_at_close
            while len(posted) < 2:
                messages = len(f.server.channel_timeline(f.other_channel_id))
                if messages >= 1 and "open" not in posted:
                    posted["open"] = loop.time() - base_real - open_due
                    # The round is open for hours: its close is moved 15 s after the open.
                    await db.execute(
                        "UPDATE checkin_rounds SET closes_at = ? WHERE group_id = ?",
                        (timestamp(OTHER_OPENS + timedelta(seconds=close_after)), f.other.id),
                    )
                if messages >= 2 and "close" not in posted:
                    posted["close"] = loop.time() - base_real - close_due
                    delivered_at_close = _delivered(f)
                await asyncio.sleep(0.005)

        watcher = asyncio.create_task(watch())
        steps.start(f.clock)
        try:
            while not watcher.done() or steps.running("delivery"):
                f.clock.set(real_now())
                steps.tick(f.clock.now())
                await asyncio.sleep(0.2)
            await watcher
            while _delivered(f) < dms:
                f.clock.set(real_now())
                steps.tick(f.clock.now())
                await asyncio.sleep(0.2)
        finally:
            watcher.cancel()
            await steps.stop()
        _check_all_sent(f)
        if delivered_at_close >= dms:
            raise RuntimeError("the fan-out was over before the close: not a measurement")
        return Lateness(posted["open"], posted["close"], delivered_at_close)


def rows(runs: int = 3, quick: bool = False) -> list[Row]:
    """The figures of benchmarks 3 and 4, each the median of `runs` runs."""
    warm_dms, cold_dms, late_dms = (200, 10, 300) if quick else (1000, 30, 1500)
    warm = [asyncio.run(measure(warm_dms)) for _ in range(runs)]
    cold = [asyncio.run(measure(cold_dms, warm=False)) for _ in range(1 if quick else runs)]
    close_after = 5.0 if quick else 15.0
    lates = [asyncio.run(lateness(late_dms, close_after)) for _ in range(runs)]
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
            f"{'met' if late_open <= 1 else 'NOT met'}; another group's check-in post, due "
            f"{(OTHER_OPENS - START).total_seconds():g} s into the fan-out, ticks every 0.2 s; "
            f"{n}",
        ),
        Row(
            f"scheduled close, lateness during {late_dms} DMs",
            late_close,
            "s",
            "<= 1 s",
            f"{'met' if late_close <= 1 else 'NOT met'}; "
            f"{statistics.median(r.delivered_at_close for r in lates):.0f} of {late_dms} DMs "
            f"delivered at its summary post, {close_after:g} s after its open; {n}",
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
