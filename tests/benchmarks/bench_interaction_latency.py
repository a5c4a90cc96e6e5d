"""Benchmark: dispatch -> callback latency through the sandbox, trivial command vs /privacy.

Not a test (pytest does not collect bench_*.py). Run:

    .venv/bin/python tests/benchmarks/bench_interaction_latency.py [--n 600]

Both commands run on the same real peerpulse client against the same sandbox server in
one run, interleaved so that machine noise hits both alike. The latency is measured from
the moment a member's actor asks the server to dispatch INTERACTION_CREATE until the
bot's callback has arrived at the server.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

import discord
from discord import app_commands

from bot.clock import SystemClock, VirtualClock
from bot.sandbox import SandboxServer
from bot.sandbox.demo import build_demo_group
from bot.sandbox.running_bot import sandbox_settings, start_bot


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[index]


async def measure(n: int, warmup: int) -> dict[str, list[float]]:
    clock = VirtualClock(SystemClock().now())
    with tempfile.TemporaryDirectory() as folder:
        async with SandboxServer(clock=clock.now) as server:
            group = build_demo_group(server)
            settings = sandbox_settings(server, group.credentials.token, Path(folder) / "b.db")
            running = await start_bot(settings, clock, sync=False)

            @app_commands.command(name="ping", description="A trivial command")
            async def ping(interaction: discord.Interaction) -> None:
                await interaction.response.send_message("pong", ephemeral=True)

            running.bot.tree.add_command(ping)
            await running.bot.tree.sync()
            actor = server.actor(group.member_ids[0])
            samples: dict[str, list[float]] = {"ping": [], "privacy": []}
            try:
                for i in range(warmup + n):
                    for name in ("ping", "privacy") if i % 2 else ("privacy", "ping"):
                        started = time.perf_counter()
                        result = await actor.slash(name, channel_id=group.home_channel_id)
                        elapsed = time.perf_counter() - started
                        if result.message is None:
                            raise RuntimeError(f"/{name} did not answer with a message")
                        if i >= warmup:
                            samples[name].append(elapsed * 1000)
            finally:
                await running.stop()
    return samples


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=600, help="measured interactions per command")
    parser.add_argument("--warmup", type=int, default=50, help="unmeasured interactions first")
    args = parser.parse_args()
    samples = asyncio.run(measure(args.n, args.warmup))
    p50 = {name: statistics.median(values) for name, values in samples.items()}
    p99 = {name: percentile(values, 0.99) for name, values in samples.items()}
    for name in samples:
        sys.stdout.write(
            f"/{name:8s} n={len(samples[name])}  p50 {p50[name]:.2f} ms  p99 {p99[name]:.2f} ms\n"
        )
    sys.stdout.write(
        f"ratio /privacy : /ping  p50 {p50['privacy'] / p50['ping']:.2f}x  "
        f"p99 {p99['privacy'] / p99['ping']:.2f}x\n"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
