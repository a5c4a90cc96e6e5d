"""Benchmark (not a test): interaction latency of peerpulse against a truly bare discord.Client.

Both bots are connected to ONE sandbox server in this process: peerpulse (the real
`PeerPulseBot`, database and all) and a bare `discord.Client` with a `CommandTree` that
has the same command (`/privacy`) and an answer button on a post; its trivial handlers
answer with the payloads peerpulse sent (the same privacy embeds, the same form, a short
ephemeral reply). Requests alternate bare/peerpulse (the order flips every round), after
a warm-up. The latency runs from the moment a member's actor asks the server to dispatch
INTERACTION_CREATE to the moment the bot's callback reaches the server.

Reported: p50 and p99 of `/privacy`, the check-in button (opens the form) and the form
submit, each the median of several runs; the ratios peerpulse / bare are taken within
each run (goals: p50 <= 1.3x, p99 <= 2x) and the table shows their median. Run:

    .venv/bin/python tests/benchmarks/bench_interaction_latency.py [--runs 3] [--n 300]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))  # for _table, run as a script

from _table import Row, print_table
from _two_bots import CALLBACK_AT, MONDAY_9, TUESDAY_9, Payloads, TwoBotServer, start_bare

from bot.clock import VirtualClock
from bot.sandbox.actors import InteractionResult
from bot.sandbox.chapters.checkins import ANSWER, checkin_posts
from bot.sandbox.demo import build_demo_group
from bot.sandbox.running_bot import sandbox_settings, start_bot

ACTIONS = ("/privacy", "check-in button", "form submit")
FORM = {"energy": "3", "caseload": "manageable", "boundaries": "mostly", "consult": "no"}


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def _ms(started: float, result: InteractionResult) -> float:
    return (CALLBACK_AT[result.interaction.id] - started) * 1000


async def one_run(n: int, warmup: int) -> dict[str, dict[str, list[float]]]:
    """Samples (ms) by bot ("bare", "peerpulse") and action."""
    clock = VirtualClock(MONDAY_9)
    samples: dict[str, dict[str, list[float]]] = {
        bot: {a: [] for a in ACTIONS} for bot in ("bare", "peerpulse")
    }
    with tempfile.TemporaryDirectory() as folder:
        async with TwoBotServer(clock=clock.now) as server:
            group = build_demo_group(server)
            peer_app = group.credentials.application_id
            bare_credentials = server.create_bot("bare")
            server.active = peer_app
            settings = sandbox_settings(server, group.credentials.token, Path(folder) / "b.db")
            running = await start_bot(settings, clock, sync=True)
            bare, bare_task = None, None
            try:
                moderator = server.actor(group.moderator_id)
                home = group.home_channel_id
                await moderator.slash(
                    "checkin setup",
                    channel_id=home,
                    options={"weekday": "Tuesday", "time": "09:00", "hours_open": 48},
                )
                await running.advance(TUESDAY_9 - clock.now())
                peer_post = checkin_posts(server, home)[-1].id
                member = server.actor(group.member_ids[0])
                privacy = await member.slash("privacy", channel_id=home)
                opened = await member.click(peer_post, label=ANSWER)
                assert opened.modal is not None
                payloads = Payloads(
                    privacy_embeds=privacy.interaction.response_body["data"]["embeds"],
                    modal={**opened.modal.shown.data, "custom_id": "bare:form"},
                )
                server.active = bare_credentials.application_id
                bare, bare_task = await start_bare(server, bare_credentials.token, payloads)
                bare_post = await bare.post_checkin(home, "Weekly check-in")
                posts = {"bare": bare_post, "peerpulse": peer_post}
                apps = {"bare": bare_credentials.application_id, "peerpulse": peer_app}
                members = [server.actor(m) for m in group.member_ids]

                async def measure(bot: str, actor: Any, keep: bool) -> None:
                    server.active = apps[bot]
                    started = time.perf_counter()
                    result = await actor.slash("privacy", channel_id=home)
                    times = [_ms(started, result)]
                    started = time.perf_counter()
                    result = await actor.click(posts[bot], label=ANSWER)
                    times.append(_ms(started, result))
                    assert result.modal is not None, f"{bot}: no form"
                    started = time.perf_counter()
                    submitted = await actor.submit_modal(result.modal, FORM)
                    times.append(_ms(started, submitted))
                    assert submitted.message is not None, f"{bot}: no reply to the form"
                    if keep:
                        for action, ms in zip(ACTIONS, times, strict=True):
                            samples[bot][action].append(ms)

                for i in range(warmup + n):
                    actor = members[i % len(members)]
                    order = ("bare", "peerpulse") if i % 2 else ("peerpulse", "bare")
                    for bot in order:
                        await measure(bot, actor, i >= warmup)
            finally:
                server.active = None
                if bare is not None and bare_task is not None:
                    await bare.close()
                    await bare_task
                server.active = peer_app
                await running.stop()
    return samples


async def rows(runs: int = 3, rounds: int = 300, warmup: int = 30) -> list[Row]:
    """The latency figures: each the median of `runs` runs; ratios within each run."""
    results = [await one_run(rounds, warmup) for _ in range(runs)]
    out: list[Row] = []
    for action in ACTIONS:
        figure: dict[str, float] = {}
        for bot in ("bare", "peerpulse"):
            for name, q in (("p50", 0.5), ("p99", 0.99)):
                figure[f"{bot} {name}"] = statistics.median(
                    percentile(r[bot][action], q) for r in results
                )
        ratios = {
            name: statistics.median(
                percentile(r["peerpulse"][action], q) / percentile(r["bare"][action], q)
                for r in results
            )
            for name, q in (("p50", 0.5), ("p99", 0.99))
        }
        for name, goal in (("p50", 1.3), ("p99", 2.0)):
            out.append(
                Row(
                    f"{action} {name}",
                    figure[f"peerpulse {name}"],
                    "ms",
                    "report",
                    f"bare discord.Client {figure[f'bare {name}']:.2f} ms",
                )
            )
            out.append(
                Row(
                    f"{action} {name} / bare",
                    ratios[name],
                    "x",
                    f"<= {goal}x",
                    "met" if ratios[name] <= goal else "NOT met",
                )
            )
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="runs (median of them)")
    parser.add_argument("--n", type=int, default=300, help="measured rounds per run")
    parser.add_argument("--warmup", type=int, default=30, help="unmeasured rounds first")
    args = parser.parse_args()
    print_table(asyncio.run(rows(args.runs, args.n, args.warmup)), "Interaction latency")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
