"""/peerpulse settings and status: moderators set the group up and see how it is running."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import discord
from discord import app_commands
from discord.ext import commands

from bot.app import replies
from bot.app.audience import audience
from bot.app.client import PeerPulseBot
from bot.checkins import store as checkin_store
from bot.checkins.rounds import reschedule_after_zone_change
from bot.delivery.outbox import next_attempt_at
from bot.delivery.status import delivery_status
from bot.errors import UserError
from bot.groups import Group, SettingsChange, update_settings
from bot.moderation import check_moderator_role
from bot.timezones import search_zones
from bot.wording import plural
from cogs._common import (
    EMBED_COLOUR,
    MODERATOR_DEFAULT_PERMISSIONS,
    moderator_group,
    require_can_post,
)

STATUS_PERIOD = timedelta(days=7)


class SettingsCog(commands.Cog):
    """Group settings for moderators."""

    # Shown only to members with Manage Server unless a server admin lets a role use it
    # (Server Settings → Integrations → peerpulse); the moderator check below still applies.
    peerpulse = app_commands.Group(
        name="peerpulse",
        description="Set up peerpulse for this group",
        guild_only=True,
        default_permissions=MODERATOR_DEFAULT_PERMISSIONS,
        extras=audience("moderator"),
    )

    def __init__(self, bot: PeerPulseBot) -> None:
        self.bot = bot

    @peerpulse.command(name="settings", description="Show or change this group's settings")
    @app_commands.describe(
        timezone="The group's time zone (IANA name, e.g. Europe/London)",
        home_channel="Where check-ins, summaries and reminders are posted",
        moderator_role="A role whose members may moderate, besides Manage Server",
        clear_moderator_role="Remove the moderator role (Manage Server still moderates)",
    )
    async def settings(
        self,
        interaction: discord.Interaction,
        timezone: app_commands.Range[str, 1, 64] | None = None,
        home_channel: discord.TextChannel | None = None,
        moderator_role: discord.Role | None = None,
        clear_moderator_role: bool = False,
    ) -> None:
        """Show the settings; with options, change them (all or nothing) and show the result."""
        group = await moderator_group(self.bot, interaction)
        if moderator_role is not None and clear_moderator_role:
            raise UserError("Choose either a moderator role or clear_moderator_role, not both.")
        if moderator_role is not None:
            check_moderator_role(moderator_role.id, group.guild_id, managed=moderator_role.managed)
        if home_channel is not None:
            require_can_post(home_channel)
        change = SettingsChange(
            timezone=timezone,
            home_channel_id=home_channel.id if home_channel else None,
            moderator_role_id=moderator_role.id if moderator_role else None,
            clear_moderator_role=clear_moderator_role,
        )
        if not change.is_empty():
            previous_zone = group.timezone
            group = await update_settings(self.bot.db, group.id, change)
            if group.timezone != previous_zone:
                await reschedule_after_zone_change(self.bot.db, group.id, self.bot.clock.now())
        await replies.respond(
            interaction, embed=self._settings_embed(group, changed=not change.is_empty())
        )

    @peerpulse.command(name="status", description="What is scheduled next and how DMs are going")
    async def status(self, interaction: discord.Interaction) -> None:
        """Moderators: next scheduled steps, the DM backlog and outcomes (counts only)."""
        group = await moderator_group(self.bot, interaction)
        now = self.bot.clock.now()
        embed = discord.Embed(title="peerpulse status", colour=EMBED_COLOUR)
        embed.add_field(name="Check-ins", value=await self._checkins_line(group, now), inline=False)
        delivery = await delivery_status(self.bot.db, group.id, now, since=now - STATUS_PERIOD)
        lines = delivery.lines()
        next_due = await next_attempt_at(self.bot.db, group.id)
        if next_due is not None and next_due > now:
            lines.insert(1, f"The next one goes out <t:{int(next_due.timestamp())}:R>.")
        embed.add_field(
            name="Direct messages (numbers only, never names)",
            value="\n".join(lines),
            inline=False,
        )
        await replies.respond(interaction, embed=embed)

    async def _checkins_line(self, group: Group, now: datetime) -> str:
        current = await checkin_store.current_round(self.bot.db, group.id, now)
        scheduled = await checkin_store.load_schedule(self.bot.db, group.id)
        parts = []
        if current is not None:
            closes = int(current.closes_at.timestamp())
            parts.append(f"This week's check-in is open until <t:{closes}:F>.")
        if scheduled is None:
            parts.append("Not set up yet; set them up with /checkin setup.")
        elif scheduled.schedule.paused:
            parts.append("Paused; /checkin resume starts them again.")
        elif scheduled.next_open_at is not None:
            opens = int(scheduled.next_open_at.timestamp())
            parts.append(f"The next one opens <t:{opens}:F>.")
        return " ".join(parts)

    @settings.autocomplete("timezone")
    async def _timezone_choices(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return [app_commands.Choice(name=zone, value=zone) for zone in search_zones(current)]

    def _settings_embed(self, group: Group, *, changed: bool) -> discord.Embed:
        title = "Settings saved" if changed else "Group settings"
        embed = discord.Embed(title=title, colour=EMBED_COLOUR)
        local = self.bot.clock.now().astimezone(ZoneInfo(group.timezone))
        embed.add_field(
            name="Time zone", value=f"{group.timezone} (now {local:%H:%M} there)", inline=False
        )
        embed.add_field(
            name="Home channel",
            value=f"<#{group.home_channel_id}>" if group.home_channel_id else "Not set yet",
            inline=False,
        )
        moderators = "People with Manage Server"
        if group.moderator_role_id:
            moderators += f", and the <@&{group.moderator_role_id}> role"
        embed.add_field(name="Moderators", value=moderators, inline=False)
        embed.add_field(
            name="Privacy",
            value=(
                f"Free text is kept {plural(group.retention_days, 'day')}; results need at "
                f"least {plural(group.anonymity_threshold, 'answer')}."
            ),
            inline=False,
        )
        return embed


async def setup(bot: PeerPulseBot) -> None:
    """Extension entry point."""
    await bot.add_cog(SettingsCog(bot))
