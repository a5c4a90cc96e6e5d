"""The REST routes directly with aiohttp: validation, errors, messages and attachments."""

from __future__ import annotations

import json

import aiohttp
import pytest

from bot.sandbox import SandboxServer

BUTTON = {"type": 2, "style": 1, "label": "Go", "custom_id": "go"}


def _row(count: int, prefix: str = "b") -> dict[str, object]:
    return {
        "type": 1,
        "components": [BUTTON | {"custom_id": f"{prefix}{i}"} for i in range(count)],
    }


def _select(options: int, custom_id: str = "s") -> dict[str, object]:
    return {
        "type": 1,
        "components": [
            {
                "type": 3,
                "custom_id": custom_id,
                "options": [{"label": f"o{i}", "value": f"v{i}"} for i in range(options)],
            }
        ],
    }


INVALID_MESSAGES = {
    "content over 2000": {"content": "x" * 2001},
    "11 embeds": {"embeds": [{"title": "t"}] * 11},
    "embed total over 6000": {"embeds": [{"description": "x" * 4000}, {"description": "y" * 2001}]},
    "26 embed fields": {"embeds": [{"fields": [{"name": "n", "value": "v"}] * 26}]},
    "6 action rows": {"components": [_row(1, f"r{i}-") for i in range(6)]},
    "6 buttons in a row": {"components": [_row(6)]},
    "26 select options": {"components": [_select(26)]},
    "custom_id over 100": {"components": [_row(1, "x" * 101)]},
}


@pytest.mark.parametrize("payload", INVALID_MESSAGES.values(), ids=INVALID_MESSAGES.keys())
async def test_invalid_messages_get_50035(
    http: aiohttp.ClientSession, world, payload: dict[str, object]
) -> None:
    async with http.post(f"channels/{world.channel}/messages", json=payload) as response:
        assert response.status == 400
        body = await response.json()
    assert body["code"] == 50035
    assert body["message"] == "Invalid Form Body"
    assert body["errors"]


async def test_empty_message_gets_50006(http: aiohttp.ClientSession, world) -> None:
    async with http.post(f"channels/{world.channel}/messages", json={"content": ""}) as response:
        assert response.status == 400
        assert await response.json() == {"code": 50006, "message": "Cannot send an empty message"}


async def test_invalid_interaction_responses(server: SandboxServer, world, bare_bot) -> None:
    dana = server.actor(world.members[0])
    result = await dana.slash("silent", channel_id=world.channel, wait=False)
    interaction = result.interaction
    base = f"{server.api_base}/interactions/{interaction.id}/{interaction.token}/callback"
    modal = {
        "custom_id": "m",
        "title": "Too big",
        "components": [
            {"type": 1, "components": [{"type": 4, "custom_id": f"t{i}", "label": "L", "style": 1}]}
            for i in range(6)
        ],
    }
    bad = [
        {"type": 4, "data": {"content": "x" * 2001}},
        {"type": 9, "data": modal},
        {"type": 4, "data": {"components": [_row(6)]}},
        {"type": 7, "data": {"content": "no message to update"}},
    ]
    async with aiohttp.ClientSession() as session:
        for body in bad:
            async with session.post(base, json=body) as response:
                assert response.status == 400, body
                assert (await response.json())["code"] == 50035
        async with session.post(base, json={"type": 4, "data": {}}) as response:
            assert (await response.json())["code"] == 50006
        async with session.post(base + "?with_response=true", json={"type": 5}) as response:
            assert response.status == 200
            answer = await response.json()
    assert answer["interaction"]["response_message_loading"] is True
    assert answer["resource"]["type"] == 5
    assert "message" in answer["resource"]
    assert interaction.response_type == 5


async def test_webhook_payloads_are_validated(server: SandboxServer, world, bare_bot) -> None:
    result = await server.actor(world.members[0]).slash("ping", channel_id=world.channel)
    interaction = result.interaction
    hook = f"{server.api_base}/webhooks/{world.app_id}/{interaction.token}"
    async with aiohttp.ClientSession() as session:
        async with session.post(hook, json={"content": "x" * 2001}) as response:
            assert response.status == 400
            assert (await response.json())["code"] == 50035
        async with session.patch(hook + "/messages/@original", json={"embeds": [{}] * 11}) as r:
            assert r.status == 400
        async with session.post(f"{server.api_base}/webhooks/{world.app_id}/nope", json={}) as r:
            assert r.status == 404
            assert (await r.json())["code"] == 10015
        async with session.post(hook + "?wait=true", json={"content": "more"}) as response:
            followup = await response.json()
        async with session.get(hook + f"/messages/{followup['id']}") as response:
            assert (await response.json())["content"] == "more"
        async with session.delete(hook + "/messages/@original") as response:
            assert response.status == 204
        async with session.get(hook + "/messages/@original") as response:
            assert response.status == 404
            assert (await response.json())["code"] == 10008


async def test_unknown_ids_use_discord_codes(http: aiohttp.ClientSession, world) -> None:
    cases = {
        "channels/1": 10003,
        f"channels/{world.channel}/messages/1": 10008,
        "guilds/1": 10004,
        f"guilds/{world.guild}/members/1": 10007,
        f"guilds/{world.guild}/scheduled-events/1": 10070,
        "users/1": 10013,
    }
    for path, code in cases.items():
        async with http.get(path) as response:
            assert response.status == 404, path
            assert (await response.json())["code"] == code
    async with http.get("channels/abc") as response:
        assert response.status == 400
    async with http.delete("users/@me") as response:
        assert response.status == 405


async def test_multipart_message_and_attachment_url(
    server: SandboxServer, http: aiohttp.ClientSession, world
) -> None:
    form = aiohttp.FormData(quote_fields=False)
    payload = {"content": "chart", "attachments": [{"id": 0, "filename": "chart.png"}]}
    form.add_field("payload_json", json.dumps(payload), content_type="application/json")
    form.add_field(
        "files[0]", b"\x89PNG-bytes", filename="chart.png", content_type="application/octet-stream"
    )
    async with http.post(f"channels/{world.channel}/messages", data=form) as response:
        assert response.status == 200
        assert response.headers["Content-Type"] == "application/json"
        message = await response.json()
    (attachment,) = message["attachments"]
    assert attachment["content_type"] == "image/png"
    assert attachment["size"] == 10
    assert attachment["url"].startswith(server.http_base)
    async with http.get(attachment["url"]) as response:
        assert await response.read() == b"\x89PNG-bytes"
    record = server.requests[-1]
    assert record.route == "/channels/{channel_id}/messages"
    assert record.body == payload
    assert [(f.filename, f.size) for f in record.files] == [("chart.png", 10)]


async def test_message_history_edit_delete(http: aiohttp.ClientSession, world, clock) -> None:
    url = f"channels/{world.channel}/messages"
    ids = []
    for index in range(4):
        async with http.post(url, json={"content": f"m{index}"}) as response:
            ids.append((await response.json())["id"])
        clock.advance(1)  # keep under the per-route limit
    async with http.get(url, params={"limit": "2"}) as response:
        assert [m["content"] for m in await response.json()] == ["m3", "m2"]
    async with http.get(url, params={"before": ids[2]}) as response:
        assert [m["content"] for m in await response.json()] == ["m1", "m0"]
    async with http.get(url, params={"after": ids[1]}) as response:
        assert [m["content"] for m in await response.json()] == ["m3", "m2"]
    async with http.patch(f"{url}/{ids[0]}", json={"content": "edited"}) as response:
        edited = await response.json()
    assert edited["content"] == "edited"
    assert edited["edited_timestamp"]
    async with http.delete(f"{url}/{ids[0]}") as response:
        assert response.status == 204
    async with http.get(f"{url}/{ids[0]}") as response:
        assert response.status == 404
    async with http.get(f"channels/{world.channel}") as response:
        channel = await response.json()
    assert channel["name"] == "peer-consult"
    assert channel["last_message_id"] == ids[3]


async def test_guild_routes(http: aiohttp.ClientSession, world) -> None:
    async with http.get(f"guilds/{world.guild}") as response:
        guild = await response.json()
    assert guild["owner_id"] == str(world.owner)
    async with http.get(f"guilds/{world.guild}/roles") as response:
        roles = {r["name"]: r for r in await response.json()}
    assert roles["peerpulse"]["managed"]
    assert roles["peerpulse"]["tags"]["bot_id"]
    async with http.get(f"guilds/{world.guild}/channels") as response:
        assert [c["name"] for c in await response.json()] == ["peer-consult", "general"]
    async with http.get(f"guilds/{world.guild}/members/{world.moderator}") as response:
        member = await response.json()
    assert set(member["roles"]) == {str(world.moderator_role), str(world.member_role)}
