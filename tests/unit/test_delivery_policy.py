"""The decision before any request: stale, closed DMs, consent, away, then working hours."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.delivery.outbox import OutboxItem
from bot.delivery.policy import Drop, Hold, Send, consent_needed, decide
from bot.members.away import Away
from bot.members.preferences import Preferences

MONDAY_10_LONDON = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
OPTED_IN = Preferences(1, 7, dm_opt_in=frozenset({"checkins"}))


def item(kind: str = "checkin_prompt", *, expires_in: timedelta | None = None) -> OutboxItem:
    return OutboxItem(
        id=1,
        group_id=1,
        user_id=7,
        kind=kind,
        ref="round-1",
        payload={},
        due_at=MONDAY_10_LONDON,
        expires_at=MONDAY_10_LONDON + expires_in if expires_in else None,
        attempts=0,
    )


def test_within_hours_and_opted_in_sends() -> None:
    assert decide(item(), OPTED_IN, "Europe/London", dms_closed=False, now=MONDAY_10_LONDON) == (
        Send()
    )


def test_outside_hours_holds_until_the_next_window_or_drops_if_it_expires_first() -> None:
    evening = MONDAY_10_LONDON.replace(hour=19)
    held = decide(item(), OPTED_IN, "Europe/London", dms_closed=False, now=evening)
    assert held == Hold(datetime(2026, 3, 3, 9, 0, tzinfo=UTC))
    short_lived = item(expires_in=timedelta(hours=12))
    assert decide(short_lived, OPTED_IN, "Europe/London", dms_closed=False, now=evening) == Drop(
        "stale"
    )


def test_expired_closed_opted_out_and_away_drop_with_their_reason() -> None:
    late = MONDAY_10_LONDON + timedelta(hours=2)
    expired = item(expires_in=timedelta(hours=1))
    assert decide(expired, OPTED_IN, "UTC", dms_closed=False, now=late) == Drop("stale")
    assert decide(item(), OPTED_IN, "UTC", dms_closed=True, now=late) == Drop("dms_closed")
    assert decide(item("pulse_invite"), OPTED_IN, "UTC", dms_closed=False, now=late) == Drop(
        "opted_out"
    )
    no_reminders = Preferences(1, 7, dm_opt_in=frozenset({"checkins"}), reminders=False)
    assert decide(
        item("checkin_reminder"), no_reminders, "UTC", dms_closed=False, now=late
    ) == Drop("opted_out")
    away = Preferences(1, 7, dm_opt_in=frozenset({"checkins"}), away=Away(MONDAY_10_LONDON, None))
    assert decide(item(), away, "UTC", dms_closed=False, now=late) == Drop("away")


def test_away_ends_after_the_chosen_day_in_the_members_zone() -> None:
    back_after_monday = Preferences(
        1,
        7,
        timezone="America/New_York",
        dm_opt_in=frozenset({"checkins"}),
        away=Away(MONDAY_10_LONDON, MONDAY_10_LONDON.date()),
    )
    monday_night_ny = datetime(2026, 3, 3, 3, 0, tzinfo=UTC)  # Mon 22:00 in New York
    tuesday_ten_ny = datetime(2026, 3, 3, 15, 0, tzinfo=UTC)
    assert decide(item(), back_after_monday, "UTC", dms_closed=False, now=monday_night_ny) == (
        Drop("away")
    )
    assert decide(item(), back_after_monday, "UTC", dms_closed=False, now=tuesday_ten_ny) == (
        Send()
    )


def test_consent_follows_the_kind_prefix() -> None:
    assert consent_needed("checkin_prompt") == "checkins"
    assert consent_needed("consult_reminder") == "consultations"
    assert consent_needed("pulse_invite") == "pulse"
    assert consent_needed("export_ready") == "any"


def test_a_kind_without_an_opt_in_of_its_own_needs_one_dm_kind_still_on() -> None:
    """The welcome DM goes only while the member still wants some DMs."""
    welcome = item("dms_welcome")
    turned_all_off = Preferences(1, 7)
    assert decide(welcome, OPTED_IN, "Europe/London", dms_closed=False, now=MONDAY_10_LONDON) == (
        Send()
    )
    assert decide(
        welcome, turned_all_off, "Europe/London", dms_closed=False, now=MONDAY_10_LONDON
    ) == Drop("opted_out")
