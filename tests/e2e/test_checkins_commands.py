"""/checkin for moderators: validation sentences, permissions, pause/resume/now, history."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import discord
import pytest
from checkin_steps import TUESDAY_9, advance_to, count, opt_in, set_up
from modified_client import raw_slash

from bot.sandbox import Overwrite, SandboxServer
from bot.sandbox import permissions as perm
from bot.sandbox.chapters.checkins import answer_checkin, checkin_posts, latest_dm_with_button
from bot.sandbox.demo import DemoGroup
from bot.sandbox.running_bot import RunningBot

pytestmark = pytest.mark.e2e


async def reply(
    server: SandboxServer, user_id: int, channel_id: int, command: str, **options: object
) -> str:
    result = await server.actor(user_id).slash(command, channel_id=channel_id, options=options)
    message = await result.final()
    assert message.ephemeral
    return message.text


async def test_setup_options_are_validated_with_sentences(
    server: SandboxServer, group: DemoGroup, peerpulse: RunningBot
) -> None:
    mira, here = group.moderator_id, group.home_channel_id
    choices = await server.actor(mira).autocomplete(
        "checkin setup", "weekday", "fr", channel_id=here
    )
    assert [c["value"] for c in choices] == ["Friday"]
    cases = [
        ({"weekday": "Funday", "time": "09:00"}, "Pick a weekday from Monday to Sunday"),
        (
            {"weekday": "Monday", "time": "25:00"},
            "I can't read '25:00' as a time of day. Type it like 09:00, 17:30, 9am or 9:30 pm.",
        ),
    ]
    for options, sentence in cases:
        assert sentence in await reply(server, mira, here, "checkin setup", **options)
    for hours in (0, 500):  # past the declared bounds: only a modified client sends these
        options = {"weekday": "Monday", "time": "09:00", "hours_open": hours}
        result = await raw_slash(server, mira, "checkin setup", channel_id=here, options=options)
        refused = await result.final()
        assert refused.ephemeral
        assert refused.text == "hours_open takes a number from 1 to 168."
    assert await count(peerpulse, "SELECT COUNT(*) FROM checkin_schedules") == 0
    for command in ("checkin pause", "checkin resume", "checkin now"):
        assert "not set up in this group yet" in await reply(server, mira, here, command)


async def test_only_moderators_run_check_ins(
    server: SandboxServer, group: DemoGroup, peerpulse: RunningBot
) -> None:
    ana, here = group.member_ids[0], group.home_channel_id
    assert "checkin" not in server.actor(ana).command_names(here)
    # Even if a server admin shows /checkin to everyone, peerpulse refuses members.
    server.set_command_access(group.guild_id, "checkin", role_id=group.guild_id)
    options: dict[str, dict[str, object]] = {
        "checkin setup": {"weekday": "Monday", "time": "09:00"},
        "checkin history": {},
    }
    for command in ("setup", "pause", "resume", "now", "history", "notes"):
        name = f"checkin {command}"
        text = await reply(server, ana, here, name, **options.get(name, {}))
        assert "Only the group's moderators" in text
    assert await count(peerpulse, "SELECT COUNT(*) FROM checkin_schedules") == 0


async def test_pause_resume_and_open_now(
    server: SandboxServer, group: DemoGroup, peerpulse: RunningBot
) -> None:
    mira, here = group.moderator_id, group.home_channel_id
    await set_up(server, group)
    assert "paused" in await reply(server, mira, here, "checkin pause")
    await advance_to(peerpulse, TUESDAY_9 + timedelta(hours=3))
    assert checkin_posts(server, here) == []

    assert "running again" in await reply(server, mira, here, "checkin resume")
    await peerpulse.tick()  # 3 of 48 hours gone: this week's check-in still opens, late
    assert len(checkin_posts(server, here)) == 1
    assert "already open" in await reply(server, mira, here, "checkin now")

    await advance_to(peerpulse, TUESDAY_9 + timedelta(days=6))  # Monday of week 11
    opened = await reply(server, mira, here, "checkin now")
    assert "This week's check-in is open in" in opened
    assert len(checkin_posts(server, here)) == 2
    await advance_to(peerpulse, TUESDAY_9 + timedelta(days=7))  # the scheduled open: no second
    assert len(checkin_posts(server, here)) == 2
    assert await count(peerpulse, "SELECT COUNT(*) FROM checkin_rounds") == 2


async def test_changing_the_group_zone_moves_the_next_open(
    server: SandboxServer, group: DemoGroup, peerpulse: RunningBot
) -> None:
    """Tuesday 09:00 in Tokyo is Tuesday 00:00 UTC: after the change the round opens then."""
    mira, here = group.moderator_id, group.home_channel_id
    await set_up(server, group)
    await reply(server, mira, here, "peerpulse settings", timezone="Asia/Tokyo")
    await advance_to(peerpulse, TUESDAY_9 - timedelta(hours=8, minutes=55))
    assert len(checkin_posts(server, here)) == 1


async def test_history_is_an_ephemeral_chart_with_alt_text(
    server: SandboxServer, group: DemoGroup, peerpulse: RunningBot
) -> None:
    mira, here = group.moderator_id, group.home_channel_id
    await set_up(server, group)
    assert "nothing to chart" in await reply(server, mira, here, "checkin history")
    too_few = await raw_slash(
        server, mira, "checkin history", channel_id=here, options={"weeks": 1}
    )
    assert (await too_few.final()).text == "weeks takes a number from 2 to 260."
    for week in range(2):
        await advance_to(peerpulse, TUESDAY_9 + timedelta(days=7 * week))
        post = checkin_posts(server, here)[-1]
        for energy, member in enumerate(group.member_ids[:3], start=2 + week):
            await answer_checkin(
                server, member, post.id, energy=energy, caseload="heavy", boundaries="yes"
            )
        await advance_to(peerpulse, TUESDAY_9 + timedelta(days=7 * week, hours=48))

    result = await server.actor(mira).slash(
        "checkin history", channel_id=here, options={"weeks": 4}
    )
    chart = await result.final()
    assert chart.ephemeral
    [image] = chart.attachments
    assert image.filename == "checkin-history.png"
    assert image.data.startswith(b"\x89PNG")
    stored = server.world.messages[chart.id].attachments[0]
    assert stored.description is not None
    assert stored.description.startswith("Check-in history from 2026-W10 to 2026-W11")
    assert not [m for m in server.actor(group.member_ids[0]).sees(here) if m.attachments]


async def test_a_dm_answers_only_for_members_who_can_see_the_group(
    server: SandboxServer, group: DemoGroup, peerpulse: RunningBot
) -> None:
    ana, *_, eve = group.member_ids
    hidden = server.create_text_channel(group.guild_id, "facilitated-circle")
    async with asyncio.timeout(5):
        while peerpulse.bot.get_channel(hidden) is None:
            await asyncio.sleep(0.01)
    await server.actor(group.moderator_id).slash(
        "checkin setup",
        channel_id=group.home_channel_id,
        options={"weekday": "Tuesday", "time": "09:00", "channel": hidden},
    )
    await opt_in(peerpulse, group, ana, eve)
    await advance_to(peerpulse, TUESDAY_9)
    # Eve loses access to the check-in's channel after her invitation arrived.
    server.set_channel_overwrites(
        hidden, [Overwrite(id=eve, type=1, allow=0, deny=perm.VIEW_CHANNEL)]
    )
    channel = peerpulse.bot.get_channel(hidden)
    async with asyncio.timeout(5):
        while not isinstance(channel, discord.abc.GuildChannel) or not channel.overwrites:
            await asyncio.sleep(0.01)
            channel = peerpulse.bot.get_channel(hidden)
    refused = await server.actor(eve).click(
        latest_dm_with_button(server, eve).id, label="Answer the check-in"
    )
    assert refused.message is not None
    assert "a group you're not part of" in refused.message.content
    assert refused.modal is None
    allowed = await server.actor(ana).click(
        latest_dm_with_button(server, ana).id, label="Answer the check-in"
    )
    assert allowed.modal is not None


async def test_privacy_describes_check_ins(
    server: SandboxServer, group: DemoGroup, peerpulse: RunningBot
) -> None:
    text = await reply(server, group.member_ids[0], group.home_channel_id, "privacy")
    assert "Weekly check-ins" in text
    assert "No list of who did not answer is kept" in text
