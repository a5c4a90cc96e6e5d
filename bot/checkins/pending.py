"""Answers held while their author decides about a flagged note (see migration 0005).

A note that may identify a client is not saved until its author confirms it. Until then
the whole answer, note included, waits here under a random id carried by the buttons,
for at most `PENDING_LIFETIME`: it is the author's own text, kept only so that their
decision works after a restart. Saving the answer (a trigger, migration 0009), the hourly
purge and /me forget delete it.
"""

from __future__ import annotations

import dataclasses
import json
import secrets
from datetime import datetime, timedelta
from typing import Any

from bot.checkins.answers import AnswerInput
from bot.db import Database, Sql
from bot.members.instants import to_db
from bot.members.personal_data import REGISTRY

REGISTRY.register("checkin_pending", "user_id")

PENDING_LIFETIME = timedelta(hours=1)


async def hold(
    db: Database, round_id: int, user_id: int, answer: AnswerInput, now: datetime
) -> str:
    """Keep `answer` for its author's decision (replacing any earlier one); its random id."""
    pending_id = secrets.token_hex(8)
    async with db.transaction() as tx:
        await tx.execute(
            "DELETE FROM checkin_pending WHERE round_id = ? AND user_id = ?", (round_id, user_id)
        )
        await tx.execute(
            "INSERT INTO checkin_pending (id, round_id, user_id, answer, created_at) "
            "VALUES (?, ?, ?, ?, ?)",
            (pending_id, round_id, user_id, json.dumps(dataclasses.asdict(answer)), to_db(now)),
        )
    return pending_id


async def held(
    sql: Sql, pending_id: str, user_id: int, now: datetime
) -> tuple[int, AnswerInput] | None:
    """The round and answer held under `pending_id` for `user_id`, unless gone or expired."""
    row = await sql.fetchone(
        "SELECT round_id, answer FROM checkin_pending "
        "WHERE id = ? AND user_id = ? AND created_at > ?",
        (pending_id, user_id, to_db(now - PENDING_LIFETIME)),
    )
    if row is None:
        return None
    fields: dict[str, Any] = json.loads(row["answer"])
    return int(row["round_id"]), AnswerInput(**fields)


async def purge_expired(sql: Sql, now: datetime) -> int:
    """Delete held answers older than `PENDING_LIFETIME`; how many."""
    rows = await sql.fetchall(
        "DELETE FROM checkin_pending WHERE created_at <= ? RETURNING 1",
        (to_db(now - PENDING_LIFETIME),),
    )
    return len(rows)
