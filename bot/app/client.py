"""The Bot subclass: receives its resources from main(), loads every cog, owns no globals."""

from __future__ import annotations

import asyncio
import logging
import pkgutil
from collections.abc import Sequence

import discord
from discord import app_commands
from discord.ext import commands

import cogs
from bot.app import interaction_errors
from bot.clock import Clock
from bot.config import Settings
from bot.db import Database
from bot.scheduling import DueSteps, Ticker

log = logging.getLogger(__name__)


def required_intents() -> discord.Intents:
    """The fewest intents that work: guilds only (channels, roles and the bot's own member).

    Slash commands, components and modals arrive as interactions, which need no intent;
    no privileged intent (members, presences, message content) is requested.
    """
    return discord.Intents(guilds=True)


def cog_extensions() -> list[str]:
    """Every extension module in the cogs package (modules starting with _ are helpers)."""
    return sorted(
        f"{cogs.__name__}.{module.name}"
        for module in pkgutil.iter_modules(cogs.__path__)
        if not module.name.startswith("_")
    )


class PeerPulseBot(commands.Bot):
    """peerpulse's client. Everything it uses is passed in; nothing connects at import time."""

    def __init__(
        self,
        *,
        settings: Settings,
        db: Database,
        clock: Clock,
        steps: DueSteps,
        ticker: Ticker | None = None,
        extensions: Sequence[str] | None = None,
    ) -> None:
        super().__init__(
            command_prefix=commands.when_mentioned,
            help_command=None,
            intents=required_intents(),
            allowed_mentions=discord.AllowedMentions.none(),
            guild_ready_timeout=settings.discord.guild_ready_timeout,
        )
        self.settings = settings
        self.db = db
        self.clock = clock
        self.steps = steps
        self._ticker = ticker
        self._extensions = list(extensions) if extensions is not None else cog_extensions()

    async def setup_hook(self) -> None:
        """Load the cogs, install the error handler and start the ticker."""
        self.tree.error(self._on_app_command_error)
        for extension in self._extensions:
            await self.load_extension(extension)
        if self._ticker is not None:
            self._ticker.start()
        log.info("loaded %d cog(s): %s", len(self._extensions), ", ".join(self._extensions))

    async def before_identify_hook(self, shard_id: int | None, *, initial: bool = False) -> None:
        """Wait before re-identifying after a lost session (Discord allows one per 5 s)."""
        if not initial:
            await asyncio.sleep(self.settings.discord.reidentify_delay)

    async def close(self) -> None:
        """Stop ticking, then disconnect."""
        if self._ticker is not None:
            self._ticker.shutdown()
        await super().close()

    async def _on_app_command_error(
        self, interaction: discord.Interaction, error: app_commands.AppCommandError
    ) -> None:
        await interaction_errors.report(interaction, error)
