"""Pure pieces of the consultation glue: reminder times, proposals waiting for Confirm, the echo."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.consult.store import Location, PollDraft
from bot.consult.times import Candidate
from bot.errors import UserError
from cogs._consult_context import DRAFT_LIFETIME, Proposal, Proposals
from cogs._consult_poll import local_label, where_text
from cogs._consult_propose import echo_text
from cogs.consult import format_offset, parse_offsets

NOW = datetime(2026, 3, 2, 9, tzinfo=UTC)


@pytest.mark.parametrize(
    ("typed", "minutes"),
    [("24h, 1h", [1440, 60]), ("30m", [30]), ("2d,90 min", [2880, 90]), ("1 Hour", [60])],
)
def test_reminder_times_are_read_as_minutes(typed: str, minutes: list[int]) -> None:
    assert parse_offsets(typed) == minutes


@pytest.mark.parametrize("typed", ["a day before", "24", "1h,", "1w"])
def test_unreadable_reminder_times_are_refused_quoting_them(typed: str) -> None:
    with pytest.raises(UserError, match="as a reminder time"):
        parse_offsets(typed)


@pytest.mark.parametrize(
    ("minutes", "shown"), [(2880, "2d"), (1440, "24h"), (60, "1h"), (15, "15m")]
)
def test_reminder_times_are_shown_short(minutes: int, shown: str) -> None:
    assert format_offset(minutes) == shown


def _draft(title: str = "Peer consultation", place: str | None = "Room 3") -> PollDraft:
    return PollDraft(
        group_id=1,
        organiser_user_id=7,
        channel_id=9,
        title=title,
        duration_minutes=60,
        starts=[NOW + timedelta(days=2)],
        needs_presenter=True,
        location=Location("external", place),
    )


def test_a_proposal_waits_an_hour_then_is_gone() -> None:
    proposals = Proposals(limit=2)
    proposal = Proposal(_draft(), (), NOW)
    proposals.add(1, proposal)
    assert proposals.get(1, NOW + DRAFT_LIFETIME) == proposal
    assert proposals.get(1, NOW + DRAFT_LIFETIME + timedelta(seconds=1)) is None
    proposals.add(2, proposal)
    proposals.add(3, proposal)
    assert proposals.get(1, NOW) is None  # the oldest went beyond the limit
    proposals.drop(2)
    assert proposals.get(2, NOW) is None
    assert proposals.get(3, NOW) == proposal


def test_the_echo_marks_outside_hours_clock_changes_and_identifying_details() -> None:
    start = NOW + timedelta(days=2)
    candidates = [
        Candidate("wed 12:00", start.replace(tzinfo=None), start, outside_hours=False),
        Candidate(
            "sun 02:30",
            start.replace(tzinfo=None),
            start + timedelta(days=4),
            outside_hours=True,
            adjustment="gap",
        ),
    ]
    text = echo_text(_draft(title="Jane Doe, born 3 May 1990", place="Room 3"), candidates, NOW)
    lines = text.splitlines()
    [first] = [line for line in lines if "'wed 12:00'" in line]
    assert "outside" not in first
    [second] = [line for line in lines if "'sun 02:30'" in line]
    assert "outside your working hours" in second
    assert "does not exist" in second
    assert "may identify a client" in text
    assert f"<t:{int(start.timestamp())}:F>" in text
    assert "a case presenter is needed" in text


def test_places_and_local_labels() -> None:
    assert where_text(Location("voice", None, 42)) == "<#42>"
    assert where_text(Location("external", "**Room** 3")) == "\\*\\*Room\\*\\* 3"
    assert local_label(NOW, ZoneInfo("America/New_York")) == "Mon 02 Mar 2026, 04:00"
