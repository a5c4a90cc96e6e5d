"""Benchmark: 1,000 DMs through the real bot and the DM outbox, with the sandbox enforcing 50/s.

Not a test (pytest does not collect bench_*.py). Run:

    .venv/bin/python tests/benchmarks/bench_dm_fanout.py [--dms 1000] [--rate 45 47 48]

For each pacing rate, a fresh sandbox server (Discord's global limit: 50 requests per
second per bot, in any rolling second) and a fresh bot whose members' DM channels are
already known, so each DM costs two requests: asking whether the member is still in
the server, and the message. One due step delivers all of them.
Reported: wall time against the ideal (requests / 50 s), the 429s the server issued,
and the busiest rolling second it saw. The target is <= 1.10x the ideal with zero 429s.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from collections import deque
from dataclasses import dataclass
from pathlib import Path

from bot.app.dm_transport import OutgoingDm
from bot.clock import SystemClock, VirtualClock
from bot.config import DeliveryConfig
from bot.delivery import outbox, recipients
from bot.delivery.outbox import OutboxItem
from bot.groups import ensure_group
from bot.members.preferences import set_dm_opt_in, set_hours
from bot.sandbox import SandboxServer
from bot.sandbox.demo import DemoMember, build_demo_group
from bot.sandbox.running_bot import sandbox_settings, start_bot

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


async def measure(dms: int, rate: float) -> Result:
    clock = VirtualClock(SystemClock().now())
    with tempfile.TemporaryDirectory() as folder:
        async with SandboxServer(clock=clock.now) as server:
            members = [DemoMember(f"M{i:04d}", "UTC") for i in range(dms)]
            group = build_demo_group(server, members)
            settings = sandbox_settings(server, group.credentials.token, Path(folder) / "b.db")
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
                first = len(server.requests)
                started = time.perf_counter()
                await running.tick()
                seconds = time.perf_counter() - started
            finally:
                await running.stop()
            sent = sum(len(server.dm_timeline(u)) for u in group.member_ids)
            if sent != dms:
                raise RuntimeError(f"only {sent} of {dms} DMs arrived")
            requests = server.requests[first:]
            return Result(
                rate=rate,
                dms=dms,
                requests=len(requests),
                seconds=seconds,
                ratelimited=sum(r.status == 429 for r in requests),
                busiest_second=busiest_second([r.time for r in requests]),
            )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dms", type=int, default=1000, help="DMs to send (one member each)")
    parser.add_argument(
        "--rate", type=float, nargs="+", default=[45.0, 47.0, 48.0], help="pacing rates to try"
    )
    args = parser.parse_args()
    for rate in args.rate:
        result = asyncio.run(measure(args.dms, rate))
        sys.stdout.write(result.line() + "\n")
        sys.stdout.flush()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
