"""/pulse settings and schedule: what each changes, refusals as one plain sentence."""

from __future__ import annotations

from datetime import timedelta

import pytest
from pulse_steps import answer, everyone, open_round, pulse, set_home

from bot.sandbox import SandboxServer
from bot.sandbox.chapters.pulse import result_posts
from bot.sandbox.demo import DemoGroup
from bot.sandbox.running_bot import RunningBot
from bot.text import plain

pytestmark = pytest.mark.e2e

SUPPORT = "Call **Mira** on 0123 <@123456789012345678> or @everyone, any time."


async def test_results_stay_out_of_the_channel_when_the_group_says_so(
    server: SandboxServer, group: DemoGroup, peerpulse: RunningBot
) -> None:
    mira = group.moderator_id
    await set_home(server, group)
    shown = await pulse(
        server,
        group,
        mira,
        "settings",
        k=3,
        post_results=False,
        support_text=SUPPORT,
        support_replaces=True,
        reminders=True,
        keep_raw_answers=True,
    )
    assert "Pulse settings saved" in shown
    assert "3: results only when at least 3 answered" in shown
    assert "replaces the default crisis lines" in shown
    post = await open_round(server, group, peerpulse)
    [note] = await answer(server, post, everyone(group)[:1])
    assert f"From your group: {plain(SUPPORT)}" in note
    assert "Samaritans" not in note  # the group's text replaces the default lines
    await answer(server, post, everyone(group)[1:3])
    await pulse(server, group, mira, "close")
    await peerpulse.advance(timedelta(minutes=2))
    assert result_posts(server, group.home_channel_id) == []
    assert "n = 3" in await pulse(server, group, group.member_ids[0], "group")
    bodies = [r.body for r in server.requests_to("POST", "/channels/{channel_id}/messages")]
    assert all(body["allowed_mentions"]["parse"] == [] for body in bodies)


async def test_members_are_refused_moderator_commands_with_one_sentence(
    server: SandboxServer, group: DemoGroup, peerpulse: RunningBot
) -> None:
    ana = group.member_ids[0]
    await set_home(server, group)
    for command in ("open", "close", "results", "chart", "export", "settings"):
        refused = await pulse(server, group, ana, command)
        assert "moderator" in refused.lower(), command
        assert refused.count(".") <= 2, refused


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        ({"weekday": "Monday"}, "Give a weekday and a time"),
        ({"weekday": "Someday", "time": "09:00"}, "weekday"),
        ({"weekday": "Monday", "time": "25:99"}, "time"),
        ({"weekday": "Monday", "time": "09:00", "days_open": 20}, "1 to 14 days"),
    ],
)
async def test_schedule_refuses_what_it_cannot_use(
    server: SandboxServer,
    group: DemoGroup,
    peerpulse: RunningBot,
    options: dict[str, object],
    expected: str,
) -> None:
    await set_home(server, group)
    refused = await pulse(server, group, group.moderator_id, "schedule", **options)
    assert expected in refused


async def test_schedule_off_and_a_second_open_are_refused_plainly(
    server: SandboxServer, group: DemoGroup, peerpulse: RunningBot
) -> None:
    mira = group.moderator_id
    await set_home(server, group)
    await pulse(server, group, mira, "schedule", weekday="Friday", time="08:00")
    off = await pulse(server, group, mira, "schedule", off=True)
    assert "Scheduled pulses are off" in off
    await open_round(server, group, peerpulse)
    again = await pulse(server, group, mira, "open")
    assert again == "A pulse is already open. Members can answer from its post."
    nothing = await pulse(server, group, mira, "close")
    assert "published" not in nothing
    assert "Not enough responses yet" in nothing
    closed = await pulse(server, group, mira, "close")
    assert closed == "No pulse is open in this group, so there is nothing to close."


async def test_support_text_can_be_cleared_and_an_unknown_instrument_is_refused(
    server: SandboxServer, group: DemoGroup, peerpulse: RunningBot
) -> None:
    mira = group.moderator_id
    await set_home(server, group)
    await pulse(server, group, mira, "settings", support_text="Our peer line: Fridays.")
    cleared = await pulse(server, group, mira, "settings", clear_support_text=True)
    assert "Fridays" not in cleared
    refused = await pulse(server, group, mira, "settings", instrument="nope")
    assert refused.startswith("There is no pulse instrument called 'nope'.")
    assert "peerpulse-default" in refused
