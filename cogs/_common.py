"""Small helpers shared by cogs: turning Discord objects into plain values."""

from __future__ import annotations

from typing import Any

import discord
from discord import app_commands

from bot.app.client import PeerPulseBot
from bot.checkins.schedule import WEEKDAYS
from bot.errors import NotPermittedError, UserError
from bot.groups import Group, ensure_group
from bot.moderation import is_moderator, refusal

EMBED_COLOUR = discord.Colour(0x5B8DEF)
# Moderator command groups carry Discord's `default_member_permissions`: members without
# Manage Server do not see them; a server admin can let a moderator role use them in
# Server Settings → Integrations → peerpulse. The bot's own moderator check still applies.
MODERATOR_DEFAULT_PERMISSIONS = discord.Permissions(manage_guild=True)


def role_ids(user: discord.User | discord.Member) -> list[int]:
    """The ids of the user's roles in the server, without @everyone (none in DMs).

    Leaving @everyone out means a moderator role saved as @everyone moderates no one.
    """
    return [role.id for role in getattr(user, "roles", []) if not role.is_default()]


async def group_here(bot: PeerPulseBot, interaction: discord.Interaction) -> Group:
    """The group of the channel the interaction came from (created on first use)."""
    if interaction.guild_id is None or interaction.channel_id is None:
        raise discord.app_commands.NoPrivateMessage
    return await ensure_group(
        bot.db, bot.clock, interaction.guild_id, interaction.channel_id, bot.settings.defaults
    )


async def moderator_group(bot: PeerPulseBot, interaction: discord.Interaction) -> Group:
    """The group here, if the one asking moderates it; else the refusal saying who may."""
    group = await group_here(bot, interaction)
    permissions = interaction.permissions.value
    if not is_moderator(permissions, role_ids(interaction.user), group.moderator_role_id):
        raise NotPermittedError(refusal(group.moderator_role_id))
    return group


POST_PERMISSIONS = ("view_channel", "send_messages", "embed_links", "attach_files")


def require_can_post(channel: discord.TextChannel, purpose: str = "post") -> None:
    """Refuse, with what to grant, a channel where the bot cannot post embeds and files."""
    me: discord.Member | None = channel.guild.me  # None before the guild is cached
    if me is None:
        return
    allowed = channel.permissions_for(me)
    missing = [name for name in POST_PERMISSIONS if not getattr(allowed, name)]
    if missing:
        needed = ", ".join(name.replace("_", " ").title() for name in missing)
        raise UserError(
            f"I can't {purpose} in {channel.mention} yet: give me {needed} there, then try again."
        )


def weekday_choices(current: str) -> list[app_commands.Choice[str]]:
    """Autocomplete for a weekday option: the days starting with what was typed."""
    typed = current.strip().lower()
    return [
        app_commands.Choice(name=day.title(), value=day.title())
        for day in WEEKDAYS
        if day.startswith(typed)
    ]


async def require_channel_member(
    interaction: discord.Interaction[Any], channel: object, *, gone: str, not_a_member: str
) -> None:
    """Refuse anyone who cannot see `channel` (the group's), pressing in its server or in DMs.

    `gone` says what to do when the channel no longer exists; `not_a_member` is the refusal.
    """
    if not isinstance(channel, discord.abc.GuildChannel):
        raise UserError(gone)
    user = interaction.user
    if interaction.guild_id is not None:
        if interaction.guild_id != channel.guild.id or not isinstance(user, discord.Member):
            raise UserError(not_a_member)
        member = user
    else:
        try:
            member = await channel.guild.fetch_member(user.id)
        except discord.NotFound:
            raise UserError(not_a_member) from None
    if not channel.permissions_for(member).view_channel:
        raise UserError(not_a_member)
