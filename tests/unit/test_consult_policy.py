"""Consultation reminders: their own switch, and outside working hours only when allowed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.delivery.outbox import OutboxItem
from bot.delivery.policy import CONSULT_REMINDER_KIND, Drop, Hold, Send, decide
from bot.members.preferences import Preferences

EVENING_LONDON = datetime(2026, 3, 2, 19, 0, tzinfo=UTC)
SESSION = EVENING_LONDON + timedelta(hours=20)  # Tue 15:00


def reminder(kind: str = CONSULT_REMINDER_KIND) -> OutboxItem:
    return OutboxItem(1, 1, 7, kind, "s1", {}, EVENING_LONDON, SESSION, 0)


def prefs(**changes: bool) -> Preferences:
    return Preferences(1, 7, dm_opt_in=frozenset({"consultations"}), **changes)  # type: ignore[arg-type]


def decision(preferences: Preferences, now: datetime = EVENING_LONDON) -> object:
    return decide(reminder(), preferences, "Europe/London", dms_closed=False, now=now)


def test_a_reminder_outside_hours_waits_for_the_members_hours() -> None:
    assert decision(prefs()) == Hold(datetime(2026, 3, 3, 9, 0, tzinfo=UTC))


def test_a_member_who_allowed_it_gets_the_reminder_outside_hours() -> None:
    assert decision(prefs(consult_outside_hours=True)) == Send()


def test_a_reminder_that_cannot_arrive_in_hours_before_the_start_is_dropped() -> None:
    friday_evening = datetime(2026, 3, 6, 19, 0, tzinfo=UTC)
    item = OutboxItem(
        1,
        1,
        7,
        CONSULT_REMINDER_KIND,
        "s1",
        {},
        friday_evening,
        friday_evening + timedelta(hours=20),
        0,
    )
    assert decide(item, prefs(), "Europe/London", dms_closed=False, now=friday_evening) == Drop(
        "stale"
    )


def test_consultation_reminders_off_drops_and_the_checkin_nudge_switch_does_not_matter() -> None:
    assert decision(prefs(consult_reminders=False)) == Drop("opted_out")
    morning = EVENING_LONDON.replace(hour=10)
    assert decision(prefs(reminders=False), now=morning) == Send()
