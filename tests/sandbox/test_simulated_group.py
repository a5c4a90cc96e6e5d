"""The simulated group: a seed replays the same cast; members act in their daytime, never
while away or after leaving."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.clock import VirtualClock
from bot.sandbox.cast import Cast, build_cast
from bot.sandbox.demo import DemoGroup
from bot.sandbox.group_life import DAY_ENDS, DAY_STARTS, GroupLife, _Plan
from bot.sandbox.ratelimit import Decision, RateLimiter
from bot.sandbox.scenario import story_seconds
from bot.sandbox.server import SandboxServer

START = datetime(2026, 3, 2, 14, 0, tzinfo=UTC)
SIX_WEEKS = START + timedelta(weeks=6)


def cast_for(seed: int, members: int = 8) -> tuple[SandboxServer, DemoGroup, Cast]:
    server = SandboxServer(clock=lambda: START)
    group, cast = build_cast(server, members, random.Random(seed))  # noqa: S311
    return server, group, cast


def signature(group: DemoGroup, cast: Cast, server: SandboxServer) -> list[object]:
    return [
        (group.name_of(server, user_id), group.zones[user_id], cast.habits[user_id])
        for user_id in cast.extras
    ]


def test_the_same_seed_gives_the_same_group_and_another_seed_another() -> None:
    one, again, other = cast_for(1), cast_for(1), cast_for(2)
    assert signature(one[1], one[2], one[0]) == signature(again[1], again[2], again[0])
    assert signature(one[1], one[2], one[0]) != signature(other[1], other[2], other[0])


@pytest.mark.parametrize("members", [7, 8, 30])
def test_members_counts_everyone_and_the_late_joiner_is_not_there_yet(members: int) -> None:
    server, group, cast = cast_for(3, members)
    assert len(group.member_ids) + len(cast.extras) == members
    in_server = set(server.world.guild(group.guild_id).members)
    assert cast.joins_late not in in_server
    assert {cast.leaves, *cast.present_from_start, *group.member_ids} <= in_server
    assert cast.joins_late != cast.leaves


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_four_zones_or_more_and_one_crosses_a_dst_change_in_six_weeks(seed: int) -> None:
    _, group, cast = cast_for(seed)
    people = [*group.member_ids, *cast.extras]
    zones = {group.zones[user_id] for user_id in people}
    assert len(zones) >= 4
    changes = [
        z
        for z in zones
        if START.astimezone(ZoneInfo(z)).utcoffset()
        != SIX_WEEKS.astimezone(ZoneInfo(z)).utcoffset()
    ]
    assert changes


def life_for(seed: int) -> tuple[SandboxServer, DemoGroup, Cast, GroupLife]:
    server, group, cast = cast_for(seed)
    return server, group, cast, GroupLife(server, group, cast, random.Random(seed))  # noqa: S311


@given(st.integers(0, 10_000), st.integers(0, 7 * 24 * 60))
def test_a_member_acts_in_their_own_daytime(seed: int, minutes: int) -> None:
    _, group, cast, life = life_for(seed % 3)
    member = cast.present_from_start[0]
    at = life._daytime(member, START + timedelta(minutes=minutes))
    local = at.astimezone(ZoneInfo(group.zones[member])).time()
    assert DAY_STARTS <= local < max(DAY_ENDS, DAY_STARTS.replace(hour=9, minute=30))
    assert at >= START + timedelta(minutes=minutes)


async def test_nothing_is_done_while_away_or_after_leaving() -> None:
    _, _, cast, life = life_for(1)
    away, leaver = cast.present_from_start
    acted: list[int] = []

    async def act(plan: _Plan) -> None:
        acted.append(plan.user_id)

    life._act = act  # type: ignore[method-assign]
    life.plans = [_Plan(START, away, "rsvp", 1, label="Going"), _Plan(START, leaver, "rsvp", 1)]
    life.away(away, START + timedelta(days=14))
    life.exclude(leaver)
    await life.step(START + timedelta(hours=1))
    assert acted == []
    assert life.plans == []


def test_hours_the_story_skips_empty_the_rate_limit_buckets_as_on_discord() -> None:
    clock = VirtualClock(START)
    limits = RateLimiter(now=story_seconds(clock))

    def post() -> Decision:
        return limits.check(
            bot_token="t", method="POST", route="/channels/{channel_id}/messages", major="1"
        )

    assert [post().allowed for _ in range(6)] == [True] * 5 + [False]
    clock.advance(timedelta(hours=3))  # the story's next moment, days of posts later
    assert post().allowed
