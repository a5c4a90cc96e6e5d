"""/peerpulse status: what moderators see of scheduling and delivery, counts only."""

from __future__ import annotations

import pytest

from bot.sandbox import SandboxServer
from bot.sandbox.demo import DemoGroup
from bot.sandbox.running_bot import RunningBot

pytestmark = pytest.mark.e2e


async def test_status_shows_backlog_and_outcomes_by_kind_without_names(
    server: SandboxServer, group: DemoGroup, peerpulse: RunningBot
) -> None:
    ana, ben, chen, dev = (server.actor(u) for u in group.member_ids[:4])
    channel = group.home_channel_id
    await chen.slash("me away", channel_id=channel)
    await dev.slash(
        "me hours",
        channel_id=channel,
        options={"days": "Mon-Fri", "start": "13:00", "end": "20:00"},
    )
    server.set_dms_closed(ben.user_id)
    for member in (ana, ben, chen, dev):
        await member.slash("me dms", channel_id=channel, options={"kind": "pulse", "setting": "on"})
    await peerpulse.tick()  # Monday 09:00 UTC: Ana's goes out, Dev's waits for 13:00

    result = await server.actor(group.moderator_id).slash("peerpulse status", channel_id=channel)
    assert result.message is not None
    assert result.message.ephemeral
    text = result.message.embed_text()
    assert "Check-ins: Not set up yet." in text
    assert "Outbox: 1 waiting — 0 due now, 1 held for members' working hours" in text
    assert "Next DM due <t:1772456400:R>." in text  # Dev's 13:00 UTC window
    assert "Welcome DMs: 1 skipped: away, 1 DMs closed, 1 sent" in text
    assert "1 member(s) opted in but have DMs closed" in text
    for member in (ana, ben, chen, dev):
        assert member.name not in text
        assert str(member.user_id) not in text

    refused = await ana.slash("peerpulse status", channel_id=channel)
    assert refused.message is not None
    assert "Only the group's moderators" in refused.message.content


async def test_status_of_a_quiet_group_says_so(
    server: SandboxServer, group: DemoGroup, peerpulse: RunningBot
) -> None:
    result = await server.actor(group.moderator_id).slash(
        "peerpulse status", channel_id=group.home_channel_id
    )
    assert result.message is not None
    text = result.message.embed_text()
    assert "Outbox: 0 waiting" in text
    assert "No DMs finished in the last 7 days." in text
    assert "Right now, no member who opted in has DMs closed." in text
