"""Direct messages: channels, files and the closed-DMs switch."""

from __future__ import annotations

import aiohttp
import discord

from bot.sandbox import SandboxServer


async def test_dm_with_a_file(server: SandboxServer, world, bare_bot) -> None:
    dana = server.actor(world.members[0])
    result = await dana.slash("dm", channel_id=world.channel)
    final = await result.final(timeout=5)
    assert final.content == "sent"
    assert final.ephemeral
    (dm,) = dana.dms()
    assert dm.content == "your export"
    assert dm.author_is_bot
    (attachment,) = dm.attachments
    assert (attachment.filename, attachment.content_type) == ("export.json", "application/json")
    assert attachment.data == b'{"a": 1}'
    assert server.actor(world.members[1]).dms() == []
    assert [m.content for m in server.dm_timeline(world.members[0])] == ["your export"]


async def test_closed_dms_raise_forbidden_50007(server: SandboxServer, world, bare_bot) -> None:
    server.set_dms_closed(world.members[0])
    result = await server.actor(world.members[0]).slash("dm", channel_id=world.channel)
    final = await result.final(timeout=5)
    assert final.content == "could not DM you (50007)"
    (error,) = bare_bot.errors
    assert isinstance(error, discord.Forbidden)
    assert error.code == 50007
    assert server.actor(world.members[0]).dms() == []
    server.set_dms_closed(world.members[0], False)
    user = await bare_bot.client.fetch_user(world.members[0])
    await user.send("open again")
    assert [m.content for m in server.actor(world.members[0]).dms()] == ["open again"]


async def test_dm_channel_is_reused(http: aiohttp.ClientSession, world) -> None:
    ids = []
    for recipient in (world.members[0], str(world.members[0])):
        async with http.post("users/@me/channels", json={"recipient_id": recipient}) as response:
            assert response.status == 200
            body = await response.json()
        assert body["type"] == 1
        assert body["recipients"][0]["id"] == str(world.members[0])
        ids.append(body["id"])
    assert ids[0] == ids[1]
    async with http.post("users/@me/channels", json={"recipient_id": 12345}) as response:
        assert response.status == 400
        assert (await response.json())["code"] == 50033


async def test_user_dm_reaches_the_bot(server: SandboxServer, world, bare_bot) -> None:
    message = await server.actor(world.members[1]).send_dm("hello bot")
    assert message.content == "hello bot"
    events = server.dispatched_events("MESSAGE_CREATE")
    assert events[-1][1]["content"] == "hello bot"


async def test_no_shared_guild_means_50007(
    server: SandboxServer, world, http: aiohttp.ClientSession
) -> None:
    stranger = server.create_user("Stranger")
    async with http.post("users/@me/channels", json={"recipient_id": stranger}) as response:
        channel = (await response.json())["id"]
    async with http.post(f"channels/{channel}/messages", json={"content": "hi"}) as response:
        assert response.status == 403
        assert await response.json() == {
            "code": 50007,
            "message": "Cannot send messages to this user",
        }


async def test_guild_messages_respect_the_content_intent(
    server: SandboxServer, world, bare_bot
) -> None:
    received = bare_bot.client.wait_for("message", timeout=5)
    await server.actor(world.members[0]).send(world.channel, "hello everyone")
    message = await received
    assert message.author.id == world.members[0]
    assert message.content == ""  # the bare bot does not ask for message_content
