"""Every benchmark in one table: `python tests/benchmarks/run_all.py [--quick]`.

Imports each `bench_*.py` beside this file that has a `rows` callable (sync or async)
and prints one Markdown table with the machine's description and each figure's goal.
`--quick` passes `runs=1` (and fewer repetitions) to the modules that take them.
Not part of the default pytest run (pytest does not collect bench_*.py or this file).
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import inspect
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))  # for _table and the bench modules
sys.path.insert(1, str(HERE.parents[1]))  # the repository, for bot/ and cogs/

from _table import Row, machine, print_table  # noqa: E402 - after the path setup

QUICK = {"runs": 1, "n": 3, "repeat": 10, "rounds": 100, "quick": True}


def _arguments(rows: Any, quick: bool) -> dict[str, Any]:
    if not quick:
        return {}
    accepted = inspect.signature(rows).parameters
    return {k: v for k, v in QUICK.items() if k in accepted}


def collect(quick: bool, only: list[str]) -> list[Row]:
    """Rows of every bench module (or only those named), in file-name order."""
    table: list[Row] = []
    for path in sorted(HERE.glob("bench_*.py")):
        if only and not any(name in path.stem for name in only):
            continue
        module = importlib.import_module(path.stem)
        rows = getattr(module, "rows", None)
        if not callable(rows):
            continue
        started = time.perf_counter()
        sys.stderr.write(f"{path.stem} ...\n")
        produced = rows(**_arguments(rows, quick))
        if inspect.isawaitable(produced):
            produced = asyncio.run(produced)
        table += [
            Row(f"{path.stem[6:]}: {r.name}", r.value, r.unit, r.goal, r.note) for r in produced
        ]
        sys.stderr.write(f"{path.stem} done in {time.perf_counter() - started:.0f} s\n")
    return table


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repetitions")
    parser.add_argument("only", nargs="*", help="run only modules whose name contains these")
    args = parser.parse_args()
    print_table(collect(args.quick, args.only), "peerpulse benchmarks")
    quick = " --quick" if args.quick else ""
    sys.stdout.write(f"\ncommand: python tests/benchmarks/run_all.py{quick}; {machine()}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
