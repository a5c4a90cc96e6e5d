"""The pulse trend chart: burnout index with its middle half, secondary traumatic stress,
n on each published point, pooled points marked, unpublished rounds as labelled gaps;
beside it the latest drivers as horizontal bars.

Runs in the chart worker and draws the way the check-in chart does: the card, axes,
legends and fixed text are drawn once per worker process and kept as a bitmap; a chart
restores it, draws its data (a few lines and polygon collections) and pastes cached
label pixels, then encodes the pixels.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from datetime import date
from typing import TypeVar

from matplotlib.artist import Artist
from matplotlib.collections import PolyCollection
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from bot.charts import style
from bot.charts.pulse_points import (
    DISCLAIMER,
    NOT_ENOUGH,
    Driver,
    PublishedPoint,
    PulsePoint,
    PulseTrend,
    Series,
    SuppressedPoint,
    alt_text,
    day_label,
    series,
)
from bot.charts.worker import RenderedChart

INDEX = style.BLUE
STS = style.VERMILION
DEMAND, RESOURCE = style.ORANGE, style.SKY
_MAX_X_LABELS = 7
_WIDE_STEP = 34  # pixels between points from which counts read "n=9", written across
_UPRIGHT_STEP = 16  # pixels an upright count needs
_OWN_LABEL_STEP = 60  # pixels between points from which each round gets its own date
_NAME_CHARS = 18
_BAR_HALF = 0.32
_MIN_ROWS = 4
_LABEL_GAP = 10  # pixels between a point and its count
_DRIVERS_TITLE_X = 0.655
Box = list[tuple[float, float]]
A = TypeVar("A", bound=Artist)


class _PulseFigure:
    """The reusable figure: a cached background and the artists whose data change."""

    def __init__(self) -> None:
        self.figure, self.canvas = style.new_figure()
        self.figure.text(0.02, 0.955, "Group pulse", fontsize=style.TITLE_SIZE, weight="bold")
        self.figure.text(0.02, 0.02, DISCLAIMER, fontsize=8, color=style.MUTED)
        self.dynamic: list[Artist] = []

        self.trend = self.figure.add_axes((0.07, 0.15, 0.52, 0.66))
        style.style_axes(self.trend)
        self.trend.set_ylim(0, 100)
        self.trend.set_yticks([0, 25, 50, 75, 100])
        self.trend.set_xticks([])
        self.trend.set_ylabel("0-100")
        self.band = self._add(PolyCollection([], facecolors=INDEX, alpha=0.2, linewidths=0))
        self.trend.add_collection(self.band)
        (self.median,) = self.trend.plot([], [], color=INDEX, marker="o", markersize=5)
        (self.sts,) = self.trend.plot(
            [], [], color=STS, marker="s", markersize=4, linestyle="--", linewidth=1.6
        )
        self.pooled = self.trend.add_line(_pooled_marker())
        for line in (self.median, self.sts, self.pooled):
            self._add(line)
        self.trend.legend(
            [
                self.median,
                Patch(facecolor=INDEX, alpha=0.2),
                self.sts,
                _pooled_marker(),
            ],
            [
                "burnout index, median",
                "middle half of answers",
                "secondary traumatic stress, % often/always",
                "pooled rounds (n over all of them)",
            ],
            loc="lower left",
            bbox_to_anchor=(0, 1.01),
            ncols=2,
            borderaxespad=0.2,
            handlelength=1.8,
            columnspacing=1.0,
        )

        self.figure.text(_DRIVERS_TITLE_X, 0.905, "Latest drivers", fontsize=11, weight="bold")
        self.drivers = self.figure.add_axes((0.77, 0.15, 0.2, 0.66))
        style.style_axes(self.drivers)
        self.drivers.grid(False)
        self.drivers.grid(True, axis="x")
        self.drivers.set_xlim(0, 125)  # room for "100%" beside a full bar
        self.drivers.set_xticks([0, 50, 100], ["0%", "50%", "100%"])
        self.drivers.set_yticks([])
        self.drivers.set_xlabel("often/always or agreeing", fontsize=9, color=style.MUTED)
        self.drivers.spines["left"].set_visible(False)
        self.bars = self._add(PolyCollection([], linewidths=0))
        self.drivers.add_collection(self.bars)
        self.figure.legend(
            [Patch(facecolor=DEMAND), Patch(facecolor=RESOURCE)],
            ["demand", "resource"],
            loc="upper right",
            bbox_to_anchor=(0.985, 0.975),
            ncols=2,
            handlelength=1.2,
        )

        self.labels = style.Labels(self.figure, self.canvas)
        self.canvas.draw()  # type: ignore[no-untyped-call]
        self.background = self.canvas.copy_from_bbox(self.figure.bbox)  # type: ignore[no-untyped-call]

    def _add(self, artist: A) -> A:
        artist.set_animated(True)
        self.dynamic.append(artist)
        return artist

    def draw(self, trend: PulseTrend) -> bytes:
        """Put `trend` on the figure and return it as PNG bytes."""
        values = series(trend.points)
        xs = values.xs
        pad = max(7.0, (xs[-1] - xs[0]) * 0.05)
        self.trend.set_xlim(xs[0] - pad, xs[-1] + pad)
        lone = (xs[-1] - xs[0] + 2 * pad) * 0.012  # half the width of a lone point's band
        self.band.set_verts(_bands(xs, values.q1, values.q3, lone))
        self.median.set_data(xs, values.median)
        self.sts.set_data(xs, values.sts)
        self.pooled.set_data(values.pooled_xs, values.pooled_median)
        drivers = trend.drivers
        # The first driver on top; at least four rows, so a lone bar keeps its thickness.
        self.drivers.set_ylim(max(len(drivers), _MIN_ROWS) - 0.5, -0.5)
        self.bars.set_verts(_bars(drivers))
        self.bars.set_facecolor([RESOURCE if d.resource else DEMAND for d in drivers])

        self.canvas.restore_region(self.background)  # type: ignore[no-untyped-call]
        for artist in self.dynamic:
            self.figure.draw_artist(artist)
        self._trend_labels(trend, values)
        self._driver_labels(trend)
        return style.encode_png(self.canvas)

    def _trend_labels(self, trend: PulseTrend, values: Series) -> None:
        to_pixels = self.trend.transData.transform
        bottom = self.trend.transAxes.transform((0, 0))[1]
        middle = self.trend.transAxes.transform((0, 0.5))[1]
        xs = [to_pixels((x, 0))[0] for x in values.xs]
        step = min((b - a for a, b in itertools.pairwise(xs)), default=_WIDE_STEP)
        wide = step >= _WIDE_STEP
        # Close points get upright bare counts; too close for those, every k-th point.
        every = 1 if wide else math.ceil(_UPRIGHT_STEP / max(step, 1))
        for x, median, n in values.counts[::-1][::every]:
            px, py = to_pixels((x, median))
            above = median <= 85  # near the top, the count goes under its point
            self.labels.put(
                f"n={n}" if wide else str(n),
                px,
                py + _LABEL_GAP if above else py - _LABEL_GAP,
                "center",
                "bottom" if above else "top",
                rotation=0 if wide else 90,
                boxed=True,
            )
        for point in trend.points:
            if isinstance(point, SuppressedPoint):
                px = to_pixels((point.on.toordinal(), 0))[0]
                self.labels.put(NOT_ENOUGH, px, middle, "center", "center", rotation=90, boxed=True)
        for x, name in _x_labels(trend.points, step):
            self.labels.put(name, to_pixels((x, 0))[0], bottom - 6, "center", "top")

    def _driver_labels(self, trend: PulseTrend) -> None:
        published = [p for p in trend.points if isinstance(p, PublishedPoint)]
        left, top = self.drivers.transAxes.transform((0, 1))
        title_x = self.figure.transFigure.transform((_DRIVERS_TITLE_X, 0))[0]
        if not trend.drivers or not published:
            x, y = self.drivers.transAxes.transform((0.5, 0.5))
            why = "no drivers asked" if published else "no published result yet"
            self.labels.put(why, x, y, "center", "center", boxed=True)
            return
        self.labels.put(f"from {published[-1].label}", title_x, top + 8, "left", "bottom")
        to_pixels = self.drivers.transData.transform
        for row, driver in enumerate(trend.drivers):
            _, py = to_pixels((0, row))
            px = to_pixels((driver.share * 100, row))[0]
            self.labels.put(_short(driver.name), left - 6, py, "right", "center")
            self.labels.put(f"{driver.share:.0%}", px + 4, py, "left", "center", boxed=True)


def _x_labels(points: Sequence[PulsePoint], step: float) -> list[tuple[int, str]]:
    """The axis's dates (ordinal, text): with room, each round's own ("17 Nov" over
    "+ 1 Dec" for a pooled point); otherwise the shared day-and-month or month ticks."""
    if len(points) <= _MAX_X_LABELS and step >= _OWN_LABEL_STEP:
        return [(p.on.toordinal(), _own_label(p)) for p in points]
    positions, names = style.date_ticks([p.on for p in points], _MAX_X_LABELS)
    return list(zip(positions, names, strict=True))


def _own_label(point: PulsePoint) -> str:
    if isinstance(point, SuppressedPoint):
        return day_label(point.on)
    return point.label.replace(" + ", "\n+ ")


def _pooled_marker() -> Line2D:
    """A pooled point's mark: a hollow diamond around its dot (in the plot and the legend)."""
    return Line2D(
        [],
        [],
        linestyle="none",
        marker="D",
        markersize=11,
        markerfacecolor="none",
        markeredgecolor=style.TEXT,
        markeredgewidth=1.4,
    )


def _short(name: str) -> str:
    return name if len(name) <= _NAME_CHARS else name[: _NAME_CHARS - 1] + "\N{HORIZONTAL ELLIPSIS}"


def _bands(
    xs: Sequence[int], lows: Sequence[float], highs: Sequence[float], lone: float
) -> list[Box]:
    """One polygon per run of published points: an unpublished round breaks the band."""
    bands: list[Box] = []
    run: list[tuple[float, float, float]] = []
    for x, low, high in [*zip(xs, lows, highs, strict=True), (0, float("nan"), float("nan"))]:
        if not math.isnan(low):
            run.append((x, low, high))
            continue
        if run:
            if len(run) == 1:  # a lone point: a narrow box instead of a zero-width band
                x0, low0, high0 = run[0]
                run = [(x0 - lone, low0, high0), (x0 + lone, low0, high0)]
            upper = [(float(x1), top) for x1, _, top in run]
            lower = [(float(x1), bottom) for x1, bottom, _ in reversed(run)]
            bands.append(upper + lower)
            run = []
    return bands


def _bars(drivers: Sequence[Driver]) -> list[Box]:
    """One horizontal bar per driver, row 0 first, its length the share in percent."""
    return [
        [
            (0.0, row - _BAR_HALF),
            (d.share * 100, row - _BAR_HALF),
            (d.share * 100, row + _BAR_HALF),
            (0.0, row + _BAR_HALF),
        ]
        for row, d in enumerate(drivers)
    ]


_figure: _PulseFigure | None = None


def render(trend: PulseTrend) -> RenderedChart:
    """The chart of `trend` as PNG bytes with its alt text."""
    global _figure  # noqa: PLW0603 - one reusable figure per worker process
    if _figure is None:
        _figure = _PulseFigure()
    return RenderedChart(_figure.draw(trend), alt_text(trend))


def warm_up() -> None:
    """Draw a small chart once so the first real chart finds fonts and caches ready."""
    render(
        PulseTrend(
            (
                PublishedPoint("1 Dec", date(2025, 12, 1), 8, 45, 30, 60, 0.25),
                SuppressedPoint(date(2025, 12, 15)),
                PublishedPoint("15 Dec + 29 Dec", date(2025, 12, 29), 7, 50, 35, 65, 0.3, True),
            ),
            (Driver("Caseload", 0.4, resource=True), Driver("Admin burden", 0.6, resource=False)),
        )
    )
