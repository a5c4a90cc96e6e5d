"""Small helpers shared by cogs: turning Discord objects into plain values."""

from __future__ import annotations

import discord

from bot.app.client import PeerPulseBot
from bot.groups import Group, ensure_group

EMBED_COLOUR = discord.Colour(0x5B8DEF)


def role_ids(user: discord.User | discord.Member) -> list[int]:
    """The ids of the user's roles in the server (none in DMs)."""
    return [role.id for role in getattr(user, "roles", [])]


async def group_here(bot: PeerPulseBot, interaction: discord.Interaction) -> Group:
    """The group of the channel the interaction came from (created on first use)."""
    if interaction.guild_id is None or interaction.channel_id is None:
        raise discord.app_commands.NoPrivateMessage
    return await ensure_group(
        bot.db, bot.clock, interaction.guild_id, interaction.channel_id, bot.settings.defaults
    )
