"""A member with closed DMs is tried at most once a day, however often they interact."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

import pytest

from bot.clock import VirtualClock
from bot.delivery import outbox
from bot.delivery.recipients import DMS_CLOSED_HINT
from bot.members.dm_consent import WELCOME_KIND
from bot.sandbox import SandboxServer
from bot.sandbox.demo import DemoGroup
from bot.sandbox.running_bot import RunningBot

pytestmark = pytest.mark.e2e

SEND = ("POST", "/channels/{channel_id}/messages")


async def test_an_interacting_member_with_closed_dms_is_tried_once_a_day_and_hinted_once(
    server: SandboxServer, group: DemoGroup, peerpulse: RunningBot, clock: VirtualClock
) -> None:
    eve = server.actor(group.member_ids[4])
    server.set_dms_closed(eve.user_id)
    hours = {"days": "Mon-Sun", "start": "00:00", "end": "24:00"}
    await eve.slash("me hours", channel_id=group.home_channel_id, options=hours)
    await eve.slash(
        "me dms", channel_id=group.home_channel_id, options={"kind": "checkins", "setting": "on"}
    )
    first_refusal = clock.now()
    await peerpulse.tick()  # the welcome DM: refused (50007)
    results = []
    # Every hour for 47 hours: a new DM falls due, and Eve uses a command.
    for hour in range(1, 48):
        await peerpulse.advance(timedelta(hours=1))
        await outbox.enqueue(
            peerpulse.db,
            group_id=1,
            user_id=eve.user_id,
            kind=WELCOME_KIND,
            ref=f"test-{hour}",
            due_at=clock.now(),
            expires_at=clock.now() + timedelta(days=3),
            payload={},
        )
        results.append(await eve.slash("me show", channel_id=group.home_channel_id))
        await peerpulse.advance(timedelta(seconds=30))
    await asyncio.sleep(0.5)  # the hint follows its command's answer

    tries = [r for r in server.requests_to(*SEND) if r.status == 403]
    assert [r.error_code for r in tries] == [50007, 50007]  # at the start and a day later
    at = [datetime.fromisoformat(r.at) for r in tries]
    assert at[0] == first_refusal
    assert at[1] - at[0] >= timedelta(days=1)
    hints = [f for r in results for f in r.followups if f.content == DMS_CLOSED_HINT]
    assert len(hints) == 2  # once after each refusal, not on every command
