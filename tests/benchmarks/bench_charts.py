"""Benchmark (not a test): charts in the worker process, and what they cost the bot.

Reports, each figure the median of several runs (every ratio from one run):

- the warm check-in history render (260 and 12 weeks) and the warm pulse trend render
  (a year of fortnightly rounds, two of them unpublished and one pooled, with four
  drivers), timed inside the chart worker, against matplotlib's empty figure of the
  same size saved as PNG in the same worker (goal <= 1.5x);
- event-loop lag p99 in the bot's process while 20 charts render, measured by a task
  that sleeps 1 ms at a time (goal <= 5 ms), beside the same sleeper's idle p99;
- the bot process's RSS (VmRSS) before and after 20 charts, with everything `run` loads
  imported, and the worker process's RSS.

Run it as:

    .venv/bin/python tests/benchmarks/bench_charts.py [--runs 3] [--repeat 40]
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import io
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from datetime import date, timedelta
from functools import partial
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))  # for _table, run as a script

from _table import Row, print_table

from bot.charts.pulse_points import (
    Driver,
    PublishedPoint,
    PulsePoint,
    PulseTrend,
    SuppressedPoint,
    day_label,
)
from bot.charts.worker import ChartWorker
from bot.checkins.history import CHART_KIND, WeekPoint, week_points
from bot.checkins.schedule import period_key
from bot.checkins.store import WeekAggregate

CHARTS_AT_ONCE = 20


def history(weeks: int) -> list[WeekPoint]:
    """`weeks` weekly rounds of 25 answers (every 17th week below the threshold)."""
    first = date(2021, 3, 1)
    rows = []
    for i in range(weeks):
        energy = (1, 3 + i % 4, 8, 8, 5) if i % 17 else (0, 1, 1, 0, 0)
        total = sum(energy)
        caseload = (5, 10, 6, total - 21) if total >= 21 else (0, total, 0, 0)
        rows.append(WeekAggregate(period_key(first + timedelta(weeks=i)), total, energy, caseload))
    return week_points(rows)


def pulse_trend() -> PulseTrend:
    """A year of fortnightly pulse rounds: round 5 pooled into 6, round 17 unpublished."""
    first = date(2025, 3, 3)
    points: list[PulsePoint] = []
    for i in range(26):
        on = first + timedelta(weeks=2 * i)
        if i in (5, 17):
            points.append(SuppressedPoint(on))
            continue
        median = 35 + i % 9 * 3
        label = f"{day_label(points[-1].on)} + {day_label(on)}" if i == 6 else day_label(on)
        share = (i % 6) / 10
        points.append(
            PublishedPoint(label, on, 6 + i % 12, median, median - 12, median + 10, share, i == 6)
        )
    drivers = (
        Driver("Caseload", 0.4, resource=True),
        Driver("Admin burden", 0.7, resource=False),
        Driver("Support", 0.5, resource=True),
        Driver("Autonomy", 0.3, resource=True),
    )
    return PulseTrend(tuple(points), drivers)


def _median_ms(action: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def time_in_worker(module: str, data: object, repeat: int) -> tuple[float, float]:
    """Run in the worker: p50 of the warm render and of an empty figure of the same size."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    from bot.charts import style

    renderer = importlib.import_module(module)

    def empty() -> bytes:
        figure = Figure(
            figsize=(style.WIDTH_PX / style.DPI, style.HEIGHT_PX / style.DPI), dpi=style.DPI
        )
        FigureCanvasAgg(figure)
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png", dpi=style.DPI)
        return buffer.getvalue()

    renderer.render(data)
    empty()
    chart_times, empty_times = [], []
    for _ in range(repeat):  # interleaved, so machine noise hits both alike
        chart_times.append(_median_ms(lambda: renderer.render(data), 1))
        empty_times.append(_median_ms(empty, 1))
    return statistics.median(chart_times), statistics.median(empty_times)


async def render_ratio(runs: int, repeat: int) -> list[Row]:
    """Warm render p50 against the empty figure: check-ins for 260 and 12 weeks, a pulse year."""
    rows = []
    charts: list[tuple[str, str, object]] = [
        (f"{weeks} weeks", "bot.charts.checkin_history", history(weeks)) for weeks in (260, 12)
    ]
    charts.append(("pulse trend, 26 rounds", "bot.charts.pulse_trend", pulse_trend()))
    for name, module, data in charts:
        results = []
        for _ in range(runs):
            worker = ChartWorker()
            try:
                pool = worker._executor()
                results.append(
                    await asyncio.wrap_future(pool.submit(time_in_worker, module, data, repeat))
                )
            finally:
                await worker.close()
        chart = statistics.median(r[0] for r in results)
        empty = statistics.median(r[1] for r in results)
        ratio = statistics.median(r[0] / r[1] for r in results)
        rows.append(Row(f"chart render p50, {name} (warm)", chart, "ms", "", ""))
        rows.append(
            Row(
                f"chart render / empty figure, {name}",
                ratio,
                "x",
                "<= 1.5x",
                f"{'met' if ratio <= 1.5 else 'NOT met'}; empty 900x500 figure p50 {empty:.1f} ms",
            )
        )
    return rows


async def _lag_p99(seconds: float | None, work: Callable[[], Awaitable[None]] | None) -> float:
    """p99 lateness (ms) of a task sleeping 1 ms at a time, idle or while `work` runs."""
    lags: list[float] = []
    stop = asyncio.Event()

    async def sleeper() -> None:
        while not stop.is_set():
            start = time.perf_counter()
            await asyncio.sleep(0.001)
            lags.append((time.perf_counter() - start - 0.001) * 1000)

    task = asyncio.create_task(sleeper())
    if work is not None:
        await work()
    else:
        await asyncio.sleep(seconds or 1.0)
    stop.set()
    await task
    return statistics.quantiles(lags, n=100)[98]


def rss_mib(pid: int | str = "self") -> float:
    """Resident set size from /proc/<pid>/status."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise LookupError("no VmRSS line")


async def _twenty(worker: ChartWorker, points: list[WeekPoint]) -> None:
    await asyncio.gather(*(worker.render(CHART_KIND, points) for _ in range(CHARTS_AT_ONCE)))


async def lag_and_memory(runs: int) -> list[Row]:
    """Event-loop lag while 20 charts render, and the bot's RSS before and after."""
    import bot.app.runner  # noqa: F401 - the bot's own imports, for a fair RSS
    from bot.app.client import cog_extensions

    for extension in cog_extensions():
        importlib.import_module(extension)
    points = history(260)
    busy, idle, before, after, worker_rss, elapsed = [], [], [], [], [], []
    for _ in range(runs):
        worker = ChartWorker()
        try:
            await worker.render(CHART_KIND, history(12))  # started and warm
            before.append(rss_mib())
            start = time.perf_counter()

            busy.append(await _lag_p99(None, partial(_twenty, worker, points)))
            elapsed.append(time.perf_counter() - start)
            after.append(rss_mib())
            worker_rss.append(sum(rss_mib(pid) for pid in await worker.pids()))
            idle.append(await _lag_p99(elapsed[-1], None))
        finally:
            await worker.close()
    lag = statistics.median(busy)
    return [
        Row(
            f"event-loop lag p99 while {CHARTS_AT_ONCE} charts render",
            lag,
            "ms",
            "<= 5 ms",
            f"{'met' if lag <= 5 else 'NOT met'}; idle p99 {statistics.median(idle):.2f} ms; "
            f"{CHARTS_AT_ONCE} charts of 260 weeks took {statistics.median(elapsed):.2f} s",
        ),
        Row("bot RSS before charts", statistics.median(before), "MiB", "report", ""),
        Row(
            f"bot RSS after {CHARTS_AT_ONCE} charts",
            statistics.median(after),
            "MiB",
            "no growth",
            f"growth {statistics.median(a - b for a, b in zip(after, before, strict=True)):+.1f}"
            f" MiB; the worker process holds {statistics.median(worker_rss):.0f} MiB",
        ),
    ]


async def rows(runs: int = 3, repeat: int = 40) -> list[Row]:
    """Every figure of this benchmark, for a table."""
    return [*await render_ratio(runs, repeat), *await lag_and_memory(runs)]


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="runs per figure (median)")
    parser.add_argument("--repeat", type=int, default=40, help="timed renders per run")
    arguments = parser.parse_args()
    print_table(asyncio.run(rows(arguments.runs, arguments.repeat)), "Charts")
