"""A group's consultation settings: names on the poll, reminder offsets, where."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime

from bot.consult.model import ConsultSettings, LocationKind, check_offsets
from bot.db import Sql
from bot.members.instants import to_db


async def get_settings(sql: Sql, group_id: int) -> ConsultSettings:
    """The group's consultation settings, or the defaults."""
    row = await sql.fetchone(
        "SELECT show_names, reminder_offsets, location_kind, voice_channel_id "
        "FROM consult_settings WHERE group_id = ?",
        (group_id,),
    )
    if row is None:
        return ConsultSettings(group_id)
    return ConsultSettings(
        group_id,
        bool(row["show_names"]),
        tuple(int(o) for o in json.loads(row["reminder_offsets"])),
        row["location_kind"],
        row["voice_channel_id"],
    )


async def save_settings(
    sql: Sql,
    group_id: int,
    *,
    now: datetime,
    show_names: bool | None = None,
    reminder_offsets: Sequence[int] | None = None,
    location_kind: LocationKind | None = None,
    voice_channel_id: int | None = None,
) -> ConsultSettings:
    """Change some settings (None: unchanged); return them all."""
    current = await get_settings(sql, group_id)
    offsets = (
        check_offsets(reminder_offsets)
        if reminder_offsets is not None
        else current.reminder_offsets
    )
    await sql.execute(
        "INSERT INTO consult_settings (group_id, show_names, reminder_offsets, location_kind, "
        "voice_channel_id, updated_at) VALUES (?, ?, ?, ?, ?, ?) "
        "ON CONFLICT (group_id) DO UPDATE SET show_names = excluded.show_names, "
        "reminder_offsets = excluded.reminder_offsets, location_kind = excluded.location_kind, "
        "voice_channel_id = excluded.voice_channel_id, updated_at = excluded.updated_at",
        (
            group_id,
            int(current.show_names if show_names is None else show_names),
            json.dumps(list(offsets)),
            location_kind or current.location_kind,
            voice_channel_id if voice_channel_id is not None else current.voice_channel_id,
            to_db(now),
        ),
    )
    return await get_settings(sql, group_id)
