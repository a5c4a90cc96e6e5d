"""Recurring consultations across DST, skipped dates; and the calendar file."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import icalendar
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.consult.calendar import CalendarEntry, entry_for, event_url, ics_bytes, session_uid
from bot.consult.model import Location, Session
from bot.consult.recurrence import RecurringRule, check_skip, new_rule
from bot.errors import UserError
from bot.members.hours import resolve_local

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
ZONES = [
    "America/New_York",
    "Europe/London",
    "Australia/Sydney",
    "Australia/Lord_Howe",
    "Pacific/Auckland",
    "America/Sao_Paulo",
    "Asia/Kolkata",
]


def test_every_other_thursday_noon_in_london_keeps_local_noon_across_dst() -> None:
    rule = new_rule(weekday=3, minute=12 * 60, every_weeks=2, zone="Europe/London", now=NOW)
    assert rule.anchor == date(2026, 3, 5)
    starts = []
    after = NOW
    for _ in range(4):
        found = rule.next_after(after)
        assert found is not None
        starts.append(found[1])
        after = found[1]
    assert starts == [
        datetime(2026, 3, 5, 12, 0, tzinfo=UTC),
        datetime(2026, 3, 19, 12, 0, tzinfo=UTC),
        datetime(2026, 4, 2, 11, 0, tzinfo=UTC),  # BST from 29 March
        datetime(2026, 4, 16, 11, 0, tzinfo=UTC),
    ]


def test_a_skipped_date_is_passed_over() -> None:
    rule = RecurringRule(
        date(2026, 3, 5), 12 * 60, 2, "Europe/London", frozenset({date(2026, 3, 19)})
    )
    found = rule.next_after(datetime(2026, 3, 5, 13, 0, tzinfo=UTC))
    assert found == (date(2026, 4, 2), datetime(2026, 4, 2, 11, 0, tzinfo=UTC))


def test_a_time_in_the_spring_gap_moves_to_the_next_valid_minute() -> None:
    rule = RecurringRule(date(2026, 3, 1), 2 * 60 + 30, 1, "America/New_York")
    found = rule.next_after(datetime(2026, 3, 2, 0, 0, tzinfo=UTC))
    assert found == (date(2026, 3, 8), datetime(2026, 3, 8, 7, 0, tzinfo=UTC))  # 03:00 EDT


def test_an_ambiguous_time_takes_the_first() -> None:
    rule = RecurringRule(date(2026, 10, 25), 60 + 30, 1, "America/New_York")
    found = rule.next_after(datetime(2026, 10, 26, tzinfo=UTC))
    assert found == (date(2026, 11, 1), datetime(2026, 11, 1, 5, 30, tzinfo=UTC))  # EDT


def test_today_already_past_starts_next_week() -> None:
    rule = new_rule(weekday=0, minute=8 * 60, every_weeks=1, zone="UTC", now=NOW)  # Mon 09:00
    assert rule.anchor == date(2026, 3, 9)


def test_skip_refuses_a_date_off_the_rule_or_past() -> None:
    rule = RecurringRule(date(2026, 3, 5), 12 * 60, 2, "Europe/London")
    with pytest.raises(UserError, match="does not fall on 2026-03-12"):
        check_skip(rule, date(2026, 3, 12), NOW)
    with pytest.raises(UserError, match="passed"):
        check_skip(rule, date(2026, 3, 5), datetime(2026, 3, 6, tzinfo=UTC))
    check_skip(rule, date(2026, 3, 19), NOW)


def test_every_three_weeks_is_refused() -> None:
    with pytest.raises(UserError, match="1, 2 or 4"):
        new_rule(weekday=3, minute=600, every_weeks=3, zone="UTC", now=NOW)


@settings(max_examples=150, deadline=None)
@given(
    zone=st.sampled_from(ZONES),
    weekday=st.integers(0, 6),
    minute=st.integers(0, 24 * 60 - 1),
    every=st.sampled_from([1, 2, 4]),
    start_offset=st.integers(0, 365 * 24),
    skips=st.sets(st.integers(0, 25), max_size=6),
)
def test_occurrences_fall_on_the_rule_in_local_time_across_dst(
    *, zone: str, weekday: int, minute: int, every: int, start_offset: int, skips: set[int]
) -> None:
    now = NOW + timedelta(hours=start_offset)
    base = new_rule(weekday=weekday, minute=minute, every_weeks=every, zone=zone, now=now)
    skipped = frozenset(base.anchor + timedelta(weeks=every * k) for k in skips)
    rule = RecurringRule(base.anchor, minute, every, zone, skipped)
    tz = ZoneInfo(zone)
    expected_days = [base.anchor + timedelta(weeks=every * k) for k in range(30) if k not in skips][
        :20
    ]
    after = now
    for expected in expected_days:
        found = rule.next_after(after)
        assert found is not None
        day, start = found
        assert day == expected
        assert day.weekday() == weekday
        local = datetime.combine(day, time()) + timedelta(minutes=minute)
        assert start == resolve_local(local, tz)
        shown = start.astimezone(tz).replace(tzinfo=None)
        assert timedelta(0) <= shown - local <= timedelta(hours=1)  # only a DST gap moves it
        assert start > after
        after = start


# --- the calendar file ---


def test_the_ics_parses_back_with_the_instant_in_utc_and_no_personal_data() -> None:
    start = datetime(2026, 3, 5, 12, 0, tzinfo=ZoneInfo("Europe/Berlin"))
    entry = CalendarEntry(
        session_id=42,
        title="Peer consultation",
        start=start,
        end=start + timedelta(minutes=60),
        sequence=3,
        url="https://discord.com/events/111/222",
    )
    raw = ics_bytes(entry, now=NOW)
    calendar = icalendar.Calendar.from_ical(raw)
    events = list(calendar.walk("VEVENT"))
    assert len(events) == 1
    event = events[0]
    assert event.decoded("dtstart") == datetime(2026, 3, 5, 11, 0, tzinfo=UTC)
    assert event.decoded("dtstart").utcoffset() == timedelta(0)
    assert event.decoded("dtend") == datetime(2026, 3, 5, 12, 0, tzinfo=UTC)
    assert str(event["uid"]) == session_uid(42)
    assert int(event["sequence"]) == 3
    assert str(event["status"]) == "CONFIRMED"
    assert str(event["url"]) == "https://discord.com/events/111/222"
    text = raw.decode()
    for personal in ("ATTENDEE", "ORGANIZER", "CONTACT", "mailto:", "EMAIL"):
        assert personal not in text.upper()
    assert b"DTSTART:20260305T110000Z" in raw


def test_a_cancelled_session_says_so_with_the_same_uid_and_a_higher_sequence() -> None:
    start = datetime(2026, 3, 5, 12, 0, tzinfo=UTC)
    entry = CalendarEntry(7, "Peer consultation", start, start + timedelta(hours=1), sequence=0)
    first = icalendar.Calendar.from_ical(ics_bytes(entry, now=NOW))
    cancelled = CalendarEntry(
        7, "Peer consultation", start, start + timedelta(hours=1), sequence=1, cancelled=True
    )
    second = icalendar.Calendar.from_ical(ics_bytes(cancelled, now=NOW))
    (a,), (b,) = list(first.walk("VEVENT")), list(second.walk("VEVENT"))
    assert a["uid"] == b["uid"]
    assert int(b["sequence"]) > int(a["sequence"])
    assert str(b["status"]) == "CANCELLED"


def test_a_stored_session_becomes_an_entry_with_its_event_link() -> None:
    start = datetime(2026, 3, 5, 12, 0, tzinfo=UTC)
    session = Session(
        id=5, group_id=1, poll_id=2, rule_id=None, occurrence_date=None, title="Case review",
        start=start, end=start + timedelta(hours=1), needs_presenter=True,
        location=Location("external", "Room 4"), channel_id=7, status="cancelled", sequence=2,
        synced_sequence=1, discord_event_id=333, announcement_message_id=None,
    )  # fmt: skip
    entry = entry_for(session, guild_id=555)
    assert entry.url == event_url(555, 333) == "https://discord.com/events/555/333"
    assert entry.cancelled
    assert entry.location == "Room 4"
    (event,) = list(icalendar.Calendar.from_ical(ics_bytes(entry, now=NOW)).walk("VEVENT"))
    assert str(event["location"]) == "Room 4"
    assert str(event["status"]) == "CANCELLED"
