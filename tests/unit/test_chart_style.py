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


def test_a_boxed_label_holds_nothing_of_what_lies_under_it() -> None:
    """A count or a caption drawn over data is pasted elsewhere later: its pixels must be
    the chip and the text alone, whatever it was first drawn over."""
    import numpy as np

    from bot.charts import style

    style.apply()
    patches = []
    for under in ((255, 0, 0, 255), (0, 0, 255, 255)):
        figure, canvas = style.new_figure()
        canvas.draw()
        np.asarray(canvas.buffer_rgba())[200:300, 300:500] = under
        labels = style.Labels(figure, canvas)
        labels.put("n=12", 400, 250, "center", "center", boxed=True)
        labels.put("not enough responses", 420, 250, "center", "center", rotation=90, boxed=True)
        patches.append([patch for patch, _, _ in labels._cache.values()])
    for first, second in zip(*patches, strict=True):
        assert np.array_equal(first, second)
