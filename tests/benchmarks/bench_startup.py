"""Benchmark: what `peerpulse run` imports against `import discord`, and `peerpulse --help`.

Not a test (pytest does not collect bench_*.py). Run:

    .venv/bin/python tests/benchmarks/bench_startup.py [--n 7]

Every figure comes from fresh interpreters. Each round times, interleaved, `import discord`
and everything `run` imports before it connects (the CLI, the configuration, the runner
and every cog), inside the child with perf_counter; the ratio is taken within each round
and the table shows medians. Bytecode is cached in a temporary folder first, as it is in
an installed package (PYTHONDONTWRITEBYTECODE would otherwise compile every module).
`--help` is the wall time of the whole process, interpreter start included.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _table import Row, print_table  # run as a script, beside _table.py

HELP_GOAL_MS = 150.0
RATIO_GOAL = 1.3

IMPORTS = {
    "discord": "import discord",
    "discord + config": "import discord, bot.config",
    "run": (
        "import importlib, bot.cli, bot.config, bot.logs, bot.app.runner\n"
        "from bot.app.client import cog_extensions\n"
        "for extension in cog_extensions():\n"
        "    importlib.import_module(extension)"
    ),
}
_TIMED = "import time\nstarted = time.perf_counter()\n{body}\nprint(time.perf_counter() - started)"


def _env(pycache: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PEERPULSE_")}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = pycache
    root = str(Path(__file__).resolve().parents[2])
    env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH")) if p)
    return env


def _import_seconds(body: str, env: dict[str, str]) -> float:
    done = subprocess.run(  # noqa: S603 - our own interpreter
        [sys.executable, "-c", _TIMED.format(body=body)],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return float(done.stdout.split()[-1])


def _help_command() -> list[str]:
    script = Path(sys.executable).parent / "peerpulse"
    if script.exists():
        return [str(script), "--help"]
    return [sys.executable, "-m", "bot", "--help"]


def _help_seconds(env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run(_help_command(), env=env, capture_output=True, check=True)  # noqa: S603
    return time.perf_counter() - started


def rows(n: int = 7) -> list[Row]:
    """The start-up figures, each the median of `n` rounds (after one warm-up round)."""
    with tempfile.TemporaryDirectory(prefix="peerpulse-pyc-") as pycache:
        env = _env(pycache)
        samples: dict[str, list[float]] = {name: [] for name in [*IMPORTS, "--help"]}
        ratios: list[float] = []
        for index in range(n + 1):
            names = list(IMPORTS) if index % 2 else list(reversed(IMPORTS))
            taken = {name: _import_seconds(IMPORTS[name], env) for name in names}
            taken["--help"] = _help_seconds(env)
            if index == 0:
                continue  # compiles and caches the bytecode
            for name, seconds in taken.items():
                samples[name].append(seconds)
            ratios.append(taken["run"] / taken["discord"])
    ms = {name: statistics.median(values) * 1000 for name, values in samples.items()}
    ratio = statistics.median(ratios)
    return [
        Row("import discord", ms["discord"], "ms", "", "baseline"),
        Row("import discord + bot.config (pydantic)", ms["discord + config"], "ms"),
        Row("imports of `peerpulse run` at start", ms["run"], "ms"),
        Row(
            "run imports / import discord",
            ratio,
            "x",
            f"<= {RATIO_GOAL}x",
            "met" if ratio <= RATIO_GOAL else "not met",
        ),
        Row(
            "`peerpulse --help` wall",
            ms["--help"],
            "ms",
            f"<= {HELP_GOAL_MS:.0f} ms",
            "met" if ms["--help"] <= HELP_GOAL_MS else "not met",
        ),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=7, help="rounds (median of them)")
    args = parser.parse_args()
    print_table(rows(args.n))


if __name__ == "__main__":
    main()
