"""Scheduled work: the database holds every schedule; a ticker only wakes the bot.

Each capability registers a due step, an idempotent `async (now) -> int` that does
whatever is due at `now` and returns how many effects it produced. Tests and the sandbox
call `DueSteps.run_due` with a virtual clock: every step in series, delivery last, so a
run is deterministic. Production calls `DueSteps.tick` from APScheduler on real time:
each step runs as its own task (a step still running is skipped, never started twice),
and a background step (delivery) runs in its own long-lived worker, woken by the tick
and by any step that produced effects, so no step ever waits behind a fan-out.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime

from bot.clock import Clock

log = logging.getLogger(__name__)

DueStep = Callable[[datetime], Awaitable[int]]


class DueSteps:
    """The named steps, run at each tick; each is guarded against running twice at once."""

    def __init__(self) -> None:
        self._steps: dict[str, DueStep] = {}
        self._background: set[str] = set()
        self._uncounted: set[str] = set()
        self._busy: dict[str, asyncio.Lock] = {}
        self._tasks: dict[str, asyncio.Task[int | None]] = {}
        self._workers: dict[str, asyncio.Task[None]] = {}
        self._wake: dict[str, asyncio.Event] = {}
        self._clock: Clock | None = None

    def register(
        self, name: str, step: DueStep, *, background: bool = False, counted: bool = True
    ) -> None:
        """Add a step; names are unique. A background step runs after the others in
        `run_due`, and in its own worker under `tick`. An uncounted step's effects are
        not counted in the log (delivery: while a pulse is open, the number of DMs sent
        can be the number of reminders, that is of members who have not answered)."""
        if name in self._steps:
            raise ValueError(f"a due step named {name!r} is already registered")
        self._steps[name] = step
        self._busy[name] = asyncio.Lock()
        if background:
            self._background.add(name)
        if not counted:
            self._uncounted.add(name)

    @property
    def names(self) -> list[str]:
        """The registered step names, in the order `run_due` runs them."""
        return [n for n in self._steps if n not in self._background] + [
            n for n in self._steps if n in self._background
        ]

    def running(self, name: str) -> bool:
        """Whether the step is running now."""
        return self._busy[name].locked()

    async def run_due(self, now: datetime) -> dict[str, int]:
        """Run every step for `now` to completion, background steps last.

        A failing step is logged (result -1) and does not stop the others; a step that is
        still running (from a tick) is skipped and left out of the result.
        """
        results: dict[str, int] = {}
        for name in self.names:
            outcome = await self._run_one(name, now)
            if outcome is not None:
                results[name] = outcome
        return results

    def tick(self, now: datetime) -> None:
        """Start every foreground step that is not still running, and wake the workers.

        Returns at once: nothing here waits for a step, so a slow one delays no other.
        """
        for name in self._steps:
            if name in self._background:
                self._wake_worker(name)
            elif not self.running(name) and name not in self._tasks:
                task = asyncio.create_task(self._run_one(name, now), name=f"due-step-{name}")
                self._tasks[name] = task
                task.add_done_callback(functools.partial(self._foreground_done, name))

    def wake(self) -> None:
        """Wake the background workers now (e.g. after rows were queued for them)."""
        for name in self._background:
            self._wake_worker(name)

    def start(self, clock: Clock) -> None:
        """Start one long-lived worker per background step (needs a running event loop)."""
        self._clock = clock
        for name in self._background:
            if name not in self._workers:
                self._wake[name] = asyncio.Event()
                self._workers[name] = asyncio.create_task(
                    self._worker(name, clock), name=f"due-worker-{name}"
                )

    async def stop(self) -> None:
        """Cancel the workers and the steps in progress, and wait for them to finish."""
        tasks: list[asyncio.Task[None] | asyncio.Task[int | None]] = [
            *self._workers.values(),
            *self._tasks.values(),
        ]
        self._workers.clear()
        self._tasks.clear()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    def _wake_worker(self, name: str) -> None:
        event = self._wake.get(name)
        if event is not None:
            event.set()

    def _foreground_done(self, name: str, task: asyncio.Task[int | None]) -> None:
        self._tasks.pop(name, None)
        if not task.cancelled() and task.result():
            self.wake()  # it may have queued DMs: deliver them now, not at the next tick

    async def _worker(self, name: str, clock: Clock) -> None:
        event = self._wake[name]
        while True:
            await event.wait()
            event.clear()
            await self._run_one(name, clock.now())

    async def _run_one(self, name: str, now: datetime) -> int | None:
        busy = self._busy[name]
        if busy.locked():
            log.debug("due step %s is still running; skipped at %s", name, now.isoformat())
            return None
        async with busy:
            try:
                result = await self._steps[name](now)
            except Exception:
                log.exception("due step %s failed at %s", name, now.isoformat())
                return -1
        if result and name in self._uncounted:
            log.info("due step %s at %s: done", name, now.isoformat())
        elif result:
            log.info("due step %s at %s: %d effect(s)", name, now.isoformat(), result)
        return result


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
        """Start the background workers and ticking (needs a running event loop)."""
        self._steps.start(self._clock)
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

    async def shutdown(self) -> None:
        """Stop ticking, then stop the workers and the steps in progress."""
        if self._scheduler.running:
            self._scheduler.shutdown(wait=False)
        await self._steps.stop()

    async def _tick(self) -> None:
        self._steps.tick(self._clock.now())
