"""Whether the bot can post in a group's channel: retries with backoff, then a slow watch.

A post that fails is tried again after 1, 5 and 15 minutes; after that the group is
marked "cannot post" (shown in /peerpulse status, told to moderators once by the caller)
and tried hourly, or at the next tick after a change to the server's channels or roles,
until a post succeeds. Nothing is lost meanwhile: what waits to be posted stays in the
database and is posted on recovery.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final

from bot.db import Sql
from bot.members.instants import optional_from_db, to_db

QUICK_RETRIES: Final = (timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=15))
SLOW_RETRY: Final = timedelta(hours=1)


class CannotPostError(Exception):
    """Discord refuses the bot's posts in a channel (missing permission or access, or the
    channel is gone); `reason` is a short code such as "403/50013", never message text."""

    def __init__(self, channel_id: int, reason: str) -> None:
        super().__init__(f"cannot post in channel {channel_id}: {reason}")
        self.channel_id = channel_id
        self.reason = reason


@dataclass(frozen=True)
class Failure:
    """What one failed post means: the next try, and whether the group is now blocked."""

    retry_at: datetime
    failures: int
    newly_blocked: bool  # the quick retries are spent: say so, once


def cannot_post_text(channel_id: int) -> str:
    """The one DM that tells a moderator the bot can no longer post in the group's channel."""
    return (
        f"I can no longer post in <#{channel_id}>, so check-in posts and summaries are "
        "waiting. Give me View Channel, Send Messages, Embed Links and Attach Files there; "
        "I'll post what is waiting by myself. /peerpulse status shows how it stands."
    )


def status_line(channel_id: int | None, since: datetime) -> str:
    """The /peerpulse status line while posts are refused."""
    where = f"<#{channel_id}>" if channel_id else "the check-in channel"
    return (
        f"I can't post in {where} since <t:{int(since.timestamp())}:f>: give me View Channel, "
        "Send Messages, Embed Links and Attach Files there. Posts wait and go out by themselves."
    )


async def may_post(sql: Sql, group_id: int, now: datetime) -> bool:
    """False while the group's posting waits out a backoff."""
    row = await sql.fetchone("SELECT post_retry_at FROM groups WHERE id = ?", (group_id,))
    retry_at = optional_from_db(row["post_retry_at"]) if row else None
    return retry_at is None or retry_at <= now


async def failed(sql: Sql, group_id: int, now: datetime, *, refused: bool) -> Failure:
    """Record a failed post; `refused` (Discord said no, not an outage) can block the group."""
    row = await sql.fetchone(
        "SELECT post_failures, cannot_post_since FROM groups WHERE id = ?", (group_id,)
    )
    failures = (row["post_failures"] if row else 0) + 1
    blocked_before = row is not None and row["cannot_post_since"] is not None
    quick = failures <= len(QUICK_RETRIES)
    retry_at = now + (QUICK_RETRIES[failures - 1] if quick else SLOW_RETRY)
    newly_blocked = refused and not quick and not blocked_before
    await sql.execute(
        "UPDATE groups SET post_failures = ?, post_retry_at = ?, "
        "cannot_post_since = CASE WHEN ? THEN ? ELSE cannot_post_since END WHERE id = ?",
        (failures, to_db(retry_at), newly_blocked, to_db(now), group_id),
    )
    return Failure(retry_at, failures, newly_blocked)


async def posted(sql: Sql, group_id: int) -> bool:
    """Record a successful post; True when the group was marked "cannot post" until now."""
    row = await sql.fetchone(
        "SELECT post_failures, cannot_post_since FROM groups WHERE id = ?", (group_id,)
    )
    if row is None or not row["post_failures"]:
        return False
    await sql.execute(
        "UPDATE groups SET post_failures = 0, post_retry_at = NULL, cannot_post_since = NULL "
        "WHERE id = ?",
        (group_id,),
    )
    return row["cannot_post_since"] is not None


async def retry_soon(sql: Sql, guild_id: int, now: datetime) -> int:
    """The server's channels or roles changed: waiting groups try again at the next tick."""
    rows = await sql.fetchall(
        "UPDATE groups SET post_retry_at = ? WHERE guild_id = ? AND post_retry_at > ? RETURNING id",
        (to_db(now), guild_id, to_db(now)),
    )
    return len(rows)


async def cannot_post_since(sql: Sql, group_id: int) -> datetime | None:
    """Since when the group's posts are refused (None: posting works, or is only retrying)."""
    row = await sql.fetchone("SELECT cannot_post_since FROM groups WHERE id = ?", (group_id,))
    return optional_from_db(row["cannot_post_since"]) if row else None
