"""What a modified client could send: the sandbox lets tests bypass the Discord client's checks."""

from __future__ import annotations

import pytest

from bot.sandbox import CommandNotPermitted, SandboxServer


async def test_slash_unchecked_sends_values_the_client_would_refuse(
    server: SandboxServer, world, bare_bot
) -> None:
    dana = server.actor(world.members[0])
    result = await dana.slash_unchecked(
        "echo",
        channel_id=world.channel,
        options={"text": "hi", "count": 10**30, "where": world.other_channel},
    )
    assert result.message is not None
    assert f"count={10**30}" in result.message.content
    assert "where=general" in result.message.content  # known ids are resolved, as Discord does


async def test_slash_unchecked_ignores_permissions_and_contexts(
    server: SandboxServer, world, bare_bot
) -> None:
    dana = server.actor(world.members[0])
    with pytest.raises(CommandNotPermitted):
        await dana.slash("modonly", channel_id=world.channel)
    result = await dana.slash_unchecked("modonly", channel_id=world.channel)
    assert result.type == 4  # the bot alone decides now


async def test_press_and_unchecked_modal_submit(server: SandboxServer, world, bare_bot) -> None:
    dana = server.actor(world.members[0])
    posted = await dana.slash("panel", channel_id=world.channel)
    assert posted.message is not None
    opened = await dana.press(posted.message.id, "panel:answer")
    assert opened.modal is not None
    submitted = await dana.submit_modal_unchecked(
        opened.modal, {"energy": "3", "caseload": "not an option"}
    )
    assert submitted.message is not None
    assert "caseload=not an option" in submitted.message.content


async def test_the_world_remembers_every_component_the_bot_emitted(
    server: SandboxServer, world, bare_bot
) -> None:
    dana = server.actor(world.members[0])
    posted = await dana.slash("panel", channel_id=world.channel)
    assert posted.message is not None
    emitted = {c["custom_id"] for m, c in server.world.emitted_components if m == posted.message.id}
    assert {"panel:answer", "panel:load", "panel:count", "panel:later"} <= emitted
