"""Exponential backoff with jitter that never retries sooner than Discord asked."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import timedelta


@dataclass(frozen=True)
class Backoff:
    """Delay before retry n (1-based): half of min(cap, base·2^(n-1)) plus a random half.

    "Equal jitter" keeps the delay growing (so retries spread out) while the random
    half keeps many failed DMs from retrying in lockstep.
    """

    base: timedelta = timedelta(seconds=2)
    cap: timedelta = timedelta(minutes=15)

    def delay(
        self, attempt: int, rng: random.Random, retry_after: float | None = None
    ) -> timedelta:
        """The wait after failed attempt number `attempt`; at least `retry_after` seconds."""
        if attempt < 1:
            raise ValueError("attempts are counted from 1")
        ceiling = min(self.cap.total_seconds(), self.base.total_seconds() * 2 ** (attempt - 1))
        jittered = ceiling / 2 + rng.uniform(0, ceiling / 2)
        return timedelta(seconds=max(jittered, retry_after or 0.0))
