"""/consult: propose a consultation, the presenter queue, recurring sessions, cancel, move.

Glue only: options become plain values for `bot.consult` (which validates them: every
problem is a short sentence). The poll post and its form, the announcement and the
scheduled event, the proposal echo and the DMs live in the `_consult_*` helper modules.
"""

from __future__ import annotations

import logging
import re
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import discord
from discord import app_commands
from discord.ext import commands

from bot.app import replies
from bot.app.audience import audience
from bot.app.client import PeerPulseBot
from bot.checkins.render import discord_time
from bot.checkins.schedule import WEEKDAYS
from bot.consult import presenters, rules, steps, store, times
from bot.consult.store import Session
from bot.errors import UserError
from bot.groups import Group, group_for_channel
from bot.members.away import parse_date
from bot.members.hours import parse_time
from bot.moderation import refusal
from bot.text import plain
from bot.wording import echo, plural
from cogs._checkin_context import reporting
from cogs._common import EMBED_COLOUR, weekday_choices
from cogs._consult_context import COG_NAME, ConsultContext, Post
from cogs._consult_dms import RENDERERS, PresenterButton
from cogs._consult_from_checkin import (
    FromSummaryButton,
    orphaned_proposal,
    save_orphaned_proposal,
)
from cogs._consult_poll import (
    CancelPollButton,
    ConfirmCancelPollButton,
    FinalizeButton,
    MarkButton,
    PickButton,
    draw_poll,
    orphaned_form,
    save_orphaned_form,
)
from cogs._consult_propose import ProposalButton, propose, read_location
from cogs._consult_sessions import DYNAMIC_ITEMS as SESSION_ITEMS
from cogs._consult_sessions import draw_announcement, run_events, sync_discord

log = logging.getLogger(__name__)

DEFAULT_TITLE = "Peer consultation"
EVERY = [
    app_commands.Choice(name="every week", value=1),
    app_commands.Choice(name="every other week", value=2),
    app_commands.Choice(name="every fourth week", value=4),
]
EVENTS_LOOKBACK = timedelta(days=1)
WHERE = [
    app_commands.Choice(name="the voice channel", value="voice"),
    app_commands.Choice(name="a typed place", value="external"),
]
_OFFSET = re.compile(r"(\d{1,3})\s*(m|min|mins|minutes?|h|hrs?|hours?|d|days?)", re.IGNORECASE)
_UNIT_MINUTES = {"m": 1, "h": 60, "d": 24 * 60}
NO_SESSION = "There is no upcoming consultation in this group to change."


def parse_offsets(typed: str) -> list[int]:
    """Reminder times like "24h, 1h, 30m" as minutes (the domain checks their range)."""
    offsets = []
    for part in (p.strip() for p in typed.split(",")):
        match = _OFFSET.fullmatch(part)
        if match is None:
            raise UserError(
                f"I can't read '{echo(part)}' as a reminder time. Write 24h, 1h or 30m."
            )
        offsets.append(int(match[1]) * _UNIT_MINUTES[match[2][0].lower()])
    return offsets


def format_offset(minutes: int) -> str:
    """Minutes as 2d, 24h or 30m."""
    if minutes % (24 * 60) == 0 and minutes >= 48 * 60:
        return f"{minutes // (24 * 60)}d"
    if minutes % 60 == 0:
        return f"{minutes // 60}h"
    return f"{minutes}m"


async def moderators_only(interaction: discord.Interaction[Any]) -> bool:
    """Refuse non-moderators before any option is read (a bad option must not answer first)."""
    client = interaction.client
    cog = client.get_cog(COG_NAME) if isinstance(client, commands.Bot) else None
    if not isinstance(cog, ConsultCog):
        raise app_commands.CheckFailure("Consultations are not available right now.")
    group = await cog.context.group(interaction)
    if not cog.context.actor(interaction, group).is_moderator:
        raise app_commands.CheckFailure(refusal(group.moderator_role_id))
    return True


class ConsultCog(commands.Cog, name=COG_NAME):
    """Peer-consultation scheduling for members; recurring sessions for moderators."""

    consult = app_commands.Group(
        name="consult",
        description="Peer consultations: propose a time, the presenter queue, changes",
        guild_only=True,
        extras=audience("member"),
    )
    queue = app_commands.Group(name="queue", description="The case presenter queue", parent=consult)
    recurring = app_commands.Group(
        name="recurring",
        description="A recurring consultation (moderators)",
        parent=consult,
        extras=audience("moderator"),
    )

    def __init__(self, bot: PeerPulseBot) -> None:
        self.bot = bot
        self.context = ConsultContext(bot)
        self.context.syncer = self._sync
        self.context.drawer = self._draw
        self._events_checked: datetime | None = None

    async def _draw(self, post: Post) -> None:
        kind, key = post
        if kind == "poll":
            await draw_poll(self.context, key)
            return
        session = await store.get_session(self.bot.db, key)
        if session is not None and session.announcement_message_id is not None:
            group = await self.context.group_by_id(session.group_id)
            await draw_announcement(self.context, session, group)

    async def _sync(self) -> int:
        return await sync_discord(self.context)

    async def sync_step(self, now: datetime) -> int:
        """The due step that brings Discord up to date after the consultation steps ran.

        Also starts and ends the events of sessions that started or ended since the last
        tick (after a start, looking back a day).
        """
        done = await self.context.sync()
        since = self._events_checked or now - EVENTS_LOOKBACK
        if now > since:
            done += await run_events(self.context, since, now)
            self._events_checked = now
        return done

    # --- propose -------------------------------------------------------------------

    @consult.command(name="propose", description="Propose a consultation: people mark the times")
    @app_commands.describe(
        times="2-10 times in your zone, e.g. thu 12:00, fri 18:30, 2026-12-03 12:00",
        title="What it is called; default: Peer consultation",
        duration="How long, in minutes (15-480); default 60",
        deadline="When voting closes, e.g. tue 18:00; default 48 h before the first time",
        presenter="Whether a case presenter is needed (asked from the queue); default no",
        place="Where, if not a voice channel: a room or a video link",
        voice_channel="The voice channel; default the group's",
    )
    async def propose_command(  # noqa: PLR0917 - one parameter per command option
        self,
        interaction: discord.Interaction[Any],
        times: app_commands.Range[str, 1, 600],
        title: app_commands.Range[str, 1, 100] = DEFAULT_TITLE,
        duration: app_commands.Range[int, store.MIN_DURATION, store.MAX_DURATION] = 60,
        deadline: app_commands.Range[str, 1, 40] | None = None,
        presenter: bool = False,
        place: app_commands.Range[str, 1, 100] | None = None,
        voice_channel: discord.VoiceChannel | None = None,
    ) -> None:
        """Echo the proposal with Confirm and Cancel."""
        group = await self.context.group(interaction)
        await propose(
            self.context,
            interaction,
            group,
            title=title,
            candidate_times=times,
            duration=duration,
            deadline=deadline,
            presenter=presenter,
            place=place,
            voice_channel_id=voice_channel.id if voice_channel else None,
        )

    # --- sessions: cancel and move --------------------------------------------------

    async def _session(self, group: Group, session_id: int | None) -> Session:
        upcoming = await store.upcoming_sessions(self.bot.db, group.id, self.bot.clock.now())
        if session_id is None:
            if not upcoming:
                raise UserError(NO_SESSION)
            return upcoming[0]
        found = next((s for s in upcoming if s.id == session_id), None)
        if found is None:
            raise UserError("Pick an upcoming consultation of this group from the list.")
        return found

    async def _session_choices(
        self, interaction: discord.Interaction[Any], current: str
    ) -> list[app_commands.Choice[int]]:
        if interaction.guild_id is None or interaction.channel_id is None:
            return []  # a modified client: the command is offered in servers only
        group = await group_for_channel(self.bot.db, interaction.guild_id, interaction.channel_id)
        if group is None:
            return []
        zone, _ = await self.context.zone_and_hours(group, interaction.user.id)
        typed = current.strip().lower()
        choices = []
        for session in await store.upcoming_sessions(self.bot.db, group.id, self.bot.clock.now()):
            label = f"{session.title} · {session.start.astimezone(zone):%a %d %b %H:%M}"
            if typed in label.lower():
                choices.append(app_commands.Choice(name=label[:100], value=session.id))
        return choices[:25]

    @consult.command(name="cancel", description="Cancel a consultation (organiser or moderator)")
    @app_commands.describe(session="Which consultation; default the next one")
    async def cancel(
        self, interaction: discord.Interaction[Any], session: int | None = None
    ) -> None:
        """Cancel the session; those going or maybe are told once."""
        group = await self.context.group(interaction)
        found = await self._session(group, session)
        cancelled = await store.cancel_session(
            self.bot.db,
            found.id,
            actor=self.context.actor(interaction, group),
            now=self.bot.clock.now(),
        )
        await self.context.sync()
        await replies.respond(
            interaction,
            f"Cancelled: {plain(cancelled.title)} on {discord_time(cancelled.start)}. The event "
            "and the announcement say so, and those going or maybe get one DM.",
        )

    @consult.command(name="reschedule", description="Move a consultation (organiser or moderator)")
    @app_commands.describe(
        time="The new time in your zone, e.g. thu 12:00 or 2026-12-03 12:00",
        session="Which consultation; default the next one",
    )
    async def reschedule(
        self,
        interaction: discord.Interaction[Any],
        time: app_commands.Range[str, 1, 40],
        session: int | None = None,
    ) -> None:
        """Move the session; those going or maybe are told once."""
        group = await self.context.group(interaction)
        found = await self._session(group, session)
        now = self.bot.clock.now()
        zone, hours = await self.context.zone_and_hours(group, interaction.user.id)
        start = times.parse_one(time, zone=zone, hours=hours, now=now).start
        moved = await store.reschedule(
            self.bot.db, found.id, start, actor=self.context.actor(interaction, group), now=now
        )
        await self.context.sync()
        await replies.respond(
            interaction,
            f"Moved: {plain(moved.title)} is now {discord_time(moved.start)}. The event and "
            "the announcement show the new time, and those going or maybe get one DM.",
        )

    cancel.autocomplete("session")(_session_choices)
    reschedule.autocomplete("session")(_session_choices)

    # --- the presenter queue ----------------------------------------------------------

    @queue.command(name="join", description="Offer to present cases, in turn")
    async def queue_join(self, interaction: discord.Interaction[Any]) -> None:
        """Join the queue."""
        group = await self.context.group(interaction)
        joined = await presenters.join_queue(
            self.bot.db, group.id, interaction.user.id, self.bot.clock.now()
        )
        lead = "You're in the presenter queue" if joined else "You're already in the queue"
        await replies.respond(
            interaction,
            f"{lead}. When it's your turn for a session you marked as working for you, I ask "
            "you by DM (turn on consultation DMs with /me dms) and you can accept or pass.",
        )

    @queue.command(name="leave", description="Stop being asked to present")
    async def queue_leave(self, interaction: discord.Interaction[Any]) -> None:
        """Leave the queue."""
        group = await self.context.group(interaction)
        left = await presenters.leave_queue(self.bot.db, group.id, interaction.user.id)
        await replies.respond(
            interaction,
            "You've left the presenter queue; your past presentations stay in the history."
            if left
            else "You're not in the presenter queue. Join with /consult queue join.",
        )

    @queue.command(name="show", description="Who is in the presenter queue, and who presented")
    async def queue_show(self, interaction: discord.Interaction[Any]) -> None:
        """The queue in the order members would be asked, and the latest presenters."""
        group = await self.context.group(interaction)
        entries = await presenters.queue(self.bot.db, group.id)
        past = await presenters.history(self.bot.db, group.id)
        names = await self.context.names(
            group.guild_id, [e.user_id for e in entries] + [p.user_id for p in past]
        )
        embed = discord.Embed(title="Presenter queue", colour=EMBED_COLOUR)
        embed.description = (
            "\n".join(
                f"{i}. {names[e.user_id]}"
                + (
                    f" (last presented {discord_time(e.last_presented_at, 'D')})"
                    if e.last_presented_at
                    else " (not presented yet)"
                )
                for i, e in enumerate(entries, start=1)
            )
            or "Nobody is in the queue. Join with /consult queue join."
        )
        if past:
            embed.add_field(
                name="Latest presenters",
                value="\n".join(
                    f"{discord_time(p.presented_at, 'D')}: {names[p.user_id]}, {plain(p.title)}"
                    for p in past
                )[:1024],
                inline=False,
            )
        await replies.respond(interaction, embed=embed)

    @consult.command(
        name="presenter",
        description="Name a consultation's case presenter (moderators)",
        extras=audience("moderator"),
    )
    @app_commands.check(moderators_only)
    @app_commands.describe(member="Who presents", session="Which consultation; default the next")
    async def presenter(
        self,
        interaction: discord.Interaction[Any],
        member: discord.Member,
        session: int | None = None,
    ) -> None:
        """Override the rotation for one session."""
        group = await self.context.group(interaction)
        self.context.require_moderator(interaction, group)
        found = await self._session(group, session)
        await presenters.name_presenter(self.bot.db, found.id, member.id, self.bot.clock.now())
        await self.context.sync()
        await replies.respond(
            interaction,
            f"{plain(member.display_name)} presents at {plain(found.title)}, "
            f"{discord_time(found.start)}. The announcement shows it.",
        )

    presenter.autocomplete("session")(_session_choices)

    # --- settings -----------------------------------------------------------------------

    @app_commands.check(moderators_only)
    @consult.command(
        name="settings",
        description="Names on polls, reminder times, the voice channel (moderators)",
        extras=audience("moderator"),
    )
    @app_commands.describe(
        names="Show who marked which time on poll posts (counts are always shown)",
        reminders="Reminder times before a session, e.g. 24h, 1h (1-3 of them, 5m to 7d)",
        voice_channel="The group's voice channel for consultations",
        where="Where consultations are by default: the voice channel or a typed place",
    )
    @app_commands.choices(where=WHERE)
    async def settings(
        self,
        interaction: discord.Interaction[Any],
        names: bool | None = None,
        reminders: app_commands.Range[str, 1, 40] | None = None,
        voice_channel: discord.VoiceChannel | None = None,
        where: str | None = None,
    ) -> None:
        """Show (and change) the group's consultation settings."""
        group = await self.context.group(interaction)
        self.context.require_moderator(interaction, group)
        saved = await store.save_settings(
            self.bot.db,
            group.id,
            now=self.bot.clock.now(),
            show_names=names,
            reminder_offsets=None if reminders is None else parse_offsets(reminders),
            location_kind="voice" if where == "voice" else "external" if where else None,
            voice_channel_id=voice_channel.id if voice_channel else None,
        )
        channel = f"<#{saved.voice_channel_id}>" if saved.voice_channel_id else "none set"
        embed = discord.Embed(title="Consultation settings", colour=EMBED_COLOUR)
        embed.add_field(
            name="Names on polls", value="shown" if saved.show_names else "hidden", inline=False
        )
        embed.add_field(
            name="Reminders",
            value=", ".join(format_offset(o) for o in saved.reminder_offsets) + " before",
            inline=False,
        )
        embed.add_field(
            name="Where by default",
            value=(
                f"the voice channel ({channel})"
                if saved.location_kind == "voice"
                else "a place typed when proposing"
            ),
            inline=False,
        )
        await replies.respond(interaction, embed=embed)

    # --- recurring ----------------------------------------------------------------------

    @app_commands.check(moderators_only)
    @recurring.command(
        name="set", description="A consultation that repeats, e.g. every other Thursday"
    )
    @app_commands.describe(
        weekday="The day, e.g. Thursday",
        time="Local time in the group's zone, e.g. 12:00",
        every="How often",
        title="What it is called; default: Peer consultation",
        duration="How long, in minutes (15-480); default 60",
        presenter="Whether each needs a case presenter; default no",
        place="Where, if not a voice channel: a room or a video link",
        voice_channel="The voice channel; default the group's",
    )
    @app_commands.choices(every=EVERY)
    async def recurring_set(  # noqa: PLR0917 - one parameter per command option
        self,
        interaction: discord.Interaction[Any],
        weekday: app_commands.Range[str, 1, 20],
        time: app_commands.Range[str, 1, 20],
        every: int = 2,
        title: app_commands.Range[str, 1, 100] = DEFAULT_TITLE,
        duration: app_commands.Range[int, store.MIN_DURATION, store.MAX_DURATION] = 60,
        presenter: bool = False,
        place: app_commands.Range[str, 1, 100] | None = None,
        voice_channel: discord.VoiceChannel | None = None,
    ) -> None:
        """Set or replace the group's rule; the next occurrence is booked within a minute."""
        group = await self.context.group(interaction)
        self.context.require_moderator(interaction, group)
        day = weekday.strip().lower()
        matches = [i for i, name in enumerate(WEEKDAYS) if day and name.startswith(day)]
        if len(matches) != 1:
            raise UserError("Pick a weekday, like Thursday.")
        settings = await store.get_settings(self.bot.db, group.id)
        location = read_location(place, voice_channel.id if voice_channel else None, settings)
        if interaction.channel_id is None:  # pragma: no cover - guild-only command
            raise UserError("Use this in the group's channel.")
        stored = await rules.set_rule(
            self.bot.db,
            group.id,
            rules.RuleSpec(
                weekday=matches[0],
                minute=parse_time(time),
                every_weeks=every,
                title=title,
                duration_minutes=duration,
                needs_presenter=presenter,
                location=location,
                channel_id=interaction.channel_id,
            ),
            self.bot.clock.now(),
        )
        await replies.respond(
            interaction,
            f"Recurring consultation set: {plain(stored.spec.title)}, {stored.rule.describe()}. "
            "Each one is booked as its own event one occurrence ahead, with an announcement "
            "here. Skip a date with /consult recurring skip.",
        )

    @recurring_set.autocomplete("weekday")
    async def _weekday_choices(
        self, interaction: discord.Interaction[Any], current: str
    ) -> list[app_commands.Choice[str]]:
        return weekday_choices(current)

    @app_commands.check(moderators_only)
    @recurring.command(name="skip", description="Skip one date of the recurring consultation")
    @app_commands.describe(date="The date to skip, e.g. 2026-03-19 or 19 Mar")
    async def recurring_skip(
        self, interaction: discord.Interaction[Any], date: app_commands.Range[str, 1, 30]
    ) -> None:
        """Skip a date; a session already booked that day is cancelled."""
        group = await self.context.group(interaction)
        self.context.require_moderator(interaction, group)
        today = self.bot.clock.now().astimezone(ZoneInfo(group.timezone)).date()
        day = parse_date(date, today)
        stored = await rules.skip(self.bot.db, group.id, day, self.bot.clock.now())
        await self.context.sync()
        await replies.respond(
            interaction,
            f"Skipped {day:%a %d %b %Y}. The consultation stays {stored.rule.describe()}.",
        )

    @app_commands.check(moderators_only)
    @recurring.command(name="off", description="Stop the recurring consultation")
    async def recurring_off(self, interaction: discord.Interaction[Any]) -> None:
        """Stop creating occurrences; one already booked stays (cancel it with /consult cancel)."""
        group = await self.context.group(interaction)
        self.context.require_moderator(interaction, group)
        stopped = await rules.turn_off(self.bot.db, group.id, self.bot.clock.now())
        await replies.respond(
            interaction,
            "The recurring consultation is off. One already booked stays; cancel it with "
            "/consult cancel if needed."
            if stopped
            else rules.NO_RULE,
        )

    # --- forms the bot no longer holds ----------------------------------------------

    @commands.Cog.listener()
    async def on_interaction(self, interaction: discord.Interaction[Any]) -> None:
        """Note who interacts (names for the posts); save forms discord.py no longer holds."""
        self.context.remember(interaction)
        if (match := orphaned_form(self.context, interaction)) is not None:
            async with reporting(interaction):
                await save_orphaned_form(self.context, interaction, match)
        elif (proposal := orphaned_proposal(self.context, interaction)) is not None:
            async with reporting(interaction):
                await save_orphaned_proposal(self.context, interaction, proposal)


async def setup(bot: PeerPulseBot) -> None:
    """Extension entry point: the cog, its persistent buttons, DM renderers and due steps."""
    cog = ConsultCog(bot)
    await bot.add_cog(cog)
    bot.add_dynamic_items(
        ProposalButton,
        FromSummaryButton,
        MarkButton,
        FinalizeButton,
        CancelPollButton,
        ConfirmCancelPollButton,
        PickButton,
        PresenterButton,
        *SESSION_ITEMS,
    )
    for kind, renderer in RENDERERS.items():
        bot.dm_renderers.register(kind, renderer)
    steps.ConsultSteps(bot.db, cog.context.roster).register(bot.steps)
    bot.steps.register("consult_discord", cog.sync_step)
    log.debug("consultations ready (%s)", plural(len(RENDERERS), "DM kind"))
