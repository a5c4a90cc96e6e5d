"""Guild scheduled events through discord.py, and RSVPs by actors."""

from __future__ import annotations

from datetime import timedelta

import aiohttp
import discord
import pytest

from bot.clock import VirtualClock
from bot.sandbox import SandboxServer


async def test_scheduled_event_lifecycle(
    server: SandboxServer, world, bare_bot, virtual_clock: VirtualClock
) -> None:
    guild = bare_bot.client.get_guild(world.guild)
    start = virtual_clock.now() + timedelta(days=2)
    event = await guild.create_scheduled_event(
        name="Peer consultation",
        start_time=start,
        end_time=start + timedelta(hours=1),
        entity_type=discord.EntityType.external,
        location="Video call",
        privacy_level=discord.PrivacyLevel.guild_only,
        description="Case presenter: Dana",
    )
    assert event.name == "Peer consultation"
    assert event.location == "Video call"
    assert event.start_time == start
    added = bare_bot.client.wait_for("scheduled_event_user_add", timeout=5)
    await server.actor(world.members[0]).rsvp(world.guild, event.id)
    _, user = await added
    assert user.id == world.members[0]
    assert [kind for kind, _ in bare_bot.events if kind != "message"] == ["create", "user_add"]
    edited = await event.edit(name="Peer consultation (moved)")
    assert edited.name == "Peer consultation (moved)"
    fetched = await guild.fetch_scheduled_event(event.id, with_counts=True)
    assert fetched.user_count == 1
    users = [u.id async for u in fetched.users()]
    assert users == [world.members[0]]
    await event.cancel()
    assert (await guild.fetch_scheduled_event(event.id)).status is discord.EventStatus.cancelled
    await event.delete()
    with pytest.raises(discord.NotFound) as caught:
        await guild.fetch_scheduled_event(event.id)
    assert caught.value.code == 10070
    kinds = [t for t, _ in server.dispatched_events() if t.startswith("GUILD_SCHEDULED_EVENT")]
    assert kinds == [
        "GUILD_SCHEDULED_EVENT_CREATE",
        "GUILD_SCHEDULED_EVENT_USER_ADD",
        "GUILD_SCHEDULED_EVENT_UPDATE",
        "GUILD_SCHEDULED_EVENT_UPDATE",
        "GUILD_SCHEDULED_EVENT_DELETE",
    ]


async def test_event_in_the_past_is_refused(
    http: aiohttp.ClientSession, world, virtual_clock: VirtualClock
) -> None:
    now = virtual_clock.now()
    past = (now - timedelta(hours=1)).isoformat()
    body = {
        "name": "Too late",
        "privacy_level": 2,
        "entity_type": 3,
        "scheduled_start_time": past,
        "scheduled_end_time": now.isoformat(),
        "entity_metadata": {"location": "Room"},
    }
    async with http.post(f"guilds/{world.guild}/scheduled-events", json=body) as response:
        assert response.status == 400
        errors = (await response.json())["errors"]
    assert errors["scheduled_start_time"]["_errors"][0]["code"] == (
        "GUILD_SCHEDULED_EVENT_SCHEDULE_PAST"
    )
    body.pop("entity_metadata")
    body["scheduled_start_time"] = (now + timedelta(days=1)).isoformat()
    body["scheduled_end_time"] = (now + timedelta(days=2)).isoformat()
    async with http.post(f"guilds/{world.guild}/scheduled-events", json=body) as response:
        assert response.status == 400
