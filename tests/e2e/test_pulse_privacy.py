"""/privacy explains the pulse and lists the crisis lines with their verified date; /me
export says plainly that pulse answers cannot be exported; a member's private note is
never stored."""

from __future__ import annotations

import pytest
from pulse_steps import answer, open_round, set_home

from bot.pulse.crisis import last_verified, load_crisis_resources
from bot.sandbox import SandboxServer
from bot.sandbox.demo import DemoGroup
from bot.sandbox.running_bot import RunningBot

pytestmark = pytest.mark.e2e


async def test_privacy_has_the_pulse_and_dated_crisis_lines(
    server: SandboxServer, group: DemoGroup, peerpulse: RunningBot
) -> None:
    shown = await server.actor(group.member_ids[0]).slash(
        "privacy", channel_id=group.home_channel_id
    )
    assert shown.message is not None
    text = shown.message.text
    assert "The anonymous pulse" in text
    assert "no member id, no time" in text
    assert "Nobody sees how many answered while a pulse is open" in text
    verified = last_verified(load_crisis_resources()).isoformat()
    assert f"Crisis lines (last verified {verified})" in text
    assert "Samaritans (United Kingdom and Ireland): Call 116 123" in text


async def test_me_export_says_pulse_answers_cannot_be_exported(
    server: SandboxServer, group: DemoGroup, peerpulse: RunningBot
) -> None:
    ana = group.member_ids[0]
    await set_home(server, group)
    post = await open_round(server, group, peerpulse)
    [note] = await answer(server, post, (ana,))
    assert "Your own burnout index" in note
    exported = await (
        await server.actor(ana).slash("me export", channel_id=group.home_channel_id)
    ).final()
    assert "Pulse answers cannot be exported, because they are linked to no one." in (
        exported.content
    )
    [attachment] = exported.attachments
    assert "pulse_answers" not in attachment.data.decode()


async def test_the_private_note_is_not_stored(
    server: SandboxServer, group: DemoGroup, peerpulse: RunningBot
) -> None:
    await set_home(server, group)
    post = await open_round(server, group, peerpulse)
    [note] = await answer(server, post, (group.member_ids[2],))
    index = note.split("Your own burnout index this time: ")[1].split(" of 100")[0].strip("*")
    row = await peerpulse.db.fetchone("SELECT item_values FROM pulse_answers")
    assert row is not None
    assert set(row.keys()) == {"item_values"}
    tables = await peerpulse.db.fetchall(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'pulse%'"
    )
    for table in tables:
        rows = await peerpulse.db.fetchall(f"SELECT * FROM {table['name']}")  # noqa: S608
        assert all(index not in str(tuple(r)) for r in rows), table["name"]
