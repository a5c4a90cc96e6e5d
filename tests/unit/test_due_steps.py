"""Due steps on real time: none waits behind delivery, and none is started twice."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

import pytest

from bot.clock import VirtualClock
from bot.scheduling import DueSteps


async def _settle() -> None:
    for _ in range(5):
        await asyncio.sleep(0)


async def test_a_due_step_runs_on_time_while_delivery_is_held(clock: VirtualClock) -> None:
    steps = DueSteps()
    held = asyncio.Event()
    delivering: list[datetime] = []
    opened: list[datetime] = []

    async def deliver(now: datetime) -> int:
        delivering.append(now)
        await held.wait()  # a fan-out in progress
        return 1

    async def open_checkins(now: datetime) -> int:
        opened.append(now)
        return 0

    steps.register("checkin_open", open_checkins)
    steps.register("delivery", deliver, background=True)
    steps.start(clock)
    try:
        steps.tick(clock.now())
        await _settle()
        assert len(delivering) == 1
        assert steps.running("delivery")
        first = clock.now()
        clock.advance(timedelta(seconds=60))
        steps.tick(clock.now())
        await _settle()
        # The open ran at both ticks, while the fan-out was still held.
        assert opened == [first, clock.now()]
        assert len(delivering) == 1
    finally:
        held.set()
        await steps.stop()


async def test_a_step_still_running_is_not_started_twice(clock: VirtualClock) -> None:
    steps = DueSteps()
    held = asyncio.Event()
    calls: list[datetime] = []

    async def slow(now: datetime) -> int:
        calls.append(now)
        await held.wait()
        return 0

    steps.register("retention", slow)
    steps.start(clock)
    try:
        steps.tick(clock.now())
        await _settle()
        steps.tick(clock.now())
        await _settle()
        assert await steps.run_due(clock.now()) == {}  # skipped, not run a second time
        assert len(calls) == 1
        held.set()
        await _settle()
        steps.tick(clock.now())
        await _settle()
        assert len(calls) == 2
    finally:
        held.set()
        await steps.stop()


async def test_a_step_with_effects_wakes_delivery_and_run_due_delivers_last(
    clock: VirtualClock,
) -> None:
    steps = DueSteps()
    order: list[str] = []
    woke = asyncio.Event()

    async def deliver(now: datetime) -> int:
        order.append("delivery")
        woke.set()
        return 0

    async def queue_dms(now: datetime) -> int:
        order.append("reminders")
        return 3

    steps.register("delivery", deliver, background=True)
    steps.register("reminders", queue_dms)
    assert await steps.run_due(clock.now()) == {"reminders": 3, "delivery": 0}
    assert order == ["reminders", "delivery"]
    steps.start(clock)
    try:
        order.clear()
        steps.tick(clock.now())
        await asyncio.wait_for(woke.wait(), 1)
        assert "reminders" in order
        assert "delivery" in order
    finally:
        await steps.stop()


async def test_an_uncounted_step_logs_that_it_ran_but_not_how_much(
    clock: VirtualClock, caplog: pytest.LogCaptureFixture
) -> None:
    # Delivery: while a pulse is open, its DMs sent can be the reminders, one for each
    # member who has not answered; that number must not reach the log.
    steps = DueSteps()

    async def deliver(now: datetime) -> int:
        return 7

    async def open_checkins(now: datetime) -> int:
        return 3

    steps.register("delivery", deliver, background=True, counted=False)
    steps.register("checkins.open", open_checkins)
    with caplog.at_level("DEBUG", logger="bot.scheduling"):
        await steps.run_due(clock.now())
    logged = [r.getMessage() for r in caplog.records]
    assert any("delivery" in line and line.endswith(": done") for line in logged)
    assert not any("7" in line.split(": ")[-1] for line in logged)
    assert any(
        line.endswith("checkins.open at 2026-03-02T09:00:00+00:00: 3 effect(s)") for line in logged
    )
