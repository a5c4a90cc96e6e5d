"""The check-in history chart: energy (median and middle half), caseload, participation.

Runs in the chart worker. Everything that does not depend on the data (the card, axes,
grid, fixed ticks, legends, titles) is drawn once per worker process and kept as a
bitmap; a chart restores that bitmap and draws only its data and a dozen labels on top,
then encodes the pixels. No layout engine, one polygon collection per series. That keeps
a warm render close to the cost of saving an empty figure of the same size.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import date
from typing import TypeVar

from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.collections import PolyCollection
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.transforms import blended_transform_factory

from bot.charts import style
from bot.charts.worker import RenderedChart
from bot.checkins.answers import CASELOADS, ENERGY_LEVELS
from bot.checkins.history import WeekPoint, alt_text

_CASELOAD_COLOURS = (style.SKY, style.BLUE, style.ORANGE, style.VERMILION)
_PARTICIPATION = style.PURPLE
_WEEK = 7  # days between two points on the axis
_MAX_X_LABELS = 7
_MAX_Y_LABELS = 3
Box = list[tuple[float, float]]
A = TypeVar("A", bound=Artist)


class _HistoryFigure:
    """The reusable figure: a cached background and the artists whose data change."""

    def __init__(self) -> None:
        self.figure, self.canvas = style.new_figure()
        self.figure.text(0.02, 0.955, "Weekly check-ins", fontsize=style.TITLE_SIZE, weight="bold")
        left, width = 0.075, 0.905
        self.energy = self.figure.add_axes((left, 0.56, width, 0.33))
        self.caseload = self.figure.add_axes((left, 0.33, width, 0.17), sharex=self.energy)
        self.responses = self.figure.add_axes((left, 0.1, width, 0.17), sharex=self.energy)
        for axes in (self.energy, self.caseload, self.responses):
            style.style_axes(axes)
        self.energy.set_xticks([])
        self.dynamic: list[Artist] = []

        self.band = self._add(PolyCollection([], facecolors=style.GREEN, alpha=0.25, linewidths=0))
        self.energy.add_collection(self.band)
        (self.median,) = self.energy.plot([], [], color=style.GREEN, markersize=4, animated=True)
        self.dynamic.append(self.median)
        self.energy.set_ylim(0.7, 5.3)
        self.energy.set_yticks(list(ENERGY_LEVELS))
        self.energy.set_ylabel("Energy (1-5)")
        self.energy.legend(
            [Line2D([], [], color=style.GREEN), Patch(facecolor=style.GREEN, alpha=0.25)],
            ["median", "middle half"],
            loc="lower right",
            bbox_to_anchor=(1, 1),
            ncols=2,
            borderaxespad=0.2,
        )

        # Caseload as each week's shares: fixed ticks, and groups of any size compare.
        self.stacks = [
            self._add(PolyCollection([], facecolors=colour, linewidths=0))
            for colour in _CASELOAD_COLOURS
        ]
        for stack in self.stacks:
            self.caseload.add_collection(stack)
        self.caseload.set_ylim(0, 1)
        self.caseload.set_yticks([0, 0.5, 1], ["0%", "50%", "100%"])
        self.caseload.set_ylabel("Caseload")
        self.caseload.legend(
            [Patch(facecolor=c) for c in _CASELOAD_COLOURS],
            list(CASELOADS),
            loc="lower right",
            bbox_to_anchor=(1, 1),
            ncols=4,
            borderaxespad=0.2,
        )

        self.participation = self._add(PolyCollection([], facecolors=_PARTICIPATION, linewidths=0))
        self.responses.add_collection(self.participation)
        self.responses.set_ylabel("Responses")
        self.responses.set_yticks([])
        # The count axis and the dates change per chart: grid lines and labels of their own.
        beside = blended_transform_factory(self.responses.transAxes, self.responses.transData)
        self.y_grid = [
            self._add(
                Line2D([0, 1], [0, 0], transform=beside, color=style.GRID, linewidth=0.8),
                self.responses,
            )
            for _ in range(_MAX_Y_LABELS)
        ]
        self.labels = style.Labels(self.figure, self.canvas)
        grid: list[Artist] = list(self.y_grid)
        self.dynamic = grid + [a for a in self.dynamic if a not in grid]  # grid under bars
        self.canvas.draw()  # type: ignore[no-untyped-call]
        self.background = self.canvas.copy_from_bbox(self.figure.bbox)  # type: ignore[no-untyped-call]

    def _add(self, artist: A, owner: Axes | None = None) -> A:
        artist.set_animated(True)
        if owner is not None:
            owner.add_artist(artist)
            artist.set_clip_on(isinstance(artist, Line2D))  # labels sit outside the axes
        self.dynamic.append(artist)
        return artist

    def draw(self, points: Sequence[WeekPoint]) -> bytes:
        """Put `points` on the figure and return it as PNG bytes."""
        xs = [p.starts.toordinal() for p in points]
        half = _WEEK * (0.4 if len(points) <= 52 else 0.5)
        self.energy.set_xlim(xs[0] - _WEEK * 0.6, xs[-1] + _WEEK * 0.6)
        self.band.set_verts(_bands(points, xs))
        self.median.set_data(
            xs, [math.nan if p.energy_median is None else p.energy_median for p in points]
        )
        self.median.set_marker("o" if len(points) <= 52 else "")

        bottoms = [0.0] * len(points)
        for index, stack in enumerate(self.stacks):
            shares = [
                p.caseload[index] / total if p.caseload and (total := sum(p.caseload)) else 0.0
                for p in points
            ]
            stack.set_verts(_boxes(xs, shares, bottoms, half))
            bottoms = [b + s for b, s in zip(bottoms, shares, strict=True)]

        counts = [p.responses for p in points]
        self.participation.set_verts(_boxes(xs, counts, [0] * len(points), half))
        top = max(counts, default=0)
        step = next(s for s in (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000) if top <= 2 * s)
        self.responses.set_ylim(0, max(step * math.ceil(top / step), 1) * 1.05)
        values = list(range(0, top + step, step))[:_MAX_Y_LABELS]
        for line, value in zip(self.y_grid, [*values, *[None] * _MAX_Y_LABELS], strict=False):
            line.set_visible(value is not None)
            line.set_ydata([value or 0, value or 0])
        self.canvas.restore_region(self.background)  # type: ignore[no-untyped-call]
        for artist in self.dynamic:
            if artist.get_visible():
                self.figure.draw_artist(artist)
        axes = self.responses
        left, bottom = axes.transAxes.transform((0, 0))
        for value in values:
            y = axes.transData.transform((0, value))[1]
            self.labels.put(str(value), left - 6, y, "right", "center")
        positions, labels = style.date_ticks([p.starts for p in points], _MAX_X_LABELS)
        for position, label in zip(positions, labels, strict=True):
            x = axes.transData.transform((position, 0))[0]
            self.labels.put(label, x, bottom - 6, "center", "top")
        return style.encode_png(self.canvas)


def _boxes(
    xs: Sequence[int], heights: Sequence[float], bottoms: Sequence[float], half: float
) -> list[Box]:
    """Bars as polygons: one box per week, or, when bars touch (long spans), one stepped
    outline per run of consecutive weeks, which draws the same pixels far faster."""
    if half * 2 < _WEEK:
        return [
            [(x - half, b), (x + half, b), (x + half, b + h), (x - half, b + h)]
            for x, h, b in zip(xs, heights, bottoms, strict=True)
            if h
        ]
    outlines: list[Box] = []
    top: Box = []
    bottom: Box = []
    for index, (x, h, b) in enumerate(zip(xs, heights, bottoms, strict=True)):
        top += [(x - half, b + h), (x + half, b + h)]
        bottom += [(x - half, b), (x + half, b)]
        if index + 1 == len(xs) or xs[index + 1] - x != _WEEK:
            outlines.append(top + bottom[::-1])
            top, bottom = [], []
    return outlines


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
