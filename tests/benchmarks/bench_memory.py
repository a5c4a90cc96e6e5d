"""Benchmark (not a test): the bot process's RSS with 100 guilds x 30 members connected.

The sandbox server (in this process) builds 100 guilds of 30 members, each with a home
channel. `peerpulse run` is started as its own process against it (the `discord`
settings point it at the sandbox, as tests/e2e/test_cli_process.py does), and so is a
bare `discord.Client` with the same intent, logged in as a second application. Each
process's VmRSS (/proc/<pid>/status) is read once connected and settled (idle), and
peerpulse's again after 20 `/checkin history weeks:260` charts (rendered in the chart
worker process, whose RSS is not the bot's). Goal: <= 80 MiB both; the ratio to the
bare client is reported. Each figure the median of several runs. Run:

    .venv/bin/python tests/benchmarks/bench_memory.py [--runs 3]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import sqlite3
import statistics
import sys
import tempfile
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))  # for _table, run as a script

from _table import Row, print_table
from _two_bots import TwoBotServer

from bot.checkins.schedule import period_key
from bot.checkins.store import timestamp

GUILDS = 100
MEMBERS = 30
CHARTS = 20
GOAL_MIB = 80.0
SETTLE_S = 3.0
WEEKS = 260

BARE = """
import sys, discord, yarl
discord.http.Route.BASE = sys.argv[1]
discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(sys.argv[2])
discord.Client(intents=discord.Intents(guilds=True)).run(sys.argv[3], log_handler=None)
"""


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise LookupError("no VmRSS line")


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.upper().startswith("PEERPULSE_")}
    root = str(Path(__file__).resolve().parents[2])
    env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH")) if p)
    return env


def build(server: TwoBotServer) -> tuple[list[int], list[int]]:
    """100 guilds of 30 members; returns (owner ids, home channel ids)."""
    owners, homes = [], []
    for g in range(GUILDS):
        owner = server.create_user(f"Owner{g}")
        guild = server.create_guild(f"Group {g}", owner_id=owner)
        homes.append(server.create_text_channel(guild, "peer-consult"))
        for m in range(MEMBERS - 1):
            server.add_member(guild, server.create_user(f"G{g}M{m}"))
        owners.append(owner)
    return owners, homes


def seed_history(path: Path, guild_id: int | None) -> None:
    """260 closed weekly rounds with their counts, as the closing step leaves them."""
    first = date(2021, 3, 1)
    conn = sqlite3.connect(path, timeout=30)
    with conn:
        (group_id,) = conn.execute(
            "SELECT id FROM groups WHERE guild_id = ?", (guild_id,)
        ).fetchone()
        for week in range(WEEKS):
            day = first + timedelta(weeks=week)
            opens = datetime(day.year, day.month, day.day, 9, tzinfo=UTC)
            closes = opens + timedelta(hours=48)
            round_id = conn.execute(
                "INSERT INTO checkin_rounds (group_id, period, channel_id, opens_at, closes_at, "
                "reminder_due_at, status, closed_at) VALUES (?, ?, 1, ?, ?, ?, 'closed', ?)",
                (group_id, period_key(day), timestamp(opens), timestamp(closes),
                 timestamp(opens + timedelta(hours=24)), timestamp(closes)),
            ).lastrowid  # fmt: skip
            energy = (1, 3 + week % 4, 8, 8, 5)
            conn.execute(
                "INSERT INTO checkin_round_counts (round_id, responses, energy_1, energy_2, "
                "energy_3, energy_4, energy_5, light, manageable, heavy, overwhelming) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, 5, 10, 6, ?)",
                (round_id, sum(energy), *energy, sum(energy) - 21),
            )
    conn.close()


async def _stop(process: asyncio.subprocess.Process) -> None:
    if process.returncode is None:
        process.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(process.wait(), 30)
        except TimeoutError:
            process.kill()
            await process.wait()


async def one_run() -> dict[str, float]:
    """RSS (MiB) of the bare client, and of peerpulse idle and after the charts."""
    out: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as folder:
        async with TwoBotServer() as server:
            peer = server.create_bot("peerpulse")
            bare = server.create_bot("bare")
            owners, homes = build(server)

            server.active = bare.application_id
            process = await asyncio.create_subprocess_exec(
                sys.executable, "-c", BARE, server.api_base, server.gateway_url, bare.token,
                env=_env(), stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
            )  # fmt: skip
            try:
                await server.wait_for_bot(timeout=60)
                await asyncio.sleep(SETTLE_S)
                out["bare"] = rss_mib(process.pid)
            finally:
                await _stop(process)

            config = Path(folder) / "config.toml"
            config.write_text(
                "[discord]\n"
                f'token = "{peer.token}"\n'
                f'api_base_url = "{server.api_base}"\n'
                f'gateway_url = "{server.gateway_url}"\n'
                "guild_ready_timeout = 0.1\n"
                "[database]\n"
                f'path = "{Path(folder) / "peerpulse.db"}"\n',
                encoding="utf-8",
            )
            server.active = peer.application_id
            sync = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "bot", "--config", str(config), "sync",
                env=_env(), cwd=folder,
                stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
            )  # fmt: skip
            if await sync.wait() != 0:
                raise RuntimeError("peerpulse sync failed")
            process = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "bot", "--config", str(config), "run",
                env=_env(), cwd=folder,
                stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
            )  # fmt: skip
            try:
                await server.wait_for_bot(timeout=60)
                await asyncio.sleep(SETTLE_S)
                out["idle"] = rss_mib(process.pid)
                owner = server.actor(owners[0])
                await owner.slash(
                    "checkin setup",
                    channel_id=homes[0],
                    options={"weekday": "Tuesday", "time": "09:00", "hours_open": 48},
                )
                seed_history(Path(folder) / "peerpulse.db", server.world.channel(homes[0]).guild_id)
                for _ in range(CHARTS):
                    result = await owner.slash(
                        "checkin history", channel_id=homes[0], options={"weeks": 260}
                    )
                    final = await result.final(60)
                    if not final.attachments:
                        raise RuntimeError(f"no chart: {final.text}")
                await asyncio.sleep(SETTLE_S)
                out["charts"] = rss_mib(process.pid)
            finally:
                await _stop(process)
    return out


async def rows(runs: int = 3) -> list[Row]:
    """RSS figures, medians of `runs` runs (the ratio within each run)."""
    results = [await one_run() for _ in range(runs)]
    bare = statistics.median(r["bare"] for r in results)
    out = [Row(f"bare discord.Client RSS, {GUILDS} guilds x {MEMBERS}", bare, "MiB", "report")]
    for key, label in (("idle", "idle"), ("charts", f"after {CHARTS} charts")):
        value = statistics.median(r[key] for r in results)
        ratio = statistics.median(r[key] / r["bare"] for r in results)
        out.append(
            Row(
                f"peerpulse RSS {label}, {GUILDS} guilds x {MEMBERS}",
                value,
                "MiB",
                f"<= {GOAL_MIB:.0f} MiB",
                f"{'met' if value <= GOAL_MIB else 'NOT met'}; {ratio:.2f}x the bare client",
            )
        )
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="runs (median of them)")
    args = parser.parse_args()
    print_table(asyncio.run(rows(args.runs)), "Memory")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
