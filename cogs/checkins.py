"""/checkin: moderators set up, pause, resume and open weekly check-ins, and view history.

Glue only: options become plain values for `bot.checkins.rounds.CheckinService`, which
validates them (every problem is a short sentence) and does the work. The channel post,
the DMs and the form live in the `_checkin_*` helper modules.
"""

from __future__ import annotations

import io
from datetime import datetime
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bot import posting
from bot.app import replies
from bot.app.audience import audience
from bot.app.client import PeerPulseBot
from bot.app.dm_transport import OutgoingDm
from bot.checkins.history import CHART_KIND, MAX_WEEKS, MIN_WEEKS, week_points
from bot.checkins.render import (
    DmRound,
    RenderedSummary,
    discord_time,
    invitation_text,
    reminder_text,
)
from bot.checkins.rounds import (
    CANNOT_POST_KIND,
    OPEN_KIND,
    REMINDER_KIND,
    CheckinService,
    dm_round,
)
from bot.checkins.schedule import MAX_OPEN_HOURS, MIN_OPEN_HOURS, WEEKDAYS, next_open_after
from bot.checkins.store import GroupSchedule, Round, answered_among
from bot.delivery.outbox import OutboxItem
from bot.errors import UserError
from bot.groups import Group
from bot.ids import parse_id
from bot.posting import cannot_post_text
from bot.wording import plural
from cogs._checkin_buttons import DYNAMIC_ITEMS, dm_view, round_view
from cogs._checkin_context import COG_NAME, CheckinContext, reporting
from cogs._checkin_form import (
    FlaggedNoteButton,
    NoteVisibilityButton,
    is_orphaned_form,
    save_orphaned_form,
)
from cogs._checkin_publisher import DiscordCheckinPublisher, page_embed, text_file
from cogs._common import (
    EMBED_COLOUR,
    MODERATOR_DEFAULT_PERMISSIONS,
    moderator_group,
    require_can_post,
    weekday_choices,
)
from cogs._consult_from_checkin import summary_view

HISTORY_FILE = "checkin-history.png"


class CheckinCog(commands.Cog, name=COG_NAME):
    """Weekly check-ins for moderators; members answer through the posts' buttons."""

    checkin = app_commands.Group(
        name="checkin",
        description="Weekly check-ins for this group",
        guild_only=True,
        default_permissions=MODERATOR_DEFAULT_PERMISSIONS,  # see cogs/settings.py
        extras=audience("moderator"),
    )

    def __init__(self, bot: PeerPulseBot) -> None:
        self.bot = bot
        self.service = CheckinService(
            bot.db, DiscordCheckinPublisher(bot, round_view, summary_view)
        )
        self.context = CheckinContext(bot, self.service)

    # --- commands ------------------------------------------------------------------

    @checkin.command(name="setup", description="Set when check-ins open, for how long, and where")
    @app_commands.describe(
        weekday="The day check-ins open, e.g. Monday",
        time="Local time they open, in the group's time zone, e.g. 09:00 or 9am",
        hours_open="How many hours each check-in stays open (1-168); default 48",
        reminder="Send one reminder DM to opted-in members who haven't answered; default on",
        channel="Where to post; default: the group's home channel, else this channel",
    )
    async def setup_command(  # noqa: PLR0917 - one parameter per command option
        self,
        interaction: discord.Interaction[Any],
        weekday: app_commands.Range[str, 1, 20],
        time: app_commands.Range[str, 1, 20],
        hours_open: app_commands.Range[int, MIN_OPEN_HOURS, MAX_OPEN_HOURS] = 48,
        reminder: bool = True,
        channel: discord.TextChannel | None = None,
    ) -> None:
        """Create or change the weekly schedule."""
        group = await moderator_group(self.bot, interaction)
        target = channel or self._default_channel(group, interaction)
        require_can_post(target, "post check-ins")
        saved = await self.service.setup(
            group.id,
            group.timezone,
            channel_id=target.id,
            weekday=weekday,
            local_time=time,
            open_hours=hours_open,
            reminder=reminder,
            now=self.bot.clock.now(),
        )
        await replies.respond(
            interaction, embed=self._schedule_embed("Check-ins are set up", saved)
        )

    @setup_command.autocomplete("weekday")
    async def _weekday_choices(
        self, interaction: discord.Interaction[Any], current: str
    ) -> list[app_commands.Choice[str]]:
        return weekday_choices(current)

    @checkin.command(name="pause", description="Stop opening check-ins until you resume")
    async def pause(self, interaction: discord.Interaction[Any]) -> None:
        """Pause the schedule; an open round still closes with its summary."""
        group = await moderator_group(self.bot, interaction)
        saved = await self.service.pause(group.id, self.bot.clock.now())
        embed = self._schedule_embed("Check-ins are paused", saved)
        embed.description = (
            "No check-in opens and no reminder goes out until you use /checkin resume. "
            "A check-in already open still closes with its summary."
        )
        await replies.respond(interaction, embed=embed)

    @checkin.command(name="resume", description="Start opening weekly check-ins again")
    async def resume(self, interaction: discord.Interaction[Any]) -> None:
        """Resume; this week's round opens late if enough of its window remains."""
        group = await moderator_group(self.bot, interaction)
        saved = await self.service.resume(group.id, self.bot.clock.now())
        embed = self._schedule_embed("Check-ins are running again", saved)
        embed.description = (
            "If this week's check-in is still worth opening (half its time remains), "
            "it opens within a minute; otherwise the next one opens on schedule."
        )
        await replies.respond(interaction, embed=embed)

    @checkin.command(name="now", description="Open this week's check-in now")
    async def now(self, interaction: discord.Interaction[Any]) -> None:
        """Open this week's round now, in the scheduled channel."""
        group = await moderator_group(self.bot, interaction)
        await replies.defer(interaction)
        opened = await self.service.open_now(group.id, self.bot.clock.now())
        await replies.respond(
            interaction,
            f"This week's check-in is open in <#{opened.channel_id}> until "
            f"{discord_time(opened.closes_at)}. Members who opted in get it by DM "
            "inside their working hours.",
        )

    @checkin.command(name="history", description="A chart of the last weeks' check-ins")
    @app_commands.describe(weeks="How many weeks to show (2-260); default 12")
    async def history(
        self,
        interaction: discord.Interaction[Any],
        weeks: app_commands.Range[int, MIN_WEEKS, MAX_WEEKS] = 12,
    ) -> None:
        """An ephemeral PNG: energy median and middle half, caseload, participation."""
        group = await moderator_group(self.bot, interaction)
        await replies.defer(interaction)  # the query and the drawing may take a while
        counts = await self.service.history(group.id, weeks)
        chart = await self.bot.charts.render(CHART_KIND, week_points(counts))
        image = discord.File(
            io.BytesIO(chart.png), filename=HISTORY_FILE, description=chart.alt_text[:1024]
        )
        await replies.respond(
            interaction,
            f"Check-ins of the last {plural(len(counts), 'closed week')}. Weeks with fewer than 3 "
            "answers show participation only.",
            file=image,
        )

    @checkin.command(name="notes", description="Notes members addressed to the moderators")
    async def notes(self, interaction: discord.Interaction[Any]) -> None:
        """The latest round's notes for moderators, only to the moderator asking."""
        group = await moderator_group(self.bot, interaction)
        rendered = await self.service.notes_for_moderators(group.id)
        await _send_pages(interaction, rendered)

    # --- DMs -----------------------------------------------------------------------

    async def render_open_dm(self, item: OutboxItem) -> OutgoingDm:
        """The invitation DM, with the same answer button as the channel post."""
        checkin = await self._dm_round(item)
        return OutgoingDm(content=invitation_text(checkin), view=dm_view(checkin.id))

    async def render_reminder_dm(self, item: OutboxItem) -> OutgoingDm:
        """The one reminder DM."""
        checkin = await self._dm_round(item)
        return OutgoingDm(content=reminder_text(checkin), view=dm_view(checkin.id))

    async def render_cannot_post_dm(self, item: OutboxItem) -> OutgoingDm:
        """To a moderator, once: the bot can no longer post in the group's channel."""
        return OutgoingDm(content=cannot_post_text(int(item.payload["channel_id"])))

    # --- the server changed: posting that waits may work now ----------------------------

    @commands.Cog.listener()
    async def on_guild_channel_update(
        self, _before: discord.abc.GuildChannel, after: discord.abc.GuildChannel
    ) -> None:
        """Channel permissions may have changed."""
        await posting.retry_soon(self.bot.db, after.guild.id, self.bot.clock.now())

    @commands.Cog.listener()
    async def on_guild_role_update(self, _before: discord.Role, after: discord.Role) -> None:
        """Role permissions may have changed."""
        await posting.retry_soon(self.bot.db, after.guild.id, self.bot.clock.now())

    @commands.Cog.listener()
    async def on_member_update(self, _before: discord.Member, after: discord.Member) -> None:
        """The bot's own roles may have changed."""
        if self.bot.user is not None and after.id == self.bot.user.id:
            await posting.retry_soon(self.bot.db, after.guild.id, self.bot.clock.now())

    async def _dm_round(self, item: OutboxItem) -> DmRound | Round:
        """What the DM shows: from its payload, looked up only for an older payload."""
        carried = dm_round(item.payload)
        if carried is not None:
            return carried
        checkin = await self.service.get_round(int(item.payload["round_id"]))
        if checkin is None:
            raise LookupError(f"check-in round {item.payload['round_id']} is gone")
        return checkin

    # --- formatting ----------------------------------------------------------------

    def _default_channel(
        self, group: Group, interaction: discord.Interaction[Any]
    ) -> discord.TextChannel:
        channel_id = group.home_channel_id or interaction.channel_id
        channel = self.bot.get_channel(channel_id) if channel_id else None
        if not isinstance(channel, discord.TextChannel):
            raise UserError("Pick the channel to post check-ins in with the channel option.")
        return channel

    def _schedule_embed(self, title: str, saved: GroupSchedule) -> discord.Embed:
        schedule = saved.schedule
        now = self.bot.clock.now()
        embed = discord.Embed(title=title, colour=EMBED_COLOUR)
        embed.add_field(name="Channel", value=f"<#{saved.channel_id}>", inline=False)
        embed.add_field(
            name="When",
            value=(
                f"{WEEKDAYS[schedule.weekday].title()}s at {schedule.local_time:%H:%M} "
                f"({schedule.timezone}), open for {plural(schedule.open_hours, 'hour')}"
            ),
            inline=False,
        )
        embed.add_field(
            name="Reminder",
            value=(
                "One DM before close to members who opted in and haven't answered, "
                "inside their working hours"
                if schedule.reminder
                else "Off"
            ),
            inline=False,
        )
        if not schedule.paused:
            embed.add_field(
                name="Next check-in", value=_when(next_open_after(schedule, now).opens_at)
            )
        return embed


def _when(instant: datetime) -> str:
    return f"{discord_time(instant)} ({discord_time(instant, 'R')})"


async def _send_pages(interaction: discord.Interaction[Any], rendered: RenderedSummary) -> None:
    """Each page as its own ephemeral message (one embed each), the file with the first."""
    for index, page in enumerate(rendered.pages):
        file = None
        if index == 0 and rendered.attachment_name and rendered.attachment_text is not None:
            file = text_file(rendered.attachment_name, rendered.attachment_text)
        await replies.respond(interaction, embed=page_embed(page), file=file)


class OrphanedForms(commands.Cog):
    """Saves check-in forms submitted after a restart or after the form timed out."""

    def __init__(self, context: CheckinContext) -> None:
        self.context = context

    @commands.Cog.listener()
    async def on_interaction(self, interaction: discord.Interaction[Any]) -> None:
        """discord.py drops a submit whose modal it no longer holds; save it instead."""
        match = is_orphaned_form(self.context, interaction)
        if match is None:
            return
        async with reporting(interaction):
            round_id = parse_id(match["round"])
            if round_id is None:  # a forged custom_id
                raise UserError("That check-in no longer exists. Use the latest check-in post.")
            await save_orphaned_form(self.context, interaction, round_id)


async def setup(bot: PeerPulseBot) -> None:
    """Extension entry point: the cog, its persistent buttons, DM renderers and due steps."""
    cog = CheckinCog(bot)
    await bot.add_cog(cog)
    await bot.add_cog(OrphanedForms(cog.context))
    bot.add_dynamic_items(*DYNAMIC_ITEMS, NoteVisibilityButton, FlaggedNoteButton)
    bot.dm_renderers.register(OPEN_KIND, cog.render_open_dm)
    bot.dm_renderers.register(REMINDER_KIND, cog.render_reminder_dm)
    bot.dispatcher.register_answered_check(REMINDER_KIND, answered_among)
    bot.dm_renderers.register(CANNOT_POST_KIND, cog.render_cannot_post_dm)
    cog.service.register(bot.steps)
