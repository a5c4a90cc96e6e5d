"""The chart worker: charts come back as PNG and words from one separate process that is
replaced when it dies, and the bot's own process never loads matplotlib or numpy."""

from __future__ import annotations

import ast
import asyncio
import io
import multiprocessing
import os
import signal
import subprocess
import sys
import textwrap
from collections.abc import AsyncIterator
from datetime import date, timedelta
from pathlib import Path

import pytest

from bot.charts.worker import RENDERERS, ChartWorker, RenderedChart
from bot.checkins.history import CHART_KIND, WeekPoint, week_points
from bot.checkins.schedule import period_key
from bot.checkins.store import WeekAggregate

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def history(weeks: int) -> list[WeekPoint]:
    first = date(2025, 3, 3)
    return week_points(
        [
            WeekAggregate(
                period_key(first + timedelta(weeks=i)),
                4 + i % 5,
                (0, 1, 1 + i % 5, 2, 0),
                (1, 1, 1 + i % 5, 1),
            )
            for i in range(weeks)
        ]
    )


@pytest.fixture
async def charts() -> AsyncIterator[ChartWorker]:
    worker = ChartWorker()
    try:
        yield worker
    finally:
        await worker.close()


async def test_a_chart_is_a_png_of_the_shared_size_with_its_alt_text(
    charts: ChartWorker,
) -> None:
    from matplotlib.image import imread  # the test process may load it; the bot's may not

    chart = await charts.render(CHART_KIND, history(12))
    assert isinstance(chart, RenderedChart)
    assert chart.png.startswith(PNG_MAGIC)
    pixels = imread(io.BytesIO(chart.png), format="png")
    assert pixels.shape[:2] == (500, 900)
    colours = {tuple(pixel) for row in pixels[::10, ::10] for pixel in row}
    assert len(colours) > 10  # drawn, not blank
    assert chart.alt_text.startswith("Check-in history from 2025-W10 to 2025-W21 (12 weeks).")


async def test_a_killed_worker_is_replaced_and_the_next_chart_works(
    charts: ChartWorker,
) -> None:
    await charts.render(CHART_KIND, history(4))
    [first] = await charts.pids()
    os.kill(first, signal.SIGKILL)
    chart = await charts.render(CHART_KIND, history(4))
    assert chart.png.startswith(PNG_MAGIC)
    [second] = await charts.pids()
    assert second != first


async def test_one_worker_process_draws_concurrent_charts_by_default(
    charts: ChartWorker,
) -> None:
    before = {p.pid for p in multiprocessing.active_children()}
    drawn = await asyncio.gather(*(charts.render(CHART_KIND, history(8)) for _ in range(6)))
    assert len({chart.png for chart in drawn}) == 1
    assert len(await charts.pids()) == 1
    started = {p.pid for p in multiprocessing.active_children()} - before
    assert len(started) == 1


async def test_a_closed_worker_stops_its_process(charts: ChartWorker) -> None:
    [pid] = await charts.pids()
    await charts.close()
    assert pid not in {p.pid for p in multiprocessing.active_children()}
    with pytest.raises(RuntimeError, match="closed"):
        await charts.render(CHART_KIND, history(2))


def test_the_bot_process_never_imports_matplotlib_or_numpy() -> None:
    """Everything `run` loads, then a check-in chart and a pulse chart drawn the way the cogs do.

    A fresh interpreter, so imports made by other tests cannot hide or fake the result.
    """
    script = textwrap.dedent(
        """
        import asyncio, importlib, sys
        import bot.cli, bot.app.runner
        from bot.app.client import cog_extensions
        from bot.charts.worker import ChartWorker
        from bot.checkins.history import CHART_KIND, week_points
        from bot.checkins.store import WeekAggregate
        from bot.charts import pulse_points
        from datetime import date

        for extension in cog_extensions():
            importlib.import_module(extension)

        async def main():
            worker = ChartWorker()
            weeks = [WeekAggregate(f"2026-W{n:02d}", 4, (0, 1, 2, 1, 0), (1, 1, 1, 1))
                     for n in (1, 2, 3)]
            chart = await worker.render(CHART_KIND, week_points(weeks))
            trend = pulse_points.PulseTrend(
                (pulse_points.SuppressedPoint(date(2026, 1, 5)),
                 pulse_points.PublishedPoint("5 Jan + 19 Jan", date(2026, 1, 19), 6, 50, 40,
                                             60, 0.5, pooled=True)),
                (pulse_points.Driver("Support", 0.5, resource=True),),
            )
            pulse = await pulse_points.render(worker, trend)
            await worker.close()
            assert chart.png.startswith(b"\\x89PNG")
            assert pulse.png.startswith(b"\\x89PNG")

        asyncio.run(main())
        print(sorted(m for m in sys.modules if m.split(".")[0] in ("matplotlib", "numpy")))
        """
    )
    done = subprocess.run(  # noqa: S603 - our own interpreter, a fixed script
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_labels_pasted_from_the_cache_match_labels_drawn_afresh() -> None:
    """The second drawing of a chart pastes every label; it must equal the first pixel for pixel."""
    from matplotlib.image import imread

    from bot.charts import checkin_history, style

    style.apply()
    for weeks in (12, 260):
        points = history(weeks)
        first = imread(io.BytesIO(checkin_history.render(points).png), format="png")
        again = imread(io.BytesIO(checkin_history.render(points).png), format="png")
        assert (first == again).all()


def test_only_the_renderers_import_matplotlib_or_numpy() -> None:
    """Static twin of the subprocess check: nothing on the bot's import path names them."""
    root = Path(__file__).resolve().parents[2]
    renderers = {"style.py", *(f"{m.rsplit('.', 1)[1]}.py" for m in RENDERERS.values())}
    offenders = []
    for path in sorted([*(root / "bot").rglob("*.py"), *(root / "cogs").rglob("*.py")]):
        if path.parent == root / "bot" / "charts" and path.name in renderers:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = (
                [alias.name for alias in node.names]
                if isinstance(node, ast.Import)
                else [node.module]
                if isinstance(node, ast.ImportFrom) and node.module
                else []
            )
            if any(name.split(".")[0] in ("matplotlib", "numpy") for name in names):
                offenders.append(str(path.relative_to(root)))
    assert offenders == []
