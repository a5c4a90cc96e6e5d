"""Pacing under Discord's global limit of 50 requests per second per bot.

`steady_limiter` keeps a steady pace under a known limit. `AdaptivePacer` adds what a
known limit cannot: when Discord answers with a *global* 429 anyway (another process on
the same token, a stricter limit than documented), every request waits behind one shared
"resume at" gate and the pace halves (down to a floor); successes raise it back step by
step to the configured rate (additive increase, multiplicative decrease).
"""

from __future__ import annotations

import asyncio
import logging
from contextlib import AbstractAsyncContextManager
from contextvars import ContextVar
from types import TracebackType

from aiolimiter import AsyncLimiter

log = logging.getLogger(__name__)

# Measured (tests/benchmarks/bench_dm_fanout.py, 1,000 DMs against the sandbox's 50/s):
# 45/s takes 1.11x the ideal time; 47/s 1.065x with at most 49 requests in any rolling
# second and no 429; 48/s touches 50; 49/s earns 429s.
DEFAULT_PER_SECOND = 47.0
DEFAULT_DM_OPENS_PER_SECOND = 1.0  # opening DMs too fast earns error 40003
FLOOR_PER_SECOND = 1.0
# Each success in the current pace raises it by this much (requests/s): from half of a
# 3/s limit back to the limit in about 15 requests, from 23.5/s back to 47/s in 235.
INCREASE_PER_SUCCESS = 0.1

# The pace "epoch" in which the current task was last admitted (see `AdaptivePacer`).
_admitted: ContextVar[int | None] = ContextVar("peerpulse_pacer_admitted", default=None)


def steady_limiter(per_second: float = DEFAULT_PER_SECOND, *, burst: int = 2) -> AsyncLimiter:
    """A limiter admitting `per_second` on average and at most `burst` at once.

    aiolimiter's bucket holds `max_rate` acquisitions: `AsyncLimiter(45, 1)` lets 45
    through at once and then 45 more within the same second — 90 in one rolling
    second, far over Discord's 50. A small bucket drained at the same rate keeps any
    rolling second at or under `burst + per_second`; a burst of 2 rather than 1 absorbs
    the event loop's late wake-ups (measured: 5% under the rate with 1, 1% with 2).
    """
    if per_second <= 0 or burst < 1:
        raise ValueError("per_second must be positive and burst at least 1")
    return AsyncLimiter(burst, burst / per_second)


class AdaptivePacer(AbstractAsyncContextManager[None]):
    """Paces requests at up to `per_second`, slowing down on global 429s.

    `async with pacer:` waits for a turn. The HTTP layer calls `before_request` for every
    request it sends (so a library's own retries are paced too: a turn taken with
    `async with` covers the one request that follows it in the same task, unless the pace
    changed meanwhile) and `after_response` with each answer.

    Each slow-down starts a new epoch: 429s for requests sent under an older, faster pace
    extend the gate but do not slow down again, so one burst counts as one signal.
    """

    def __init__(
        self,
        per_second: float = DEFAULT_PER_SECOND,
        *,
        floor: float = FLOOR_PER_SECOND,
        burst: int = 2,
        increase: float = INCREASE_PER_SUCCESS,
    ) -> None:
        if not 0 < floor <= per_second:
            raise ValueError("the floor must be positive and at most the rate")
        self.ceiling = per_second
        self.floor = floor
        self.rate = per_second
        self._increase = increase
        self._steady = steady_limiter(per_second, burst=burst)
        self._resume_at = 0.0  # event-loop time before which nothing is sent
        self._next_slot = 0.0  # when slowed down: the earliest time of the next turn
        self._epoch = 0

    @property
    def epoch(self) -> int:
        """How many times the pace has been lowered."""
        return self._epoch

    async def __aenter__(self) -> None:
        _admitted.set(await self._turn())

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        return None

    async def before_request(self) -> int:
        """Wait for this request's turn (unless `async with` just gave it one); its epoch."""
        admitted = _admitted.get()
        _admitted.set(None)
        loop = asyncio.get_running_loop()
        if admitted == self._epoch and loop.time() >= self._resume_at:
            return admitted
        return await self._turn()

    def after_response(
        self, epoch: int | None, *, ok: bool, global_limit: bool, retry_after: float = 1.0
    ) -> None:
        """Learn from one answer: `epoch` is what `before_request` returned (None: unpaced)."""
        now = asyncio.get_running_loop().time()
        if global_limit:
            self._resume_at = max(self._resume_at, now + max(retry_after, 0.0))
            self._next_slot = max(self._next_slot, self._resume_at)
            if epoch == self._epoch:
                # Turns planned at the old pace are void: their waiters plan again.
                self._next_slot = self._resume_at
                self._epoch += 1
                self.rate = max(self.floor, self.rate / 2)
                log.warning(
                    "global rate limit reached: every request waits %.2f s, then %.1f/s",
                    retry_after,
                    self.rate,
                )
        elif ok and epoch == self._epoch and self.rate < self.ceiling:
            self.rate = min(self.ceiling, self.rate + self._increase)
            if self.rate == self.ceiling:
                log.info("back to the full pace of %.1f requests/s", self.rate)

    async def _turn(self) -> int:
        loop = asyncio.get_running_loop()
        while True:
            now = loop.time()
            if now < self._resume_at:
                await asyncio.sleep(self._resume_at - now)
                continue
            epoch = self._epoch
            if self.rate < self.ceiling:
                # Slowed down: one turn every 1/rate seconds, bursts not allowed.
                slot = max(now, self._next_slot)
                self._next_slot = slot + 1 / self.rate
                if slot > now:
                    await asyncio.sleep(slot - now)
            else:
                await self._steady.acquire()
            if epoch == self._epoch and loop.time() >= self._resume_at:
                return epoch
