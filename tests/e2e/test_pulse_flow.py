"""The pulse end to end: open, two steps, one submission, close, the same result for all."""

from __future__ import annotations

from datetime import timedelta

import pytest
from pulse_steps import answer, everyone, open_round, pulse, set_home

from bot.sandbox import SandboxServer
from bot.sandbox.chapters.pulse import ANSWERS, result_posts, take_pulse
from bot.sandbox.demo import DemoGroup
from bot.sandbox.running_bot import RunningBot

pytestmark = pytest.mark.e2e


async def test_eight_answer_and_everyone_sees_the_same_result(
    server: SandboxServer, group: DemoGroup, peerpulse: RunningBot
) -> None:
    await set_home(server, group)
    post = await open_round(server, group, peerpulse)
    notes = await answer(server, post, everyone(group))
    assert all("Your own burnout index" in note for note in notes), notes[0]
    assert all("not a validated instrument and not a diagnosis" in note for note in notes)
    assert all("Last verified" in note for note in notes)

    again = await take_pulse(server, group.member_ids[1], post, ANSWERS[0])
    assert again.message is not None
    assert again.message.ephemeral
    assert "already answered this pulse" in again.message.text

    closed = await pulse(server, group, group.moderator_id, "close")
    assert "published" in closed
    await peerpulse.advance(timedelta(minutes=1))
    [posted] = result_posts(server, group.home_channel_id)
    assert "n = 8" in posted.text
    assert "not a validated instrument and not a diagnosis" in posted.text
    results = await pulse(server, group, group.moderator_id, "results")
    member_view = await pulse(server, group, group.member_ids[2], "group")
    assert results == member_view
    assert "n = 8" in results
