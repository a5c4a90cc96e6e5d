"""Seeded random failures for the sandbox server: 429s and 5xx on chosen routes.

`RandomFailures.pick` decides, per request, whether to fail it and how. A 5xx may be
"lost reply": the server does the work (a message is created) and then answers 5xx,
as when Discord's answer is lost on the way back, so the client cannot know it
succeeded. Such retries are what Discord's message `nonce` + `enforce_nonce` is for.
"""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass, field

DM_ROUTES: frozenset[str] = frozenset(
    {"POST /users/@me/channels", "POST /channels/{channel_id}/messages"}
)
STATUSES: tuple[int, ...] = (429, 500, 502, 503)


@dataclass(frozen=True)
class Injection:
    """One failure to answer with: its status, and whether the work was done first."""

    status: int
    after_effect: bool = False


@dataclass
class RandomFailures:
    """Fail `rate` of the requests to `routes` with a status drawn from `statuses`."""

    rate: float
    routes: frozenset[str] = DM_ROUTES
    statuses: tuple[int, ...] = STATUSES
    seed: int = 0
    retry_after: float = 0.05
    lost_reply_share: float = 0.0
    injected: Counter[int] = field(default_factory=Counter)
    lost_replies: int = 0
    _rng: random.Random = field(init=False, repr=False)

    def __post_init__(self) -> None:
        if not 0 <= self.rate <= 1 or not 0 <= self.lost_reply_share <= 1:
            raise ValueError("rate and lost_reply_share are fractions between 0 and 1")
        unknown = set(self.statuses) - set(STATUSES)
        if not self.statuses or unknown:
            raise ValueError(f"statuses must be among {STATUSES}")
        self._rng = random.Random(self.seed)  # noqa: S311 - reproducible chaos, not security

    def pick(self, route: str) -> Injection | None:
        """Whether to fail this request to `route` (a "METHOD /template" key), and how."""
        if route not in self.routes or self._rng.random() >= self.rate:
            return None
        status = self._rng.choice(self.statuses)
        after = status >= 500 and self._rng.random() < self.lost_reply_share
        self.injected[status] += 1
        self.lost_replies += after
        return Injection(status, after)

    @property
    def total(self) -> int:
        """Failures injected so far."""
        return sum(self.injected.values())
