"""Rate limits, injected 5xx and dropped gateway connections, through discord.py."""

from __future__ import annotations

import asyncio

import aiohttp
import discord
import pytest

from bot.sandbox import SandboxServer
from bot.sandbox.ratelimit import RateLimiter


async def test_route_429_has_discord_headers(
    server: SandboxServer, world, http: aiohttp.ClientSession, clock
) -> None:
    url = f"channels/{world.channel}/messages"
    statuses = []
    for index in range(6):
        async with http.post(url, json={"content": f"n{index}"}) as response:
            statuses.append(response.status)
            headers = response.headers
            body = await response.json()
            assert "X-RateLimit-Remaining" in headers
            assert "X-RateLimit-Bucket" in headers
    assert statuses == [200] * 5 + [429]
    assert headers["Via"]
    assert headers["X-RateLimit-Scope"] == "user"
    assert body["global"] is False
    assert body["retry_after"] > 0
    assert server.ratelimit_counters.total == 1
    assert server.requests[-1].ratelimit_scope == "user"
    assert server.invalid_request_count == 1
    clock.advance(5.1)
    async with http.post(url, json={"content": "after"}) as response:
        assert response.status == 200


async def test_global_429_is_retried_by_discord_py(
    server: SandboxServer, world, bot_runner, clock
) -> None:
    state = await bot_runner.start()
    server.rate_limiter = RateLimiter(now=clock, global_per_second=2)
    try:
        channels = [state.client.get_channel(c) for c in (world.channel, world.other_channel)]
        targets = [*channels, channels[0]]
        sends = [ch.send(f"burst {i}") for i, ch in enumerate(targets)]  # type: ignore[union-attr]
        sent = await asyncio.wait_for(asyncio.gather(*sends), 10)
        assert len(sent) == 3
        assert server.ratelimit_counters.global_count >= 1
        statuses = [r.status for r in server.requests_to("POST", "/channels/{channel_id}/messages")]
        assert statuses.count(200) == 3
        assert 429 in statuses
    finally:
        await bot_runner.stop(state)


async def test_injected_500_is_retried(server: SandboxServer, world, bare_bot) -> None:
    server.inject_failure("POST", "/channels/{channel_id}/messages", status=500, times=1)
    channel = bare_bot.client.get_channel(world.channel)
    message = await channel.send("survives a 500")
    assert message.content == "survives a 500"
    records = server.requests_to("POST", "/channels/{channel_id}/messages")
    assert [(r.status, r.injected) for r in records] == [(500, True), (200, False)]


async def test_injected_503_surfaces(server: SandboxServer, world, bare_bot) -> None:
    server.inject_failure("GET", "/channels/{channel_id}/messages/{message_id}", status=503)
    channel = bare_bot.client.get_channel(world.channel)
    message = await channel.send("x")
    with pytest.raises(discord.DiscordServerError):
        await channel.fetch_message(message.id)
    assert (await channel.fetch_message(message.id)).content == "x"
    with pytest.raises(ValueError, match="no such route"):
        server.inject_failure("GET", "/nope")


async def test_dropped_gateway_resumes_and_replays(server: SandboxServer, world, bare_bot) -> None:
    await server.drop_gateway(resumable=True)
    # Dispatched while the bot is away: kept in the session and replayed on RESUME.
    result = await server.actor(world.members[0]).slash("ping", channel_id=world.channel)
    assert result.message is not None
    assert result.message.content == "pong"
    assert server.gateway.resume_count == 1
    assert server.gateway.identify_count == 1
    again = await server.actor(world.members[1]).slash("ping", channel_id=world.channel)
    assert again.type == 4


async def test_dropped_gateway_not_resumable_reidentifies(
    server: SandboxServer, world, bare_bot
) -> None:
    await server.drop_gateway(resumable=False)
    await server.wait_for_bot(timeout=10)
    assert server.gateway.identify_count == 2
    assert server.gateway.invalid_session_count == 1
    result = await server.actor(world.members[0]).slash("ping", channel_id=world.channel)
    assert result.message is not None
    assert result.message.content == "pong"
    await asyncio.wait_for(bare_bot.client.wait_until_ready(), 5)
    assert bare_bot.client.get_guild(world.guild) is not None
