"""Slash commands, components and modals through a bare discord.py bot."""

from __future__ import annotations

import asyncio

import aiohttp
import discord
import pytest

from bot.sandbox import CommandNotPermitted, InteractionTimeoutError, SandboxError, SandboxServer


async def test_slash_command_with_typed_options(server: SandboxServer, world, bare_bot) -> None:
    dana = server.actor(world.members[0])
    result = await dana.slash(
        "echo",
        channel_id=world.channel,
        options={
            "text": "hello",
            "count": 3,
            "loud": True,
            "who": world.members[1],
            "where": world.other_channel,
            "role": world.member_role,
            "ratio": 0.25,
        },
    )
    assert result.type == 4
    assert result.message is not None
    assert not result.message.ephemeral
    content = result.message.content
    assert "text=hello count=3 loud=True who=Eli where=general role=Member ratio=0.25" in content
    perms = server.world.channel_permissions(world.channel, world.members[0])
    assert f"perms={perms}" in content
    interaction = result.interaction.payload
    assert interaction["member"]["permissions"] == str(perms)
    assert interaction["app_permissions"] == str(
        server.world.channel_permissions(world.channel, world.bot_user)
    )
    assert [m.content for m in server.actor(world.members[2]).sees(world.channel)] == [content]


async def test_group_subcommand_and_autocomplete(server: SandboxServer, world, bare_bot) -> None:
    dana = server.actor(world.members[0])
    choices = await dana.autocomplete(
        "peerpulse settings", "timezone", "europe/l", channel_id=world.channel
    )
    assert [c["value"] for c in choices] == ["Europe/London", "Europe/Lisbon"]
    result = await dana.slash(
        "peerpulse settings", channel_id=world.channel, options={"timezone": "Europe/London"}
    )
    assert result.message is not None
    assert result.message.content == "timezone set to Europe/London"
    assert result.message.ephemeral


async def test_option_mistakes_are_refused(server: SandboxServer, world, bare_bot) -> None:
    dana = server.actor(world.members[0])
    with pytest.raises(SandboxError, match="required"):
        await dana.slash("echo", channel_id=world.channel, options={})
    with pytest.raises(SandboxError, match="takes a number"):
        await dana.slash("echo", channel_id=world.channel, options={"text": "x", "count": "3"})
    with pytest.raises(SandboxError, match="no synced command"):
        await dana.slash("nope", channel_id=world.channel)


async def test_default_member_permissions(server: SandboxServer, world, bare_bot) -> None:
    with pytest.raises(CommandNotPermitted, match="modonly"):
        await server.actor(world.members[0]).slash("modonly", channel_id=world.channel)
    result = await server.actor(world.moderator).slash("modonly", channel_id=world.channel)
    assert result.message is not None
    assert result.message.content == "moderator tools"
    owner = await server.actor(world.owner).slash("modonly", channel_id=world.channel)
    assert owner.type == 4


async def test_ephemeral_reply_is_seen_only_by_the_invoker(
    server: SandboxServer, world, bare_bot
) -> None:
    dana, eli = (server.actor(u) for u in world.members[:2])
    result = await dana.slash("secret", channel_id=world.channel)
    assert result.message is not None
    assert result.message.ephemeral
    assert [m.content for m in dana.sees(world.channel)] == ["only you"]
    assert eli.sees(world.channel) == []
    (stored,) = server.channel_timeline(world.channel)
    assert stored.ephemeral_to == world.members[0]
    assert not server.dispatched_events("MESSAGE_CREATE")
    # A button on an ephemeral message works for its owner only.
    clicked = await dana.click(result.message.id, label="Count")
    assert clicked.type == 7
    assert clicked.message is not None
    assert clicked.message.content == "counted once"
    with pytest.raises(SandboxError, match="cannot see"):
        await eli.click(result.message.id, label="Count")


async def test_deferred_reply_and_follow_ups(server: SandboxServer, world, bare_bot) -> None:
    result = await server.actor(world.members[0]).slash("slow", channel_id=world.channel)
    assert result.type == 5
    final = await result.final(timeout=5)
    assert final.content == "here is the report"
    assert not final.loading
    (attachment,) = final.attachments
    assert attachment.filename == "report.csv"
    assert attachment.content_type.startswith("text/csv")
    async with aiohttp.ClientSession() as session, session.get(attachment.url) as response:
        assert await response.read() == b"week,energy\n1,3\n"
    followups = await result.wait_followups(2, timeout=5)
    assert followups[1].content == "and a second note"
    assert followups[1].ephemeral
    others = server.actor(world.members[1]).sees(world.channel)
    assert [m.content for m in others] == ["here is the report"]
    upload = server.requests_to("POST", "/webhooks/{webhook_id}/{webhook_token}")[0]
    assert upload.files[0].filename == "report.csv"
    assert upload.files[0].size == 16


async def test_button_select_and_modal(server: SandboxServer, world, bare_bot) -> None:
    dana = server.actor(world.members[0])
    posted = await dana.slash("panel", channel_id=world.channel)
    assert posted.message is not None
    panel_id = posted.message.id
    assert posted.message.button("Answer")["custom_id"] == "panel:answer"

    chose = await dana.select(panel_id, ["heavy"], placeholder="Caseload")
    assert chose.message is not None
    assert chose.message.content == "chose ['heavy']"
    with pytest.raises(SandboxError, match="no option"):
        await dana.select(panel_id, ["extreme"], custom_id="panel:load")

    opened = await dana.click(panel_id, label="Answer")
    assert opened.type == 9
    assert opened.modal is not None
    assert opened.modal.title == "Check-in"
    assert set(opened.modal.inputs()) == {"energy", "caseload", "note"}
    assert opened.modal.labels()["caseload"] == "Caseload"
    assert server.modals_shown(world.members[0])[0].data["custom_id"] == opened.modal.custom_id
    with pytest.raises(SandboxError, match="radio group 'caseload' has no option"):
        await dana.submit_modal(opened.modal, {"energy": "3", "caseload": "medium"})
    submitted = await dana.submit_modal(opened.modal, {"energy": "3", "caseload": "light"})
    assert submitted.message is not None
    assert submitted.message.content == "saved energy=3 caseload=light note=''"
    assert submitted.message.ephemeral

    later = await dana.click(panel_id, label="Later")
    assert later.type == 6
    assert (await later.final(timeout=5)).content == "edited later"
    assert server.world.messages[panel_id].content == "edited later"


async def test_modal_with_checkboxes_and_select(server: SandboxServer, world, bare_bot) -> None:
    dana = server.actor(world.members[0])
    opened = await dana.slash("pulse", channel_id=world.channel)
    assert opened.modal is not None
    assert set(opened.modal.inputs()) == {"drivers", "exhaustion", "share"}
    with pytest.raises(SandboxError, match=r"takes 1\.\.1 value"):
        await dana.submit_modal(opened.modal, {"exhaustion": []})
    result = await dana.submit_modal(
        opened.modal, {"drivers": ["caseload", "admin"], "exhaustion": "3", "share": True}
    )
    assert result.message is not None
    assert result.message.content == "drivers=['caseload', 'admin'] exhaustion=['3'] share=True"
    with pytest.raises(SandboxError, match="already submitted"):
        await dana.submit_modal(opened.modal, {"exhaustion": "1"})


async def test_second_response_is_refused_with_40060(
    server: SandboxServer, world, bare_bot
) -> None:
    result = await server.actor(world.members[0]).slash("ping", channel_id=world.channel)
    interaction = result.interaction
    url = f"{server.api_base}/interactions/{interaction.id}/{interaction.token}/callback"
    async with aiohttp.ClientSession() as session:
        async with session.post(url, json={"type": 4, "data": {"content": "again"}}) as response:
            assert response.status == 400
            assert (await response.json())["code"] == 40060
        async with session.post(url.replace(interaction.token, "x"), json={"type": 1}) as response:
            assert response.status == 404
            assert (await response.json())["code"] == 10062


async def test_late_response_gets_10062(server: SandboxServer, world, bare_bot, clock) -> None:
    dana = server.actor(world.members[0])
    waiting = asyncio.create_task(dana.slash("gated", channel_id=world.channel, timeout=5))
    await asyncio.wait_for(bare_bot.entered.wait(), 5)
    clock.advance(3.5)
    bare_bot.gate.set()
    for _ in range(250):
        if bare_bot.errors:
            break
        await asyncio.sleep(0.02)
    waiting.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiting
    (error,) = bare_bot.errors
    assert isinstance(error, discord.NotFound)
    assert error.code == 10062


async def test_webhook_token_expires_after_15_minutes(
    server: SandboxServer, world, bare_bot, clock
) -> None:
    result = await server.actor(world.members[0]).slash("ping", channel_id=world.channel)
    clock.advance(15 * 60 + 1)
    with pytest.raises(discord.HTTPException) as caught:
        await result_followup(bare_bot, result.interaction)
    assert caught.value.status == 401
    assert caught.value.code == 50027


async def result_followup(bare_bot, interaction) -> None:
    webhook = discord.Webhook.partial(
        interaction.application_id, interaction.token, client=bare_bot.client
    )
    await webhook.send("too late")


async def test_unanswered_interaction_times_out_with_its_name(
    server: SandboxServer, world, bare_bot
) -> None:
    with pytest.raises(InteractionTimeoutError, match=r"/silent by Dana"):
        await server.actor(world.members[0]).slash("silent", channel_id=world.channel, timeout=0.2)
