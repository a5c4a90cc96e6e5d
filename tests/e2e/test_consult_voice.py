"""Group consultation settings and a voice-channel session, end to end through the sandbox."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.sandbox import SandboxServer
from bot.sandbox import permissions as perm
from bot.sandbox.chapters.consultations import (
    FINALIZE,
    announcements,
    mark,
    propose,
    propose_and_post,
    shows,
)
from bot.sandbox.demo import DemoGroup, build_demo_group
from bot.sandbox.running_bot import RunningBot

pytestmark = pytest.mark.e2e

THU_12 = datetime(2026, 3, 5, 12, tzinfo=UTC)  # the fixture clock starts Monday 09:00 UTC


@pytest.fixture
def group(server: SandboxServer) -> DemoGroup:
    return build_demo_group(server, voice_channel=True)


async def test_settings_hide_names_and_book_the_voice_channel(
    server: SandboxServer, group: DemoGroup, peerpulse: RunningBot
) -> None:
    ana, ben, chen = group.member_ids[:3]
    home = group.home_channel_id
    assert group.voice_channel_id is not None
    refused = await server.actor(ana).slash("consult settings", channel_id=home)
    assert refused.message is not None
    assert "Only the group's moderators" in refused.message.content
    bad = await server.actor(group.moderator_id).slash(
        "consult settings", channel_id=home, options={"reminders": "a day before"}
    )
    assert bad.message is not None
    assert "I can't read 'a day before' as a reminder time" in bad.message.content

    saved = await server.actor(group.moderator_id).slash(
        "consult settings",
        channel_id=home,
        options={
            "names": False,
            "reminders": "2h, 15m",
            "voice_channel": group.voice_channel_id,
            "where": "voice",
        },
    )
    assert saved.message is not None
    assert "hidden" in saved.message.text
    assert "2h, 15m before" in saved.message.text
    assert f"<#{group.voice_channel_id}>" in saved.message.text

    echo = await propose(server, ana, home, "thu 12:00, fri 12:00")
    assert echo.message is not None
    assert f"where: <#{group.voice_channel_id}>" in echo.message.content
    poll = await propose_and_post(server, ana, home, "thu 12:00, fri 12:00")
    await mark(server, ben, poll.id, works=[0])
    await mark(server, chen, poll.id, works=[0])
    shown = await shows(server, home, poll.id, "2 members answered", "Names are hidden")
    assert "Ben" not in shown.text
    assert "Chen" not in shown.text

    # Discord wants Connect in the voice channel to put an event there; the bot lacks it.
    booked = await (await server.actor(ana).click(poll.id, label=FINALIZE)).final()
    assert "did not let me create the event: give me Create Events" in booked.content
    [announcement] = announcements(server, home)
    assert server.world.guild(group.guild_id).scheduled_events == {}
    server.set_channel_overwrites(
        group.voice_channel_id,
        [perm.Overwrite(group.credentials.bot_user_id, 1, allow=perm.CONNECT)],
    )
    await peerpulse.tick()
    [event] = [e.data for e in server.world.guild(group.guild_id).scheduled_events.values()]
    assert event["entity_type"] == 2
    assert event["channel_id"] == str(group.voice_channel_id)
    assert not event.get("entity_metadata")
    assert event["scheduled_start_time"] == THU_12.isoformat()
    [again] = announcements(server, home)
    assert again.id == announcement.id  # redrawn, not posted twice
    await shows(server, home, announcement.id, f"discord.com/events/{group.guild_id}/")
    assert f"Where: <#{group.voice_channel_id}>" in announcement.text
