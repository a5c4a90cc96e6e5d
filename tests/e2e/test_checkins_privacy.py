"""Check-in privacy end to end: notes held back below 3 answers, member text shown as typed."""

from __future__ import annotations

from datetime import timedelta

import pytest
from checkin_steps import TUESDAY_9, advance_to, public_messages, set_up

from bot.sandbox import SandboxServer
from bot.sandbox.chapters.checkins import answer_checkin, checkin_posts, summaries
from bot.sandbox.demo import DemoGroup
from bot.sandbox.running_bot import RunningBot

pytestmark = pytest.mark.e2e

PHISHING = "# Moderator notice\n[Verify your account](https://evil.example/login)\n```"
AFTER = "AFTER-NOTE: the peer group kept me going this week."


async def test_a_lone_group_note_is_held_back_and_its_author_told(
    server: SandboxServer, group: DemoGroup, peerpulse: RunningBot
) -> None:
    dev = group.member_ids[3]
    await set_up(server, group)
    await advance_to(peerpulse, TUESDAY_9)
    [post] = checkin_posts(server, group.home_channel_id)
    saved = await answer_checkin(
        server,
        dev,
        post.id,
        energy=2,
        caseload="heavy",
        boundaries="no",
        consult="yes_share",
        note="LONE-NOTE: I am struggling with a case.",
    )
    assert saved.message is not None
    # Before choosing, each choice says who reads the note and whether with her name.
    content = saved.message.content
    assert "**Moderators**: the moderators (Manage Server" in content
    assert "read it **with your name** in /checkin notes" in content
    assert "**The group**: quoted in the channel summary at close **without your name**" in content
    assert "only if at least 3 people answered" in content
    chosen = await server.actor(dev).click(saved.message.id, label="The group")
    assert chosen.message is not None
    assert "**the group, without your name**" in chosen.message.content
    assert "fewer than 3 people have answered" in chosen.message.content
    assert "held back and not posted" in chosen.message.content

    await advance_to(peerpulse, TUESDAY_9 + timedelta(hours=48))
    [summary] = summaries(server, group.home_channel_id)
    assert "**1 response.**" in summary.text
    assert "Notes written for the group are held back" in summary.text
    assert f"Would like a peer consultation: <@{dev}>." in summary.text  # her choice
    everything = "\n".join(m.text for m in public_messages(server, group))
    assert "LONE-NOTE" not in everything


async def test_a_hostile_note_is_shown_as_plain_text(
    server: SandboxServer, group: DemoGroup, peerpulse: RunningBot
) -> None:
    ana, ben, chen, *_ = group.member_ids
    await set_up(server, group)
    await advance_to(peerpulse, TUESDAY_9)
    [post] = checkin_posts(server, group.home_channel_id)
    for member, note in ((ana, PHISHING), (ben, AFTER), (chen, "<@&1> @everyone ||boo||")):
        saved = await answer_checkin(
            server, member, post.id, energy=3, caseload="heavy", boundaries="yes", note=note
        )
        assert saved.message is not None
        await server.actor(member).click(saved.message.id, label="The group")

    await advance_to(peerpulse, TUESDAY_9 + timedelta(hours=48))
    [notes] = [
        m
        for m in public_messages(server, group)
        if m.embeds and str(m.embeds[0].get("title", "")).startswith("Shared notes")
    ]
    shown = str(notes.embeds[0]["description"])
    assert "> \\# Moderator notice" in shown  # a quoted line, not a heading
    assert "\\[Verify your account\\](<https://evil.example/login)>" in shown  # no masked link
    assert "\\`\\`\\`" in shown
    assert "```" not in shown  # no code block swallows the notes after it
    assert AFTER in shown
    assert "\\<@&1\\>" in shown
    assert "@everyone" not in shown
    assert "\\|\\|boo\\|\\|" in shown
    assert notes.embeds[0].get("url") is None
