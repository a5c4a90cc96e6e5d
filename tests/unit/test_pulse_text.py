"""The pulse glue's words and chart points: gaps without numbers, pooled points on their
latest round, the same disclaimer everywhere."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime

from bot.charts.pulse_points import PublishedPoint as ChartPoint
from bot.charts.pulse_points import SuppressedPoint
from bot.pulse.instrument import InstrumentLibrary
from bot.pulse.store import Outcome, PublishedPoint, Survey
from cogs._pulse_text import DISCLAIMER, export_csv, not_enough, result_view, trend

AT = datetime(2026, 3, 2, 9, tzinfo=UTC)
SHARES = {
    "exhaustion": 50,
    "detachment": 30,
    "difference": 40,
    "sts": 20,
    "caseload": 60,
    "admin": 70,
    "support": 30,
    "autonomy": 50,
}


def point(*days: date, n: int = 6) -> PublishedPoint:
    return PublishedPoint(
        id=len(days),
        group_id=1,
        instrument_id="peerpulse-default",
        instrument_version="1",
        period_starts=days,
        pooled=len(days) > 1,
        n=n,
        index_median=50.0,
        index_q1=40.0,
        index_q3=60.0,
        shares=SHARES,
        option_counts=None,
        suggestions=("Share documentation shortcuts in a consultation.",),
        published_at=AT,
        message_id=None,
    )


def survey(day: date, outcome: Outcome) -> Survey:
    return Survey(
        id=day.toordinal(),
        group_id=1,
        period_start=day,
        channel_id=None,
        instrument_id="peerpulse-default",
        instrument_version="1",
        opens_at=AT,
        closes_at=AT,
        reminder_due_at=AT,
        manual=False,
        state="closed",
        reminder_sent_at=None,
        closed_at=AT,
        outcome=outcome,
        result_id=None,
        channel_message_id=None,
    )


D1, D2, D3, D4 = date(2026, 3, 2), date(2026, 3, 16), date(2026, 3, 30), date(2026, 4, 13)


def test_pooled_points_sit_on_their_latest_round_and_unpublished_rounds_are_gaps() -> None:
    library = InstrumentLibrary()
    published = [point(D1), point(D2, D3, n=7)]
    closed = [
        survey(D1, "published"),
        survey(D2, "published"),
        survey(D3, "published"),
        survey(D4, "carried"),
    ]
    found = trend(published, closed, library)
    assert found is not None
    kinds = [(type(p).__name__, p.on) for p in found.points]
    assert kinds == [("PublishedPoint", D1), ("PublishedPoint", D3), ("SuppressedPoint", D4)]
    pooled = found.points[1]
    assert isinstance(pooled, ChartPoint)
    assert pooled.pooled
    assert pooled.label == "16 Mar + 30 Mar"
    assert pooled.sts_share == 0.2
    assert isinstance(found.points[2], SuppressedPoint)
    # Named by driver: the questions' short names were cut off beside the bars.
    assert [d.name for d in found.drivers] == ["Caseload", "Admin burden", "Support", "Autonomy"]
    assert [d.resource for d in found.drivers] == [True, False, True, True]
    assert trend([], [survey(D1, "carried")], library) is None


def test_every_view_says_it_is_not_a_diagnosis_and_below_k_says_only_k() -> None:
    library = InstrumentLibrary()
    view = result_view(point(D2, D3, n=7), library.default)
    assert view.footer == DISCLAIMER
    assert "no clinical cut-offs" in DISCLAIMER
    assert "**n = 7**, pooled from 2 rounds" in view.text()
    assert "Admin crowded out time: 70% agree or strongly agree" in view.text()
    assert not_enough(7) == "Not enough responses yet to protect anonymity (n < 7)."
    rows = list(csv.DictReader(io.StringIO(export_csv([point(D1), point(D2, D3)], library))))
    assert [row["rounds"] for row in rows] == ["2026-03-02", "2026-03-16 + 2026-03-30"]
    assert all(row["note"] == DISCLAIMER for row in rows)
