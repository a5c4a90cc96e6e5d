"""The shared chart style's date axis: day and month for weeks, month and year for years."""

from __future__ import annotations

from datetime import date, timedelta

from bot.charts.style import date_ticks


def mondays(first: date, count: int) -> list[date]:
    return [first + timedelta(weeks=i) for i in range(count)]


def test_a_few_weeks_read_as_day_and_month() -> None:
    days = mondays(date(2026, 3, 2), 12)
    positions, labels = date_ticks(days)
    assert labels[:3] == ["2 Mar", "16 Mar", "30 Mar"]
    assert positions[0] == date(2026, 3, 2).toordinal()
    assert len(labels) <= 8


def test_five_years_read_as_months_and_years() -> None:
    positions, labels = date_ticks(mondays(date(2021, 3, 1), 260))
    assert labels == ["Jan 2022", "Jan 2023", "Jan 2024", "Jan 2025", "Jan 2026"]
    assert sorted(positions) == positions
    assert date_ticks([]) == ([], [])
