"""What check-in buttons and forms need at hand: the bot, the service, and one error path."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import discord
from discord.ext import commands

from bot.app import interaction_errors
from bot.app.client import PeerPulseBot
from bot.checkins.rounds import CheckinService
from bot.checkins.store import Round
from bot.errors import UserError
from cogs._common import require_channel_member

COG_NAME = "Checkins"
MAX_LIVE_FORMS = 10_000  # far above the forms open at once; only a leak would reach it
NOT_A_MEMBER = (
    "This check-in belongs to a group you're not part of, so you can't answer it. "
    "Ask the group's moderators if that seems wrong."
)


class LiveForms:
    """custom_ids of the forms this bot holds open, oldest first, at most `limit` of them.

    Dropping the oldest is harmless: its submit is then saved from the raw components.
    """

    def __init__(self, limit: int = MAX_LIVE_FORMS) -> None:
        self._ids: dict[str, None] = {}
        self._limit = limit
        # Submits a live form's own handler took: the orphaned-forms listener runs as a task
        # of its own and may look only after that handler has finished and let go of the form.
        self._handled: dict[int, None] = {}

    def handling(self, interaction_id: int) -> None:
        """A live form's handler took this submit (call before its first await)."""
        self._handled[interaction_id] = None
        while len(self._handled) > self._limit:
            del self._handled[next(iter(self._handled))]

    def handled(self, interaction_id: int) -> bool:
        """Whether a live form's handler took this submit."""
        return interaction_id in self._handled

    def add(self, custom_id: str) -> None:
        """A form was opened."""
        self._ids[custom_id] = None
        while len(self._ids) > self._limit:
            del self._ids[next(iter(self._ids))]

    def discard(self, custom_id: str) -> None:
        """The form was submitted or timed out."""
        self._ids.pop(custom_id, None)

    def __contains__(self, custom_id: object) -> bool:
        return custom_id in self._ids

    def __len__(self) -> int:
        return len(self._ids)


@dataclass(frozen=True)
class CheckinContext:
    """The running bot, its check-in service, and the forms it is holding open."""

    bot: PeerPulseBot
    service: CheckinService
    # Forms this bot still holds; a submit of any other check-in form (sent before a
    # restart, or after it timed out) is saved from its raw components instead.
    live_forms: LiveForms = field(default_factory=LiveForms)


def context_of(interaction: discord.Interaction[Any]) -> CheckinContext:
    """The check-in context of the bot that received `interaction` (the cog keeps it)."""
    client = interaction.client
    cog = client.get_cog(COG_NAME) if isinstance(client, commands.Bot) else None
    context = getattr(cog, "context", None)
    if not isinstance(context, CheckinContext):
        raise UserError("Check-ins are not available right now. Please try again in a minute.")
    return context


@asynccontextmanager
async def reporting(interaction: discord.Interaction[Any]) -> AsyncIterator[None]:
    """Send any error raised inside as the one short ephemeral sentence (components, modals)."""
    try:
        yield
    except Exception as error:  # noqa: BLE001 - report() logs unexpected ones with an incident id
        await interaction_errors.report(interaction, error)


async def require_member(
    context: CheckinContext, interaction: discord.Interaction[Any], checkin: Round
) -> None:
    """Refuse anyone who cannot see the round's channel (the group), in its server or in DMs."""
    await require_channel_member(
        interaction,
        context.bot.get_channel(checkin.channel_id),
        gone="I can't find this check-in's channel any more. "
        "Ask a moderator to run /checkin setup.",
        not_a_member=NOT_A_MEMBER,
    )
