"""The history chart's data: suppression, dates on the axis, week bounds and alt text in words."""

from __future__ import annotations

from datetime import date

import pytest

from bot.checkins.history import alt_text, validate_weeks, week_points
from bot.checkins.store import WeekAggregate
from bot.errors import UserError


def week(
    n: int, energy: tuple[int, int, int, int, int], caseload: tuple[int, int, int, int]
) -> WeekAggregate:
    return WeekAggregate(f"2026-W{n:02d}", sum(energy), energy, caseload)


WEEKS = [
    week(1, (0, 1, 4, 3, 1), (2, 5, 2, 0)),
    week(2, (0, 0, 1, 1, 0), (0, 2, 0, 0)),  # two answers: participation only
    week(3, (1, 3, 3, 1, 0), (0, 3, 4, 1)),
    week(4, (2, 4, 2, 0, 0), (0, 2, 4, 2)),
]


def test_points_suppress_small_weeks_and_compute_quartiles() -> None:
    points = week_points(WEEKS)
    assert points[0].energy_median == 3
    assert points[0].energy_q1 is not None
    assert points[0].energy_q3 is not None
    assert points[0].energy_q1 <= 3 <= points[0].energy_q3
    assert points[1].energy_median is None
    assert points[1].caseload is None
    assert points[1].responses == 2


def test_points_carry_the_monday_each_week_starts() -> None:
    points = week_points(WEEKS)
    assert [p.starts for p in points] == [
        date(2025, 12, 29),
        date(2026, 1, 5),
        date(2026, 1, 12),
        date(2026, 1, 19),
    ]


def test_alt_text_describes_the_trend() -> None:
    text = alt_text(week_points(WEEKS))
    assert "from 2026-W01 to 2026-W04 (4 weeks)" in text
    assert "Median energy fell from 3 to 2" in text
    assert "Heavy or overwhelming caseload: 22% of answers in the earlier weeks, 69%" in text
    assert "1 week with fewer than 3 responses shows participation only" in text


def test_nothing_to_chart_and_week_bounds() -> None:
    with pytest.raises(UserError, match="no closed check-in yet"):
        week_points([])
    assert validate_weeks(12) == 12
    with pytest.raises(UserError, match="between 2 and 260 weeks"):
        validate_weeks(1)
