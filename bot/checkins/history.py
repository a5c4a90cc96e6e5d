"""The moderators' history chart as plain values: week bounds, per-week points, alt text.

No matplotlib here: the bot's process validates and prepares the data, and the chart
worker (`bot.charts`) draws it. Weeks with fewer than `MIN_RESPONSES` answers show
participation only, as in the channel summary.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from statistics import median, quantiles

from bot.checkins.answers import ENERGY_LEVELS
from bot.checkins.schedule import parse_period
from bot.checkins.store import WeekAggregate
from bot.checkins.summary import MIN_RESPONSES
from bot.errors import UserError
from bot.wording import plural

MIN_WEEKS = 2
MAX_WEEKS = 260
CHART_KIND = "checkin_history"


@dataclass(frozen=True)
class WeekPoint:
    """One week on the chart; the energy and caseload values are None when suppressed."""

    period: str
    starts: date
    responses: int
    energy_median: float | None
    energy_q1: float | None
    energy_q3: float | None
    caseload: tuple[int, int, int, int] | None


def validate_weeks(weeks: int) -> int:
    """How many weeks a chart may cover."""
    if not MIN_WEEKS <= weeks <= MAX_WEEKS:
        raise UserError(f"Pick between {MIN_WEEKS} and {MAX_WEEKS} weeks, for example 12.")
    return weeks


def week_start(period: str) -> date:
    """The Monday an ISO week ("2026-W10") starts on: the chart's axis shows dates."""
    year, week = parse_period(period)
    return date.fromisocalendar(year, week, 1)


def week_points(weeks: Sequence[WeekAggregate]) -> list[WeekPoint]:
    """Per-week values for the chart, suppressed below `MIN_RESPONSES`."""
    if not weeks:
        raise UserError("There is no closed check-in yet, so there is nothing to chart.")
    points = []
    for week in weeks:
        starts = week_start(week.period)
        if week.responses < MIN_RESPONSES:
            points.append(WeekPoint(week.period, starts, week.responses, None, None, None, None))
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
                starts,
                week.responses,
                float(median(energies)),
                q1,
                q3,
                week.caseload_counts,
            )
        )
    return points


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
