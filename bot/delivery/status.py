"""Delivery health for `/peerpulse status`: counts only, never a member's name or id."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from bot.db import Sql
from bot.members.instants import optional_from_db, to_db
from bot.posting import status_line

from .policy import AWAY, DMS_CLOSED, GAVE_UP, OPTED_OUT, REJECTED, SENT, STALE

_OUTCOME_LABELS = {
    SENT: "sent",
    STALE: "stale (its moment passed)",
    AWAY: "skipped: away",
    OPTED_OUT: "skipped: opted out",
    DMS_CLOSED: "DMs closed",
    GAVE_UP: "failed after retries",
    REJECTED: "refused by Discord",
}
_KIND_LABELS = {
    "dms_welcome": "Welcome DMs",
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

    def lines(self) -> list[str]:
        """Plain lines for the status embed."""
        b = self.backlog
        lines = [
            f"Outbox: {b.total} waiting — {b.due_now} due now, {b.held_for_hours} held for "
            f"members' working hours, {b.retrying} retrying, {b.scheduled} scheduled, "
            f"{b.in_flight} sending"
        ]
        for kind, by_outcome in sorted(self.outcomes.items()):
            parts = ", ".join(
                f"{count} {_OUTCOME_LABELS.get(outcome, outcome)}"
                for outcome, count in sorted(by_outcome.items())
            )
            lines.append(f"{_KIND_LABELS.get(kind, kind)}: {parts}")
        if self.members_with_dms_closed:
            lines.append(
                f"{self.members_with_dms_closed} member(s) opted in but have DMs closed; they "
                "are told how to fix it the next time they use a command."
            )
        if self.cannot_post_line:
            lines.append(self.cannot_post_line)
        return lines


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
        "FROM outbox WHERE group_id = :group",
        {"now": current, "group": group_id},
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
    rows = await sql.fetchall(
        "SELECT kind, outcome, COUNT(*) AS n FROM outbox "
        "WHERE group_id = ? AND status IN ('sent', 'dropped', 'failed') AND finished_at >= ? "
        "GROUP BY kind, outcome",
        (group_id, to_db(since) if since else ""),
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
