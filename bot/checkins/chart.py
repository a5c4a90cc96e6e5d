"""The moderators' history chart: energy, caseload and participation over recent weeks.

Rendered with matplotlib's object-oriented API on an Agg canvas (no pyplot, no global
figure state), so the glue can call `render_history` in a worker thread with
`asyncio.to_thread`. Weeks with fewer than `MIN_RESPONSES` answers show participation
only, as in the channel summary.
"""

from __future__ import annotations

import io
import math
from collections.abc import Sequence
from dataclasses import dataclass
from statistics import median, quantiles

from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import PolyCollection
from matplotlib.figure import Figure

from bot.checkins.answers import CASELOADS, ENERGY_LEVELS
from bot.checkins.store import WeekAggregate
from bot.checkins.summary import MIN_RESPONSES
from bot.errors import UserError
from bot.wording import plural

MIN_WEEKS = 2
MAX_WEEKS = 260
_CASELOAD_COLOURS = ("#9ecae1", "#4292c6", "#f16913", "#a50f15")


@dataclass(frozen=True)
class WeekPoint:
    """One week on the chart; the energy and caseload values are None when suppressed."""

    period: str
    responses: int
    energy_median: float | None
    energy_q1: float | None
    energy_q3: float | None
    caseload: tuple[int, int, int, int] | None


@dataclass(frozen=True)
class HistoryChart:
    """A PNG and the words that describe it."""

    png: bytes
    alt_text: str


def validate_weeks(weeks: int) -> int:
    """How many weeks a chart may cover."""
    if not MIN_WEEKS <= weeks <= MAX_WEEKS:
        raise UserError(f"Pick between {MIN_WEEKS} and {MAX_WEEKS} weeks, for example 12.")
    return weeks


def week_points(weeks: Sequence[WeekAggregate]) -> list[WeekPoint]:
    """Per-week values for the chart, suppressed below `MIN_RESPONSES`."""
    points = []
    for week in weeks:
        if week.responses < MIN_RESPONSES:
            points.append(WeekPoint(week.period, week.responses, None, None, None, None))
            continue
        energies = [
            level
            for level, count in zip(ENERGY_LEVELS, week.energy_counts, strict=True)
            for _ in range(count)
        ]
        q1, _, q3 = quantiles(energies, n=4, method="inclusive")
        points.append(
            WeekPoint(
                week.period,
                week.responses,
                float(median(energies)),
                q1,
                q3,
                week.caseload_counts,
            )
        )
    return points


def render_history(weeks: Sequence[WeekAggregate]) -> HistoryChart:
    """Draw the chart as PNG bytes with alt text; UserError when there is no closed round yet."""
    if not weeks:
        raise UserError("There is no closed check-in yet, so there is nothing to chart.")
    points = week_points(weeks)
    # Fixed margins instead of a layout engine, and bars as one polygon collection per
    # series instead of one patch per bar: five years of weeks render in a fraction of the time.
    figure = Figure(figsize=(9, 7.5), dpi=100)
    FigureCanvasAgg(figure)
    figure.subplots_adjust(left=0.08, right=0.98, top=0.95, bottom=0.13, hspace=0.12)
    energy_axes, caseload_axes, participation_axes = figure.subplots(3, 1, sharex=True)
    x = list(range(len(points)))
    labels = [p.period for p in points]

    medians = [p.energy_median if p.energy_median is not None else math.nan for p in points]
    lower = [p.energy_q1 if p.energy_q1 is not None else math.nan for p in points]
    upper = [p.energy_q3 if p.energy_q3 is not None else math.nan for p in points]
    energy_axes.fill_between(x, lower, upper, color="#74c476", alpha=0.3, label="middle half")
    marker = "o" if len(points) <= 52 else None
    energy_axes.plot(x, medians, color="#238b45", marker=marker, label="median")
    energy_axes.set_ylim(0.8, 5.2)
    energy_axes.set_yticks(list(ENERGY_LEVELS))
    energy_axes.set_ylabel("Energy (1-5)")
    energy_axes.set_title("Weekly check-ins")
    energy_axes.legend(loc="upper left", fontsize="small")

    bottoms = [0] * len(points)
    for index, (option, colour) in enumerate(zip(CASELOADS, _CASELOAD_COLOURS, strict=True)):
        heights = [p.caseload[index] if p.caseload is not None else 0 for p in points]
        _bars(caseload_axes, heights, bottoms, colour, option)
        bottoms = [b + h for b, h in zip(bottoms, heights, strict=True)]
    caseload_axes.set_ylabel("Caseload (answers)")
    caseload_axes.legend(loc="upper left", fontsize="small", ncols=4)

    _bars(participation_axes, [p.responses for p in points], [0] * len(points), "#807dba", None)
    participation_axes.set_xlim(-0.6, len(points) - 0.4)
    participation_axes.set_ylabel("Responses")
    step = max(1, len(points) // 12)
    participation_axes.set_xticks(x[::step], labels[::step], rotation=45, ha="right")

    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return HistoryChart(buffer.getvalue(), alt_text(points))


def _bars(
    axes: Axes, heights: Sequence[int], bottoms: Sequence[int], colour: str, label: str | None
) -> None:
    half = 0.4 if len(heights) <= 52 else 0.5
    boxes = [
        [(i - half, bottom), (i + half, bottom), (i + half, bottom + h), (i - half, bottom + h)]
        for i, (h, bottom) in enumerate(zip(heights, bottoms, strict=True))
        if h
    ]
    axes.add_collection(PolyCollection(boxes, facecolors=colour, label=label))
    top = max((b + h for b, h in zip(bottoms, heights, strict=True)), default=0)
    axes.set_ylim(0, max(axes.get_ylim()[1], top * 1.35, 1))  # headroom for the legend


def alt_text(points: Sequence[WeekPoint]) -> str:
    """The chart's trend in words, for people who cannot see it."""
    first, last = points[0].period, points[-1].period
    parts = [f"Check-in history from {first} to {last} ({plural(len(points), 'week')})."]
    shown = [p for p in points if p.energy_median is not None]
    if shown:
        values = [p.energy_median for p in shown if p.energy_median is not None]
        start, end, lowest, highest = values[0], values[-1], min(values), max(values)
        parts.append(
            f"Median energy {_trend(start, end)} (weekly medians between {lowest:g} and "
            f"{highest:g} out of 5)."
        )
        half = len(shown) // 2
        if half:
            early, late = _heavy_share(shown[:half]), _heavy_share(shown[half:])
            parts.append(
                f"Heavy or overwhelming caseload: {early:.0%} of answers in the earlier weeks, "
                f"{late:.0%} in the later weeks."
            )
        else:
            parts.append(f"Heavy or overwhelming caseload: {_heavy_share(shown):.0%} of answers.")
    responses = [p.responses for p in points]
    parts.append(
        f"Responses per week averaged {sum(responses) / len(responses):.1f} "
        f"(from {min(responses)} to {max(responses)})."
    )
    hidden = len(points) - len(shown)
    if hidden:
        weeks, verb = ("week", "shows") if hidden == 1 else ("weeks", "show")
        parts.append(
            f"{hidden} {weeks} with fewer than {MIN_RESPONSES} responses {verb} participation only."
        )
    return " ".join(parts)


def _trend(start: float, end: float) -> str:
    if end > start:
        return f"rose from {start:g} to {end:g}"
    if end < start:
        return f"fell from {start:g} to {end:g}"
    return f"stayed at {end:g}"


def _heavy_share(points: Sequence[WeekPoint]) -> float:
    heavy = sum(p.caseload[2] + p.caseload[3] for p in points if p.caseload is not None)
    total = sum(sum(p.caseload) for p in points if p.caseload is not None)
    return heavy / total if total else 0.0
