"""The sandbox's boundaries chapter: DMs arrive at each member's local working time."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.clock import VirtualClock
from bot.delivery.recipients import DMS_CLOSED_HINT
from bot.members.hours import is_within
from bot.members.preferences import get_preferences
from bot.sandbox import SandboxServer
from bot.sandbox.chapters.boundaries import boundaries
from bot.sandbox.chapters.setting_up import setting_up
from bot.sandbox.demo import DemoGroup
from bot.sandbox.running_bot import RunningBot
from bot.sandbox.story import Story
from bot.sandbox.transcript import render_transcript

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize(
    "start",
    [datetime(2026, 3, 2, 9, 0, tzinfo=UTC), datetime(2026, 3, 6, 21, 30, tzinfo=UTC)],
    ids=["monday-morning", "friday-night"],
)
async def test_welcome_dms_arrive_in_each_members_hours_none_while_away_one_try_when_closed(
    server: SandboxServer,
    group: DemoGroup,
    peerpulse: RunningBot,
    *,
    clock: VirtualClock,
    tmp_path: Path,
    start: datetime,
) -> None:
    clock.set(start)
    lines: list[str] = []
    story = Story(server, group, peerpulse, clock, lines.append, tmp_path)
    await setting_up(story)
    await boundaries(story)

    ana, ben, chen, dev, eve = group.member_ids
    starts = {ana: "09:00", chen: "10:00", dev: "22:00"}  # held until their windows open
    for user_id in (ana, chen, dev):
        [dm] = server.dm_timeline(user_id)
        prefs = await get_preferences(peerpulse.db, 1, user_id)
        assert prefs.timezone == group.zones[user_id]
        assert is_within(prefs.hours, ZoneInfo(group.zones[user_id]), dm.timestamp)
        local = dm.timestamp.astimezone(ZoneInfo(group.zones[user_id]))
        assert f"{local:%H:%M}" == starts[user_id]
        assert any(f"arrives {local:%a %H:%M} in {group.zones[user_id]}" in line for line in lines)
    assert server.dm_timeline(eve) == []
    sends = server.requests_to("POST", "/channels/{channel_id}/messages")
    assert [(r.status, r.error_code) for r in sends if r.status != 200] == [(403, 50007)]
    hints = [
        m for m in server.actor(ben).sees(group.home_channel_id) if m.content == DMS_CLOSED_HINT
    ]
    assert len(hints) == 1
    status = next(
        m
        for m in server.actor(group.moderator_id).sees(group.home_channel_id)
        if "peerpulse status" in m.embed_text()
    )
    text = status.embed_text()
    assert (
        "Welcome messages: 3 delivered; 1 not delivered (the member's DMs were closed at the "
        "time); 1 not sent (the member was away)"
    ) in text
    # Ben used a command since his DM was refused: the count of closed DMs right now is 0,
    # and the status says why rather than contradicting the line above.
    assert "Right now no member is marked as having DMs closed: everyone whose DMs" in text
    assert "no member who opted in has DMs closed" not in text

    html = render_transcript("t", server.transcript_timelines(group.zones), generated_at=start)
    for user_id in (ana, chen, dev):
        assert f"DMs with {group.name_of(server, user_id)}" in html
        assert f"times in {group.zones[user_id]}" in html
