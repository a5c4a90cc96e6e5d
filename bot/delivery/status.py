"""Delivery health for `/peerpulse status`: counts only, never a member's name or id."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from bot.db import Sql
from bot.members.instants import optional_from_db, to_db
from bot.posting import status_line

from .outbox import UNCOUNTED_KIND
from .policy import AWAY, DMS_CLOSED, GAVE_UP, NO_ACCESS, OPTED_OUT, REJECTED, SENT, STALE

# Plain words for moderators: what happened to a DM, never who it was for.
_OUTCOME_LABELS = {
    SENT: "delivered",
    DMS_CLOSED: "not delivered (the member's DMs were closed at the time)",
    REJECTED: "not delivered (Discord refused it)",
    GAVE_UP: "not delivered (Discord kept failing)",
    AWAY: "not sent (the member was away)",
    OPTED_OUT: "not sent (the member turned these DMs off)",
    STALE: "not sent (too late to be useful)",
    NO_ACCESS: "not sent (the member could no longer see the group's channel)",
}
_KIND_LABELS = {
    "dms_welcome": "Welcome messages",
    "checkin_open": "Check-in invitations",
    "checkin_reminder": "Check-in reminders",
    "checkin_cannot_post": "Notices to moderators that I can't post",
}


@dataclass(frozen=True)
class Backlog:
    """Pending DMs: due now, held for working hours, waiting to retry, scheduled later."""

    due_now: int = 0
    held_for_hours: int = 0
    retrying: int = 0
    scheduled: int = 0
    in_flight: int = 0

    @property
    def total(self) -> int:
        """Every DM not yet finished."""
        return self.due_now + self.held_for_hours + self.retrying + self.scheduled + self.in_flight


@dataclass(frozen=True)
class DeliveryStatus:
    """The group's outbox backlog and finished DMs by kind and outcome since `since`."""

    backlog: Backlog
    outcomes: dict[str, dict[str, int]] = field(default_factory=dict)
    members_with_dms_closed: int = 0
    cannot_post_line: str | None = None  # Discord refuses the bot's posts in the channel

    def lines(self, period: str = "the last 7 days") -> list[str]:
        """Plain lines for the status embed: what is waiting, what happened in `period`,
        and who cannot be reached right now (counts only, consistent with each other)."""
        lines = [_backlog_line(self.backlog)]
        if not self.outcomes:
            lines.append(f"No DMs were sent or skipped in {period}.")
        else:
            lines.append(f"In {period}:")
            lines += [
                f"• {_KIND_LABELS.get(kind, kind.replace('_', ' ').capitalize())}: "
                + "; ".join(
                    f"{by_outcome[outcome]} {_OUTCOME_LABELS.get(outcome, outcome)}"
                    for outcome in sorted(by_outcome, key=_outcome_order)
                )
                for kind, by_outcome in sorted(self.outcomes.items())
            ]
        lines.append(self._closed_line())
        if self.cannot_post_line:
            lines.append(self.cannot_post_line)
        return lines

    def _closed_line(self) -> str:
        closed = self.members_with_dms_closed
        if closed:
            who = (
                "1 member who asked for DMs has"
                if closed == 1
                else (f"{closed} members who asked for DMs have")
            )
            return (
                f"Right now {who} DMs closed in Discord; each is told how to open them "
                "the next time they use a peerpulse command."
            )
        if any(DMS_CLOSED in by_outcome for by_outcome in self.outcomes.values()):
            return (
                "Right now no member is marked as having DMs closed: everyone whose DMs were "
                "closed has used a command since, so peerpulse will try them again "
                "(at most once a day)."
            )
        return "Right now no member who asked for DMs has them closed."


def _outcome_order(outcome: str) -> int:
    order = list(_OUTCOME_LABELS)
    return order.index(outcome) if outcome in order else len(order)


def _backlog_line(backlog: Backlog) -> str:
    if not backlog.total:
        return "Nothing is waiting to be sent."
    parts = [
        f"{count} {label}"
        for count, label in (
            (backlog.due_now, "due now"),
            (backlog.in_flight, "being sent now"),
            (backlog.held_for_hours, "waiting for the member's working hours"),
            (backlog.retrying, "to be tried again after an error"),
            (backlog.scheduled, "planned for later"),
        )
        if count
    ]
    return f"Waiting to be sent: {backlog.total} ({'; '.join(parts)})."


async def delivery_status(
    sql: Sql, group_id: int, now: datetime, since: datetime | None = None
) -> DeliveryStatus:
    """Backlog now, and outcomes of DMs finished since `since` (all time if None)."""
    current = to_db(now)
    row = await sql.fetchone(
        "SELECT "
        "SUM(status = 'pending' AND next_attempt_at <= :now) AS due_now, "
        "SUM(status = 'pending' AND next_attempt_at > :now AND hold_reason = 'hours') AS held, "
        "SUM(status = 'pending' AND next_attempt_at > :now AND hold_reason = 'retry') AS retrying, "
        "SUM(status = 'pending' AND next_attempt_at > :now AND hold_reason IS NULL) AS scheduled, "
        "SUM(status = 'sending') AS in_flight "
        "FROM outbox WHERE group_id = :group AND kind != :uncounted",
        {"now": current, "group": group_id, "uncounted": UNCOUNTED_KIND},
    )
    backlog = (
        Backlog(
            *(
                int(row[key] or 0)
                for key in ("due_now", "held", "retrying", "scheduled", "in_flight")
            )
        )
        if row
        else Backlog()
    )
    # Rows not yet purged, plus the anonymous counts of purged ones (by the day they finished).
    rows = await sql.fetchall(
        "SELECT kind, outcome, SUM(n) AS n FROM ("
        "SELECT kind, outcome, COUNT(*) AS n FROM outbox "
        "WHERE group_id = :group AND status IN ('sent', 'dropped', 'failed') "
        "AND finished_at >= :since AND kind != :uncounted GROUP BY kind, outcome "
        "UNION ALL SELECT kind, outcome, count AS n FROM delivery_counts "
        "WHERE group_id = :group AND day >= :since_day"
        ") GROUP BY kind, outcome",
        {
            "group": group_id,
            "uncounted": UNCOUNTED_KIND,
            "since": to_db(since) if since else "",
            "since_day": since.astimezone(UTC).date().isoformat() if since else "",
        },
    )
    outcomes: dict[str, dict[str, int]] = {}
    for outcome_row in rows:
        outcomes.setdefault(outcome_row["kind"], {})[outcome_row["outcome"]] = int(outcome_row["n"])
    closed = await sql.fetchone(
        "SELECT COUNT(*) AS n FROM dm_recipients r WHERE r.dms_closed_at IS NOT NULL AND EXISTS "
        "(SELECT 1 FROM member_preferences p WHERE p.user_id = r.user_id AND p.group_id = ?)",
        (group_id,),
    )
    blocked = await sql.fetchone(
        "SELECT g.cannot_post_since, COALESCE(s.channel_id, g.home_channel_id) AS channel_id "
        "FROM groups g LEFT JOIN checkin_schedules s ON s.group_id = g.id WHERE g.id = ?",
        (group_id,),
    )
    since_blocked = optional_from_db(blocked["cannot_post_since"]) if blocked else None
    return DeliveryStatus(
        backlog,
        outcomes,
        int(closed["n"]) if closed else 0,
        status_line(blocked["channel_id"], since_blocked) if blocked and since_blocked else None,
    )
