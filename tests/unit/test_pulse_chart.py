"""The pulse trend chart: a 900x500 PNG with its words, unpublished rounds as gaps with no
numbers, pooled points marked, drawn in the chart worker like the check-in chart."""

from __future__ import annotations

import io
import math
import re
from collections.abc import AsyncIterator
from dataclasses import fields
from datetime import date, timedelta

import pytest

from bot.charts import pulse_points
from bot.charts.pulse_points import (
    CHART_KIND,
    DISCLAIMER,
    Driver,
    PublishedPoint,
    PulseTrend,
    SuppressedPoint,
    alt_text,
    series,
)
from bot.charts.worker import ChartWorker

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
DRIVERS = (
    Driver("Caseload", 0.4, resource=True),
    Driver("Admin burden", 0.7, resource=False),
    Driver("Support", 0.6, resource=True),
    Driver("Autonomy", 0.3, resource=True),
)
TREND = PulseTrend(
    (
        PublishedPoint("6 Oct", date(2025, 10, 6), 9, 42, 30, 55, 0.2),
        PublishedPoint("20 Oct", date(2025, 10, 20), 11, 47.5, 33, 58, 0.3),
        SuppressedPoint(date(2025, 11, 3)),
        PublishedPoint("17 Nov + 1 Dec", date(2025, 12, 1), 7, 52, 40, 66, 0.4, pooled=True),
        PublishedPoint("15 Dec", date(2025, 12, 15), 12, 58, 45, 70, 0.5),
    ),
    DRIVERS,
)
GAP = 2  # index of the suppressed round in TREND
POOLED = 3


def test_a_suppressed_round_breaks_every_series_and_has_no_count() -> None:
    plotted = series(TREND.points)
    for values in (plotted.median, plotted.q1, plotted.q3, plotted.sts):
        assert math.isnan(values[GAP])
        assert not any(math.isnan(v) for i, v in enumerate(values) if i != GAP)
    gap_x = date(2025, 11, 3).toordinal()
    assert plotted.gaps == [gap_x]
    assert gap_x not in [x for x, _, _ in plotted.counts]
    assert [n for _, _, n in plotted.counts] == [9, 11, 7, 12]
    assert plotted.sts[0] == pytest.approx(20)


def test_a_pooled_point_is_plotted_apart_to_be_marked() -> None:
    plotted = series(TREND.points)
    assert plotted.pooled_xs == [date(2025, 12, 1).toordinal()]
    assert plotted.pooled_median == [52]


def test_a_suppressed_point_carries_no_numbers_at_all() -> None:
    assert [f.name for f in fields(SuppressedPoint)] == ["on"]


def test_alt_text_gives_the_numbers_shown_and_no_count_for_a_suppressed_round() -> None:
    text = alt_text(TREND)
    assert text.startswith("Group pulse from 6 Oct 2025 to 15 Dec 2025: 5 rounds, 4 published.")
    assert "Burnout index median (0-100) rose from 42 to 58." in text
    assert "17 Nov + 1 Dec (pooled): median 52, middle half 40-66" in text
    assert re.findall(r"n = (\d+)", text) == ["9", "11", "7", "12"]
    assert "Not enough responses to protect anonymity, not shown: 3 Nov." in text
    assert "Admin burden 70%" in text
    assert "Caseload (a resource) 40%" in text
    assert text.endswith(f"{DISCLAIMER}.")
    assert "cut-off" not in text


def test_alt_text_of_a_long_trend_summarises_and_fits_discord() -> None:
    first = date(2024, 1, 1)
    points: list[PublishedPoint | SuppressedPoint] = [
        SuppressedPoint(first + timedelta(weeks=2 * i))
        if i % 7 == 3
        else PublishedPoint(f"p{i}", first + timedelta(weeks=2 * i), 5 + i % 20, 40, 30, 50, 0.5)
        for i in range(260)
    ]
    text = alt_text(PulseTrend(tuple(points), DRIVERS))
    assert "n per point from 5 to 24" in text
    assert "not shown: 37 rounds, the latest " in text
    assert len(text) <= 1024  # Discord's limit for an attachment's description


def test_points_are_checked() -> None:
    with pytest.raises(ValueError, match="at least one round"):
        PulseTrend(())
    with pytest.raises(ValueError, match="date order"):
        PulseTrend((SuppressedPoint(date(2025, 12, 1)), SuppressedPoint(date(2025, 11, 1))))
    with pytest.raises(ValueError, match="q1 <= median"):
        PublishedPoint("1 Dec", date(2025, 12, 1), 5, 70, 30, 60, None)
    with pytest.raises(ValueError, match="between 0 and 1"):
        Driver("Support", 40, resource=True)


def _drawn(trend: PulseTrend) -> tuple[object, object]:
    """The PNG as pixels, and the worker-side figure it was drawn on (in this process)."""
    from matplotlib.image import imread  # the test process may load it; the bot's may not

    from bot.charts import pulse_trend, style

    style.apply()
    chart = pulse_trend.render(trend)
    assert chart.png.startswith(PNG_MAGIC)
    return imread(io.BytesIO(chart.png), format="png"), pulse_trend._figure


def test_the_chart_is_a_drawn_900_by_500_png() -> None:
    pixels, _ = _drawn(TREND)
    assert pixels.shape[:2] == (500, 900)
    colours = {tuple(pixel) for row in pixels[::5, ::5] for pixel in row}
    assert len(colours) > 20  # drawn, not blank


def test_the_line_and_band_break_at_a_suppressed_round() -> None:
    import numpy as np

    from bot.charts.pulse_trend import INDEX, STS

    pixels, figure = _drawn(TREND)
    assert math.isnan(figure.median.get_ydata()[GAP])  # type: ignore[attr-defined]
    axes = figure.trend  # type: ignore[attr-defined]
    gap_x = date(2025, 11, 3).toordinal()
    column = round(axes.transData.transform((gap_x, 0))[0])
    bottom, top = (round(500 - axes.transData.transform((0, y))[1]) for y in (0, 100))
    strip = pixels[top:bottom, column - 1 : column + 2, :3]
    for colour in (INDEX, STS):
        rgb = np.array([int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)])
        assert not (np.abs(strip - rgb).max(axis=-1) < 0.08).any(), colour
    # ...while between two published neighbours the line does cross
    between = round(axes.transData.transform(((date(2025, 10, 13)).toordinal(), 0))[0])
    crossing = pixels[top:bottom, between, :3]
    rgb = np.array([int(INDEX[i : i + 2], 16) / 255 for i in (1, 3, 5)])
    assert (np.abs(crossing - rgb).max(axis=-1) < 0.08).any()


def test_a_pooled_point_is_marked_and_named_in_the_legend() -> None:
    _, figure = _drawn(TREND)
    pooled = figure.pooled  # type: ignore[attr-defined]
    assert list(pooled.get_xdata()) == [date(2025, 12, 1).toordinal()]
    assert pooled.get_marker() != figure.median.get_marker()  # type: ignore[attr-defined]
    legend = figure.trend.get_legend()  # type: ignore[attr-defined]
    assert any("pooled" in text.get_text() for text in legend.get_texts())


def test_labels_pasted_from_the_cache_match_labels_drawn_afresh() -> None:
    """Counts and gap captions sit on data; pasting them must equal drawing them."""
    import numpy as np

    from bot.charts import pulse_trend

    pulse_trend._figure = None  # a fresh figure: every label is drawn, then pasted
    first, _ = _drawn(TREND)
    again, _ = _drawn(TREND)
    assert np.array_equal(first, again)


@pytest.fixture
async def charts() -> AsyncIterator[ChartWorker]:
    worker = ChartWorker()
    try:
        yield worker
    finally:
        await worker.close()


async def test_the_worker_draws_the_pulse_chart(charts: ChartWorker) -> None:
    from matplotlib.image import imread

    chart = await pulse_points.render(charts, TREND)
    assert CHART_KIND == "pulse_trend"
    assert imread(io.BytesIO(chart.png), format="png").shape[:2] == (500, 900)
    assert chart.alt_text == alt_text(TREND)


@pytest.mark.parametrize(
    "trend",
    [
        PulseTrend((SuppressedPoint(date(2025, 12, 1)), SuppressedPoint(date(2025, 12, 15)))),
        PulseTrend(
            (PublishedPoint("1 Dec + 15 Dec", date(2025, 12, 15), 6, 95, 80, 100, None, True),),
            (Driver("A driver with a name far too long to fit", 1.0, resource=False),),
        ),
    ],
    ids=["nothing published", "one pooled point"],
)
def test_edge_trends_draw_without_warnings(trend: PulseTrend) -> None:
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        pixels, _ = _drawn(trend)
    assert pixels.shape[:2] == (500, 900)  # type: ignore[attr-defined]
    if not any(isinstance(p, PublishedPoint) for p in trend.points):
        assert "n = " not in alt_text(trend)
        assert "0 published" in alt_text(trend)


def test_the_axis_shows_dates_and_a_pooled_point_names_its_rounds() -> None:
    from bot.charts.pulse_trend import _x_labels

    names = [name for _, name in _x_labels(TREND.points, step=80)]
    assert names == ["6 Oct", "20 Oct", "3 Nov", "17 Nov\n+ 1 Dec", "15 Dec"]
    crowded = [name for _, name in _x_labels(TREND.points, step=20)]
    assert crowded == ["6 Oct", "20 Oct", "3 Nov", "1 Dec", "15 Dec"]  # the style's dates
    assert not any("W" in name for name in names + crowded)  # never ISO week numbers
