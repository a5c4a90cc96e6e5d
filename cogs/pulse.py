"""/pulse: the anonymous burnout pulse. Moderators schedule, open, close and read it;
every member sees the group's published result with /pulse group.

Glue only: options become plain values for `bot.pulse.service.PulseService`, which
validates them (every problem is a short sentence). The survey steps, the channel posts
and the words live in the `_pulse_*` helper modules. `/pulse` carries no Discord default
permission, because `/pulse group` is for every member; every other subcommand is refused
to non-moderators by the bot's own check, with the same sentence as /checkin's.
"""

from __future__ import annotations

import io
from datetime import datetime
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.app import replies
from bot.app.audience import audience
from bot.app.client import PeerPulseBot
from bot.app.dm_transport import OutgoingDm
from bot.charts import pulse_points
from bot.checkins.render import discord_time
from bot.delivery.outbox import OutboxItem
from bot.errors import UserError
from bot.groups import Group
from bot.members.instants import from_db
from bot.pulse import store
from bot.pulse.crisis import load_crisis_resources
from bot.pulse.instrument import InstrumentLibrary
from bot.pulse.service import PulseService
from bot.pulse.store import CloseOutcome
from cogs._common import (
    EMBED_COLOUR,
    group_here,
    moderator_group,
    require_can_post,
    weekday_choices,
)
from cogs._pulse_context import COG_NAME, PulseContext
from cogs._pulse_posting import PulsePoster, result_embed
from cogs._pulse_survey import DYNAMIC_ITEMS, on_pulse_submit, pulse_step, take_view
from cogs._pulse_text import (
    CHART_FILE,
    DISCLAIMER,
    EXPORT_FILE,
    dm_text,
    export_csv,
    not_enough,
    result_view,
    settings_lines,
    trend,
)

EVERY = [app_commands.Choice(name=f"Every {n} weeks", value=n) for n in (2, 4)]


class PulseCog(commands.Cog, name=COG_NAME):
    """The group pulse: moderators run it, members answer it and read its results."""

    pulse = app_commands.Group(
        name="pulse",
        description="The group's anonymous burnout pulse",
        guild_only=True,
        extras=audience("moderator"),
    )

    def __init__(self, bot: PeerPulseBot) -> None:
        self.bot = bot
        library = InstrumentLibrary(bot.settings.pulse.instruments_path)
        service = PulseService(bot.db, library)
        self.context = PulseContext(bot, service, load_crisis_resources())
        self.service = service
        self.poster = PulsePoster(self.context)

    # --- moderators ------------------------------------------------------------------

    @pulse.command(name="schedule", description="Run the pulse every 2 or 4 weeks, or stop it")
    @app_commands.describe(
        every="How often a pulse opens",
        weekday="The day it opens, e.g. Monday",
        time="Local time it opens, in the group's time zone, e.g. 09:00",
        days_open="How many days each pulse stays open; default 5",
        off="Stop scheduled pulses (an open one still closes and publishes)",
    )
    @app_commands.choices(every=EVERY)
    async def schedule(  # noqa: PLR0917 - one parameter per command option
        self,
        interaction: discord.Interaction[Any],
        every: int = 2,
        weekday: app_commands.Range[str, 1, 20] | None = None,
        time: app_commands.Range[str, 1, 20] | None = None,
        days_open: app_commands.Range[int, 1, 28] = 5,
        off: bool = False,
    ) -> None:
        """Turn the schedule on, change it, or turn it off."""
        group = await moderator_group(self.bot, interaction)
        now = self.bot.clock.now()
        if off:
            saved = await self.service.schedule_off(group.id, now)
            title = "Scheduled pulses are off"
        else:
            self._require_home(group)
            if weekday is None or time is None:
                raise UserError(
                    "Give a weekday and a time for the pulse, e.g. Monday and 09:00, "
                    "or set off to True to stop it."
                )
            saved = await self.service.set_schedule(
                group.id,
                every_weeks=every,
                weekday=weekday,
                local_time=time,
                days_open=days_open,
                now=now,
            )
            title = "The pulse is scheduled"
        await replies.respond(interaction, embed=self._settings_embed(title, saved))

    @schedule.autocomplete("weekday")
    async def _weekday_choices(
        self, interaction: discord.Interaction[Any], current: str
    ) -> list[app_commands.Choice[str]]:
        return weekday_choices(current)

    @pulse.command(name="open", description="Open a pulse now")
    async def open(self, interaction: discord.Interaction[Any]) -> None:
        """Open a pulse now in the group's home channel."""
        group = await moderator_group(self.bot, interaction)
        self._require_home(group)
        channel = self.bot.get_channel(group.home_channel_id or 0)
        if isinstance(channel, discord.TextChannel):
            require_can_post(channel, "post the pulse")
        await replies.defer(interaction)
        survey = await self.service.open_now(group.id, self.bot.clock.now())
        await replies.respond(
            interaction,
            f"A pulse is open in <#{group.home_channel_id}> until "
            f"{discord_time(survey.closes_at)}; its post goes up within a minute. Members "
            "who opted in to pulse DMs get it inside their working hours. Nobody, you "
            "included, sees how many answered until it closes.",
        )

    @pulse.command(name="close", description="Close the open pulse now")
    async def close(self, interaction: discord.Interaction[Any]) -> None:
        """Close early: publish, carry forward or drop, as the pooling rule says."""
        group = await moderator_group(self.bot, interaction)
        await replies.defer(interaction)
        outcome = await self.service.close_now(group.id, self.bot.clock.now())
        settings = await self.service.settings(group.id)
        await replies.respond(interaction, _closed_text(outcome, settings.k, settings.post_results))

    @pulse.command(name="results", description="The latest published pulse result")
    async def results(self, interaction: discord.Interaction[Any]) -> None:
        """What every member sees with /pulse group."""
        group = await moderator_group(self.bot, interaction)
        await self._show_result(interaction, group)

    @pulse.command(name="chart", description="A chart of the published pulse results")
    async def chart(self, interaction: discord.Interaction[Any]) -> None:
        """An ephemeral PNG: index median and middle half, STS, gaps, pooled points, drivers."""
        group = await moderator_group(self.bot, interaction)
        await replies.defer(interaction)  # the drawing may take a while
        settings = await self.service.settings(group.id)
        points = trend(
            await self.service.published(group.id),
            await store.closed_surveys(self.bot.db, group.id),
            self.service.instruments,
        )
        if points is None:
            await replies.respond(interaction, not_enough(settings.k))
            return
        chart = await pulse_points.render(self.bot.charts, points)
        image = discord.File(
            io.BytesIO(chart.png), filename=CHART_FILE, description=chart.alt_text[:1024]
        )
        await replies.respond(
            interaction,
            "The group's published pulse results. Rounds with too few answers to protect "
            f"anonymity are gaps. {DISCLAIMER}",
            file=image,
        )

    @pulse.command(name="export", description="A CSV file of the published pulse results")
    async def export(self, interaction: discord.Interaction[Any]) -> None:
        """Published aggregates only, one row per published point."""
        group = await moderator_group(self.bot, interaction)
        published = await self.service.published(group.id)
        if not published:
            settings = await self.service.settings(group.id)
            await replies.respond(interaction, not_enough(settings.k))
            return
        data = export_csv(published, self.service.instruments).encode("utf-8")
        await replies.respond(
            interaction,
            f"Published results only, one row per published point. {DISCLAIMER}",
            file=discord.File(io.BytesIO(data), filename=EXPORT_FILE),
        )

    @pulse.command(name="settings", description="Show or change the pulse's settings")
    @app_commands.describe(
        k="Results only when at least this many answered (3 or more); default 5",
        post_results="Also post each published result in the channel",
        support_text="Your group's own support text, shown after each answer",
        clear_support_text="Remove the group's support text",
        support_replaces="The support text replaces the default crisis lines",
        instrument="Which installed question set the next pulses use",
        keep_raw_answers="Keep unlinked raw answers after publishing (default: delete them)",
        reminders="One reminder DM before close to opted-in members who haven't answered",
    )
    async def settings(  # noqa: PLR0917 - one parameter per command option
        self,
        interaction: discord.Interaction[Any],
        k: app_commands.Range[int, 3, 100] | None = None,
        post_results: bool | None = None,
        support_text: app_commands.Range[str, 1, 1000] | None = None,
        clear_support_text: bool = False,
        support_replaces: bool | None = None,
        instrument: app_commands.Range[str, 1, 40] | None = None,
        keep_raw_answers: bool | None = None,
        reminders: bool | None = None,
    ) -> None:
        """Change what was given; show every setting."""
        group = await moderator_group(self.bot, interaction)
        given: dict[str, Any] = {
            key: value
            for key, value in {
                "k": k,
                "post_results": post_results,
                "support_replaces": support_replaces,
                "instrument_id": instrument,
                "keep_raw_answers": keep_raw_answers,
                "reminders": reminders,
            }.items()
            if value is not None
        }
        if clear_support_text or support_text is not None:  # None clears the text
            given["support_text"] = None if clear_support_text else support_text
        saved = await self.service.configure(group.id, self.bot.clock.now(), **given)
        title = "Pulse settings saved" if given else "Pulse settings"
        await replies.respond(interaction, embed=self._settings_embed(title, saved))

    @settings.autocomplete("instrument")
    async def _instrument_choices(
        self, interaction: discord.Interaction[Any], current: str
    ) -> list[app_commands.Choice[str]]:
        typed = current.strip().lower()
        return [
            app_commands.Choice(name=key, value=key)
            for key in self.service.instruments.ids()
            if typed in key
        ][:25]

    # --- members ---------------------------------------------------------------------

    @pulse.command(
        name="group",
        description="The group's latest published pulse result",
        extras=audience("member"),
    )
    async def group(self, interaction: discord.Interaction[Any]) -> None:
        """Exactly what moderators see in /pulse results."""
        await self._show_result(interaction, await group_here(self.bot, interaction))

    async def _show_result(self, interaction: discord.Interaction[Any], group: Group) -> None:
        point = await self.service.latest_result(group.id)
        if point is None:
            settings = await self.service.settings(group.id)
            await replies.respond(interaction, f"{not_enough(settings.k)}\n{DISCLAIMER}")
            return
        view = result_view(point, self.service.instruments.get(point.instrument_id))
        await replies.respond(interaction, embed=result_embed(view))

    # --- DMs -------------------------------------------------------------------------

    async def render_invite_dm(self, item: OutboxItem) -> OutgoingDm:
        """The invitation DM, with the same button as the channel post."""
        return self._dm(item, reminder=False)

    async def render_reminder_dm(self, item: OutboxItem) -> OutgoingDm:
        """The one reminder DM."""
        return self._dm(item, reminder=True)

    def _dm(self, item: OutboxItem, *, reminder: bool) -> OutgoingDm:
        payload = item.payload
        channel = payload.get("channel_id")
        text = dm_text(
            from_db(str(payload["closes_at"])),
            int(channel) if isinstance(channel, int) else None,
            reminder=reminder,
        )
        return OutgoingDm(content=text, view=take_view(int(payload["survey_id"])))

    # --- survey steps (from raw submits, the same before and after a restart) ---------

    @commands.Cog.listener()
    async def on_interaction(self, interaction: discord.Interaction[Any]) -> None:
        """A submitted pulse step."""
        step = pulse_step(interaction)
        if step is not None:
            await on_pulse_submit(interaction, step)

    async def forget_drafts(self, now: datetime) -> int:
        """The due step that forgets step one's answers after 15 minutes."""
        return self.context.drafts.forget_expired(now)

    @staticmethod
    def _require_home(group: Group) -> None:
        if group.home_channel_id is None:
            raise UserError(
                "Set the group's home channel first with /peerpulse settings home_channel; "
                "the pulse is posted there."
            )

    # --- formatting ------------------------------------------------------------------

    def _settings_embed(self, title: str, saved: store.PulseSettings) -> discord.Embed:
        embed = discord.Embed(title=title, colour=EMBED_COLOUR)
        for name, value in settings_lines(saved, self.service.instruments):
            embed.add_field(name=name, value=value, inline=False)
        return embed


def _closed_text(outcome: CloseOutcome, k: int, post_results: bool) -> str:
    if outcome.outcome == "published" and outcome.result is not None:
        where = "It is posted in the channel within a minute. " if post_results else ""
        return (
            f"The pulse is closed and its result is published. {where}"
            "Everyone can read it with /pulse group."
        )
    if outcome.outcome == "carried":
        return (
            f"The pulse is closed. {not_enough(k)} Its answers are carried into the next "
            "pulse and shown only together with it."
        )
    return f"The pulse is closed. {not_enough(k)} It will not be shown."


async def setup(bot: PeerPulseBot) -> None:
    """Extension entry point: the cog, its buttons, DM renderers and due steps."""
    cog = PulseCog(bot)
    await bot.add_cog(cog)
    bot.add_dynamic_items(*DYNAMIC_ITEMS)
    bot.dm_renderers.register(store.INVITE_KIND, cog.render_invite_dm)
    bot.dm_renderers.register(store.REMINDER_KIND, cog.render_reminder_dm)
    bot.dispatcher.register_answered_check(store.REMINDER_KIND, store.answered_among)
    cog.service.register(bot.steps)
    bot.steps.register("pulse.post", cog.poster.post_due)
    bot.steps.register("pulse.forget_drafts", cog.forget_drafts)
