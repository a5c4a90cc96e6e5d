"""/privacy: what peerpulse stores about a member, for how long, and who sees what."""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

from bot.app import replies
from bot.app.audience import audience
from bot.app.client import PeerPulseBot
from bot.groups import group_for_channel
from bot.privacy import INTRO, TITLE, capability_sections, privacy_statement
from cogs._common import EMBED_COLOUR


class PrivacyCog(commands.Cog):
    """The privacy statement."""

    def __init__(self, bot: PeerPulseBot) -> None:
        self.bot = bot

    @app_commands.command(
        name="privacy",
        description="What peerpulse stores about you, for how long, who sees it",
        extras=audience("everyone"),
    )
    async def privacy(self, interaction: discord.Interaction) -> None:
        """Answer ephemerally with the privacy statement for this group."""
        group = None
        if interaction.guild_id is not None and interaction.channel_id is not None:
            group = await group_for_channel(
                self.bot.db, interaction.guild_id, interaction.channel_id
            )
        embed = discord.Embed(title=TITLE, description=INTRO, colour=EMBED_COLOUR)
        sections = privacy_statement(
            group, self.bot.settings.support.resources, capability_sections()
        )
        for section in sections:
            embed.add_field(name=section.title, value=section.body, inline=False)
        await replies.respond(interaction, embed=embed)


async def setup(bot: PeerPulseBot) -> None:
    """Extension entry point."""
    await bot.add_cog(PrivacyCog(bot))
