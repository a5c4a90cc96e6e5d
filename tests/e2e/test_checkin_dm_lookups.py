"""A check-in DM fan-out renders every DM without looking its round up once per DM."""

from __future__ import annotations

from datetime import timedelta

import pytest
from checkin_steps import TUESDAY_9, advance_to, bot_dms, opt_in, set_up
from sql_trace import counting

from bot.sandbox import SandboxServer
from bot.sandbox.chapters.checkins import latest_dm_with_button
from bot.sandbox.demo import DemoGroup
from bot.sandbox.running_bot import RunningBot

pytestmark = pytest.mark.e2e

ROUND_BY_ID = "FROM checkin_rounds WHERE id = ?"


async def test_dms_of_a_round_look_it_up_once(
    server: SandboxServer, group: DemoGroup, peerpulse: RunningBot
) -> None:
    await set_up(server, group)
    members = group.member_ids
    await opt_in(peerpulse, group, *members)
    await advance_to(peerpulse, TUESDAY_9 - timedelta(minutes=1))
    async with counting(peerpulse.db) as statements:
        # Open, then a day for every member's working hours, then the reminders.
        for hour in range(26):
            await advance_to(peerpulse, TUESDAY_9 + timedelta(hours=hour))
    invitations = sum(
        1 for m in members for dm in bot_dms(server, m) if "is open until" in dm.content
    )
    reminders = sum(
        1 for m in members for dm in bot_dms(server, m) if "only reminder" in dm.content
    )
    assert invitations == len(members)
    assert reminders == len(members)
    closes = int((TUESDAY_9 + timedelta(hours=48)).timestamp())
    first, last = bot_dms(server, members[0])[0], latest_dm_with_button(server, members[0])
    assert f"(week 10 of 2026) is open until <t:{closes}:F>" in first.content
    assert f"closes <t:{closes}:R>" in last.content
    assert first.buttons() == last.buttons() != []
    lookups = [s for s in statements if ROUND_BY_ID in s]
    # One: the channel post records its message id and reads the round back. DMs: none.
    assert len(lookups) <= 1, lookups
