"""Per Discord user, across groups: the DM channel id, and whether their DMs are closed."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Final

from bot.db import Sql
from bot.members.instants import to_db

# After a refused DM (50007), the next attempt waits at least this long, however often the
# member interacts: each attempt is an invalid request that counts against the bot.
DMS_CLOSED_RETRY_AFTER: Final = timedelta(days=1)

DMS_CLOSED_HINT = (
    "I couldn't DM you: your Discord settings block direct messages from this server's "
    "members. To get the DMs you opted in to, turn on Direct Messages in this server's "
    "Privacy Settings; or turn them off with /me dms. I'll try again a day after my last try."
)


# Writes made for an outbox row in flight happen only while the row is still leased, so a
# member who used /me forget meanwhile does not get their row back.
_WHILE_LEASED = (
    "WHERE :outbox IS NULL OR EXISTS (SELECT 1 FROM outbox "
    "WHERE id = :outbox AND status = 'sending' AND lease_owner = :owner) "
)


async def remember_channel(
    sql: Sql,
    user_id: int,
    channel_id: int,
    *,
    now: datetime,
    lease: tuple[int, str] | None = None,
) -> None:
    """Keep the member's DM channel id so the next DM costs one request, not two.

    With `lease` (outbox id, owner), only while that row is still leased to that owner.
    """
    outbox_id, owner = lease if lease else (None, None)
    await sql.execute(
        "INSERT INTO dm_recipients (user_id, channel_id, updated_at) "
        "SELECT :user, :channel, :now " + _WHILE_LEASED + "ON CONFLICT (user_id) DO UPDATE "
        "SET channel_id = excluded.channel_id, updated_at = excluded.updated_at",
        {
            "user": user_id,
            "channel": channel_id,
            "now": to_db(now),
            "outbox": outbox_id,
            "owner": owner,
        },
    )


async def forget_channel(sql: Sql, user_id: int, *, now: datetime) -> None:
    """Drop a DM channel id Discord no longer knows."""
    await sql.execute(
        "UPDATE dm_recipients SET channel_id = NULL, updated_at = ? WHERE user_id = ?",
        (to_db(now), user_id),
    )


async def mark_dms_closed(
    sql: Sql, user_id: int, *, now: datetime, lease: tuple[int, str] | None = None
) -> None:
    """Stop DMing this member (in every group) until they next interact with the bot, and
    for at least `DMS_CLOSED_RETRY_AFTER`.

    With `lease` (outbox id, owner), only while that row is still leased to that owner.
    """
    outbox_id, owner = lease if lease else (None, None)
    await sql.execute(
        "INSERT INTO dm_recipients (user_id, dms_closed_at, dms_retry_at, updated_at) "
        "SELECT :user, :now, :retry, :now " + _WHILE_LEASED + "ON CONFLICT (user_id) DO UPDATE "
        "SET dms_closed_at = excluded.dms_closed_at, dms_retry_at = excluded.dms_retry_at, "
        "updated_at = excluded.updated_at",
        {
            "user": user_id,
            "now": to_db(now),
            "retry": to_db(now + DMS_CLOSED_RETRY_AFTER),
            "outbox": outbox_id,
            "owner": owner,
        },
    )


async def dms_closed(sql: Sql, user_id: int) -> bool:
    """True while the member's DMs are known to be closed (interactions use `ClosedDms`)."""
    row = await sql.fetchone(
        "SELECT 1 FROM dm_recipients WHERE user_id = ? AND dms_closed_at IS NOT NULL", (user_id,)
    )
    return row is not None


async def note_interaction(sql: Sql, user_id: int) -> bool:
    """The member used the bot: clear a closed-DMs mark; True once, when there was one.

    The glue calls this on every interaction and, on True, shows `DMS_CLOSED_HINT`
    ephemerally; the dispatcher tries their DMs again from then on, but not before
    `dms_retry_at` (a day after the refused attempt).
    """
    rows = await sql.fetchall(
        "UPDATE dm_recipients SET dms_closed_at = NULL "
        "WHERE user_id = ? AND dms_closed_at IS NOT NULL RETURNING user_id",
        (user_id,),
    )
    return bool(rows)


class ClosedDms:
    """Who may have closed DMs, held in memory so an interaction costs no query.

    Loaded at start from `dm_recipients`, marked where Discord answers 50007, and
    cleared when the member interacts. It may hold a member the database no longer marks
    (a dispatcher retry reopened them): clearing then costs one UPDATE and shows no hint.
    """

    def __init__(self) -> None:
        self._users: set[int] = set()

    async def load(self, sql: Sql) -> None:
        """Replace the set with the members the database marks as closed."""
        rows = await sql.fetchall(
            "SELECT user_id FROM dm_recipients WHERE dms_closed_at IS NOT NULL"
        )
        self._users = {int(row["user_id"]) for row in rows}

    def mark(self, user_id: int) -> None:
        """Discord refused a DM to this member: their next interaction may show the hint."""
        self._users.add(user_id)

    def __contains__(self, user_id: object) -> bool:
        return user_id in self._users

    def __len__(self) -> int:
        return len(self._users)

    async def clear(self, sql: Sql, user_id: int) -> bool:
        """The member interacted: clear the mark; True once, when the database had one."""
        if user_id not in self._users:
            return False
        self._users.discard(user_id)
        return await note_interaction(sql, user_id)
