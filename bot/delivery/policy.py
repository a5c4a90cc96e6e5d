"""Whether a due DM may go now: the member's boundaries, decided before any request is made."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Final, Literal

from bot.members.hours import is_within, next_window_start
from bot.members.preferences import DM_KINDS, DmKind, Preferences

from .outbox import OutboxItem

# Every DM needs the member's consent, checked again right before it is sent. The outbox
# kind's prefix names the opt-in it needs (see bot.delivery.outbox); any other kind (the
# welcome DM, say) needs at least one DM kind still on.
CONSENT_BY_PREFIX: Final[dict[str, DmKind]] = {
    "checkin": "checkins",
    "consult": "consultations",
    "pulse": "pulse",
}
ANY_DM_KIND: Final = "any"
Consent = DmKind | Literal["any"]
REMINDER_SUFFIX = "_reminder"
# Reminders before a consultation have their own switch, and the member may let them
# arrive outside working hours (bot.consult.steps queues them with this kind).
CONSULT_REMINDER_KIND: Final = "consult_reminder"

# An anonymous survey's DMs: no log line names their recipient, since a reminder's
# recipient is someone who has not answered (and an invitation's, who was asked).
UNNAMED_PREFIXES: Final = ("pulse",)


def recipient_in_logs(item: OutboxItem) -> str:
    """How log lines name a DM's recipient: their id, or "-" for an anonymous survey's DMs."""
    return "-" if item.kind.startswith(UNNAMED_PREFIXES) else str(item.user_id)


# Outcomes recorded on outbox rows.
SENT = "sent"
STALE = "stale"
AWAY = "away"
OPTED_OUT = "opted_out"
DMS_CLOSED = "dms_closed"
NO_ACCESS = "no_access"  # the member left the server or can no longer see the group's channel
GAVE_UP = "gave_up"
REJECTED = "rejected"
ANSWERED = "answered"  # a reminder whose member answered before it went: never counted


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


def consent_needed(kind: str) -> Consent:
    """The opt-in an outbox kind needs: from its prefix, else at least one DM kind on."""
    return CONSENT_BY_PREFIX.get(kind.split("_", 1)[0], ANY_DM_KIND)


def consents(preferences: Preferences, kind: str) -> bool:
    """Whether the member's current settings allow a DM of this outbox kind."""
    consent = consent_needed(kind)
    if consent == ANY_DM_KIND:
        return any(preferences.wants(dm_kind) for dm_kind in DM_KINDS)
    return preferences.wants(consent)


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
    if not consents(preferences, item.kind):
        return Drop(OPTED_OUT)
    consult_reminder = item.kind == CONSULT_REMINDER_KIND
    if consult_reminder and not preferences.consult_reminders:
        return Drop(OPTED_OUT)
    if item.kind.endswith(REMINDER_SUFFIX) and not consult_reminder and not preferences.reminders:
        return Drop(OPTED_OUT)
    zone = preferences.zone(group_zone)
    if preferences.is_away(zone, now):
        return Drop(AWAY)
    if dms_retry_at is not None and now < dms_retry_at:
        if item.expires_at is not None and item.expires_at <= dms_retry_at:
            return Drop(DMS_CLOSED)
        return Hold(dms_retry_at)
    if is_within(preferences.hours, zone, now) or (
        consult_reminder and preferences.consult_outside_hours
    ):
        return Send()
    opens = next_window_start(preferences.hours, zone, now)
    if item.expires_at is not None and opens >= item.expires_at:
        return Drop(STALE)
    return Hold(opens)
