"""Permission computation and how it shows up in interactions."""

from __future__ import annotations

import pytest

from bot.sandbox import Overwrite, SandboxError, SandboxServer
from bot.sandbox import permissions as perm


def test_base_permissions() -> None:
    roles = {1: perm.VIEW_CHANNEL, 2: perm.MANAGE_GUILD, 3: perm.ADMINISTRATOR}
    common = {"guild_id": 1, "owner_id": 99, "role_permissions": roles}
    assert perm.base_permissions(user_id=5, member_role_ids=[], **common) == perm.VIEW_CHANNEL
    assert perm.base_permissions(user_id=5, member_role_ids=[2], **common) == (
        perm.VIEW_CHANNEL | perm.MANAGE_GUILD
    )
    assert perm.base_permissions(user_id=5, member_role_ids=[3], **common) == perm.ALL_PERMISSIONS
    assert perm.base_permissions(user_id=99, member_role_ids=[], **common) == perm.ALL_PERMISSIONS


def test_channel_overwrites() -> None:
    base = perm.VIEW_CHANNEL | perm.SEND_MESSAGES
    overwrites = [
        Overwrite(1, 0, deny=perm.SEND_MESSAGES),
        Overwrite(7, 0, allow=perm.SEND_MESSAGES | perm.ATTACH_FILES),
        Overwrite(5, 1, deny=perm.ATTACH_FILES),
    ]
    member = perm.channel_permissions(
        base, guild_id=1, user_id=5, member_role_ids=[7], overwrites=overwrites
    )
    assert member == perm.VIEW_CHANNEL | perm.SEND_MESSAGES
    other = perm.channel_permissions(
        base, guild_id=1, user_id=6, member_role_ids=[], overwrites=overwrites
    )
    assert other == perm.VIEW_CHANNEL
    hidden = perm.channel_permissions(
        base,
        guild_id=1,
        user_id=6,
        member_role_ids=[],
        overwrites=[Overwrite(1, 0, deny=perm.VIEW_CHANNEL)],
    )
    assert hidden == 0
    assert perm.has_all(perm.ADMINISTRATOR, perm.MANAGE_EVENTS)
    assert not perm.has_all(perm.VIEW_CHANNEL, perm.MANAGE_EVENTS)


async def test_hidden_channel_and_member_permissions(
    server: SandboxServer, world, bare_bot
) -> None:
    private = server.create_text_channel(
        world.guild,
        "facilitators",
        overwrites=[
            Overwrite(world.guild, 0, deny=perm.VIEW_CHANNEL),
            Overwrite(world.moderator_role, 0, allow=perm.VIEW_CHANNEL),
        ],
    )
    dana = server.actor(world.members[0])
    with pytest.raises(SandboxError, match="cannot see"):
        await dana.slash("ping", channel_id=private)
    result = await server.actor(world.moderator).slash("ping", channel_id=private)
    member = result.interaction.payload["member"]
    assert isinstance(member["permissions"], str)
    assert int(member["permissions"]) & perm.MANAGE_GUILD
    # The bot has no overwrite there, so it cannot see the channel's messages either.
    assert result.interaction.payload["app_permissions"] == "0"
