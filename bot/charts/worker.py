"""The chart worker: one separate process (by default) that draws every chart.

The bot's process never imports matplotlib or numpy: it sends plain picklable values
(dataclasses of ints, strings and dates) to the worker and gets back PNG bytes and alt
text. The pool starts on first use with the "spawn" method (a fresh interpreter that
inherits neither the event loop nor the gateway's sockets), warms matplotlib up in its
initializer, and is recreated if its process dies. Awaiting a chart leaves the event
loop free; charts beyond the pool's size wait their turn in the pool's queue.
"""

from __future__ import annotations

import asyncio
import importlib
import logging
import os
from concurrent.futures import BrokenExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from concurrent.futures import ProcessPoolExecutor

log = logging.getLogger(__name__)

# kind -> module with `render(data) -> RenderedChart` and `warm_up()`, imported only in
# the worker process.
RENDERERS = {
    "checkin_history": "bot.charts.checkin_history",
    "pulse_trend": "bot.charts.pulse_trend",
}


@dataclass(frozen=True)
class RenderedChart:
    """A PNG and the words that describe it."""

    png: bytes
    alt_text: str


def _start_worker() -> None:
    """Worker initializer: load matplotlib, apply the style, draw each kind once."""
    from bot.charts import style  # noqa: PLC0415 - loads matplotlib, in the worker only

    style.apply()
    for module in RENDERERS.values():
        importlib.import_module(module).warm_up()


def _render(kind: str, data: Any) -> RenderedChart:  # noqa: ANN401 - each kind has its own data
    """Run in the worker: draw one chart."""
    renderer = importlib.import_module(RENDERERS[kind])
    chart = renderer.render(data)
    if not isinstance(chart, RenderedChart):
        raise TypeError(f"the {kind} renderer returned {type(chart).__name__}")
    return chart


class ChartWorker:
    """The bot's handle on the chart process pool: started on first use, restarted on death."""

    def __init__(self, workers: int = 1) -> None:
        if workers < 1:
            raise ValueError("a chart worker pool needs at least one process")
        self.workers = workers
        self._pool: ProcessPoolExecutor | None = None
        self._closed = False

    def _executor(self) -> ProcessPoolExecutor:
        if self._closed:
            raise RuntimeError("the chart worker is closed")
        if self._pool is None:
            # Imported on first use: the process pool machinery is not needed to start the bot.
            import multiprocessing  # noqa: PLC0415
            from concurrent.futures import ProcessPoolExecutor  # noqa: PLC0415

            self._pool = ProcessPoolExecutor(
                max_workers=self.workers,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_start_worker,
            )
        return self._pool

    async def render(self, kind: str, data: object) -> RenderedChart:
        """Draw a chart of `kind` in the worker; a dead worker is replaced and tried once more."""
        if kind not in RENDERERS:
            raise ValueError(f"no chart renderer for {kind!r}")
        for attempt in (1, 2):
            pool = self._executor()
            try:
                return await asyncio.wrap_future(pool.submit(_render, kind, data))
            except BrokenExecutor:  # the process died (BrokenProcessPool)
                self._discard(pool)
                if attempt == 2:
                    raise
                log.warning("the chart worker died; starting a new one")
        raise AssertionError("unreachable")

    async def pids(self) -> list[int]:
        """The worker processes' ids, starting the pool if need be (for health checks, tests)."""
        for _ in range(2):
            pool = self._executor()
            try:
                await asyncio.wrap_future(pool.submit(os.getpid))
            except BrokenExecutor:  # the process died (BrokenProcessPool)
                self._discard(pool)
                continue
            # The executor keeps no public list of its processes; it is read, never changed.
            return sorted(pool._processes)
        raise BrokenExecutor("the chart worker could not be started")

    def _discard(self, pool: ProcessPoolExecutor) -> None:
        if self._pool is pool:
            self._pool = None
        pool.shutdown(wait=False, cancel_futures=True)

    async def close(self) -> None:
        """Stop the worker processes (waiting in a thread, so the event loop stays free)."""
        self._closed = True
        pool, self._pool = self._pool, None
        if pool is not None:
            await asyncio.to_thread(pool.shutdown, wait=True, cancel_futures=True)
