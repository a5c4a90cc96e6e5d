"""Request records, timelines and the transcript export."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from bot.sandbox import SandboxServer
from bot.sandbox.transcript import render_transcript


async def test_requests_are_recorded_as_json_lines(
    server: SandboxServer, world, bare_bot, tmp_path
) -> None:
    result = await server.actor(world.members[0]).slash("slow", channel_id=world.channel)
    await result.wait_followups(2, timeout=5)
    path = server.write_requests(tmp_path / "requests.jsonl")
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    assert len(lines) == len(server.requests)
    routes = {(r["method"], r["route"]) for r in lines}
    assert ("GET", "/users/@me") in routes
    assert ("POST", "/interactions/{interaction_id}/{interaction_token}/callback") in routes
    upload = next(r for r in lines if r["files"])
    assert upload["files"][0]["filename"] == "report.csv"
    assert upload["body"]["content"] == "here is the report"
    assert all(r["status"] in (200, 204) for r in lines)


async def test_transcript_timelines(server: SandboxServer, world, bare_bot) -> None:
    dana = server.actor(world.members[0])
    await dana.slash("secret", channel_id=world.channel)
    await dana.slash("ping", channel_id=world.channel)
    panel = await dana.slash("panel", channel_id=world.channel)
    assert panel.message is not None
    await dana.click(panel.message.id, label="Answer")
    await (await dana.slash("dm", channel_id=world.channel)).final(timeout=5)
    timelines = server.transcript_timelines({world.members[0]: "Europe/London"})
    by_title = {t.title: t for t in timelines}
    channel = by_title["#peer-consult · Consult Group"]
    assert [m.content for m in channel.messages] == ["pong", "Weekly check-in"]
    assert channel.kind == "channel"
    dms = by_title["DMs with Dana"]
    assert dms.kind == "dm"
    assert dms.viewer_zone == "Europe/London"
    assert dms.messages[0].attachments[0].filename == "export.json"
    private = by_title["Only Dana could see"]
    assert [m.ephemeral_to for m in private.messages] == ["Dana"] * len(private.messages)
    notes = [m.note for m in private.messages]
    assert "modal shown in #peer-consult" in notes
    html = render_transcript(
        "Sandbox", timelines, generated_at=datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    )
    assert "Weekly check-in" in html
    assert "only you" in html


async def test_a_member_who_left_keeps_the_pages_of_what_they_saw(
    server: SandboxServer, world, bare_bot
) -> None:
    dana = world.members[0]
    await server.actor(dana).slash("secret", channel_id=world.channel)
    server.remove_member(world.guild, dana)
    titles = [t.title for t in server.transcript_timelines({dana: "Europe/London"})]
    assert "Only Dana could see" in titles


async def test_a_dm_page_names_its_reader_even_when_only_the_bot_wrote(
    server: SandboxServer, world, bare_bot
) -> None:
    dana = server.actor(world.members[0])
    await (await dana.slash("dm", channel_id=world.channel)).final(timeout=5)
    timelines = server.transcript_timelines({world.members[0]: "Europe/London"})
    html = render_transcript("Sandbox", timelines, generated_at=datetime(2026, 3, 2, tzinfo=UTC))
    assert "What Dana saw in their direct messages with the bot." in html
