"""Moderator commands stay out of members' command lists (Discord's default_member_permissions);
a server admin's command-permission override lets a moderator role see them; the bot's own
moderator check still decides."""

from __future__ import annotations

import pytest

from bot.sandbox import SandboxServer
from bot.sandbox import permissions as perm
from bot.sandbox.actors import CommandNotPermitted
from bot.sandbox.demo import DemoGroup
from bot.sandbox.running_bot import RunningBot

pytestmark = pytest.mark.e2e

MODERATOR_GROUPS = {"peerpulse", "checkin"}


async def test_moderator_groups_require_manage_server_by_default(
    server: SandboxServer, peerpulse: RunningBot
) -> None:
    synced = {c["name"]: c for c in server.application.commands_for(None)}
    for name, command in synced.items():
        expected = str(perm.MANAGE_GUILD) if name in MODERATOR_GROUPS else None
        assert command["default_member_permissions"] == expected, name


async def test_members_do_not_see_moderator_commands(
    server: SandboxServer, group: DemoGroup, peerpulse: RunningBot
) -> None:
    channel = group.home_channel_id
    for member in group.member_ids:
        shown = set(server.actor(member).command_names(channel))
        # /pulse and /consult are shown to members (/pulse group, proposing, the queue);
        # their moderators' subcommands refuse them.
        assert shown == {"consult", "me", "privacy", "pulse"}
    assert set(server.actor(group.moderator_id).command_names(channel)) >= MODERATOR_GROUPS
    assert set(server.actor(group.owner_id).command_names(channel)) >= MODERATOR_GROUPS
    with pytest.raises(CommandNotPermitted):
        await server.actor(group.member_ids[0]).slash("checkin notes", channel_id=channel)


async def test_a_moderator_role_without_manage_server_needs_an_admins_override(
    server: SandboxServer, group: DemoGroup, peerpulse: RunningBot
) -> None:
    channel = group.home_channel_id
    theo = server.actor(group.cofacilitator_id)
    await server.actor(group.moderator_id).slash(
        "peerpulse settings",
        channel_id=channel,
        options={"moderator_role": group.cofacilitator_role_id},
    )
    # peerpulse counts Theo as a moderator, but Discord hides the commands from him ...
    assert MODERATOR_GROUPS.isdisjoint(theo.command_names(channel))
    with pytest.raises(CommandNotPermitted):
        await theo.slash("peerpulse status", channel_id=channel)
    # ... until a server admin allows his role (Server Settings → Integrations → peerpulse).
    for command in MODERATOR_GROUPS:
        server.set_command_access(group.guild_id, command, role_id=group.cofacilitator_role_id)
    assert set(theo.command_names(channel)) >= MODERATOR_GROUPS
    status = await theo.slash("peerpulse status", channel_id=channel)
    assert status.message is not None
    assert "peerpulse status" in status.message.embed_text()
    notes = await theo.slash("checkin notes", channel_id=channel)
    assert notes.message is not None
    assert "Only the group's moderators" not in notes.message.text
    # Members without the role still do not see them.
    assert MODERATOR_GROUPS.isdisjoint(server.actor(group.member_ids[0]).command_names(channel))


async def test_an_admin_can_also_hide_a_command_from_a_role(
    server: SandboxServer, group: DemoGroup, peerpulse: RunningBot
) -> None:
    channel = group.home_channel_id
    server.set_command_access(group.guild_id, None, role_id=group.guild_id)  # whole app: everyone
    server.set_command_access(group.guild_id, "privacy", role_id=group.guild_id, allow=False)
    ana = server.actor(group.member_ids[0])
    assert set(ana.command_names(channel)) == {"consult", "me", "peerpulse", "checkin", "pulse"}
    # The owner is an administrator: overrides never hide commands from them.
    assert "privacy" in server.actor(group.owner_id).command_names(channel)
