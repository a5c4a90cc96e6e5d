"""A 30-member group with long shared notes: every post fits Discord's limits.

The sandbox server answers over-limit payloads with Discord's 400 errors, so a summary
that did not fit would never be posted.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from checkin_steps import TUESDAY_9, advance_to, public_messages, set_up

from bot.checkins.answers import MAX_NOTE_CHARS
from bot.sandbox import SandboxServer
from bot.sandbox.chapters.checkins import answer_checkin, checkin_posts, summaries
from bot.sandbox.demo import DemoGroup
from bot.sandbox.running_bot import RunningBot
from bot.text import plain

pytestmark = pytest.mark.e2e

SENTENCE = "A long week of sessions, supervision and paperwork; this group helps me carry it. "


def long_note(index: int, length: int) -> str:
    return (f"[note {index:02d}] " + SENTENCE * 20)[:length]


def embed_chars(embed: dict[str, Any]) -> int:
    """The characters Discord counts towards an embed's 6000."""
    fields = embed.get("fields") or []
    return (
        len(embed.get("title") or "")
        + len(embed.get("description") or "")
        + sum(len(f["name"]) + len(f["value"]) for f in fields)
        + len((embed.get("footer") or {}).get("text") or "")
        + len((embed.get("author") or {}).get("name") or "")
    )


@pytest.mark.parametrize(("length", "in_file"), [(MAX_NOTE_CHARS, True), (200, False)])
async def test_thirty_members_with_long_notes_fit_discord(
    server: SandboxServer, group: DemoGroup, peerpulse: RunningBot, length: int, in_file: bool
) -> None:
    members = list(group.member_ids)
    for index in range(30 - len(members)):
        user = server.create_user(f"Member{index:02d}")
        server.add_member(group.guild_id, user)
        members.append(user)
    await set_up(server, group)
    await advance_to(peerpulse, TUESDAY_9)
    [post] = checkin_posts(server, group.home_channel_id)
    for index, member in enumerate(members):
        saved = await answer_checkin(
            server,
            member,
            post.id,
            energy=1 + index % 5,
            caseload=("light", "manageable", "heavy", "overwhelming")[index % 4],
            boundaries=("yes", "mostly", "no")[index % 3],
            consult="yes_share",
            note=long_note(index, length),
        )
        assert saved.message is not None
        await server.actor(member).click(saved.message.id, label="The group")

    await advance_to(peerpulse, TUESDAY_9 + timedelta(hours=48))
    posted = server.requests_to("POST", "/channels/{channel_id}/messages")
    assert posted
    assert all(r.status == 200 for r in posted)
    [summary] = summaries(server, group.home_channel_id)
    assert "**30 responses.**" in summary.text
    assert "30 would like a peer consultation" in summary.text
    if in_file:
        assert "30 shared notes are in the attached file" in summary.text
        [notes_file] = summary.attachments
        shown = notes_file.data.decode("utf-8")
        expected = [long_note(i, length) for i in range(30)]  # a file: exactly as typed
    else:
        assert "30 shared, in the next message(s)" in summary.text
        pages = [m for m in public_messages(server, group) if m.id > summary.id]
        assert len(pages) == 2
        shown = "\n".join(m.text for m in pages)
        expected = [plain(long_note(i, length)) for i in range(30)]  # markdown escaped
    assert all(note in shown for note in expected)
    for message in public_messages(server, group):
        assert len(message.content) <= 2000
        assert sum(embed_chars(e) for e in message.embeds) <= 6000
        for embed in message.embeds:
            assert len(embed.get("description") or "") <= 4096
            assert len(embed.get("fields") or []) <= 25
            assert all(len(f["value"]) <= 1024 for f in embed.get("fields") or [])
