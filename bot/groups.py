"""Groups: one consultation group's home channel and settings, and their SQL."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import aiosqlite

from bot.clock import Clock
from bot.config import GroupDefaults
from bot.db import Database
from bot.errors import UserError
from bot.timezones import parse_zone

_COLUMNS = (
    "id, guild_id, home_channel_id, timezone, moderator_role_id, "
    "retention_days, anonymity_threshold"
)


@dataclass(frozen=True)
class Group:
    """A consultation group and its settings."""

    id: int
    guild_id: int
    home_channel_id: int | None
    timezone: str
    moderator_role_id: int | None
    retention_days: int
    anonymity_threshold: int


@dataclass(frozen=True)
class SettingsChange:
    """What a moderator asked to change; None leaves a setting as it is."""

    timezone: str | None = None
    home_channel_id: int | None = None
    moderator_role_id: int | None = None
    clear_moderator_role: bool = False

    def is_empty(self) -> bool:
        """True when nothing would change."""
        return (
            self.timezone is None
            and self.home_channel_id is None
            and self.moderator_role_id is None
            and not self.clear_moderator_role
        )


def _group(row: aiosqlite.Row | None) -> Group | None:
    return Group(**dict(row)) if row is not None else None


async def group_for_channel(db: Database, guild_id: int, channel_id: int) -> Group | None:
    """The group a command used in this channel belongs to.

    A channel that is some group's home channel belongs to that group; elsewhere in
    the server, the server's first group answers (the first version has one group
    per server). Remembered until the next write to the groups table (`Database.memo`):
    every command and button asks this, and settings change rarely.
    """

    async def load() -> Group | None:
        row = await db.fetchone(
            f"SELECT {_COLUMNS} FROM groups WHERE guild_id = ? "  # noqa: S608 - constant columns
            "ORDER BY (home_channel_id IS ?) DESC, id LIMIT 1",
            (guild_id, channel_id),
        )
        return _group(row)

    return await db.memo(("group_for_channel", guild_id, channel_id), load)


async def group_by_id(db: Database, group_id: int) -> Group | None:
    """The group with this id, or None."""
    row = await db.fetchone(
        f"SELECT {_COLUMNS} FROM groups WHERE id = ?",  # noqa: S608 - constant column list
        (group_id,),
    )
    return _group(row)


async def ensure_group(
    db: Database, clock: Clock, guild_id: int, channel_id: int, defaults: GroupDefaults
) -> Group:
    """Return the channel's group, creating the server's first group with the defaults if none."""
    existing = await group_for_channel(db, guild_id, channel_id)
    if existing is not None:
        return existing
    async with db.transaction() as tx:
        row = await tx.fetchone("SELECT id FROM groups WHERE guild_id = ? LIMIT 1", (guild_id,))
        if row is None:
            await tx.execute(
                "INSERT INTO groups (guild_id, timezone, retention_days, anonymity_threshold, "
                "created_at) VALUES (?, ?, ?, ?, ?)",
                (
                    guild_id,
                    defaults.timezone,
                    defaults.retention_days,
                    defaults.anonymity_threshold,
                    clock.now().isoformat(),
                ),
            )
    created = await group_for_channel(db, guild_id, channel_id)
    if created is None:  # pragma: no cover - the row was just written
        raise RuntimeError("group vanished right after creation")
    return created


async def update_settings(db: Database, group_id: int, change: SettingsChange) -> Group:
    """Apply a moderator's change atomically: every field is checked before anything is written."""
    updates: dict[str, Any] = {}
    if change.timezone is not None:
        updates["timezone"] = parse_zone(change.timezone).key
    if change.home_channel_id is not None:
        updates["home_channel_id"] = change.home_channel_id
    if change.clear_moderator_role:
        updates["moderator_role_id"] = None
    elif change.moderator_role_id is not None:
        updates["moderator_role_id"] = change.moderator_role_id
    async with db.transaction() as tx:
        if "home_channel_id" in updates:
            taken = await tx.fetchone(
                "SELECT id FROM groups WHERE home_channel_id = ? AND id != ?",
                (updates["home_channel_id"], group_id),
            )
            if taken is not None:
                raise UserError(
                    "That channel is already another group's home channel. Pick a different one."
                )
        if updates:
            assignments = ", ".join(f"{column} = :{column}" for column in updates)
            await tx.execute(
                f"UPDATE groups SET {assignments} WHERE id = :id",  # noqa: S608 - fixed column names
                {**updates, "id": group_id},
            )
        row = await tx.fetchone(
            f"SELECT {_COLUMNS} FROM groups WHERE id = ?",  # noqa: S608 - constant column list
            (group_id,),
        )
    group = _group(row)
    if group is None:
        raise UserError("This group no longer exists. Run the command again to set it up.")
    return group
