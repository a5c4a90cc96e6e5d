"""The Bot subclass: receives its resources from main(), loads every cog, owns no globals."""

from __future__ import annotations

import asyncio
import logging
import pkgutil
from collections.abc import Sequence
from datetime import datetime, timedelta

import discord
from discord import app_commands
from discord.ext import commands

import cogs
from bot.app import interaction_errors
from bot.app.dm_transport import DiscordDmTransport, DmRenderers
from bot.app.rest_pacing import pacing_trace
from bot.clock import Clock
from bot.config import Settings
from bot.db import Database
from bot.delivery.dispatcher import DeliverySettings, Dispatcher
from bot.delivery.pacing import AdaptivePacer, steady_limiter
from bot.members.retention import purge_expired_text
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
        # One pacer paces every bot-initiated REST request under Discord's global 50/s,
        # and slows everything down together if Discord answers with a global 429.
        pacer = AdaptivePacer(settings.delivery.requests_per_second)
        super().__init__(
            command_prefix=commands.when_mentioned,
            http_trace=pacing_trace(pacer),
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
        self.dm_renderers = DmRenderers()
        delivery = settings.delivery
        self.pacer = pacer
        self.dispatcher = Dispatcher(
            db,
            DiscordDmTransport(self, self.dm_renderers),
            limiter=pacer,
            open_limiter=steady_limiter(delivery.dm_opens_per_second),
            concurrency=delivery.concurrency,
            settings=DeliverySettings(
                lease=timedelta(seconds=delivery.lease_seconds),
                max_attempts=delivery.max_attempts,
            ),
        )

    async def setup_hook(self) -> None:
        """Load the cogs, register the due steps, recover deliveries, start the ticker."""
        self.tree.error(self._on_app_command_error)
        for extension in self._extensions:
            await self.load_extension(extension)
        # Capabilities register their steps as their cogs load; delivery runs after them so
        # that DMs queued in a tick go out in the same tick.
        self.steps.register("retention", self._purge_expired_text)
        self.steps.register("delivery", self.dispatcher.run_due)
        recovered = await self.dispatcher.recover(self.clock.now())
        if recovered:
            log.info("returned %d interrupted deliveries to the outbox", recovered)
        if self._ticker is not None:
            self._ticker.start()
        log.info("loaded %d cog(s): %s", len(self._extensions), ", ".join(self._extensions))

    async def _purge_expired_text(self, now: datetime) -> int:
        return await purge_expired_text(self.db, now)

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
