"""Start-up: open the resources, hand them to the bot, close them in reverse order."""

from __future__ import annotations

import asyncio
import logging
import signal

import discord

from bot.app.client import PeerPulseBot
from bot.app.endpoints import apply_endpoints
from bot.charts.worker import ChartWorker
from bot.clock import Clock, SystemClock
from bot.config import Settings
from bot.db import Database
from bot.migrations import migrate
from bot.scheduling import DueSteps, Ticker

log = logging.getLogger(__name__)


async def open_database(settings: Settings, clock: Clock) -> Database:
    """Open the configured database and bring its schema up to date."""
    db = await Database.open(
        settings.database.path, busy_timeout_ms=settings.database.busy_timeout_ms
    )
    try:
        applied = await migrate(db, clock)
    except BaseException:
        await db.close()
        raise
    for migration in applied:
        log.info("applied migration %04d_%s", migration.version, migration.name)
    return db


def build_bot(
    settings: Settings, db: Database, clock: Clock, *, with_ticker: bool = True
) -> PeerPulseBot:
    """The bot wired to its resources; the ticker drives due steps on real time."""
    apply_endpoints(settings.discord)
    steps = DueSteps()
    ticker = (
        Ticker(
            steps,
            clock,
            tick_seconds=settings.scheduler.tick_seconds,
            misfire_grace_seconds=settings.scheduler.misfire_grace_seconds,
        )
        if with_ticker
        else None
    )
    # The chart worker process starts on the first chart and stops when the bot closes.
    charts = ChartWorker(settings.charts.workers)
    return PeerPulseBot(
        settings=settings, db=db, clock=clock, steps=steps, ticker=ticker, charts=charts
    )


async def run_bot(settings: Settings, token: str, clock: Clock | None = None) -> None:
    """Run the bot until it is stopped."""
    clock = clock or SystemClock()
    db = await open_database(settings, clock)
    try:
        async with build_bot(settings, db, clock) as bot:
            loop = asyncio.get_running_loop()
            closing: list[asyncio.Task[None]] = []
            for stop_signal in (signal.SIGTERM, signal.SIGINT):
                # A service manager's stop finishes the work in hand and closes the database.
                loop.add_signal_handler(
                    stop_signal, lambda: closing.append(loop.create_task(bot.close()))
                )
            await bot.start(token)
            for task in closing:
                await task
    finally:
        await db.close()


async def sync_commands(settings: Settings, token: str, guild_id: int | None) -> int:
    """Log in over HTTP only, sync the command tree (globally or to one guild), return its size."""
    clock = SystemClock()
    db = await open_database(settings, clock)
    try:
        async with build_bot(settings, db, clock, with_ticker=False) as bot:
            await bot.login(token)
            guild = discord.Object(id=guild_id) if guild_id else None
            if guild is not None:
                bot.tree.copy_global_to(guild=guild)
            synced = await bot.tree.sync(guild=guild)
            return len(synced)
    finally:
        await db.close()
