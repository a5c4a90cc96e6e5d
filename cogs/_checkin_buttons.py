"""The persistent buttons of check-in posts and DMs: answer, and check-ins by DM on or off.

They are `DynamicItem`s whose custom_id carries the round (or group) id, registered with
`bot.add_dynamic_items`, so a post keeps working after the bot restarts.
"""

from __future__ import annotations

import re
from typing import Any

import discord

from bot.app import replies
from bot.checkins.store import Round
from bot.errors import UserError
from bot.ids import ID_DIGITS
from bot.members.dm_consent import choose_dms
from bot.members.hours import format_hours
from bot.members.preferences import get_preferences
from cogs._checkin_context import context_of, reporting
from cogs._checkin_form import open_form
from cogs._common import group_here

ANSWER_LABEL = "Answer the check-in"
ANSWER_PREFIX = "checkin:answer:"
replies.opens_modal(ANSWER_PREFIX)  # a modal must be the first answer: never deferred
DM_ON_LABEL = "Send my check-ins by DM"
DM_OFF_LABEL = "Stop check-in DMs"


class AnswerButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=rf"checkin:answer:(?P<round>{ID_DIGITS})",
):
    """Opens the check-in form for the round in its custom_id (channel post and DMs)."""

    def __init__(self, round_id: int) -> None:
        super().__init__(
            discord.ui.Button(
                label=ANSWER_LABEL,
                style=discord.ButtonStyle.primary,
                custom_id=f"{ANSWER_PREFIX}{round_id}",
            )
        )
        self.round_id = round_id

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction[Any],
        item: discord.ui.Item[Any],
        match: re.Match[str],
        /,
    ) -> AnswerButton:
        """Rebuild the button from its custom_id."""
        return cls(int(match["round"]))

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        """Show the form (prefilled when the member answered already)."""
        async with reporting(interaction):
            await open_form(context_of(interaction), interaction, self.round_id)


class DmButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=rf"checkin:dms:(?P<group>{ID_DIGITS}):(?P<switch>on|off)",
):
    """Turns check-in DMs on (the post's button) or off (offered after turning them on)."""

    def __init__(self, group_id: int, *, on: bool) -> None:
        super().__init__(
            discord.ui.Button(
                label=DM_ON_LABEL if on else DM_OFF_LABEL,
                style=discord.ButtonStyle.secondary,
                custom_id=f"checkin:dms:{group_id}:{'on' if on else 'off'}",
            )
        )
        self.group_id = group_id
        self.on = on

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction[Any],
        item: discord.ui.Item[Any],
        match: re.Match[str],
        /,
    ) -> DmButton:
        """Rebuild the button from its custom_id."""
        return cls(int(match["group"]), on=match["switch"] == "on")

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        """Record the member's choice in their settings and say what it means."""
        async with reporting(interaction):
            context = context_of(interaction)
            group = await group_here(context.bot, interaction)
            if group.id != self.group_id:
                raise UserError("That button belongs to another group's check-in.")
            now = context.bot.clock.now()
            user_id = interaction.user.id
            before = await get_preferences(context.bot.db, group.id, user_id)
            # The same path as /me dms: the first opt-in also queues the welcome DM.
            prefs, _ = await choose_dms(
                context.bot.db, group.id, user_id, "checkins", self.on, now=now
            )
            zone = prefs.zone(group.timezone).key
            if self.on:
                already = "You already get" if before.wants("checkins") else "Done: you'll get"
                text = (
                    f"{already} check-ins by DM, only inside your working hours "
                    f"({format_hours(prefs.hours)}, {zone}) and never while you're away, "
                    "with at most one reminder."
                )
                view = discord.ui.View(timeout=None)
                view.add_item(DmButton(group.id, on=False))
                await replies.respond(interaction, text, view=view)
                return
            await replies.respond(
                interaction, "Done: no more check-in DMs. The channel post still works.", edit=True
            )


def round_view(checkin: Round) -> discord.ui.View:
    """The buttons of a round's channel post."""
    view = discord.ui.View(timeout=None)
    view.add_item(AnswerButton(checkin.id))
    view.add_item(DmButton(checkin.group_id, on=True))
    return view


def dm_view(round_id: int) -> discord.ui.View:
    """The button of a round's DM: the same form as the channel's."""
    view = discord.ui.View(timeout=None)
    view.add_item(AnswerButton(round_id))
    return view


DYNAMIC_ITEMS = (AnswerButton, DmButton)
