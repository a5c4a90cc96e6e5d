"""Benchmark (not a test): bursts of 200 and 600 simultaneous interactions against peerpulse.

The sandbox server and its actors run in this process; the bot runs in its own, as in
production: `python -m bot --config c.toml run` (the CLI, its database, its ticker, on the
system clock), pointed at the sandbox with `sandbox_settings`. 30 members; the moderator
sets a schedule and opens a check-in with `/checkin now`. For comparison a bare
`discord.Client` (`_bare_bot_process.py`: the same command names and an answer button,
trivial handlers sending peerpulse's own payloads) runs in a third process on the same
server. Both bots get the same warm-up, then each burst size goes to each bot in turn
(the order flips every run).

A burst dispatches every interaction at once (a mix of `/privacy`, `/me show` and the
check-in answer button, members taken in turn), then waits for every answer. Each
interaction's time runs from the sandbox creating it to the bot's callback reaching the
server (goal: none later than 1 s). Reported: the worst and the p99 of each burst size,
each the median of several runs, with the bare client's worst beside it. Run:

    .venv/bin/python tests/benchmarks/bench_burst.py [--runs 3]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import os
import signal
import statistics
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))  # for _table, run as a script

from _table import Row, print_table
from _two_bots import CALLBACK_AT, TwoBotServer

from bot.clock import SystemClock
from bot.config import Settings
from bot.sandbox.actors import Actor, InteractionResult
from bot.sandbox.chapters.checkins import ANSWER, checkin_posts
from bot.sandbox.demo import DemoGroup, DemoMember, build_demo_group
from bot.sandbox.running_bot import sandbox_settings

SIZES = (200, 600)
GOAL_S = 1.0
MEMBERS = 30
HERE = Path(__file__).resolve().parent
REPOSITORY = HERE.parents[1]
BARE_SCRIPT = HERE / "_bare_bot_process.py"
BOTS = ("peerpulse", "bare")


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system) a process has used so far; NaN where /proc is missing."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return math.nan
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def write_config(path: Path, settings: Settings) -> Path:
    """`settings`' endpoints, quick sandbox timings and database as a peerpulse config file."""
    discord = settings.discord
    if discord.token is None:
        raise ValueError("the sandbox bot needs the token the server issued")
    path.write_text(
        "[discord]\n"
        f"token = {json.dumps(discord.token.get_secret_value())}\n"
        f"api_base_url = {json.dumps(discord.api_base_url)}\n"
        f"gateway_url = {json.dumps(discord.gateway_url)}\n"
        f"guild_ready_timeout = {discord.guild_ready_timeout}\n"
        f"reidentify_delay = {discord.reidentify_delay}\n"
        "[database]\n"
        f"path = {json.dumps(str(settings.database.path))}\n",
        encoding="utf-8",
    )
    return path


def tail(log: Path) -> str:
    """The end of a child's log, for an error message."""
    return log.read_text(encoding="utf-8", errors="replace")[-3000:]


def _child_env() -> dict[str, str]:
    """This environment without PEERPULSE_* settings, importing this worktree's code first."""
    env = {k: v for k, v in os.environ.items() if not k.upper().startswith("PEERPULSE_")}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPOSITORY), env.get("PYTHONPATH")]))
    return env


@contextlib.asynccontextmanager
async def child(
    *args: str, log: Path, stdout: int | None = None
) -> AsyncIterator[asyncio.subprocess.Process]:
    """A child process (stderr to `log`), stopped with SIGTERM on the way out."""
    with log.open("ab") as sink:
        process = await asyncio.create_subprocess_exec(
            *args,
            cwd=log.parent,
            env=_child_env(),
            stdout=sink if stdout is None else stdout,
            stderr=sink,
        )
    try:
        yield process
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(process.wait(), 30)
            except TimeoutError:
                process.kill()
                await process.wait()


def peerpulse(*args: str, config: Path) -> list[str]:
    """`python -m bot --config CONFIG ARGS...` as the command line of a child process."""
    return [sys.executable, "-m", "bot", "--config", str(config), *args]


async def sync_commands(config: Path, log: Path) -> None:
    """`peerpulse sync`: register the commands the members' actors will use."""
    async with child(*peerpulse("sync", config=config), log=log) as process:
        if await asyncio.wait_for(process.wait(), 60) != 0:
            raise RuntimeError(f"peerpulse sync failed:\n{tail(log)}")


async def open_checkin(server: TwoBotServer, group: DemoGroup) -> int:
    """The moderator sets a schedule (next open three days away) and opens a check-in now."""
    mod = server.actor(group.moderator_id)
    home = group.home_channel_id
    weekday = (SystemClock().now() + timedelta(days=3)).strftime("%A")
    await mod.slash(
        "checkin setup",
        channel_id=home,
        options={"weekday": weekday, "time": "09:00", "hours_open": 48},
    )
    opened = await (await mod.slash("checkin now", channel_id=home)).final()
    if "is open" not in opened.content:
        raise RuntimeError(f"/checkin now did not open a check-in: {opened.content!r}")
    return checkin_posts(server, home)[-1].id


async def warm_up(actors: list[Actor], home: int, post: int) -> list[InteractionResult]:
    """Each interaction of the mix by 5 members; the last answer of each, in `burst`'s order."""
    for actor in actors[:5]:
        answers = [
            await actor.slash("privacy", channel_id=home),
            await actor.slash("me show", channel_id=home),
            await actor.click(post, label=ANSWER),
        ]
    return answers


def shape(result: InteractionResult) -> tuple[object, ...]:
    """What identifies a right answer: its type, its modal or embed titles, or its text."""
    data = response_data(result)
    embeds = tuple(e.get("title") for e in data.get("embeds") or ())
    body = result.interaction.response_body or {}
    return (body.get("type"), data.get("title"), embeds, None if embeds else data.get("content"))


async def burst(
    actors: list[Actor], home: int, post: int, size: int, expected: list[tuple[object, ...]]
) -> tuple[list[float], float]:
    """One burst: each interaction's latency (s), and how long creating them took.

    Every answer must have the `shape` the warm-up's answer of its kind had (no error
    sentence is timed as an answer).
    """
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
    for i, (_, result) in enumerate(dispatched):
        if shape(result) != expected[i % 3]:
            raise RuntimeError(
                f"unexpected answer to {result.interaction.description}: {shape(result)}"
            )
    return [CALLBACK_AT[r.interaction.id] - at for at, r in dispatched], creating


def response_data(result: InteractionResult) -> dict[str, Any]:
    """The `data` of the bot's initial response to an interaction."""
    body = result.interaction.response_body
    if body is None:
        raise RuntimeError(f"{result.interaction.description} has no response")
    return dict(body["data"])


async def bare_ready(process: asyncio.subprocess.Process, log: Path) -> int:
    """The id of the bare client's answer-button post, once it says it is ready."""
    assert process.stdout is not None
    line = await asyncio.wait_for(process.stdout.readline(), 60)
    if not line.startswith(b"ready "):
        raise RuntimeError(f"the bare client did not start:\n{tail(log)}")
    return int(line.split()[1])


@dataclass
class Burst:
    """One burst against one bot: latencies (s), creating time and CPU time of each side (s)."""

    latencies: list[float]
    creating: float
    bot_cpu: float
    sandbox_cpu: float


@dataclass(frozen=True)
class Target:
    """A bot to burst: its answer-button post, its right answers' shapes, its process id."""

    post: int
    expected: list[tuple[object, ...]]
    pid: int


async def measured_burst(actors: list[Actor], home: int, size: int, target: Target) -> Burst:
    """A burst, with the CPU time the bot's process and this one (the sandbox) spent on it."""
    bot_before, sandbox_before = cpu_seconds(target.pid), time.process_time()
    latencies, creating = await burst(actors, home, target.post, size, target.expected)
    return Burst(
        latencies,
        creating,
        cpu_seconds(target.pid) - bot_before,
        time.process_time() - sandbox_before,
    )


async def one_run(sizes: tuple[int, ...], *, bare_first: bool) -> dict[str, dict[int, Burst]]:
    """Each bot's burst of each size ("peerpulse", "bare")."""
    out: dict[str, dict[int, Burst]] = {bot: {} for bot in BOTS}
    with tempfile.TemporaryDirectory() as temporary:
        folder = Path(temporary)
        server = TwoBotServer()  # real time: the bot's process uses the system clock
        async with server:
            members = [DemoMember(f"M{i:02d}", "UTC") for i in range(MEMBERS)]
            group = build_demo_group(server, members)
            home = group.home_channel_id
            actors = [server.actor(m) for m in group.member_ids]
            apps = {"peerpulse": group.credentials.application_id}
            server.active = apps["peerpulse"]
            settings = sandbox_settings(server, group.credentials.token, folder / "peerpulse.db")
            config = write_config(folder / "peerpulse.toml", settings)
            log = folder / "peerpulse.log"
            await sync_commands(config, log)
            async with child(*peerpulse("run", config=config), log=log) as bot:
                await server.wait_for_bot(60)
                posts = {"peerpulse": await open_checkin(server, group)}
                warmed = {"peerpulse": await warm_up(actors, home, posts["peerpulse"])}
                privacy, _, opened = warmed["peerpulse"]

                bare_app = server.create_bot("bare")
                apps["bare"] = bare_app.application_id
                bare_settings = folder / "bare.json"
                bare_settings.write_text(
                    json.dumps(
                        {
                            "token": bare_app.token,
                            "api_base_url": server.api_base,
                            "gateway_url": server.gateway_url,
                            "channel_id": home,
                            "privacy_embeds": response_data(privacy)["embeds"],
                            "modal": {
                                **response_data(opened),
                                "custom_id": "bare:form",
                            },
                        }
                    ),
                    encoding="utf-8",
                )
                bare_log = folder / "bare.log"
                async with child(
                    sys.executable,
                    str(BARE_SCRIPT),
                    str(bare_settings),
                    log=bare_log,
                    stdout=asyncio.subprocess.PIPE,
                ) as bare:
                    posts["bare"] = await bare_ready(bare, bare_log)
                    pids = {"peerpulse": bot.pid, "bare": bare.pid}
                    server.active = apps["bare"]
                    warmed["bare"] = await warm_up(actors, home, posts["bare"])
                    targets = {
                        name: Target(posts[name], [shape(r) for r in warmed[name]], pids[name])
                        for name in BOTS
                    }
                    order = tuple(reversed(BOTS)) if bare_first else BOTS
                    for size in sizes:
                        for name in order:
                            server.active = apps[name]
                            await asyncio.sleep(1.0)
                            out[name][size] = await measured_burst(
                                actors, home, size, targets[name]
                            )
    return out


async def rows(runs: int = 3) -> list[Row]:
    """Worst and p99 of each burst size, medians of `runs` runs, the bare client's beside."""
    measured = [await one_run(SIZES, bare_first=run % 2 == 1) for run in range(runs)]

    def median(bot: str, size: int, figure: Callable[[Burst], float]) -> float:
        return float(statistics.median(figure(m[bot][size]) for m in measured)) * 1000

    out: list[Row] = []
    for size in SIZES:
        worst = median("peerpulse", size, lambda b: max(b.latencies))
        p99 = median("peerpulse", size, lambda b: percentile(b.latencies, 0.99))
        p50 = median("peerpulse", size, lambda b: percentile(b.latencies, 0.5))
        out.append(
            Row(
                f"burst of {size}: worst",
                worst,
                "ms",
                f"<= {GOAL_S * 1000:.0f} ms",
                f"{'met' if worst <= GOAL_S * 1000 else 'NOT met'}; p50 {p50:.0f} ms; the bot "
                f"in its own process used {median('peerpulse', size, lambda b: b.bot_cpu):.0f} "
                f"ms of CPU, the sandbox {median('peerpulse', size, lambda b: b.sandbox_cpu):.0f}"
                f" ms (creating them took {median('peerpulse', size, lambda b: b.creating):.0f}"
                f" ms); a bare discord.Client in its own process: worst "
                f"{median('bare', size, lambda b: max(b.latencies)):.0f} ms, p50 "
                f"{median('bare', size, lambda b: percentile(b.latencies, 0.5)):.0f} ms, "
                f"{median('bare', size, lambda b: b.bot_cpu):.0f} ms of CPU",
            )
        )
        out.append(Row(f"burst of {size}: p99", p99, "ms", "report", ""))
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="runs (median of them)")
    args = parser.parse_args()
    print_table(asyncio.run(rows(args.runs)), "Interaction bursts")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
