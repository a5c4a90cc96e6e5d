"""Backoff: exponential with jitter, capped, never sooner than Discord's retry_after."""

# ruff: noqa: S311 - seeded generators make jitter reproducible

from __future__ import annotations

import random
from datetime import timedelta

import pytest

from bot.delivery.backoff import Backoff


def test_delays_grow_exponentially_within_the_jitter_band() -> None:
    backoff = Backoff(base=timedelta(seconds=2), cap=timedelta(minutes=15))
    rng = random.Random(7)
    for attempt, ceiling in [(1, 2), (2, 4), (3, 8), (6, 64)]:
        for _ in range(50):
            seconds = backoff.delay(attempt, rng).total_seconds()
            assert ceiling / 2 <= seconds <= ceiling


def test_delays_are_capped() -> None:
    backoff = Backoff(base=timedelta(seconds=2), cap=timedelta(minutes=15))
    assert backoff.delay(40, random.Random(1)) <= timedelta(minutes=15)
    assert backoff.delay(40, random.Random(1)) >= timedelta(minutes=7, seconds=30)


def test_retry_after_is_a_floor() -> None:
    backoff = Backoff(base=timedelta(seconds=2))
    assert backoff.delay(1, random.Random(3), retry_after=30.0) == timedelta(seconds=30)
    assert backoff.delay(1, random.Random(3), retry_after=0.1) >= timedelta(seconds=1)


def test_jitter_is_reproducible_with_a_seeded_rng_and_spreads_retries() -> None:
    backoff = Backoff()
    first = [backoff.delay(4, random.Random(42)) for _ in range(3)]
    assert len(set(first)) == 1
    rng = random.Random(42)
    spread = {backoff.delay(4, rng) for _ in range(20)}
    assert len(spread) == 20


def test_attempts_count_from_one() -> None:
    with pytest.raises(ValueError, match="from 1"):
        Backoff().delay(0, random.Random())
