"""The Bot subclass: receives its resources from main(), loads every cog, owns no globals."""

from __future__ import annotations

import asyncio
import logging
import pkgutil
import re
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

import cogs
from bot.app import interaction_errors, replies
from bot.app.dm_transport import DiscordDmTransport, DmRenderers
from bot.app.option_check import CheckedCommandTree
from bot.app.rest_pacing import pacing_trace
from bot.charts.worker import ChartWorker
from bot.clock import Clock
from bot.config import Settings
from bot.db import Database
from bot.delivery.dispatcher import DeliverySettings, Dispatcher
from bot.delivery.outbox import purge_finished
from bot.delivery.pacing import AdaptivePacer, steady_limiter
from bot.delivery.recipients import ClosedDms
from bot.errors import UserError
from bot.members.retention import purge_expired_text
from bot.scheduling import DueSteps, Ticker

log = logging.getLogger(__name__)

STALE_BUTTON = (
    "This button no longer works (it comes from an earlier version of me). "
    "Use the latest check-in post, or run the command again."
)


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
        charts: ChartWorker | None = None,
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
            tree_cls=CheckedCommandTree,
        )
        self.settings = settings
        self.db = db
        self.clock = clock
        self.steps = steps
        self._ticker = ticker
        self.charts = charts if charts is not None else ChartWorker(settings.charts.workers)
        self._extensions = list(extensions) if extensions is not None else cog_extensions()
        self.dm_renderers = DmRenderers()
        self._button_templates: list[re.Pattern[str]] = []
        delivery = settings.delivery
        self.pacer = pacer
        # Members whose DMs were found closed: checked on every interaction, without a query.
        self.closed_dms = ClosedDms()
        transport = DiscordDmTransport(self, self.dm_renderers, self.closed_dms)
        self.dispatcher = Dispatcher(
            db,
            transport,
            access=transport,
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
        await self.closed_dms.load(self.db)
        for extension in self._extensions:
            await self.load_extension(extension)
        # Capabilities register their steps as their cogs load. Delivery is a background step:
        # on real time it runs in its own worker so no other step waits behind a fan-out; on a
        # virtual clock it runs after the others, so DMs queued in a tick go out in that tick.
        self.steps.register("retention", self._retention)
        self.steps.register("delivery", self.dispatcher.run_due, background=True, counted=False)
        recovered = await self.dispatcher.recover(self.clock.now())
        if recovered:
            log.info("returned %d interrupted deliveries to the outbox", recovered)
        if self._ticker is not None:
            self._ticker.start()
        log.info("loaded %d cog(s): %s", len(self._extensions), ", ".join(self._extensions))

    async def _retention(self, now: datetime) -> int:
        """Expired free text, and finished DMs (kept only as anonymous counts)."""
        return await purge_expired_text(self.db, now) + await purge_finished(self.db, now)

    async def before_identify_hook(self, shard_id: int | None, *, initial: bool = False) -> None:
        """Wait before re-identifying after a lost session (Discord allows one per 5 s)."""
        if not initial:
            await asyncio.sleep(self.settings.discord.reidentify_delay)

    async def close(self) -> None:
        """Stop ticking, disconnect, then stop the chart worker."""
        if self._ticker is not None:
            await self._ticker.shutdown()
        try:
            await super().close()
        finally:
            await self.charts.close()

    def add_dynamic_items(self, *items: type[discord.ui.DynamicItem[Any]]) -> None:
        """Register persistent buttons and remember their custom_id templates."""
        super().add_dynamic_items(*items)
        for item in items:
            self._button_templates.append(item.__discord_ui_compiled_template__)

    async def on_interaction(self, interaction: discord.Interaction) -> None:
        """Make sure every command, button and form is acknowledged within Discord's 3 s.

        A button no template claims (sent by an older version, or altered), or one no longer
        on its message (pressed in a client that had not seen the edit), would get no answer
        at all from discord.py: it gets a plain sentence instead.
        """
        if interaction.type is discord.InteractionType.component:
            data: dict[str, Any] = dict(interaction.data or {})
            custom_id = str(data.get("custom_id", ""))
            known = any(t.fullmatch(custom_id) for t in self._button_templates)
            if not known or not _on_message(interaction.message, custom_id):
                log.info("unknown button on interaction %s", interaction.id)
                await interaction_errors.report(interaction, UserError(STALE_BUTTON))
                return
        replies.guard(interaction)

    async def _on_app_command_error(
        self, interaction: discord.Interaction, error: app_commands.AppCommandError
    ) -> None:
        await interaction_errors.report(interaction, error)


def _on_message(message: discord.Message | None, custom_id: str) -> bool:
    """Whether the message (as Discord sent it with the interaction) still holds `custom_id`."""
    if message is None:
        return False
    stack: list[Any] = list(message.components)
    while stack:
        component = stack.pop()
        if getattr(component, "custom_id", None) == custom_id:
            return True
        stack.extend(getattr(component, "children", None) or [])
        accessory = getattr(component, "accessory", None)
        if accessory is not None:
            stack.append(accessory)
    return False
