"""Discord-like rate limits: buckets, the global limit, headers, and that discord.py
itself parses the headers and sleeps-and-retries on the 429s."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import discord
import pytest
from aiohttp import web
from discord.http import HTTPClient, Ratelimit, Route, handle_message_parameters
from multidict import CIMultiDict

from bot.sandbox.ratelimit import (
    DEFAULT_ROUTE_LIMITS,
    Decision,
    InvalidRequestCounter,
    RateLimiter,
    bucket_hash,
)

MESSAGES = "POST /channels/{channel_id}/messages"
DM_OPEN = "POST /users/@me/channels"


class FakeClock:
    def __init__(self, start: float = 1000.0) -> None:
        self.t = start

    def __call__(self) -> float:
        return self.t

    def advance(self, seconds: float) -> None:
        self.t += seconds


WALL = 1_700_000_000.0


def limiter(clock: FakeClock, **kwargs: Any) -> RateLimiter:
    return RateLimiter(now=clock, wall=lambda: WALL + clock.t, **kwargs)


BOT = "bot"


def send(lim: RateLimiter, channel: str = "1", token: str = BOT, **kw: Any) -> Decision:
    return lim.check(bot_token=token, method="POST", route=MESSAGES, major=channel, **kw)


# --- route buckets --------------------------------------------------------------------


def test_allowed_under_limit_then_429_with_retry_after() -> None:
    clock = FakeClock()
    lim = limiter(clock)
    remaining = []
    for _ in range(5):
        decision = send(lim)
        assert decision.allowed
        remaining.append(decision.headers["X-RateLimit-Remaining"])
        clock.advance(0.5)
    assert remaining == ["4", "3", "2", "1", "0"]
    denied = send(lim)
    assert not denied.allowed
    assert denied.scope == "user"
    # Window opened at t=1000 for 5 s; we are at 1002.5.
    assert denied.retry_after == pytest.approx(2.5)
    assert lim.counters.total == 1
    assert lim.counters.per_route[MESSAGES] == 1
    assert lim.counters.global_count == 0


def test_recovers_after_window() -> None:
    clock = FakeClock()
    lim = limiter(clock)
    for _ in range(5):
        assert send(lim).allowed
    denied = send(lim)
    assert not denied.allowed
    clock.advance(denied.retry_after - 0.001)
    assert not send(lim).allowed
    clock.advance(0.001)
    decision = send(lim)
    assert decision.allowed
    assert decision.headers["X-RateLimit-Remaining"] == "4"
    assert decision.headers["X-RateLimit-Reset-After"] == "5.000"


def test_rejected_requests_consume_nothing() -> None:
    clock = FakeClock()
    lim = limiter(clock)
    for _ in range(5):
        send(lim)
    for _ in range(20):
        assert not send(lim).allowed
    clock.advance(5.0)
    assert all(send(lim).allowed for _ in range(5))
    assert lim.counters.total == 20


def test_buckets_per_major_parameter_are_independent() -> None:
    clock = FakeClock()
    lim = limiter(clock)
    for _ in range(5):
        assert send(lim, channel="1").allowed
    assert not send(lim, channel="1").allowed
    assert send(lim, channel="2").allowed
    # Another bot token has its own buckets too.
    assert send(lim, channel="1", token="other").allowed


def test_routes_are_independent_and_default_limit_applies() -> None:
    clock = FakeClock()
    lim = limiter(clock)
    for _ in range(5):
        send(lim)
    get = lim.check(bot_token="bot", method="GET", route="GET /users/@me", major=None)
    assert get.allowed
    assert get.headers["X-RateLimit-Limit"] == "50"
    assert get.headers["X-RateLimit-Reset-After"] == "1.000"


def test_dm_opening_limit() -> None:
    clock = FakeClock()
    lim = limiter(clock)
    decisions = [
        lim.check(bot_token="bot", method="POST", route=DM_OPEN, major=None) for _ in range(11)
    ]
    assert [d.allowed for d in decisions] == [True] * 10 + [False]
    assert decisions[-1].retry_after == pytest.approx(10.0)


def test_route_limits_override_defaults() -> None:
    clock = FakeClock()
    lim = limiter(clock, route_limits={MESSAGES: (2, 1.0), "GET /gateway": (1, 60.0)})
    assert [send(lim).allowed for _ in range(3)] == [True, True, False]
    assert DEFAULT_ROUTE_LIMITS[DM_OPEN] == (10, 10.0)  # others untouched
    gateway = [lim.check(bot_token="b", method="GET", route="GET /gateway", major=None)]
    gateway.append(lim.check(bot_token="b", method="GET", route="GET /gateway", major=None))
    assert [d.allowed for d in gateway] == [True, False]


def test_route_without_method_prefix_is_normalised() -> None:
    clock = FakeClock()
    lim = limiter(clock)
    for _ in range(5):
        lim.check(bot_token="b", method="post", route="/channels/{channel_id}/messages", major="1")
    assert not send(lim, token="b").allowed


def test_shared_scope_spans_bot_tokens() -> None:
    clock = FakeClock()
    route = "PUT /channels/{channel_id}/messages/{message_id}/reactions/{emoji}/@me"
    lim = limiter(clock, route_limits={route: (1, 0.25)}, shared_routes=[route])
    first = lim.check(bot_token="a", method="PUT", route=route, major="1")
    second = lim.check(bot_token="b", method="PUT", route=route, major="1")
    assert first.allowed
    assert first.scope == "shared"
    assert not second.allowed
    assert second.scope == "shared"
    assert lim.response_headers_for_429(second)["X-RateLimit-Scope"] == "shared"


# --- global limit ---------------------------------------------------------------------


def test_global_limit_sliding_window() -> None:
    clock = FakeClock()
    lim = limiter(clock, global_per_second=3)
    for channel in "123":
        assert send(lim, channel=channel).allowed
        clock.advance(0.2)
    denied = send(lim, channel="4")
    assert not denied.allowed
    assert denied.scope == "global"
    assert denied.retry_after == pytest.approx(0.4)  # oldest at 1000.0, now 1000.6
    assert lim.rate_limited_body(denied)["global"] is True
    assert lim.counters.global_count == 1
    clock.advance(0.4)
    assert send(lim, channel="4").allowed  # the first request left the window


def test_global_limit_is_per_token() -> None:
    clock = FakeClock()
    lim = limiter(clock, global_per_second=1)
    assert send(lim, channel="1", token="a").allowed
    assert send(lim, channel="2", token="b").allowed
    assert not send(lim, channel="3", token="a").allowed


def test_interaction_callbacks_are_exempt_from_global() -> None:
    clock = FakeClock()
    lim = limiter(clock, global_per_second=1)
    assert send(lim, channel="1").allowed
    callback = "POST /interactions/{interaction_id}/{interaction_token}/callback"
    for i in range(10):
        decision = lim.check(
            bot_token="bot", method="POST", route=callback, major=str(i), exempt_global=True
        )
        assert decision.allowed
    # Exempt requests did not fill the window either.
    clock.advance(1.0)
    assert send(lim, channel="2").allowed


def test_global_zero_disables_it() -> None:
    clock = FakeClock()
    lim = limiter(clock, global_per_second=0)
    assert all(send(lim, channel=str(i)).allowed for i in range(500))


def test_global_checked_before_route() -> None:
    clock = FakeClock()
    lim = limiter(clock, global_per_second=5)
    for _ in range(5):
        send(lim)
    denied = send(lim)
    assert denied.scope == "global"


# --- headers and bodies ---------------------------------------------------------------


def test_allowed_headers() -> None:
    clock = FakeClock()
    lim = limiter(clock)
    decision = send(lim)
    assert decision.headers == {
        "X-RateLimit-Limit": "5",
        "X-RateLimit-Remaining": "4",
        "X-RateLimit-Reset": f"{WALL + clock.t + 5.0:.3f}",
        "X-RateLimit-Reset-After": "5.000",
        "X-RateLimit-Bucket": bucket_hash(MESSAGES),
    }
    clock.advance(1.2345)
    later = send(lim)
    assert later.headers["X-RateLimit-Reset-After"] == "3.766"  # rounded up
    assert float(later.headers["X-RateLimit-Reset"]) == pytest.approx(WALL + 1005.0, abs=0.002)


def test_bucket_hash_is_stable_and_per_route() -> None:
    assert bucket_hash(MESSAGES) == bucket_hash(MESSAGES)
    assert bucket_hash(MESSAGES) != bucket_hash(DM_OPEN)
    assert len(bucket_hash(MESSAGES)) == 32


def test_429_body_and_headers() -> None:
    clock = FakeClock()
    lim = limiter(clock)
    for _ in range(5):
        send(lim)
    clock.advance(0.1)
    denied = send(lim)
    body = lim.rate_limited_body(denied)
    assert body == {
        "message": "You are being rate limited.",
        "retry_after": 4.9,
        "global": False,
        "code": 0,
    }
    headers = lim.response_headers_for_429(denied)
    assert headers["Via"] == "1.1 google"
    assert headers["Retry-After"] == "5"
    assert headers["X-RateLimit-Scope"] == "user"
    assert "X-RateLimit-Global" not in headers
    assert headers["X-RateLimit-Remaining"] == "0"
    assert headers["X-RateLimit-Bucket"] == bucket_hash(MESSAGES)


def test_global_429_headers() -> None:
    clock = FakeClock()
    lim = limiter(clock, global_per_second=1)
    send(lim, channel="1")
    clock.advance(0.3)
    headers = lim.response_headers_for_429(send(lim, channel="2"))
    assert headers["X-RateLimit-Global"] == "true"
    assert headers["X-RateLimit-Scope"] == "global"
    assert headers["Retry-After"] == "1"


async def test_discord_py_ratelimit_parses_our_headers() -> None:
    clock = FakeClock()
    lim = limiter(clock)
    for _ in range(4):
        send(lim)
    decision = send(lim)

    @dataclass
    class Response:  # the only attribute Ratelimit.update reads
        headers: CIMultiDict[str] = field(default_factory=CIMultiDict)

    bucket = Ratelimit(max_ratelimit_timeout=None)
    bucket.update(Response(CIMultiDict(decision.headers)))  # type: ignore[arg-type]
    assert bucket.limit == 5
    assert bucket.remaining == 0
    assert bucket.reset_after == pytest.approx(5.0)
    # With use_clock discord.py reads X-RateLimit-Reset against the wall clock instead.
    real = RateLimiter()
    fresh = real.check(bot_token="b", method="POST", route=MESSAGES, major="1")
    bucket.update(Response(CIMultiDict(fresh.headers)), use_clock=True)  # type: ignore[arg-type]
    assert 4.5 < bucket.reset_after <= 5.01


# --- invalid request counter ----------------------------------------------------------


def test_invalid_request_counter_rolls_over_ten_minutes() -> None:
    clock = FakeClock()
    counter = InvalidRequestCounter(now=clock)
    for status in (200, 204, 400, 401, 403, 404, 429, 500):
        counter.record(status)
    assert counter.count == 3
    counter.record(429, scope="shared")
    assert counter.count == 3
    clock.advance(599.0)
    counter.record(401)
    assert counter.count == 4
    clock.advance(1.0)
    assert counter.count == 1
    assert not counter.banned


def test_invalid_request_counter_threshold() -> None:
    clock = FakeClock()
    counter = InvalidRequestCounter(now=clock)
    for _ in range(10_000):
        counter.record(403)
    assert counter.count == 10_000
    assert counter.banned


# --- the real discord.py client against a loopback server -----------------------------


@dataclass
class Served:
    url: str
    limiter: RateLimiter
    statuses: list[int]


Serve = Callable[[RateLimiter], Awaitable[Served]]
RL_HEADERS = web.RequestKey("rl_headers", dict[str, str])


@pytest.fixture
async def serve(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Serve]:
    runners: list[web.AppRunner] = []

    async def start(lim: RateLimiter) -> Served:
        statuses: list[int] = []

        def reply(status: int, body: dict[str, Any], headers: dict[str, str]) -> web.Response:
            statuses.append(status)
            # Exactly "application/json": with a charset discord.py reads the body as text.
            return web.Response(
                status=status,
                body=json.dumps(body).encode(),
                headers={**headers, "Content-Type": "application/json"},
            )

        def gate(request: web.Request, route: str, major: str | None) -> web.Response | None:
            token = request.headers["Authorization"].removeprefix("Bot ")
            decision = lim.check(bot_token=token, method=request.method, route=route, major=major)
            if decision.allowed:
                request[RL_HEADERS] = decision.headers
                return None
            return reply(
                429, lim.rate_limited_body(decision), lim.response_headers_for_429(decision)
            )

        async def me(request: web.Request) -> web.Response:
            # An aiohttp Response is falsy (an empty mapping): compare with None.
            denied = gate(request, "GET /users/@me", None)
            if denied is not None:
                return denied
            user = {"id": "1", "username": "bot", "discriminator": "0", "avatar": None}
            return reply(200, user, request[RL_HEADERS])

        async def post_message(request: web.Request) -> web.Response:
            channel = request.match_info["channel_id"]
            denied = gate(request, MESSAGES, channel)
            if denied is not None:
                return denied
            payload = await request.json()
            return reply(200, {"id": "9", "channel_id": channel, **payload}, request[RL_HEADERS])

        app = web.Application()
        app.router.add_get("/api/v10/users/@me", me)
        app.router.add_post("/api/v10/channels/{channel_id}/messages", post_message)
        runner = web.AppRunner(app)
        await runner.setup()
        runners.append(runner)
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = runner.addresses[0][1]
        url = f"http://127.0.0.1:{port}/api/v10"
        monkeypatch.setattr(Route, "BASE", url)
        return Served(url, lim, statuses)

    yield start
    for runner in runners:
        await runner.cleanup()


async def _client() -> HTTPClient:
    http = HTTPClient(asyncio.get_running_loop())
    await http.static_login("sandbox-token")
    return http


async def _post(http: HTTPClient, channel: int, text: str) -> Any:
    with handle_message_parameters(content=text) as params:
        return await http.send_message(channel, params=params)


async def test_discord_py_retries_after_global_429(serve: Serve) -> None:
    served = await serve(RateLimiter(global_per_second=3))
    http = await _client()  # GET /users/@me uses one of the 3
    try:
        results = await asyncio.gather(*(_post(http, c, f"m{c}") for c in range(1, 6)))
    finally:
        await http.close()
    assert sorted(r["content"] for r in results) == [f"m{c}" for c in range(1, 6)]
    assert 429 in served.statuses
    assert served.limiter.counters.global_count >= 1
    assert served.statuses.count(200) == 6


async def test_discord_py_retries_after_route_429(serve: Serve) -> None:
    # Two clients with one token (two processes): the one that loses the race does not
    # know the bucket is spent, gets a 429 of scope "user", sleeps retry_after, succeeds.
    served = await serve(RateLimiter(route_limits={MESSAGES: (1, 0.3)}))
    first, second = await _client(), await _client()
    try:
        results = await asyncio.gather(_post(first, 7, "a"), _post(second, 7, "b"))
    finally:
        await first.close()
        await second.close()
    assert [r["content"] for r in results] == ["a", "b"]
    assert served.statuses.count(429) == 1
    assert served.limiter.counters.per_route[MESSAGES] == 1


async def test_discord_py_raises_without_via_header(serve: Serve) -> None:
    # Guards the reason response_headers_for_429 sets Via: without it discord.py gives up.
    served = await serve(RateLimiter(route_limits={MESSAGES: (1, 0.3)}))
    original = served.limiter.response_headers_for_429

    def without_via(decision: Decision) -> dict[str, str]:
        headers = original(decision)
        del headers["Via"]
        return headers

    served.limiter.response_headers_for_429 = without_via  # type: ignore[method-assign]
    first, second = await _client(), await _client()
    try:
        results = await asyncio.gather(
            _post(first, 7, "a"), _post(second, 7, "b"), return_exceptions=True
        )
    finally:
        await first.close()
        await second.close()
    errors = [r for r in results if isinstance(r, BaseException)]
    assert len(errors) == 1
    assert isinstance(errors[0], discord.HTTPException)
    assert errors[0].status == 429


def test_interaction_endpoints_are_not_bound_to_the_global_limit() -> None:
    """Discord exempts interaction endpoints, follow-up webhooks included, from the global
    limit; a sandbox that counted them would reject follow-ups Discord accepts."""
    from bot.sandbox.callbacks import InteractionRoutes

    routes = InteractionRoutes.routes(object.__new__(InteractionRoutes))
    assert {r.key for r in routes if not r.exempt_global} == set()
    assert any(r.template.startswith("/webhooks/") for r in routes)
