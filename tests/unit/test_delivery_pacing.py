"""Pacing: the default limiter keeps every rolling second under Discord's global 50/s."""

from __future__ import annotations

import asyncio
import time

import pytest

from bot.delivery.pacing import steady_limiter


async def acquisition_times(per_second: float, count: int, *, burst: int = 1) -> list[float]:
    limiter = steady_limiter(per_second, burst=burst)
    times: list[float] = []

    async def one() -> None:
        async with limiter:
            times.append(time.monotonic())

    await asyncio.gather(*(one() for _ in range(count)))
    return sorted(times)


def most_in_any_window(times: list[float], window: float) -> int:
    best, left = 0, 0
    for right, moment in enumerate(times):
        while moment - times[left] >= window:
            left += 1
        best = max(best, right - left + 1)
    return best


async def test_steady_limiter_never_bursts_past_its_rate() -> None:
    # 200/s seen through 0.1 s windows: at most burst + 20 per window (47 per second at 45/s).
    times = await acquisition_times(200, 100, burst=2)
    assert most_in_any_window(times, 0.1) <= 2 + 20
    elapsed = times[-1] - times[0]
    assert (100 - 2) / 200 * 0.98 <= elapsed <= (100 - 2) / 200 * 1.5


def test_bad_rates_are_refused() -> None:
    with pytest.raises(ValueError, match="positive"):
        steady_limiter(0)
    with pytest.raises(ValueError, match="burst"):
        steady_limiter(10, burst=0)
