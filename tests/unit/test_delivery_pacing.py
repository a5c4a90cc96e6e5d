"""Pacing: the default limiter keeps every rolling second under Discord's global 50/s."""

from __future__ import annotations

import asyncio
import itertools
import time

import pytest

from bot.delivery.pacing import AdaptivePacer, steady_limiter


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


async def test_a_global_429_closes_one_gate_for_everyone_and_halves_the_pace_once() -> None:
    pacer = AdaptivePacer(40, floor=1)
    loop = asyncio.get_running_loop()
    epochs = [await pacer.before_request() for _ in range(3)]  # three requests in flight
    for epoch in epochs:  # all three are refused: one signal, not three
        pacer.after_response(epoch, ok=False, global_limit=True, retry_after=0.2)
    assert pacer.rate == 20
    assert pacer.epoch == 1
    started = loop.time()
    turns = []

    async def one() -> None:
        await pacer.before_request()
        turns.append(loop.time() - started)

    await asyncio.gather(*(one() for _ in range(4)))
    # Nobody before the gate opens, then one every 1/20 s (no burst while slowed down).
    assert min(turns) >= 0.19
    gaps = [b - a for a, b in itertools.pairwise(sorted(turns))]
    assert min(gaps) >= 0.045


async def test_the_pace_halves_down_to_the_floor_and_climbs_back_on_successes() -> None:
    pacer = AdaptivePacer(8, floor=1, increase=0.5)
    for _ in range(5):
        pacer.after_response(pacer.epoch, ok=False, global_limit=True, retry_after=0)
    assert pacer.rate == 1
    pacer.after_response(pacer.epoch - 1, ok=True, global_limit=False)  # sent at a faster pace
    assert pacer.rate == 1
    for _ in range(20):
        pacer.after_response(pacer.epoch, ok=True, global_limit=False)
    assert pacer.rate == 8


async def test_a_turn_taken_with_async_with_covers_the_next_request_only() -> None:
    pacer = AdaptivePacer(2, floor=1)
    loop = asyncio.get_running_loop()
    pacer.after_response(0, ok=False, global_limit=True, retry_after=0)  # now 1/s, no burst
    async with pacer:
        pass
    started = loop.time()
    await pacer.before_request()  # the turn `async with` took
    assert loop.time() - started < 0.05
    await pacer.before_request()  # a library's own retry waits for a turn of its own
    assert loop.time() - started >= 0.9
