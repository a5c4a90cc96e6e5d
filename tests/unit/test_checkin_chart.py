"""The history chart: PNG bytes off the event loop, suppression, and alt text in words."""

from __future__ import annotations

import asyncio

import pytest

from bot.checkins.chart import alt_text, render_history, validate_weeks, week_points
from bot.checkins.store import WeekAggregate
from bot.errors import UserError

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


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


def test_alt_text_describes_the_trend() -> None:
    text = alt_text(week_points(WEEKS))
    assert "from 2026-W01 to 2026-W04 (4 weeks)" in text
    assert "Median energy fell from 3 to 2" in text
    assert "Heavy or overwhelming caseload: 22% of answers in the earlier weeks, 69%" in text
    assert "1 week with fewer than 3 responses shows participation only" in text


async def test_renders_png_in_worker_threads_concurrently() -> None:
    charts = await asyncio.gather(*(asyncio.to_thread(render_history, WEEKS) for _ in range(4)))
    for chart in charts:
        assert chart.png.startswith(PNG_MAGIC)
        assert len(chart.png) > 10_000
    assert len({chart.alt_text for chart in charts}) == 1


def test_nothing_to_chart_and_week_bounds() -> None:
    with pytest.raises(UserError, match="no closed check-in yet"):
        render_history([])
    assert validate_weeks(12) == 12
    with pytest.raises(UserError, match="between 2 and 260 weeks"):
        validate_weeks(1)
