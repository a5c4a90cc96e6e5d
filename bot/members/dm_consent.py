"""Opting in to DMs, and the one welcome DM that confirms the bot can reach a member.

The first time a member opts in to any DM kind in a group, one welcome DM is queued
through the outbox like every other DM: it arrives within their working hours, not
while they are away, and finds out early when their DMs are closed (so they get the
hint on their next command instead of missing their first check-in prompt).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Final

from bot.db import Database
from bot.delivery import outbox
from bot.members.hours import format_hours
from bot.members.preferences import DM_KIND_LABELS, Preferences, set_dm_opt_in

WELCOME_KIND: Final = "dms_welcome"
WELCOME_REF: Final = "first"
WELCOME_EXPIRES_AFTER: Final = timedelta(days=7)


async def choose_dms(
    db: Database, group_id: int, user_id: int, kind: str, on: bool, *, now: datetime
) -> tuple[Preferences, bool]:
    """Opt in to (or out of) one DM kind; True when this queued the member's welcome DM."""
    async with db.transaction() as tx:
        prefs = await set_dm_opt_in(tx, group_id, user_id, kind, on, now=now)
        queued = False
        # The member's settings remember the welcome: its outbox row is purged once sent.
        if on and await tx.fetchall(
            "UPDATE member_preferences SET dm_welcomed = 1 "
            "WHERE group_id = ? AND user_id = ? AND dm_welcomed = 0 RETURNING 1",
            (group_id, user_id),
        ):
            queued = await outbox.enqueue(
                tx,
                group_id=group_id,
                user_id=user_id,
                kind=WELCOME_KIND,
                ref=WELCOME_REF,
                due_at=now,
                expires_at=now + WELCOME_EXPIRES_AFTER,
                payload={},
                now=now,
            )
    return prefs, queued


def welcome_text(group_name: str, prefs: Preferences, group_zone: str) -> str:
    """The welcome DM, from the member's settings as they are when it is sent."""
    wanted = [label for kind, label in DM_KIND_LABELS.items() if prefs.wants(kind)]
    kinds = ", ".join(wanted) if wanted else "no DMs for now"
    zone = prefs.zone(group_zone).key
    return (
        f"Hello from peerpulse, for **{group_name}**. You get {kinds} here.\n"
        f"I send DMs only within your working hours ({format_hours(prefs.hours)}, {zone}) "
        "and never while you are away. Change that with /me hours, /me away or /me dms; "
        "/me show lists your settings."
    )
