"""/peerpulse status: what moderators see of scheduling and delivery, counts only."""

from __future__ import annotations

import pytest

from bot.sandbox import SandboxServer
from bot.sandbox.actors import CommandNotPermitted
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
    assert "Check-ins: Not set up yet; set them up with /checkin setup." in text
    assert "Waiting to be sent: 1 (1 waiting for the member's working hours)." in text
    assert "The next one goes out <t:1772456400:R>." in text  # Dev's 13:00 UTC window
    assert (
        "• Welcome messages: 1 delivered; 1 not delivered (the member's DMs were closed at "
        "the time); 1 not sent (the member was away)"
    ) in text
    assert "Right now 1 member who asked for DMs has DMs closed in Discord" in text
    assert_plain(text)
    for member in (ana, ben, chen, dev):
        assert member.name not in text
        assert str(member.user_id) not in text

    with pytest.raises(CommandNotPermitted):  # not in a member's command list
        await ana.slash("peerpulse status", channel_id=channel)
    server.set_command_access(group.guild_id, "peerpulse", role_id=group.guild_id)
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
    assert "Nothing is waiting to be sent." in text
    assert "No DMs were sent or skipped in the last 7 days." in text
    assert "Right now no member who asked for DMs has them closed." in text
    assert_plain(text)


async def test_status_does_not_contradict_itself_after_a_closed_dm_reopens(
    server: SandboxServer, group: DemoGroup, peerpulse: RunningBot
) -> None:
    ben = server.actor(group.member_ids[1])
    channel = group.home_channel_id
    server.set_dms_closed(ben.user_id)
    await ben.slash("me dms", channel_id=channel, options={"kind": "pulse", "setting": "on"})
    await peerpulse.tick()  # the welcome DM is refused: DMs closed
    mira = server.actor(group.moderator_id)
    before = await mira.slash("peerpulse status", channel_id=channel)
    assert before.message is not None
    assert "Right now 1 member who asked for DMs has DMs closed" in before.message.embed_text()

    server.set_dms_closed(ben.user_id, closed=False)
    shown = await ben.slash("me show", channel_id=channel)  # using a command lifts the mark
    await shown.wait_followups(1)
    after = await mira.slash("peerpulse status", channel_id=channel)
    assert after.message is not None
    text = after.message.embed_text()
    assert "1 not delivered (the member's DMs were closed at the time)" in text
    assert "Right now no member is marked as having DMs closed: everyone whose DMs were " in text
    assert "has them closed." not in text
    assert_plain(text)


def assert_plain(text: str) -> None:
    """No storage words, no "(s)" plurals, no "1 DMs"."""
    lowered = text.lower()
    for jargon in ("outbox", "row", "channel id", "(s)", " 1 dms", "kind", "stale"):
        assert jargon not in lowered, jargon
