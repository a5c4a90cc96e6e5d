"""Scheduled pulses: the channel post, DMs inside working hours, none while away, one reminder."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from checkin_steps import advance_to, bot_dms
from pulse_steps import next_open, pulse, set_home

from bot.sandbox import SandboxServer
from bot.sandbox.chapters.pulse import ANSWERS, TAKE, pulse_posts, take_pulse
from bot.sandbox.demo import DemoGroup
from bot.sandbox.running_bot import RunningBot

pytestmark = pytest.mark.e2e

TUESDAY_10 = datetime(2026, 3, 3, 10, tzinfo=UTC)


def pulse_dms(server: SandboxServer, user_id: int) -> list[str]:
    return [
        m.text for m in bot_dms(server, user_id) if any(b.get("label") == TAKE for b in m.buttons())
    ]


async def test_invitations_reach_the_channel_and_opted_in_members_in_their_hours(
    server: SandboxServer, group: DemoGroup, peerpulse: RunningBot
) -> None:
    ana, ben, chen, _, eve = group.member_ids
    channel = group.home_channel_id
    await set_home(server, group)
    for member in (ana, ben, eve):
        await server.actor(member).slash(
            "me dms", channel_id=channel, options={"kind": "pulse", "setting": "on"}
        )
    await server.actor(eve).slash("me away", channel_id=channel)
    await server.actor(ana).slash(
        "me timezone", channel_id=channel, options={"zone": "America/New_York"}
    )
    await pulse(server, group, group.moderator_id, "settings", reminders=True)
    scheduled = await pulse(
        server,
        group,
        group.moderator_id,
        "schedule",
        every=2,
        weekday="Tuesday",
        time="10:00",
        days_open=3,
    )
    assert "Every 2 weeks on Tuesday at 10:00 (UTC), open 3 days" in scheduled
    assert await next_open(peerpulse, group) == TUESDAY_10

    await advance_to(peerpulse, TUESDAY_10 - timedelta(minutes=1))
    assert pulse_posts(server, channel) == []
    await advance_to(peerpulse, TUESDAY_10)
    [post] = pulse_posts(server, channel)
    assert "A group pulse is open until" in post.text
    assert "only when at least 5 answered" in post.text
    assert len(pulse_dms(server, ben)) == 1  # 10:00 in London: inside his hours
    assert pulse_dms(server, ana) == []  # 05:00 in New York: waits for her hours
    assert pulse_dms(server, chen) == []  # not opted in

    await advance_to(peerpulse, TUESDAY_10 + timedelta(hours=5))
    [invitation] = pulse_dms(server, ana)
    assert "A group pulse is open" in invitation
    dm = next(m for m in reversed(bot_dms(server, ana)) if m.buttons())
    note = await take_pulse(server, ana, dm.id, ANSWERS[1])
    assert note.message is not None
    assert "Your own burnout index" in note.message.text

    # The one reminder, 24 hours before close: only Ben, who has not answered.
    await advance_to(peerpulse, TUESDAY_10 + timedelta(days=2, hours=1))
    assert len(pulse_dms(server, ben)) == 2
    assert "The only reminder" in pulse_dms(server, ben)[-1]
    assert len(pulse_dms(server, ana)) == 1
    await advance_to(peerpulse, TUESDAY_10 + timedelta(days=3, hours=1))
    assert len(pulse_dms(server, ben)) == 2
    assert pulse_dms(server, eve) == []  # away the whole time
    assert pulse_dms(server, chen) == []


async def test_someone_who_left_the_server_cannot_take_the_pulse_from_their_dm(
    server: SandboxServer, group: DemoGroup, peerpulse: RunningBot
) -> None:
    ben = group.member_ids[1]
    await set_home(server, group)
    await server.actor(ben).slash(
        "me dms", channel_id=group.home_channel_id, options={"kind": "pulse", "setting": "on"}
    )
    await pulse(
        server,
        group,
        group.moderator_id,
        "schedule",
        every=2,
        weekday="Tuesday",
        time="10:00",
        days_open=3,
    )
    await advance_to(peerpulse, TUESDAY_10)
    dm = next(m for m in reversed(bot_dms(server, ben)) if m.buttons())
    server.remove_member(group.guild_id, ben)
    refused = await server.actor(ben).click(dm.id, label=TAKE)
    assert refused.message is not None
    assert "a group you're not part of" in refused.message.content
    assert refused.modal is None
