"""Run the real peerpulse bot in-process against a sandbox server."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from pydantic import SecretStr

from bot.app.client import PeerPulseBot
from bot.app.endpoints import apply_endpoints
from bot.app.runner import build_bot, open_database
from bot.clock import Clock, VirtualClock
from bot.config import DatabaseSettings, DiscordSettings, Settings
from bot.db import Database
from bot.sandbox.server import SandboxServer


def sandbox_settings(server: SandboxServer, token: str, database: Path) -> Settings:
    """Settings that point the bot at `server`, with the sandbox's quick timings."""
    return Settings(
        discord=DiscordSettings(
            token=SecretStr(token),
            api_base_url=server.api_base,
            gateway_url=server.gateway_url,
            guild_ready_timeout=0.1,
            reidentify_delay=0,
        ),
        database=DatabaseSettings(path=database),
    )


@dataclass
class RunningBot:
    """A connected bot, its database and the task that keeps it connected."""

    bot: PeerPulseBot
    db: Database
    task: asyncio.Task[None]
    clock: Clock
    # Called with the clock's time before and after every tick's steps (the sandbox records
    # members' settings with it: they change only between ticks, DMs go out only in them).
    observers: list[Callable[[datetime], Awaitable[None]]] = field(default_factory=list)

    async def advance(self, delta: timedelta) -> dict[str, int]:
        """Move the virtual clock forward and run what is due then, as a tick would."""
        if not isinstance(self.clock, VirtualClock):
            raise TypeError("only a virtual clock can be advanced")
        self.clock.advance(delta)
        return await self.tick()

    async def tick(self) -> dict[str, int]:
        """Run every due step at the clock's current time."""
        now = self.clock.now()
        for observe in self.observers:
            await observe(now)
        results = await self.bot.steps.run_due(now)
        for observe in self.observers:
            await observe(self.clock.now())
        return results

    async def stop(self) -> None:
        """Disconnect, wait for the connection task, close the database, restore endpoints."""
        await self.bot.close()
        await self.task
        await self.db.close()
        apply_endpoints(DiscordSettings())


async def start_bot(
    settings: Settings, clock: Clock, *, sync: bool = True, ready_timeout: float = 15.0
) -> RunningBot:
    """Open the database, connect the bot, wait until it is ready and (optionally) sync commands."""
    if settings.discord.token is None:
        raise ValueError("the sandbox bot needs the token the server issued")
    db = await open_database(settings, clock)
    bot = build_bot(settings, db, clock, with_ticker=False)
    await bot.login(settings.discord.token.get_secret_value())
    task = asyncio.create_task(bot.connect(reconnect=True), name="peerpulse-gateway")
    await asyncio.wait_for(bot.wait_until_ready(), ready_timeout)
    if sync:
        await bot.tree.sync()
    return RunningBot(bot, db, task, clock)
