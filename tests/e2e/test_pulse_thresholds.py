"""Below k nothing is shown anywhere, only "not enough responses yet (n < k)"; at k all is."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta

import pytest
from pulse_steps import answer, everyone, open_round, pulse, set_home

from bot.sandbox import SandboxServer
from bot.sandbox.chapters.pulse import result_posts
from bot.sandbox.demo import DemoGroup
from bot.sandbox.running_bot import RunningBot

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize(("k", "n"), [(3, 2), (3, 3), (5, 4), (5, 5), (7, 6), (7, 7)])
async def test_a_result_appears_only_with_k_answers(
    server: SandboxServer, group: DemoGroup, peerpulse: RunningBot, k: int, n: int
) -> None:
    mira, ana = group.moderator_id, group.member_ids[0]
    await set_home(server, group)
    await pulse(server, group, mira, "settings", k=k)
    post = await open_round(server, group, peerpulse)
    await answer(server, post, everyone(group)[:n])
    closed = await pulse(server, group, mira, "close")
    await peerpulse.advance(timedelta(minutes=2))

    views = {
        "close": closed,
        "results": await pulse(server, group, mira, "results"),
        "group": await pulse(server, group, ana, "group"),
        "chart": await pulse(server, group, mira, "chart"),
        "export": await pulse(server, group, mira, "export"),
    }
    posts = result_posts(server, group.home_channel_id)
    if n < k:
        for where, text in views.items():
            assert f"Not enough responses yet to protect anonymity (n < {k})." in text, where
            assert f"n = {n}" not in text, where
            assert str(n) not in text.replace(str(k), ""), where
        assert posts == []
        return
    [posted] = posts
    assert f"n = {k}" in posted.text
    assert views["results"] == views["group"]
    assert f"n = {k}" in views["results"]
    exported = await (
        await server.actor(mira).slash("pulse export", channel_id=group.home_channel_id)
    ).final()
    [attachment] = exported.attachments
    rows = list(csv.DictReader(io.StringIO(attachment.data.decode())))
    assert [row["n"] for row in rows] == [str(k)]


async def test_shares_are_rounded_to_ten_percent_below_ten_answers(
    server: SandboxServer, group: DemoGroup, peerpulse: RunningBot
) -> None:
    await set_home(server, group)
    await pulse(server, group, group.moderator_id, "settings", k=3)
    post = await open_round(server, group, peerpulse)
    await answer(server, post, everyone(group)[:3])
    await pulse(server, group, group.moderator_id, "close")
    shown = await pulse(server, group, group.member_ids[0], "group")
    percents = [int(p) for p in re.findall(r"(\d+)% ", shown)]
    assert percents
    assert all(p % 10 == 0 for p in percents)
