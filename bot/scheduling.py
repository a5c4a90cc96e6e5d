"""Scheduled work: the database holds every schedule; a ticker only wakes the bot.

Each capability registers a due step, an idempotent `async (now) -> int` that does
whatever is due at `now` and returns how many effects it produced. Production drives
`DueSteps.run_due` from APScheduler on real time; tests and the sandbox call it with
a virtual clock.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import datetime

from bot.clock import Clock

log = logging.getLogger(__name__)

DueStep = Callable[[datetime], Awaitable[int]]


class DueSteps:
    """The named steps run, in registration order, at each tick."""

    def __init__(self) -> None:
        self._steps: dict[str, DueStep] = {}

    def register(self, name: str, step: DueStep) -> None:
        """Add a step; names are unique."""
        if name in self._steps:
            raise ValueError(f"a due step named {name!r} is already registered")
        self._steps[name] = step

    @property
    def names(self) -> list[str]:
        """The registered step names, in order."""
        return list(self._steps)

    async def run_due(self, now: datetime) -> dict[str, int]:
        """Run every step for `now`; a failing step is logged and does not stop the others."""
        results: dict[str, int] = {}
        for name, step in self._steps.items():
            try:
                results[name] = await step(now)
            except Exception:
                log.exception("due step %s failed at %s", name, now.isoformat())
                results[name] = -1
                continue
            if results[name]:
                log.info("due step %s at %s: %d effect(s)", name, now.isoformat(), results[name])
        return results


class Ticker:
    """Wakes `DueSteps` every `tick_seconds` on real time with APScheduler."""

    def __init__(
        self, steps: DueSteps, clock: Clock, *, tick_seconds: float, misfire_grace_seconds: int
    ) -> None:
        self._steps = steps
        self._clock = clock
        # Imported here: only `peerpulse run` ticks on real time (not sync, tests, the sandbox).
        from apscheduler.schedulers.asyncio import AsyncIOScheduler  # noqa: PLC0415

        self._scheduler = AsyncIOScheduler(timezone="UTC")
        self._tick_seconds = tick_seconds
        # APScheduler's default grace (1 s) silently drops late jobs under load; a tick that is
        # late should still run, and coalescing keeps a backlog from running many times.
        self._misfire_grace_seconds = misfire_grace_seconds

    def start(self) -> None:
        """Start ticking (needs a running event loop)."""
        self._scheduler.add_job(
            self._tick,
            "interval",
            seconds=self._tick_seconds,
            id="peerpulse-due-steps",
            coalesce=True,
            max_instances=1,
            misfire_grace_time=self._misfire_grace_seconds,
            replace_existing=True,
        )
        self._scheduler.start()

    def shutdown(self) -> None:
        """Stop ticking; a tick in progress finishes on its own."""
        if self._scheduler.running:
            self._scheduler.shutdown(wait=False)

    async def _tick(self) -> None:
        await self._steps.run_due(self._clock.now())
