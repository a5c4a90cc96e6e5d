"""Benchmark (not a test): bursts of 200 and 600 simultaneous interactions against peerpulse.

The real bot runs in this process against a sandbox server with 30 members; an open
check-in is posted. A burst dispatches every interaction at once (a mix of `/privacy`,
`/me show` and the check-in answer button, members taken in turn), then waits for every
answer. Each interaction's time runs from the sandbox creating it to the bot's callback
reaching the server (goal: none later than 1 s). Reported: the worst and the p99 of each
burst size, each the median of several runs. Run:

    .venv/bin/python tests/benchmarks/bench_burst.py [--runs 3]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))  # for _table, run as a script

from _table import Row, print_table
from _two_bots import CALLBACK_AT, MONDAY_9, TUESDAY_9, Payloads, TwoBotServer, start_bare

from bot.clock import VirtualClock
from bot.sandbox.actors import Actor, InteractionResult
from bot.sandbox.chapters.checkins import ANSWER, checkin_posts
from bot.sandbox.demo import DemoMember, build_demo_group
from bot.sandbox.running_bot import sandbox_settings, start_bot

SIZES = (200, 600)
GOAL_S = 1.0


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


async def burst(actors: list[Actor], home: int, post: int, size: int) -> tuple[list[float], float]:
    """One burst: each interaction's latency (s), and how long creating them took."""
    dispatched: list[tuple[float, InteractionResult]] = []
    for i in range(size):
        actor = actors[i % len(actors)]
        at = time.perf_counter()
        kind = i % 3
        if kind == 0:
            result = await actor.slash("privacy", channel_id=home, wait=False)
        elif kind == 1:
            result = await actor.slash("me show", channel_id=home, wait=False)
        else:
            result = await actor.click(post, label=ANSWER, wait=False)
        dispatched.append((at, result))
    creating = time.perf_counter() - dispatched[0][0]
    await asyncio.gather(*(r.answered(30) for _, r in dispatched))
    return [CALLBACK_AT[r.interaction.id] - at for at, r in dispatched], creating


async def one_run(
    sizes: tuple[int, ...],
) -> tuple[dict[int, list[float]], dict[int, float], dict[int, list[float]]]:
    """Per burst size: peerpulse's latencies (s), the creating time, the bare bot's latencies."""
    clock = VirtualClock(MONDAY_9)
    out: dict[int, list[float]] = {}
    spread: dict[int, float] = {}
    bare_out: dict[int, list[float]] = {}
    with tempfile.TemporaryDirectory() as folder:
        async with TwoBotServer(clock=clock.now) as server:
            members = [DemoMember(f"M{i:02d}", "UTC") for i in range(30)]
            group = build_demo_group(server, members)
            settings = sandbox_settings(server, group.credentials.token, Path(folder) / "b.db")
            running = await start_bot(settings, clock, sync=True)
            try:
                home = group.home_channel_id
                await server.actor(group.moderator_id).slash(
                    "checkin setup",
                    channel_id=home,
                    options={"weekday": "Tuesday", "time": "09:00", "hours_open": 48},
                )
                await running.advance(TUESDAY_9 - clock.now())
                post = checkin_posts(server, home)[-1].id
                actors = [server.actor(m) for m in group.member_ids]
                for actor in actors[:5]:  # warm-up
                    privacy = await actor.slash("privacy", channel_id=home)
                    await actor.slash("me show", channel_id=home)
                    opened = await actor.click(post, label=ANSWER)
                for size in sizes:
                    await asyncio.sleep(0.5)
                    out[size], spread[size] = await burst(actors, home, post, size)
                bare_app = server.create_bot("bare")
                server.active = bare_app.application_id
                bare, bare_task = await start_bare(
                    server,
                    bare_app.token,
                    Payloads(
                        privacy_embeds=privacy.interaction.response_body["data"]["embeds"],
                        modal={
                            **opened.interaction.response_body["data"],
                            "custom_id": "bare:form",
                        },
                    ),
                )
                try:
                    bare_post = await bare.post_checkin(home, "Weekly check-in")
                    for size in sizes:
                        await asyncio.sleep(0.5)
                        bare_out[size], _ = await burst(actors, home, bare_post, size)
                finally:
                    await bare.close()
                    await bare_task
                    server.active = None
            finally:
                await running.stop()
    return out, spread, bare_out


async def rows(runs: int = 3) -> list[Row]:
    """Worst and p99 of each burst size, medians of `runs` runs."""
    measured = [await one_run(SIZES) for _ in range(runs)]
    results = [m[0] for m in measured]
    out: list[Row] = []
    for size in SIZES:
        creating = statistics.median(m[1][size] for m in measured)
        bare = statistics.median(max(m[2][size]) for m in measured)
        worst = statistics.median(max(r[size]) for r in results)
        p99 = statistics.median(percentile(r[size], 0.99) for r in results)
        p50 = statistics.median(percentile(r[size], 0.5) for r in results)
        out.append(
            Row(
                f"burst of {size}: worst",
                worst * 1000,
                "ms",
                f"<= {GOAL_S * 1000:.0f} ms",
                f"{'met' if worst <= GOAL_S else 'NOT met'}; p50 {p50 * 1000:.0f} ms; the "
                f"sandbox (same process) took {creating * 1000:.0f} ms to create them; "
                f"a bare discord.Client's worst {bare * 1000:.0f} ms",
            )
        )
        out.append(Row(f"burst of {size}: p99", p99 * 1000, "ms", "report", ""))
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="runs (median of them)")
    args = parser.parse_args()
    print_table(asyncio.run(rows(args.runs)), "Interaction bursts")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
