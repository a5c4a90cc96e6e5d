"""Three rounds: published, below k (nothing shown anywhere), then published pooled.

Also the chart (a 900x500 PNG with alt text, the pooled point marked) and the CSV export
(published aggregates only, one row per published point).
"""

from __future__ import annotations

import csv
import io
import json
from datetime import timedelta

import pytest
from PIL import Image
from pulse_steps import answer, everyone, open_round, pulse, set_home

from bot.sandbox import SandboxServer
from bot.sandbox.chapters.pulse import result_posts
from bot.sandbox.demo import DemoGroup
from bot.sandbox.running_bot import RunningBot

pytestmark = pytest.mark.e2e


async def _round(
    server: SandboxServer, group: DemoGroup, running: RunningBot, people: tuple[int, ...]
) -> str:
    post = await open_round(server, group, running)
    await answer(server, post, people)
    closed = await pulse(server, group, group.moderator_id, "close")
    await running.advance(timedelta(minutes=2))
    return closed


async def _export_rows(server: SandboxServer, group: DemoGroup) -> list[dict[str, str]]:
    result = await server.actor(group.moderator_id).slash(
        "pulse export", channel_id=group.home_channel_id
    )
    [attachment] = (await result.final()).attachments
    assert attachment.filename == "pulse-results.csv"
    return list(csv.DictReader(io.StringIO(attachment.data.decode())))


async def test_a_round_below_k_shows_nothing_and_is_published_only_pooled(
    server: SandboxServer, group: DemoGroup, peerpulse: RunningBot
) -> None:
    mira, ana = group.moderator_id, group.member_ids[0]
    channel = group.home_channel_id
    people = everyone(group)
    await set_home(server, group)
    day_one = peerpulse.clock.now().date()
    await _round(server, group, peerpulse, people)
    first = await pulse(server, group, ana, "group")
    assert "n = 8" in first

    await peerpulse.advance(timedelta(days=1))
    day_two = peerpulse.clock.now().date()
    closed = await _round(server, group, peerpulse, people[:4])
    assert "Not enough responses yet to protect anonymity (n < 5)" in closed
    assert "4" not in closed
    assert len(result_posts(server, channel)) == 1
    assert await pulse(server, group, mira, "results") == first
    assert await pulse(server, group, ana, "group") == first
    rows = await _export_rows(server, group)
    assert [row["rounds"] for row in rows] == [day_one.isoformat()]

    await peerpulse.advance(timedelta(days=1))
    day_three = peerpulse.clock.now().date()
    await _round(server, group, peerpulse, people[4:7])
    posts = result_posts(server, channel)
    assert len(posts) == 2
    assert "pooled from 2 rounds" in posts[-1].text
    assert "n = 7" in posts[-1].text
    assert "n = 4" not in posts[-1].text
    assert "n = 3" not in posts[-1].text
    rows = await _export_rows(server, group)
    assert [(row["rounds"], row["pooled"], row["n"]) for row in rows] == [
        (day_one.isoformat(), "no", "8"),
        (f"{day_two.isoformat()} + {day_three.isoformat()}", "yes", "7"),
    ]
    assert await pulse(server, group, mira, "results") == await pulse(server, group, ana, "group")

    chart = await (await server.actor(mira).slash("pulse chart", channel_id=channel)).final()
    assert chart.ephemeral
    [png] = chart.attachments
    image = Image.open(io.BytesIO(png.data))
    assert image.size == (900, 500)
    colours = image.convert("RGB").getcolors(maxcolors=1 << 16)
    assert colours is None or len(colours) > 10  # not blank
    sent = json.dumps([r.body for r in server.requests if r.body is not None], default=str)
    assert "(pooled)" in sent  # the alt text marks the pooled point
    assert "n = 7" in sent


async def test_a_carried_round_is_a_gap_in_the_chart(
    server: SandboxServer, group: DemoGroup, peerpulse: RunningBot
) -> None:
    people = everyone(group)
    await set_home(server, group)
    await _round(server, group, peerpulse, people)
    await peerpulse.advance(timedelta(days=1))
    await _round(server, group, peerpulse, people[:2])
    chart = await (
        await server.actor(group.moderator_id).slash(
            "pulse chart", channel_id=group.home_channel_id
        )
    ).final()
    assert chart.attachments
    sent = json.dumps([r.body for r in server.requests if r.body is not None], default=str)
    assert "Not enough responses to protect anonymity, not shown" in sent
    assert "n = 2" not in sent


async def test_a_round_still_below_k_after_12_weeks_is_dropped_and_the_group_told(
    server: SandboxServer, group: DemoGroup, peerpulse: RunningBot
) -> None:
    people = everyone(group)
    await set_home(server, group)
    day = peerpulse.clock.now().date()
    await _round(server, group, peerpulse, people[:2])
    channel = group.home_channel_id
    before = len(server.actor(group.owner_id).sees(channel))
    await peerpulse.advance(timedelta(weeks=12, days=1))
    await peerpulse.advance(timedelta(minutes=1))
    told = [m.text for m in server.actor(group.owner_id).sees(channel)[before:]]
    assert len(told) == 1
    assert f"The pulse of {day.day} Mar did not get enough answers" in told[0]
    assert "(n < 5)" in told[0]
    assert "2" not in told[0].replace(f"{day.day} Mar", "").replace("12 weeks", "")
    await peerpulse.advance(timedelta(hours=1))
    assert len(server.actor(group.owner_id).sees(channel)) == before + 1  # told once
    assert result_posts(server, channel) == []
    shown = await pulse(server, group, group.member_ids[0], "group")
    assert "Not enough responses yet to protect anonymity (n < 5)." in shown
