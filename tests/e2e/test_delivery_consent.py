"""DMs only to members who still want them and still belong: checked when each DM is sent."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import discord
import pytest
from checkin_steps import TUESDAY_9, advance_to, bot_dms, group_id_of, opt_in, set_up

from bot.delivery.status import delivery_status
from bot.sandbox import Overwrite, SandboxServer
from bot.sandbox import permissions as perm
from bot.sandbox.chapters.checkins import answer_checkin, latest_dm_with_button
from bot.sandbox.demo import DemoGroup
from bot.sandbox.running_bot import RunningBot

pytestmark = pytest.mark.e2e


async def test_no_welcome_after_the_member_turned_every_dm_kind_off_again(
    server: SandboxServer, group: DemoGroup, peerpulse: RunningBot
) -> None:
    ana, ben, *_ = group.member_ids
    here = group.home_channel_id
    for member in (ana, ben):
        await server.actor(member).slash(
            "me hours",
            channel_id=here,
            options={"days": "Mon-Fri", "start": "13:00", "end": "17:00"},
        )
        on = await server.actor(member).slash(
            "me dms", channel_id=here, options={"kind": "checkins", "setting": "on"}
        )
        assert on.message is not None
    # Ana changes her mind before her welcome is due (13:00); Ben keeps pulse invitations on.
    await server.actor(ana).slash(
        "me dms", channel_id=here, options={"kind": "checkins", "setting": "off"}
    )
    await server.actor(ben).slash(
        "me dms", channel_id=here, options={"kind": "pulse", "setting": "on"}
    )
    await server.actor(ben).slash(
        "me dms", channel_id=here, options={"kind": "checkins", "setting": "off"}
    )
    await peerpulse.advance(timedelta(hours=4))  # Monday 13:00 UTC
    assert bot_dms(server, ana) == []
    assert len(bot_dms(server, ben)) == 1
    status = await delivery_status(
        peerpulse.db, await group_id_of(peerpulse, group), peerpulse.clock.now()
    )
    assert status.outcomes == {"dms_welcome": {"opted_out": 1, "sent": 1}}


async def test_invitations_and_reminders_skip_members_who_lost_access_to_the_group(
    server: SandboxServer, group: DemoGroup, peerpulse: RunningBot
) -> None:
    ana, ben, chen, dev, _ = group.member_ids
    await set_up(server, group)
    await opt_in(peerpulse, group, ana, ben, chen, dev)
    server.remove_member(group.guild_id, dev)  # Dev left the server
    await advance_to(peerpulse, TUESDAY_9)
    assert [len(bot_dms(server, m)) for m in (ana, ben, chen, dev)] == [1, 1, 1, 0]
    await answer_checkin(
        server,
        ana,
        latest_dm_with_button(server, ana).id,
        energy=3,
        caseload="heavy",
        boundaries="no",
    )

    # Chen can no longer see the home channel: no reminder for her; Ben (no answer yet) gets one.
    server.set_channel_overwrites(
        group.home_channel_id, [Overwrite(id=chen, type=1, allow=0, deny=perm.VIEW_CHANNEL)]
    )
    async with asyncio.timeout(5):
        while not _overwritten(peerpulse, group.home_channel_id):
            await asyncio.sleep(0.01)
    await advance_to(peerpulse, TUESDAY_9 + timedelta(hours=24))
    assert [len(bot_dms(server, m)) for m in (ana, ben, chen, dev)] == [1, 2, 1, 0]

    status = await delivery_status(
        peerpulse.db, await group_id_of(peerpulse, group), peerpulse.clock.now()
    )
    assert status.outcomes == {
        "checkin_open": {"sent": 3, "no_access": 1},
        "checkin_reminder": {"sent": 1, "no_access": 2},  # Chen, and Dev who left
    }
    assert "not sent (the member could no longer see the group's channel)" in "\n".join(
        status.lines()
    )


def _overwritten(peerpulse: RunningBot, channel_id: int) -> bool:
    channel = peerpulse.bot.get_channel(channel_id)
    return isinstance(channel, discord.abc.GuildChannel) and bool(channel.overwrites)
