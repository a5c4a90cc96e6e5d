"""Whether a due DM may go now: the member's boundaries, decided before any request is made."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Final

from bot.members.hours import is_within, next_window_start
from bot.members.preferences import DmKind, Preferences

from .outbox import OutboxItem

# The outbox kind's prefix names the opt-in it needs (see bot.delivery.outbox).
CONSENT_BY_PREFIX: Final[dict[str, DmKind]] = {
    "checkin": "checkins",
    "consult": "consultations",
    "pulse": "pulse",
}
REMINDER_SUFFIX = "_reminder"

# Outcomes recorded on outbox rows.
SENT = "sent"
STALE = "stale"
AWAY = "away"
OPTED_OUT = "opted_out"
DMS_CLOSED = "dms_closed"
GAVE_UP = "gave_up"
REJECTED = "rejected"


@dataclass(frozen=True)
class Send:
    """Deliver it now."""


@dataclass(frozen=True)
class Hold:
    """Wait until the member's next working window starts."""

    until: datetime


@dataclass(frozen=True)
class Drop:
    """Do not send it; `outcome` says why."""

    outcome: str


Decision = Send | Hold | Drop


def consent_needed(kind: str) -> DmKind | None:
    """The opt-in an outbox kind needs, from its prefix (None: no opt-in applies)."""
    return CONSENT_BY_PREFIX.get(kind.split("_", 1)[0])


def decide(
    item: OutboxItem,
    preferences: Preferences,
    group_zone: str,
    *,
    dms_closed: bool,
    now: datetime,
    dms_retry_at: datetime | None = None,
) -> Decision:
    """Stale, closed DMs, opted out and away drop the DM; outside hours holds it, and so
    does `dms_retry_at` (DMs found closed less than a day ago: wait, unless it expires)."""
    if item.expires_at is not None and item.expires_at <= now:
        return Drop(STALE)
    if dms_closed:
        return Drop(DMS_CLOSED)
    consent = consent_needed(item.kind)
    if consent is not None and not preferences.wants(consent):
        return Drop(OPTED_OUT)
    if item.kind.endswith(REMINDER_SUFFIX) and not preferences.reminders:
        return Drop(OPTED_OUT)
    zone = preferences.zone(group_zone)
    if preferences.is_away(zone, now):
        return Drop(AWAY)
    if dms_retry_at is not None and now < dms_retry_at:
        if item.expires_at is not None and item.expires_at <= dms_retry_at:
            return Drop(DMS_CLOSED)
        return Hold(dms_retry_at)
    if is_within(preferences.hours, zone, now):
        return Send()
    opens = next_window_start(preferences.hours, zone, now)
    if item.expires_at is not None and opens >= item.expires_at:
        return Drop(STALE)
    return Hold(opens)
