"""The pulse trend chart as plain values: points, drivers, the plotted series, alt text.

No matplotlib here: the bot's process builds a `PulseTrend` from published results and
sends it to the chart worker (`bot.charts.pulse_trend` draws it). A round that was not
published is a `SuppressedPoint`, which carries its date and nothing else, so no count
below the threshold can reach the chart or its words.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from bot.wording import plural

if TYPE_CHECKING:
    from bot.charts.worker import ChartWorker, RenderedChart

CHART_KIND = "pulse_trend"
DISCLAIMER = "Group pulse, not a validated instrument or a diagnosis"
NOT_ENOUGH = "not enough responses"
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_LISTED_POINTS = 8  # the alt text names each point up to this many, then summarises


@dataclass(frozen=True)
class PublishedPoint:
    """A published result: one round, or several pooled ("1 Dec + 15 Dec").

    `on` places it on the axis (for a pooled point, its latest round); the index values
    are on 0-100; `sts_share` is the share answering often/always (0-1), None when the
    instrument has no such item.
    """

    label: str
    on: date
    n: int
    index_median: float
    index_q1: float
    index_q3: float
    sts_share: float | None
    pooled: bool = False

    def __post_init__(self) -> None:
        if not 0 <= self.index_q1 <= self.index_median <= self.index_q3 <= 100:
            raise ValueError("a pulse point needs 0 <= q1 <= median <= q3 <= 100")
        if self.sts_share is not None and not 0 <= self.sts_share <= 1:
            raise ValueError("a share lies between 0 and 1")
        if self.n < 1:
            raise ValueError("a published point has answers")


@dataclass(frozen=True)
class SuppressedPoint:
    """A round with too few answers to publish: a labelled gap, with no numbers at all."""

    on: date


PulsePoint = PublishedPoint | SuppressedPoint


@dataclass(frozen=True)
class Driver:
    """One driver of the latest published point: the share often/always or agreeing (0-1).

    `resource` is the reversed wording ("I could get supervision"), where agreeing is good.
    """

    name: str
    share: float
    resource: bool

    def __post_init__(self) -> None:
        if not 0 <= self.share <= 1:
            raise ValueError("a share lies between 0 and 1")


@dataclass(frozen=True)
class PulseTrend:
    """Everything the pulse chart shows, oldest point first."""

    points: tuple[PulsePoint, ...]
    drivers: tuple[Driver, ...] = ()

    def __post_init__(self) -> None:
        if not self.points:
            raise ValueError("a pulse chart needs at least one round")
        days = [p.on for p in self.points]
        if days != sorted(days) or len(set(days)) != len(days):
            raise ValueError("pulse points must be in date order, one per date")


@dataclass(frozen=True)
class Series:
    """What the chart plots, one value per point (NaN where the line breaks)."""

    xs: list[int]
    median: list[float]
    q1: list[float]
    q3: list[float]
    sts: list[float]
    pooled_xs: list[int]
    pooled_median: list[float]
    gaps: list[int]
    counts: list[tuple[int, float, int]]  # (x, median, n) of each published point


def series(points: Sequence[PulsePoint]) -> Series:
    """The plotted values: suppressed rounds are NaN (the line breaks) and listed as gaps."""
    xs = [p.on.toordinal() for p in points]
    nan = math.nan

    def value(point: PulsePoint, pick: str) -> float:
        if not isinstance(point, PublishedPoint):
            return nan
        if pick == "sts":
            return nan if point.sts_share is None else point.sts_share * 100
        return float(getattr(point, pick))

    published = [(x, p) for x, p in zip(xs, points, strict=True) if isinstance(p, PublishedPoint)]
    return Series(
        xs=xs,
        median=[value(p, "index_median") for p in points],
        q1=[value(p, "index_q1") for p in points],
        q3=[value(p, "index_q3") for p in points],
        sts=[value(p, "sts") for p in points],
        pooled_xs=[x for x, p in published if p.pooled],
        pooled_median=[p.index_median for _, p in published if p.pooled],
        gaps=[x for x, p in zip(xs, points, strict=True) if isinstance(p, SuppressedPoint)],
        counts=[(x, p.index_median, p.n) for x, p in published],
    )


def day_label(day: date) -> str:
    """ "1 Dec": the way the chart names a round's date."""
    return f"{day.day} {_MONTHS[day.month - 1]}"


def alt_text(trend: PulseTrend) -> str:
    """The chart in words, with the numbers it shows and never a count below the threshold."""
    points = trend.points
    published = [p for p in points if isinstance(p, PublishedPoint)]
    first, last = points[0].on, points[-1].on
    span = (
        f"on {day_label(first)} {first.year}"
        if first == last
        else f"from {day_label(first)} {first.year} to {day_label(last)} {last.year}"
    )
    parts = [f"Group pulse {span}: {plural(len(points), 'round')}, {len(published)} published."]
    if len(published) > 1:
        start, end = published[0].index_median, published[-1].index_median
        parts.append(f"Burnout index median (0-100) {_trend(start, end)}.")
    if published:
        if len(published) <= _LISTED_POINTS:
            parts.append(
                "Each published point (burnout index 0-100): "
                + "; ".join(
                    f"{p.label}{' (pooled)' if p.pooled else ''}: median {p.index_median:g}, "
                    f"middle half {p.index_q1:g}-{p.index_q3:g}{_sts(p)}, n = {p.n}"
                    for p in published
                )
                + "."
            )
        else:
            medians = [p.index_median for p in published]
            counts = [p.n for p in published]
            parts.append(
                f"Medians between {min(medians):g} and {max(medians):g}; n per point from "
                f"{min(counts)} to {max(counts)}."
            )
            shares = [p.sts_share for p in published if p.sts_share is not None]
            if shares:
                parts.append(
                    f"Secondary traumatic stress, often or always: {shares[0]:.0%} at first, "
                    f"{shares[-1]:.0%} latest."
                )
        pooled = sum(p.pooled for p in published)
        if pooled:
            parts.append(f"{plural(pooled, 'point')} pooled from several rounds.")
    gaps = [p.on for p in points if isinstance(p, SuppressedPoint)]
    if gaps:
        listed = (
            ", ".join(day_label(d) for d in gaps)
            if len(gaps) <= _LISTED_POINTS
            else f"{plural(len(gaps), 'round')}, the latest {day_label(gaps[-1])}"
        )
        parts.append(f"{NOT_ENOUGH.capitalize()} to protect anonymity, not shown: {listed}.")
    if trend.drivers and published:
        parts.append(
            f"Latest drivers ({published[-1].label}), share often/always or agreeing: "
            + "; ".join(
                f"{d.name}{' (a resource)' if d.resource else ''} {d.share:.0%}"
                for d in trend.drivers
            )
            + "."
        )
    parts.append(f"{DISCLAIMER}.")
    return " ".join(parts)


def _sts(point: PublishedPoint) -> str:
    if point.sts_share is None:
        return ""
    return f", secondary traumatic stress {point.sts_share:.0%}"


def _trend(start: float, end: float) -> str:
    if end > start:
        return f"rose from {start:g} to {end:g}"
    if end < start:
        return f"fell from {start:g} to {end:g}"
    return f"stayed at {end:g}"


async def render(worker: ChartWorker, trend: PulseTrend) -> RenderedChart:
    """Draw `trend` in the chart worker: what the pulse cog awaits."""
    return await worker.render(CHART_KIND, trend)
