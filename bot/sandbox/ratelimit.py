"""Discord-like REST rate limits for the sandbox server (pure; time is injected).

Two layers, checked in this order for every request:

1. **Global**: at most ``global_per_second`` requests per bot token in any rolling
   1-second window (a sliding window of request times: stricter than fixed windows,
   so a client that passes here also passes Discord). Interaction callbacks pass
   ``exempt_global=True``, as on Discord. ``global_per_second=0`` disables it.
2. **Per route**: a bucket per (route template, major parameter), and per bot token
   unless the route is listed in ``shared_routes`` (then every token shares it, like
   Discord's per-resource "shared" limits). A bucket is a fixed window that opens at
   its first request, which is what ``X-RateLimit-Reset-After`` describes.

Default route limits (``route_limits`` entries replace or add to these):

==================================================  =====  ======
Route template                                      Limit  Window
==================================================  =====  ======
POST /channels/{channel_id}/messages                5      5 s
PATCH /channels/{channel_id}/messages/{message_id}  5      5 s
DELETE /channels/{channel_id}/messages/{message_id} 5      1 s
POST /users/@me/channels                            10     10 s
POST /webhooks/{webhook_id}/{webhook_token}         5      2 s
any other route                                     50     1 s
==================================================  =====  ======

Rejected requests consume nothing. 429 answers follow what discord.py 2.7 needs
(``discord/http.py``): a JSON body with ``retry_after`` and ``global`` (used to sleep
and retry), and a ``Via`` header (without it discord.py assumes a Cloudflare ban and
raises instead of retrying).
"""

from __future__ import annotations

import hashlib
import math
import time
from collections import Counter, deque
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

Scope = Literal["user", "global", "shared"]

DEFAULT_ROUTE_LIMITS: Mapping[str, tuple[int, float]] = {
    "POST /channels/{channel_id}/messages": (5, 5.0),
    "PATCH /channels/{channel_id}/messages/{message_id}": (5, 5.0),
    "DELETE /channels/{channel_id}/messages/{message_id}": (5, 1.0),
    "POST /users/@me/channels": (10, 10.0),
    "POST /webhooks/{webhook_id}/{webhook_token}": (5, 2.0),
}
DEFAULT_LIMIT: tuple[int, float] = (50, 1.0)
_PRUNE_AT = 10_000


@dataclass(frozen=True)
class Decision:
    """Outcome of one request: whether to serve it, and the headers to send."""

    allowed: bool
    headers: dict[str, str]
    retry_after: float
    scope: Scope


@dataclass
class RateLimitCounters:
    """429s issued: all of them, the global ones, and all of them by route template."""

    total: int = 0
    global_count: int = 0
    per_route: Counter[str] = field(default_factory=Counter)


@dataclass
class _Bucket:
    limit: int
    period: float
    used: int = 0
    resets_at: float | None = None


def bucket_hash(route: str) -> str:
    """A stable opaque id for a route template (``X-RateLimit-Bucket``)."""
    return hashlib.blake2b(route.encode(), digest_size=16).hexdigest()


def _ceil_ms(seconds: float) -> float:
    # Round up so a client that waits exactly this long is never early.
    return math.ceil(max(seconds, 0.0) * 1000) / 1000


class RateLimiter:
    """Decides, per request, whether a bot is over Discord-like rate limits."""

    def __init__(
        self,
        *,
        global_per_second: int = 50,
        now: Callable[[], float] = time.monotonic,
        route_limits: Mapping[str, tuple[int, float]] | None = None,
        wall: Callable[[], float] = time.time,
        default_limit: tuple[int, float] = DEFAULT_LIMIT,
        shared_routes: Collection[str] = (),
    ) -> None:
        self.global_per_second = global_per_second
        self._now = now
        self._wall = wall
        self._limits = {**DEFAULT_ROUTE_LIMITS, **(route_limits or {})}
        self._default = default_limit
        self._shared = frozenset(shared_routes)
        self._buckets: dict[tuple[str, str, str | None], _Bucket] = {}
        self._recent: dict[str, deque[float]] = {}
        self.counters = RateLimitCounters()

    def check(
        self,
        *,
        bot_token: str,
        method: str,
        route: str,
        major: str | None,
        exempt_global: bool = False,
    ) -> Decision:
        """Record one request and decide whether it may be served.

        ``route`` is the template (``"POST /channels/{channel_id}/messages"``); a
        template given without its method gets ``method`` prefixed.
        """
        if not route.startswith(f"{method.upper()} "):
            route = f"{method.upper()} {route}"
        now = self._now()
        shared = route in self._shared
        bucket = self._bucket(("" if shared else bot_token, route, major), route, now)
        recent = self._recent.setdefault(bot_token, deque())
        while recent and recent[0] <= now - 1.0:
            recent.popleft()

        if not exempt_global and 0 < self.global_per_second <= len(recent):
            wait = _ceil_ms(recent[0] + 1.0 - now)
            return self._reject(route, bucket, now, wait, "global")
        if bucket.used >= bucket.limit:
            wait = _ceil_ms((bucket.resets_at or now) - now)
            return self._reject(route, bucket, now, wait, "shared" if shared else "user")

        if not exempt_global:
            recent.append(now)
        bucket.used += 1
        if bucket.resets_at is None:
            bucket.resets_at = now + bucket.period
        return Decision(
            True, self._headers(route, bucket, now), 0.0, "shared" if shared else "user"
        )

    def rate_limited_body(self, decision: Decision) -> dict[str, Any]:
        """The JSON body of a 429 answer."""
        return {
            "message": "You are being rate limited.",
            "retry_after": decision.retry_after,
            "global": decision.scope == "global",
            "code": 0,
        }

    def response_headers_for_429(self, decision: Decision) -> dict[str, str]:
        """All headers of a 429 answer (bucket headers, Retry-After, scope, Via)."""
        headers = {
            **decision.headers,
            "Retry-After": str(math.ceil(decision.retry_after)),
            "X-RateLimit-Scope": decision.scope,
            "Via": "1.1 google",
        }
        if decision.scope == "global":
            headers["X-RateLimit-Global"] = "true"
        return headers

    def _bucket(self, key: tuple[str, str, str | None], route: str, now: float) -> _Bucket:
        if len(self._buckets) > _PRUNE_AT:
            self._buckets = {
                k: b for k, b in self._buckets.items() if b.resets_at and b.resets_at > now
            }
        bucket = self._buckets.get(key)
        if bucket is None:
            limit, period = self._limits.get(route, self._default)
            bucket = self._buckets[key] = _Bucket(limit, period)
        if bucket.resets_at is not None and bucket.resets_at <= now:
            bucket.used, bucket.resets_at = 0, None
        return bucket

    def _headers(self, route: str, bucket: _Bucket, now: float) -> dict[str, str]:
        reset_after = _ceil_ms((bucket.resets_at or now + bucket.period) - now)
        return {
            "X-RateLimit-Limit": str(bucket.limit),
            "X-RateLimit-Remaining": str(max(bucket.limit - bucket.used, 0)),
            "X-RateLimit-Reset": f"{self._wall() + reset_after:.3f}",
            "X-RateLimit-Reset-After": f"{reset_after:.3f}",
            "X-RateLimit-Bucket": bucket_hash(route),
        }

    def _reject(
        self, route: str, bucket: _Bucket, now: float, wait: float, scope: Scope
    ) -> Decision:
        self.counters.total += 1
        self.counters.per_route[route] += 1
        if scope == "global":
            self.counters.global_count += 1
        return Decision(False, self._headers(route, bucket, now), wait, scope)


class InvalidRequestCounter:
    """Counts 401, 403 and 429 answers in a rolling 10 minutes.

    Discord bans an IP for a while once this reaches 10,000. 429s of the "shared"
    scope are not counted, as on Discord.
    """

    WINDOW = 600.0
    BAN_THRESHOLD = 10_000

    def __init__(self, *, now: Callable[[], float] = time.monotonic) -> None:
        self._now = now
        self._times: deque[float] = deque()

    def record(self, status: int, *, scope: str | None = None) -> None:
        """Count one answer if Discord would count it as invalid."""
        if status in (401, 403) or (status == 429 and scope != "shared"):
            self._times.append(self._now())

    @property
    def count(self) -> int:
        """Invalid answers in the last 10 minutes."""
        cutoff = self._now() - self.WINDOW
        while self._times and self._times[0] <= cutoff:
            self._times.popleft()
        return len(self._times)

    @property
    def banned(self) -> bool:
        """Whether Discord would now refuse this client (count at the threshold)."""
        return self.count >= self.BAN_THRESHOLD
