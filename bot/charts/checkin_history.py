"""The check-in history chart: energy (median and middle half), caseload, participation.

Runs in the chart worker. The figure, its three axes and every artist are made once per
worker process and only their data change per chart: no layout engine, one polygon
collection per series, a handful of ticks. That keeps a warm render close to the cost of
an empty figure of the same size.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import date

from matplotlib.axes import Axes
from matplotlib.collections import PolyCollection
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from bot.charts import style
from bot.charts.worker import RenderedChart
from bot.checkins.answers import CASELOADS, ENERGY_LEVELS
from bot.checkins.history import WeekPoint, alt_text

_CASELOAD_COLOURS = (style.SKY, style.BLUE, style.ORANGE, style.VERMILION)
_PARTICIPATION = style.PURPLE
_WEEK = 7  # days between two points on the axis
Box = list[tuple[float, float]]


class _HistoryFigure:
    """The reusable figure and the artists whose data change per chart."""

    def __init__(self) -> None:
        self.figure: Figure = style.new_figure()
        self.figure.text(0.02, 0.955, "Weekly check-ins", fontsize=style.TITLE_SIZE, weight="bold")
        left, width = 0.075, 0.905
        self.energy = self.figure.add_axes((left, 0.56, width, 0.33))
        self.caseload = self.figure.add_axes((left, 0.33, width, 0.17), sharex=self.energy)
        self.responses = self.figure.add_axes((left, 0.1, width, 0.17), sharex=self.energy)
        for axes in (self.energy, self.caseload, self.responses):
            style.style_axes(axes)
        for axes in (self.energy, self.caseload):
            axes.tick_params(labelbottom=False)

        self.band = PolyCollection([], facecolors=style.GREEN, alpha=0.25, linewidths=0)
        self.energy.add_collection(self.band)
        (self.median,) = self.energy.plot([], [], color=style.GREEN, markersize=4)
        self.energy.set_ylim(0.7, 5.3)
        self.energy.set_yticks(list(ENERGY_LEVELS))
        self.energy.set_ylabel("Energy (1-5)")
        self.energy.legend(
            [self.median, Patch(facecolor=style.GREEN, alpha=0.25)],
            ["median", "middle half"],
            loc="lower right",
            bbox_to_anchor=(1, 1),
            ncols=2,
            borderaxespad=0.2,
        )

        self.stacks = [
            PolyCollection([], facecolors=colour, linewidths=0) for colour in _CASELOAD_COLOURS
        ]
        for stack in self.stacks:
            self.caseload.add_collection(stack)
        self.caseload.set_ylabel("Caseload")
        self.caseload.legend(
            [Patch(facecolor=c) for c in _CASELOAD_COLOURS],
            list(CASELOADS),
            loc="lower right",
            bbox_to_anchor=(1, 1),
            ncols=4,
            borderaxespad=0.2,
        )

        self.participation = PolyCollection([], facecolors=_PARTICIPATION, linewidths=0)
        self.responses.add_collection(self.participation)
        self.responses.set_ylabel("Responses")

    def draw(self, points: Sequence[WeekPoint]) -> bytes:
        """Put `points` on the figure and return it as PNG bytes."""
        xs = [p.starts.toordinal() for p in points]
        half = _WEEK * (0.4 if len(points) <= 52 else 0.5)
        self.band.set_verts(_bands(points, xs))
        self.median.set_data(
            xs, [math.nan if p.energy_median is None else p.energy_median for p in points]
        )
        self.median.set_marker("o" if len(points) <= 52 else "")

        bottoms = [0] * len(points)
        for index, stack in enumerate(self.stacks):
            heights = [p.caseload[index] if p.caseload is not None else 0 for p in points]
            stack.set_verts(_boxes(xs, heights, bottoms, half))
            bottoms = [b + h for b, h in zip(bottoms, heights, strict=True)]
        _set_count_axis(self.caseload, max(bottoms, default=0))

        counts = [p.responses for p in points]
        self.participation.set_verts(_boxes(xs, counts, [0] * len(points), half))
        _set_count_axis(self.responses, max(counts, default=0))

        self.energy.set_xlim(xs[0] - _WEEK * 0.6, xs[-1] + _WEEK * 0.6)
        positions, labels = style.date_ticks([p.starts for p in points])
        self.responses.set_xticks(positions, labels)
        return style.png(self.figure)


def _boxes(
    xs: Sequence[int], heights: Sequence[int], bottoms: Sequence[int], half: float
) -> list[Box]:
    return [
        [(x - half, b), (x + half, b), (x + half, b + h), (x - half, b + h)]
        for x, h, b in zip(xs, heights, bottoms, strict=True)
        if h
    ]


def _bands(points: Sequence[WeekPoint], xs: Sequence[int]) -> list[Box]:
    """One polygon per run of weeks with energy values (suppressed weeks break the band)."""
    bands: list[Box] = []
    run: list[tuple[int, float, float]] = []
    for x, point in [*zip(xs, points, strict=True), (0, None)]:
        if point is not None and point.energy_q1 is not None and point.energy_q3 is not None:
            run.append((x, point.energy_q1, point.energy_q3))
            continue
        if run:
            if len(run) == 1:  # a lone week: a narrow box instead of a zero-width band
                x0, low, high = run[0]
                run = [(x0 - 1, low, high), (x0 + 1, low, high)]
            upper = [(float(x1), high) for x1, _, high in run]
            lower = [(float(x1), low) for x1, low, _ in reversed(run)]
            bands.append(upper + lower)
            run = []
    return bands


def _set_count_axis(axes: Axes, top: int) -> None:
    """Whole-number ticks 0, n, 2n… with room above the tallest bar."""
    step = next(s for s in (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000) if top <= 3 * s)
    ticks = list(range(0, top + step, step))
    axes.set_ylim(0, max(ticks[-1], 1) * 1.05)
    axes.set_yticks(ticks)


_figure: _HistoryFigure | None = None


def render(points: Sequence[WeekPoint]) -> RenderedChart:
    """The chart of `points` (oldest first) as PNG bytes with its alt text."""
    global _figure  # noqa: PLW0603 - one reusable figure per worker process
    if _figure is None:
        _figure = _HistoryFigure()
    return RenderedChart(_figure.draw(points), alt_text(points))


def warm_up() -> None:
    """Draw a small chart once so the first real chart finds fonts and caches ready."""
    render(
        [
            WeekPoint("2026-W01", date(2025, 12, 29), 5, 3.0, 2.0, 4.0, (1, 2, 1, 1)),
            WeekPoint("2026-W02", date(2026, 1, 5), 2, None, None, None, None),
        ]
    )
