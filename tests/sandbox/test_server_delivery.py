"""What the DM outbox relies on: message nonces, seeded 429/5xx, and replies held back."""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp
import pytest

from bot.sandbox import SandboxServer
from bot.sandbox.chaos import RandomFailures

MESSAGES = "POST /channels/{channel_id}/messages"


async def dm_channel(http: aiohttp.ClientSession, user_id: int) -> str:
    async with http.post("users/@me/channels", json={"recipient_id": user_id}) as response:
        return str((await response.json())["id"])


async def post(http: aiohttp.ClientSession, channel: str, body: dict[str, Any]) -> Any:
    async with http.post(f"channels/{channel}/messages", json=body) as response:
        return response.status, await response.json()


async def test_enforce_nonce_returns_the_first_message_and_creates_none(
    server: SandboxServer, world, http: aiohttp.ClientSession
) -> None:
    channel = await dm_channel(http, world.members[0])
    first = await post(http, channel, {"content": "hi", "nonce": "pp1", "enforce_nonce": True})
    again = await post(http, channel, {"content": "hi", "nonce": "pp1", "enforce_nonce": True})
    assert first[0] == again[0] == 200
    assert first[1]["id"] == again[1]["id"]
    assert first[1]["nonce"] == "pp1"
    assert len(server.dm_timeline(world.members[0])) == 1
    # Without enforce_nonce, or with another nonce, a new message is created.
    await post(http, channel, {"content": "hi", "nonce": "pp1"})
    await post(http, channel, {"content": "hi", "nonce": "pp2", "enforce_nonce": True})
    assert len(server.dm_timeline(world.members[0])) == 3


async def test_a_nonce_is_forgotten_after_the_window(
    server: SandboxServer, world, http: aiohttp.ClientSession
) -> None:
    channel = await dm_channel(http, world.members[0])
    await post(http, channel, {"content": "a", "nonce": "n", "enforce_nonce": True})
    server.world.nonce_window = server.world.nonce_window * 0
    await post(http, channel, {"content": "a", "nonce": "n", "enforce_nonce": True})
    assert len(server.dm_timeline(world.members[0])) == 2


async def test_random_failures_are_seeded_and_only_on_chosen_routes(
    server: SandboxServer, world, http: aiohttp.ClientSession, clock
) -> None:
    async def sixty() -> list[int]:
        statuses = []
        for i in range(60):
            clock.advance(1.1)  # stay inside the channel's 5-per-5-s bucket
            statuses.append((await post(http, channel, {"content": f"m{i}"}))[0])
        return statuses

    channel = await dm_channel(http, world.members[0])
    chaos = RandomFailures(rate=0.5, routes=frozenset({MESSAGES}), seed=1, lost_reply_share=0.5)
    server.inject_random_failures(chaos)
    statuses = await sixty()
    assert set(statuses) <= {200, 429, 500, 502, 503}
    assert 15 < statuses.count(200) < 45
    assert sum(chaos.injected.values()) == 60 - statuses.count(200)
    # Lost replies: the message exists although the answer was a 5xx.
    assert len(server.dm_timeline(world.members[0])) == statuses.count(200) + chaos.lost_replies
    assert chaos.lost_replies > 0
    assert (await dm_channel(http, world.members[1])).isdigit()  # other routes untouched
    rate_limited = next(r for r in server.requests_to("POST", MESSAGES) if r.status == 429)
    assert rate_limited.injected
    assert server.ratelimit_counters.total == 0  # injected 429s are not the limiter's

    replay = RandomFailures(rate=0.5, routes=frozenset({MESSAGES}), seed=1, lost_reply_share=0.5)
    server.inject_random_failures(replay)
    again = await sixty()
    assert again == statuses
    server.inject_random_failures(None)
    clock.advance(5)
    assert (await post(http, channel, {"content": "calm"}))[0] == 200


def test_random_failures_refuse_nonsense() -> None:
    with pytest.raises(ValueError, match="fractions"):
        RandomFailures(rate=1.5)
    with pytest.raises(ValueError, match="statuses"):
        RandomFailures(rate=0.1, statuses=(404,))


async def test_stalled_replies_do_the_work_but_answer_only_when_released(
    server: SandboxServer, world, http: aiohttp.ClientSession
) -> None:
    channel = await dm_channel(http, world.members[0])
    server.stall_replies("POST", "/channels/{channel_id}/messages")
    pending = asyncio.ensure_future(post(http, channel, {"content": "in flight"}))
    async with asyncio.timeout(5):
        while server.stalled_replies < 1:
            await asyncio.sleep(0.01)
    assert [m.content for m in server.dm_timeline(world.members[0])] == ["in flight"]
    assert not pending.done()
    server.release_replies()
    status, body = await asyncio.wait_for(pending, 5)
    assert status == 200
    assert body["content"] == "in flight"
