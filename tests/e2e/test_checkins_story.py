"""The sandbox chapter: two weeks of check-ins leave posts, forms, summaries and the chart."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.clock import VirtualClock
from bot.sandbox import SandboxServer
from bot.sandbox.chapters import CHAPTERS
from bot.sandbox.chapters.checkins import HISTORY_PNG, checkins, summaries
from bot.sandbox.demo import DemoGroup
from bot.sandbox.running_bot import RunningBot
from bot.sandbox.story import Story
from bot.sandbox.transcript import render_transcript

pytestmark = pytest.mark.e2e


async def test_two_weeks_of_check_ins_in_the_story(
    server: SandboxServer,
    group: DemoGroup,
    peerpulse: RunningBot,
    clock: VirtualClock,
    tmp_path: Path,
) -> None:
    assert checkins in CHAPTERS
    story = Story(server, group, peerpulse, clock, lambda _: None, tmp_path)
    for chapter in CHAPTERS[: CHAPTERS.index(checkins)]:
        await chapter(story)
    earlier_requests = len(server.requests)
    await checkins(story)

    assert (tmp_path / HISTORY_PNG).read_bytes().startswith(b"\x89PNG")
    weekly = summaries(server, group.home_channel_id)
    assert ["week 10 of 2026" in s.text for s in weekly] == [True, False]
    assert "Compared with last week" in weekly[1].text
    titles = [str(m.data.get("title")) for m in server.modals_shown()]
    assert "Change your check-in · week 10" in titles
    assert sum(t.startswith("Check-in · week") for t in titles) >= 8
    html = render_transcript(
        "check-ins", server.transcript_timelines(group.zones), generated_at=clock.now()
    )
    for seen in ("Weekly check-in · week 11 of 2026", "Check-in summary", "A gentle reminder"):
        assert seen in html
    # The flagged-note step, as Ben saw it: the warning with its two buttons, then the
    # edit form, then his saved answer.
    ben = html[html.index("<h2>Only Ben could see") :]
    ben = ben[: ben.index("</section>")]
    flagged = ben.index("Your note may identify a client")
    edit_form = ben.index("modal shown", flagged)
    saved = ben.index("Your note can be seen by")
    assert flagged < edit_form < saved
    assert "Client Maria cancelled twice" in ben[edit_form:saved]  # the form keeps his text
    assert "Edit my note" in ben[flagged:edit_form]
    assert "save as written" in ben[flagged:edit_form]
    assert "replaced by an edit at" in ben[ben.rindex("<article", 0, flagged) : flagged]
    # Open check-ins read "closes in 2 days" when posted, not "… ago" at the story's end.
    channel = html[: html.index("</section>")]
    assert "days ago" not in channel
    assert channel.count(">in 2 days<") == 2
    rejected = [r for r in server.requests[earlier_requests:] if r.status >= 400]
    assert rejected == []
