"""`members.json`: who was in the sandbox's demo group, and their settings as the bot had them.

For each person (the guild's members now, and anyone who left): id, name, role, the DM
channel the sandbox opened for them (so `requests.jsonl`'s `/channels/{id}/messages`
maps to a person), whether their Discord DMs are closed, when they joined and left, and
`settings`: the history of their peerpulse settings, one entry per change, each in
effect from its `from` instant until the next. `SettingsHistory` records that history
by reading `member_preferences` around every tick (see `RunningBot.observers`); a row
deleted by /me forget ends it (`settings_forgotten_at`). Instants are ISO 8601 with an
offset; keys and lists are sorted, so the file is deterministic.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from bot.db import Database
from bot.sandbox import permissions as perm
from bot.sandbox.demo import DemoGroup
from bot.sandbox.running_bot import RunningBot
from bot.sandbox.state import Member, World

DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_COLUMNS = (
    "p.user_id, p.timezone, p.work_days, p.work_start, p.work_end, p.away_since, "
    "p.away_until, p.dm_checkins, p.dm_consultations, p.dm_pulse, p.reminders, "
    "p.consult_reminders, p.consult_outside_hours, p.updated_at, g.timezone AS group_zone"
)


def _instant(value: datetime | str) -> str:
    parsed = datetime.fromisoformat(value) if isinstance(value, str) else value
    return parsed.astimezone(UTC).isoformat()


def _minute(minute: int) -> str:
    """Minutes after local midnight as HH:MM; 1440 (an end at midnight) is 00:00."""
    return f"{minute // 60 % 24:02d}:{minute % 60:02d}"


def settings_entry(row: dict[str, Any]) -> dict[str, Any]:
    """One `member_preferences` row as a settings entry (without its `from`)."""
    zone = row["timezone"] or row["group_zone"]
    away = None
    if row["away_since"] is not None:  # an instant: shown as the member's local date
        since = datetime.fromisoformat(row["away_since"]).astimezone(ZoneInfo(zone)).date()
        away = {"since": since.isoformat(), "until": row["away_until"]}
    return {
        "timezone": zone,
        "hours": {
            "days": [DAY_NAMES[d] for d in range(7) if row["work_days"] & (1 << d)],
            "start": _minute(row["work_start"]),
            "end": _minute(row["work_end"]),
        },
        "away": away,
        "dms": {
            "checkins": bool(row["dm_checkins"]),
            "consultations": bool(row["dm_consultations"]),
            "pulse": bool(row["dm_pulse"]),
        },
        "reminders": bool(row["reminders"]),
        "consult_reminders": {
            "on": bool(row["consult_reminders"]),
            "outside_hours": bool(row["consult_outside_hours"]),
        },
    }


@dataclass
class SettingsHistory:
    """Members' settings in one guild's groups, recorded whenever a row changes."""

    db: Database
    guild_id: int
    entries: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    forgotten: dict[int, str] = field(default_factory=dict)
    _last: dict[int, dict[str, Any]] = field(default_factory=dict)

    async def snapshot(self, now: datetime) -> None:
        """Read every member's row; note what changed since the last snapshot."""
        rows = await self.db.fetchall(
            f"SELECT {_COLUMNS} FROM member_preferences p "  # noqa: S608 - constant columns
            "JOIN groups g ON g.id = p.group_id WHERE g.guild_id = ? ORDER BY p.user_id",
            (self.guild_id,),
        )
        seen: set[int] = set()
        for row in rows:
            user_id = int(row["user_id"])
            seen.add(user_id)
            entry = settings_entry(dict(row))
            if self._last.get(user_id) == entry:
                continue
            self._last[user_id] = entry
            self.forgotten.pop(user_id, None)
            self.entries.setdefault(user_id, []).append(
                {"from": _instant(row["updated_at"]), **entry}
            )
        for user_id in sorted(set(self._last) - seen):  # /me forget deleted the row
            del self._last[user_id]
            self.forgotten[user_id] = _instant(now)


def _role(world: World, group: DemoGroup, member: Member) -> str:
    if member.user_id == group.owner_id:
        return "owner"
    permissions = 0
    guild = world.guild(member.guild_id)
    for role_id in member.roles:
        role = guild.roles.get(role_id)
        permissions |= role.permissions if role is not None else 0
    if permissions & (perm.MANAGE_GUILD | perm.ADMINISTRATOR):
        return "moderator"
    if group.cofacilitator_role_id in member.roles:
        return "co-facilitator"
    return "member"


def members_document(
    world: World, group: DemoGroup, history: SettingsHistory
) -> list[dict[str, Any]]:
    """Every person who was ever a (human) member of the demo guild, by id."""
    joined: dict[int, datetime] = {}
    left: dict[int, datetime | None] = {}
    last_member: dict[int, Member] = {}
    for change in world.membership_log:
        if change.guild_id != group.guild_id or world.user(change.user_id).bot:
            continue
        joined.setdefault(change.user_id, change.at)
        left[change.user_id] = None if change.joined else change.at
        last_member[change.user_id] = change.member
    people = []
    for user_id in sorted(joined):
        channel = world.find_dm_channel(user_id)
        people.append(
            {
                "id": str(user_id),
                "name": world.user(user_id).display_name,
                "role": _role(world, group, last_member[user_id]),
                "dm_channel_id": str(channel.id) if channel is not None else None,
                "dms_closed": user_id in world.dms_closed,
                "joined_at": _instant(joined[user_id]),
                "left_at": _instant(at) if (at := left[user_id]) is not None else None,
                "settings": history.entries.get(user_id, []),
                "settings_forgotten_at": history.forgotten.get(user_id),
            }
        )
    return people


def write_members(path: Path, world: World, group: DemoGroup, history: SettingsHistory) -> Path:
    """Write `members.json` (sorted keys, two-space indent)."""
    document = members_document(world, group, history)
    path.write_text(json.dumps(document, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return path


def record_settings(running: RunningBot, guild_id: int) -> SettingsHistory:
    """Start recording members' settings around every tick of `running`."""
    history = SettingsHistory(running.db, guild_id)
    running.observers.append(history.snapshot)
    return history
