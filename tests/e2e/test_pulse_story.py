"""The sandbox chapter: three pulse rounds leave the invitation, both steps, the private
note, the results (one pooled, none for the round below k), the chart and the CSV."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image

from bot.clock import VirtualClock
from bot.sandbox import SandboxServer
from bot.sandbox.chapters import CHAPTERS
from bot.sandbox.chapters.pulse import (
    CHART_PNG,
    EXPORT_CSV,
    TAKE,
    pulse,
    pulse_posts,
    result_posts,
)
from bot.sandbox.demo import DemoGroup
from bot.sandbox.running_bot import RunningBot
from bot.sandbox.story import Story
from bot.sandbox.transcript import render_transcript

pytestmark = pytest.mark.e2e


async def test_three_pulse_rounds_in_the_story(
    server: SandboxServer,
    group: DemoGroup,
    peerpulse: RunningBot,
    clock: VirtualClock,
    tmp_path: Path,
) -> None:
    assert pulse in CHAPTERS
    story = Story(server, group, peerpulse, clock, lambda _: None, tmp_path)
    for chapter in CHAPTERS[: CHAPTERS.index(pulse)]:
        await chapter(story)
    await pulse(story)

    with Image.open(tmp_path / CHART_PNG) as chart:
        assert chart.size == (900, 500)
    rows = (tmp_path / EXPORT_CSV).read_text(encoding="utf-8").splitlines()
    assert len(rows) == 3  # the header, round one, rounds two and three pooled
    posts = result_posts(server, group.home_channel_id)
    assert len(posts) == 2
    assert "n = 8" in posts[0].text
    assert "pooled from 2 rounds" in posts[1].text
    titles = [str(m.data.get("title")) for m in server.modals_shown()]
    assert titles.count("Group pulse · step 1 of 2") == 8 + 4 + 3
    assert titles.count("Group pulse · step 2 of 2") == 8 + 4 + 3

    html = render_transcript(
        "pulse", server.transcript_timelines(group.zones), generated_at=clock.now()
    )
    for seen in (
        TAKE,
        "One submission per person.",
        "Group pulse · step 1 of 2",
        "Step 1 of 2 done.",
        "Group pulse · step 2 of 2",
        "Your own burnout index",
        "You have already answered this pulse.",
        "Group pulse · 1 Apr + 15 Apr",
        "not a validated instrument and not a diagnosis",
    ):
        assert seen in html, seen
    assert "n = 4" not in html
    assert "n = 3" not in html
    # Eve was away for two weeks from before round one: no invitation reached her for it;
    # back for round two, hers came with the others'.
    eve = group.member_ids[4]
    round_two = pulse_posts(server, group.home_channel_id)[1]
    invitations = [
        m for m in server.actor(eve).dms() if any(b.get("label") == TAKE for b in m.buttons())
    ]
    assert invitations
    assert all(m.id > round_two.id for m in invitations)
