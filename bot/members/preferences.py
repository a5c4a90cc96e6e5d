"""A member's boundaries in a group: time zone, working hours, away, DM consent, reminders."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Final, Literal, Protocol, get_args
from zoneinfo import ZoneInfo

import aiosqlite

from bot.db import Sql
from bot.errors import UserError
from bot.members.away import Away, check_until, format_date
from bot.members.hours import (
    DEFAULT_HOURS,
    WorkingHours,
    format_hours,
    is_within,
    next_window_start,
    parse_hours,
)
from bot.members.instants import date_from_db, from_db, to_db
from bot.timezones import parse_zone

DmKind = Literal["checkins", "consultations", "pulse"]
DM_KINDS: Final[tuple[DmKind, ...]] = get_args(DmKind)
DM_KIND_LABELS: Final[dict[DmKind, str]] = {
    "checkins": "check-in prompts",
    "consultations": "consultation reminders",
    "pulse": "pulse invitations",
}
_DM_COLUMNS: Final[dict[DmKind, str]] = {
    "checkins": "dm_checkins",
    "consultations": "dm_consultations",
    "pulse": "dm_pulse",
}
_COLUMNS = (
    "group_id, user_id, timezone, work_days, work_start, work_end, away_since, away_until, "
    "dm_checkins, dm_consultations, dm_pulse, reminders, consult_reminders, consult_outside_hours"
)


@dataclass(frozen=True)
class Preferences:
    """One member's settings in one group; a member without a row has these defaults."""

    group_id: int
    user_id: int
    timezone: str | None = None
    hours: WorkingHours = DEFAULT_HOURS
    away: Away | None = None
    dm_opt_in: frozenset[DmKind] = frozenset()
    reminders: bool = True
    consult_reminders: bool = True  # reminders before a consultation the member is going to
    consult_outside_hours: bool = False  # ...which may then arrive outside working hours

    def zone(self, group_zone: str) -> ZoneInfo:
        """The member's own zone, else the group's."""
        return ZoneInfo(self.timezone or group_zone)

    def is_away(self, zone: ZoneInfo, now: datetime) -> bool:
        """True while away at `now`."""
        return self.away is not None and self.away.active(zone, now)

    def wants(self, kind: DmKind) -> bool:
        """True when the member opted in to DMs of this kind."""
        return kind in self.dm_opt_in


def parse_dm_kind(kind: str) -> DmKind:
    """Validate a DM kind name."""
    for known in DM_KINDS:
        if kind == known:
            return known
    raise UserError(f"Choose one of: {', '.join(DM_KINDS)}.")


def preferences_from_row(row: aiosqlite.Row) -> Preferences:
    """Build preferences from a `member_preferences` row (the columns in `_COLUMNS`)."""
    away_since = row["away_since"]
    return Preferences(
        group_id=row["group_id"],
        user_id=row["user_id"],
        timezone=row["timezone"],
        hours=WorkingHours.from_mask(row["work_days"], row["work_start"], row["work_end"]),
        away=Away(from_db(away_since), date_from_db(row["away_until"])) if away_since else None,
        dm_opt_in=frozenset(kind for kind, column in _DM_COLUMNS.items() if row[column]),
        reminders=bool(row["reminders"]),
        consult_reminders=bool(row["consult_reminders"]),
        consult_outside_hours=bool(row["consult_outside_hours"]),
    )


async def get_preferences(sql: Sql, group_id: int, user_id: int) -> Preferences:
    """The member's preferences, or the defaults when they never changed anything."""
    row = await sql.fetchone(
        f"SELECT {_COLUMNS} FROM member_preferences "  # noqa: S608 - constant column list
        "WHERE group_id = ? AND user_id = ?",
        (group_id, user_id),
    )
    return preferences_from_row(row) if row else Preferences(group_id, user_id)


async def _save(
    sql: Sql, group_id: int, user_id: int, now: datetime, columns: dict[str, Any]
) -> Preferences:
    names = ", ".join(columns)
    values = ", ".join(f":{name}" for name in columns)
    updates = ", ".join(f"{name} = excluded.{name}" for name in columns)
    await sql.execute(
        f"INSERT INTO member_preferences (group_id, user_id, {names}, created_at, updated_at) "  # noqa: S608 - fixed column names
        f"VALUES (:group_id, :user_id, {values}, :now, :now) "
        f"ON CONFLICT (group_id, user_id) DO UPDATE SET {updates}, "
        "updated_at = excluded.updated_at",
        {**columns, "group_id": group_id, "user_id": user_id, "now": to_db(now)},
    )
    return await get_preferences(sql, group_id, user_id)


async def set_timezone(
    sql: Sql, group_id: int, user_id: int, zone: str | None, *, now: datetime
) -> Preferences:
    """Use `zone` (any case, IANA); None goes back to the group's zone.

    An empty or blank `zone` is refused with a sentence rather than read as a reset.
    """
    key = parse_zone(zone).key if zone is not None else None
    return await _save(sql, group_id, user_id, now, {"timezone": key})


async def set_hours(
    sql: Sql, group_id: int, user_id: int, *, days: str, start: str, end: str, now: datetime
) -> Preferences:
    """Set working days ("Mon-Thu", "Mon,Wed,Fri") and local hours ("09:00", "17:00")."""
    hours = parse_hours(days, start, end)
    return await _save(
        sql,
        group_id,
        user_id,
        now,
        {"work_days": hours.days_mask, "work_start": hours.start, "work_end": hours.end},
    )


async def set_away(
    sql: Sql,
    group_id: int,
    user_id: int,
    until: date | None,
    *,
    now: datetime,
    group_zone: str,
) -> Preferences:
    """Be away through the end of `until` (the member's local date), or indefinitely (None)."""
    current = await get_preferences(sql, group_id, user_id)
    check_until(until, now.astimezone(current.zone(group_zone)).date())
    return await _save(
        sql,
        group_id,
        user_id,
        now,
        {"away_since": to_db(now), "away_until": until.isoformat() if until else None},
    )


async def set_back(sql: Sql, group_id: int, user_id: int, *, now: datetime) -> Preferences:
    """End away mode now."""
    return await _save(sql, group_id, user_id, now, {"away_since": None, "away_until": None})


async def set_dm_opt_in(
    sql: Sql, group_id: int, user_id: int, kind: str, on: bool, *, now: datetime
) -> Preferences:
    """Opt in to (or out of) DMs of one kind: "checkins", "consultations" or "pulse"."""
    column = _DM_COLUMNS[parse_dm_kind(kind)]
    return await _save(sql, group_id, user_id, now, {column: int(on)})


async def set_reminders(
    sql: Sql, group_id: int, user_id: int, on: bool, *, now: datetime
) -> Preferences:
    """Turn reminders (the one nudge after a prompt) on or off."""
    return await _save(sql, group_id, user_id, now, {"reminders": int(on)})


async def set_consult_reminders(
    sql: Sql,
    group_id: int,
    user_id: int,
    *,
    on: bool | None = None,
    outside_hours: bool | None = None,
    now: datetime,
) -> Preferences:
    """Turn consultation reminders on or off, and allow them outside working hours or not.

    None leaves that setting as it is.
    """
    columns = {
        name: int(value)
        for name, value in (("consult_reminders", on), ("consult_outside_hours", outside_hours))
        if value is not None
    }
    if not columns:
        return await get_preferences(sql, group_id, user_id)
    return await _save(sql, group_id, user_id, now, columns)


class OptedIn(Protocol):
    """`members_opted_in`'s shape, for services that take it as a parameter."""

    async def __call__(self, sql: Sql, group_id: int, kind: DmKind) -> list[int]: ...


async def members_opted_in(sql: Sql, group_id: int, kind: DmKind) -> list[int]:
    """User ids of the group's members who opted in to DMs of `kind`, ascending.

    Away members and members with closed DMs are included: the dispatcher skips them
    at delivery time (and records why), since both can change before a DM is due.
    """
    column = _DM_COLUMNS[parse_dm_kind(kind)]
    rows = await sql.fetchall(
        f"SELECT user_id FROM member_preferences WHERE group_id = ? AND {column} = 1 "  # noqa: S608 - fixed column name
        "ORDER BY user_id",
        (group_id,),
    )
    return [int(row["user_id"]) for row in rows]


async def member_group_ids(sql: Sql, user_id: int) -> list[int]:
    """Ids of the groups in which the member has settings, ascending."""
    rows = await sql.fetchall(
        "SELECT group_id FROM member_preferences WHERE user_id = ? ORDER BY group_id", (user_id,)
    )
    return [int(row["group_id"]) for row in rows]


def describe(prefs: Preferences, group_zone: str, now: datetime) -> list[str]:
    """Plain lines for `/me show`; instants as Discord timestamps (each viewer's own zone)."""
    zone = prefs.zone(group_zone)
    zone_note = zone.key if prefs.timezone else f"{zone.key}, the group's"
    lines = [
        f"Time zone: {zone_note}",
        f"Working hours: {format_hours(prefs.hours)} ({zone.key})",
    ]
    away = prefs.away
    if away is not None and away.active(zone, now):
        if away.until is None:
            lines.append("Away until you use /me back: no DMs meanwhile.")
        else:
            lines.append(f"Away until {format_date(away.until)}: no DMs until that day ends.")
    elif is_within(prefs.hours, zone, now):
        lines.append("Within your working hours now.")
    else:
        start = int(next_window_start(prefs.hours, zone, now).timestamp())
        lines.append(f"Next working window: <t:{start}:F> (<t:{start}:R>)")
    wanted = [label for kind, label in DM_KIND_LABELS.items() if prefs.wants(kind)]
    lines.append(f"DMs: {', '.join(wanted)}" if wanted else "DMs: none (opt in with /me dms)")
    lines.append(f"Reminders: {'on' if prefs.reminders else 'off'}")
    consult = "off"
    if prefs.consult_reminders:
        consult = "on, also outside your hours" if prefs.consult_outside_hours else "on"
    lines.append(f"Consultation reminders: {consult}")
    return lines
