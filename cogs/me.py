"""/me: a member's own time zone, working hours, away, DMs, reminders, export and forget.

Every answer is ephemeral. In a server, /me applies to the channel's group. In DMs
with the bot it applies to the member's group when they have settings in exactly one
(the usual case: the group that DMs them); otherwise it asks them to use it in the
group's server. Export and forget cover every group, so they work anywhere.

The cog also shows the closed-DMs hint: after the bot found a member's DMs closed,
their next interaction gets `DMS_CLOSED_HINT` as an ephemeral follow-up after its answer,
once (the bot's in-memory `ClosedDms` says who, without a query).
"""

from __future__ import annotations

import io
import json
import logging
import re
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.app import interaction_errors, replies
from bot.app.audience import audience
from bot.app.client import PeerPulseBot
from bot.app.dm_transport import OutgoingDm
from bot.delivery.outbox import OutboxItem
from bot.delivery.recipients import DMS_CLOSED_HINT
from bot.errors import UserError
from bot.groups import Group, group_by_id
from bot.members.away import format_date, parse_date
from bot.members.dm_consent import WELCOME_KIND, choose_dms, welcome_text
from bot.members.personal_data import FORGET_EXPLANATION, export_member, forget_member
from bot.members.preferences import (
    DM_KIND_LABELS,
    Preferences,
    describe,
    get_preferences,
    member_group_ids,
    set_away,
    set_back,
    set_consult_reminders,
    set_hours,
    set_reminders,
    set_timezone,
)
from bot.timezones import search_zones
from bot.wording import plural
from cogs._common import EMBED_COLOUR, group_here

log = logging.getLogger(__name__)

GROUP_ZONE = "group"
ON_OFF = [app_commands.Choice(name="on", value="on"), app_commands.Choice(name="off", value="off")]
DM_CHOICES = [app_commands.Choice(name=label, value=kind) for kind, label in DM_KIND_LABELS.items()]
PULSE_NOT_EXPORTED = "Pulse answers cannot be exported, because they are linked to no one."
NOT_IN_DMS = (
    "Use /me in a channel of your group's server: I can't tell from here which group you mean."
)
_HINT_ON = {
    discord.InteractionType.application_command,
    discord.InteractionType.component,
    discord.InteractionType.modal_submit,
}


def _on(setting: str) -> bool:
    value = setting.strip().lower()
    if value not in {"on", "off"}:
        raise UserError("Choose on or off.")
    return value == "on"


class MeCog(commands.Cog):
    """Members' own boundaries and data."""

    me = app_commands.Group(
        name="me",
        description="Your time zone, working hours, away, DMs and your data",
        extras=audience("member"),
    )

    def __init__(self, bot: PeerPulseBot) -> None:
        self.bot = bot

    # --- settings --------------------------------------------------------------------

    @me.command(name="show", description="Your settings in this group (only you see them)")
    async def show(self, interaction: discord.Interaction) -> None:
        """Show the member's settings."""
        group = await self._group(interaction)
        prefs = await get_preferences(self.bot.db, group.id, interaction.user.id)
        await self._answer(interaction, "Your settings", group, prefs)

    @me.command(name="timezone", description="Your own time zone (the group's is the default)")
    @app_commands.describe(zone="An IANA zone such as Europe/London, or 'group' for the group's")
    async def timezone(
        self, interaction: discord.Interaction, zone: app_commands.Range[str, 1, 64]
    ) -> None:
        """Set or clear the member's zone."""
        group = await self._group(interaction)
        chosen = None if zone.strip().lower() == GROUP_ZONE else zone
        prefs = await set_timezone(
            self.bot.db, group.id, interaction.user.id, chosen, now=self.bot.clock.now()
        )
        await self._answer(interaction, "Time zone saved", group, prefs)

    @timezone.autocomplete("zone")
    async def _zone_choices(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        choices = [app_commands.Choice(name=zone, value=zone) for zone in search_zones(current)]
        if GROUP_ZONE.startswith(current.strip().lower()):
            choices.insert(0, app_commands.Choice(name="The group's zone", value=GROUP_ZONE))
        return choices[:25]

    @me.command(name="hours", description="The days and hours the bot may DM you")
    @app_commands.describe(
        days="Working days, e.g. Mon-Fri, Sun-Thu or Mon,Wed,Fri",
        start="When your day starts, e.g. 09:00 or 9am",
        end="When it ends, e.g. 17:00 or 5pm (22:00 to 06:00 ends the next day)",
    )
    async def hours(
        self,
        interaction: discord.Interaction,
        days: app_commands.Range[str, 1, 60],
        start: app_commands.Range[str, 1, 10],
        end: app_commands.Range[str, 1, 10],
    ) -> None:
        """Set the member's working days and hours."""
        group = await self._group(interaction)
        prefs = await set_hours(
            self.bot.db,
            group.id,
            interaction.user.id,
            days=days,
            start=start,
            end=end,
            now=self.bot.clock.now(),
        )
        await self._answer(interaction, "Working hours saved", group, prefs)

    @me.command(name="away", description="No DMs until a date, or until you use /me back")
    @app_commands.describe(until="Last day away, e.g. 2026-03-20 or 20 Mar; empty: until /me back")
    async def away(
        self, interaction: discord.Interaction, until: app_commands.Range[str, 1, 30] | None = None
    ) -> None:
        """Go away until a date (inclusive, local) or indefinitely."""
        group = await self._group(interaction)
        now = self.bot.clock.now()
        current = await get_preferences(self.bot.db, group.id, interaction.user.id)
        today = now.astimezone(current.zone(group.timezone)).date()
        last_day = parse_date(until, today) if until else None
        prefs = await set_away(
            self.bot.db,
            group.id,
            interaction.user.id,
            last_day,
            now=now,
            group_zone=group.timezone,
        )
        title = f"Away until {format_date(last_day)}" if last_day else "Away until /me back"
        await self._answer(interaction, title, group, prefs)

    @me.command(name="back", description="End away mode now")
    async def back(self, interaction: discord.Interaction) -> None:
        """Come back from away."""
        group = await self._group(interaction)
        prefs = await set_back(self.bot.db, group.id, interaction.user.id, now=self.bot.clock.now())
        await self._answer(interaction, "Welcome back", group, prefs)

    @me.command(name="dms", description="Which DMs the bot may send you (all are off at first)")
    @app_commands.describe(kind="Which DMs", setting="on or off")
    @app_commands.choices(kind=DM_CHOICES, setting=ON_OFF)
    async def dms(self, interaction: discord.Interaction, kind: str, setting: str) -> None:
        """Opt in to or out of one DM kind."""
        group = await self._group(interaction)
        prefs, welcomed = await choose_dms(
            self.bot.db,
            group.id,
            interaction.user.id,
            kind,
            _on(setting),
            now=self.bot.clock.now(),
        )
        note = (
            "I'll send you one short DM within your working hours to check that I can reach you."
            if welcomed
            else None
        )
        await self._answer(interaction, "DM choices saved", group, prefs, note=note)

    @me.command(name="reminders", description="Whether you get the one reminder after a prompt")
    @app_commands.describe(setting="on or off")
    @app_commands.choices(setting=ON_OFF)
    async def reminders(self, interaction: discord.Interaction, setting: str) -> None:
        """Turn reminders on or off."""
        group = await self._group(interaction)
        prefs = await set_reminders(
            self.bot.db, group.id, interaction.user.id, _on(setting), now=self.bot.clock.now()
        )
        await self._answer(interaction, "Reminders saved", group, prefs)

    @me.command(
        name="consult-reminders",
        description="Reminders before consultations you're going to (24 h and 1 h before)",
    )
    @app_commands.describe(
        setting="on or off",
        outside_hours="Also outside your working hours (on), or only inside them (off)",
    )
    @app_commands.choices(setting=ON_OFF, outside_hours=ON_OFF)
    async def consult_reminders(
        self, interaction: discord.Interaction, setting: str, outside_hours: str | None = None
    ) -> None:
        """Turn consultation reminders on or off, and allow them outside working hours."""
        group = await self._group(interaction)
        prefs = await set_consult_reminders(
            self.bot.db,
            group.id,
            interaction.user.id,
            on=_on(setting),
            outside_hours=None if outside_hours is None else _on(outside_hours),
            now=self.bot.clock.now(),
        )
        await self._answer(interaction, "Consultation reminders saved", group, prefs)

    # --- your data ---------------------------------------------------------------------

    @me.command(name="export", description="A file of everything peerpulse keeps linked to you")
    async def export(self, interaction: discord.Interaction) -> None:
        """Answer with an ephemeral JSON file."""
        user_id = interaction.user.id
        tables = await export_member(self.bot.db, user_id)
        document = {
            "about": (
                "Everything peerpulse stores linked to your Discord user id, in every group, "
                f"by table. {PULSE_NOT_EXPORTED}"
            ),
            "user_id": user_id,
            "exported_at": self.bot.clock.now().isoformat(),
            "tables": tables,
        }
        data = json.dumps(document, indent=2, ensure_ascii=False).encode()
        rows = sum(len(found) for found in tables.values())
        await replies.respond(
            interaction,
            f"Everything linked to you: {plural(rows, 'record')}. Only you can see this file. "
            f"{PULSE_NOT_EXPORTED}",
            file=discord.File(io.BytesIO(data), filename="peerpulse-my-data.json"),
        )

    @me.command(name="forget", description="Erase everything peerpulse keeps linked to you")
    async def forget(self, interaction: discord.Interaction) -> None:
        """Ask for confirmation with buttons; erasing happens on the button."""
        await replies.respond(
            interaction,
            "This erases your settings, your DM history with this bot and everything you "
            "answered or wrote that is linked to you, in every group on this bot. It cannot "
            "be undone. Anonymous pulse answers are linked to no one, so they can be neither "
            "found nor erased. Erase everything?",
            view=forget_view(interaction.user.id),
        )

    # --- DMs ---------------------------------------------------------------------------

    async def render_welcome(self, item: OutboxItem) -> OutgoingDm:
        """The welcome DM, from the member's settings at the time it is sent."""
        group = await group_by_id(self.bot.db, item.group_id)
        if group is None:  # pragma: no cover - outbox rows go with their group
            raise LookupError(f"group {item.group_id} is gone")
        prefs = await get_preferences(self.bot.db, group.id, item.user_id)
        return OutgoingDm(content=welcome_text(self._group_name(group), prefs, group.timezone))

    @commands.Cog.listener()
    async def on_interaction(self, interaction: discord.Interaction) -> None:
        """After the answer to a member whose DMs were found closed, tell them once.

        The check is a set lookup (no query); the hint follows the command's own answer.
        """
        if interaction.type in _HINT_ON and interaction.user.id in self.bot.closed_dms:
            replies.after_answer(interaction, self._closed_dms_hint)

    async def _closed_dms_hint(self, interaction: discord.Interaction) -> None:
        if await self.bot.closed_dms.clear(self.bot.db, interaction.user.id):
            try:
                await interaction.followup.send(DMS_CLOSED_HINT, ephemeral=True)
            except discord.HTTPException:
                log.warning("could not show the closed-DMs hint (interaction %s)", interaction.id)

    # --- helpers -------------------------------------------------------------------------

    async def _group(self, interaction: discord.Interaction) -> Group:
        if interaction.guild_id is not None:
            return await group_here(self.bot, interaction)
        ids = await member_group_ids(self.bot.db, interaction.user.id)
        group = await group_by_id(self.bot.db, ids[0]) if len(ids) == 1 else None
        if group is None:
            raise UserError(NOT_IN_DMS)
        return group

    def _group_name(self, group: Group) -> str:
        guild = self.bot.get_guild(group.guild_id)
        return guild.name if guild is not None else "your group"

    async def _answer(
        self,
        interaction: discord.Interaction,
        title: str,
        group: Group,
        prefs: Preferences,
        *,
        note: str | None = None,
    ) -> None:
        lines = describe(prefs, group.timezone, self.bot.clock.now())
        if note:
            lines.append(note)
        embed = discord.Embed(title=title, description="\n".join(lines), colour=EMBED_COLOUR)
        embed.set_footer(text=f"{self._group_name(group)} · only you see this · change it with /me")
        await replies.respond(interaction, embed=embed)


class ForgetButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=r"me:forget:(?P<choice>erase|keep):(?P<user>[0-9]{1,20})",
):
    """ "Erase everything" or "Keep my data" under /me forget; works after a restart.

    The custom_id names the member who asked; only they can answer it.
    """

    def __init__(self, user_id: int, *, erase: bool) -> None:
        super().__init__(
            discord.ui.Button(
                label="Erase everything" if erase else "Keep my data",
                style=discord.ButtonStyle.danger if erase else discord.ButtonStyle.secondary,
                custom_id=f"me:forget:{'erase' if erase else 'keep'}:{user_id}",
            )
        )
        self.user_id = user_id
        self.erase = erase

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction[Any],
        item: discord.ui.Item[Any],
        match: re.Match[str],
        /,
    ) -> ForgetButton:
        """Rebuild the button from its custom_id."""
        return cls(int(match["user"]), erase=match["choice"] == "erase")

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        """Erase (or not), then say what that meant; errors get the one short sentence."""
        try:
            await self._choose(interaction)
        except Exception as error:  # noqa: BLE001 - report() logs unexpected ones
            await interaction_errors.report(interaction, error)

    async def _choose(self, interaction: discord.Interaction[Any]) -> None:
        if interaction.user.id != self.user_id:
            raise UserError("Only the member who asked can answer this. Use /me forget.")
        if not self.erase:
            await replies.respond(interaction, "Nothing was erased.", edit=True)
            return
        bot = interaction.client
        if not isinstance(bot, PeerPulseBot):  # pragma: no cover - always the bot
            raise TypeError("ForgetButton needs the peerpulse bot")
        await forget_member(bot.db, self.user_id)
        await replies.respond(interaction, FORGET_EXPLANATION, edit=True)


def forget_view(user_id: int) -> discord.ui.View:
    """The confirmation's two buttons, for `user_id` only."""
    view = discord.ui.View(timeout=None)
    view.add_item(ForgetButton(user_id, erase=True))
    view.add_item(ForgetButton(user_id, erase=False))
    return view


async def setup(bot: PeerPulseBot) -> None:
    """Extension entry point."""
    cog = MeCog(bot)
    await bot.add_cog(cog)
    bot.add_dynamic_items(ForgetButton)
    bot.dm_renderers.register(WELCOME_KIND, cog.render_welcome)
