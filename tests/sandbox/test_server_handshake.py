"""Login, gateway handshake and the client's cache, through real discord.py."""

from __future__ import annotations

import asyncio
import json
import zlib

import aiohttp
import discord

from bot.sandbox import SandboxServer
from bot.sandbox import permissions as perm


async def test_on_ready_fills_the_cache(bare_bot, world) -> None:
    client = bare_bot.client
    assert bare_bot.ready_count == 1
    assert client.user is not None
    assert client.user.id == world.bot_user
    assert client.application_id == world.app_id
    guild = client.get_guild(world.guild)
    assert guild is not None
    assert guild.name == "Consult Group"
    assert guild.chunked
    assert guild.owner_id == world.owner
    assert {m.display_name for m in guild.members} >= {"Olive", "Mo", "Dana", "Eli", "Fay"}
    assert guild.default_role.id == world.guild
    facilitator = guild.get_role(world.moderator_role)
    assert facilitator is not None
    assert facilitator.permissions.manage_guild
    mo = guild.get_member(world.moderator)
    assert mo is not None
    assert mo.guild_permissions.manage_guild
    assert [c.name for c in guild.text_channels] == ["peer-consult", "general"]
    me = guild.me
    assert me.guild_permissions.send_messages
    assert not me.guild_permissions.administrator


async def test_command_sync_returns_ids(bare_bot, world) -> None:
    synced = await bare_bot.client.tree.sync(guild=discord.Object(world.guild))
    names = {c.name: c for c in synced}
    assert {"echo", "peerpulse", "modonly", "secret"} <= set(names)
    assert all(c.id > 0 and c.application_id == world.app_id for c in synced)
    assert names["modonly"].default_member_permissions == discord.Permissions(manage_guild=True)
    again = await bare_bot.client.tree.sync(guild=discord.Object(world.guild))
    assert {c.name: c.id for c in again} == {c.name: c.id for c in synced}
    global_ = await bare_bot.client.tree.fetch_commands()
    assert [c.name for c in global_] == ["ping"]


async def test_gateway_bot_and_application(http: aiohttp.ClientSession, world) -> None:
    async with http.get("gateway/bot") as response:
        body = await response.json()
    assert body["shards"] == 1
    assert body["session_start_limit"]["remaining"] > 0
    assert response.headers["Content-Type"] == "application/json"
    async with http.get("oauth2/applications/@me") as response:
        app = await response.json()
    assert app["id"] == str(world.app_id)
    for key in ("name", "icon", "description", "bot_public", "bot_require_code_grant"):
        assert key in app
    assert app["owner"]["id"]
    assert app["verify_key"]


async def _frames(ws, count: int, inflate=None) -> list[dict[str, object]]:
    frames = []
    while len(frames) < count:
        msg = await ws.receive(timeout=5)
        raw = msg.data if msg.type is aiohttp.WSMsgType.TEXT else inflate.decompress(msg.data)
        frames.append(json.loads(raw))
    return frames


async def test_raw_gateway_text_and_zlib(server: SandboxServer, world) -> None:
    async with aiohttp.ClientSession() as session:
        for query in ("?v=10&encoding=json", "?v=10&encoding=json&compress=zlib-stream"):
            async with session.ws_connect(server.gateway_url + query) as ws:
                inflate = zlib.decompressobj()
                (hello,) = await _frames(ws, 1, inflate)
                assert hello["op"] == 10
                identify = {"token": world.token, "intents": 513, "properties": {}}
                await ws.send_json({"op": 2, "d": identify})
                ready, guild_create = await _frames(ws, 2, inflate)
                assert ready["t"] == "READY"
                assert ready["s"] == 1
                data = ready["d"]
                assert isinstance(data, dict)
                assert data["guilds"] == [{"id": str(world.guild), "unavailable": True}]
                assert data["resume_gateway_url"] == server.gateway_url
                assert data["application"] == {"id": str(world.app_id), "flags": 0}
                assert guild_create["t"] == "GUILD_CREATE"
                guild = guild_create["d"]
                assert isinstance(guild, dict)
                assert guild["member_count"] == len(guild["members"]) == 6
                everyone = next(r for r in guild["roles"] if r["id"] == str(world.guild))
                assert everyone["permissions"] == str(perm.DEFAULT_EVERYONE)
                await ws.send_json({"op": 1, "d": 2})
                (ack,) = await _frames(ws, 1, inflate)
                assert ack["op"] == 11
    assert server.gateway.identify_count == 2


async def test_bad_token_closes_with_4004(server: SandboxServer, world) -> None:
    async with aiohttp.ClientSession() as session, session.ws_connect(server.gateway_url) as ws:
        await ws.receive_json(timeout=5)
        await ws.send_json({"op": 2, "d": {"token": "nope", "intents": 1}})
        msg = await ws.receive(timeout=5)
        assert msg.type is aiohttp.WSMsgType.CLOSE
        assert ws.close_code == 4004


async def test_rest_requires_the_bot_token(server: SandboxServer, world) -> None:
    async with aiohttp.ClientSession() as session:
        for headers in ({}, {"Authorization": "Bot wrong"}, {"Authorization": world.token}):
            async with session.get(f"{server.api_base}/users/@me", headers=headers) as response:
                assert response.status == 401
                assert await response.json() == {"code": 0, "message": "401: Unauthorized"}
        async with session.get(f"{server.api_base}/nothing/here") as response:
            assert response.status == 404
            assert await response.json() == {"code": 0, "message": "404: Not Found"}
    assert server.invalid_request_count == 3


async def test_auto_sharded_bot_connects(server: SandboxServer, world, discord_endpoints) -> None:
    client = discord.AutoShardedClient(intents=discord.Intents.default(), guild_ready_timeout=0.1)
    task = asyncio.create_task(client.start(world.token))
    try:
        await asyncio.wait_for(client.wait_until_ready(), 10)
        assert client.shard_count == 1
        assert client.get_guild(world.guild) is not None
    finally:
        await client.close()
        await asyncio.wait_for(task, 10)
    assert ("GET", "/gateway/bot") in {(r.method, r.route) for r in server.requests}
