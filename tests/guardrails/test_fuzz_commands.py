"""Fuzz every slash command of the synced tree through the sandbox, as a modified client.

Each option gets values of its declared type and beyond what the Discord client allows,
from members, moderators, people in DMs and in a foreign server. No answer may carry an
incident id or log an error; every command answers ephemerally, refusals are plain
sentences; the sandbox rejects no request; no message allows mentions.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest
from fuzz_values import EXAMPLES, FUZZ_SETTINGS, options_for, sweep
from guardrail_kit import (
    BotWorld,
    Findings,
    LogRecords,
    LoopThread,
    SyncedCommand,
    judged,
    synced_commands,
)
from hypothesis import example, given
from hypothesis import strategies as st

pytestmark = pytest.mark.e2e

FUZZ_SECONDS_BUDGET = 90.0  # for the whole module at 100 examples; see the report


def _actors(world: BotWorld) -> list[tuple[str, int, int]]:
    group, server = world.group, world.server
    ana, ben, *_ = group.member_ids
    return [
        ("moderator", group.moderator_id, group.home_channel_id),
        ("moderator role", group.cofacilitator_id, group.home_channel_id),
        ("member", ana, group.home_channel_id),
        ("member elsewhere", ben, group.other_channel_id),
        ("moderator in DM", group.moderator_id, server.actor(group.moderator_id).dm_channel_id()),
        ("member in DM", ana, server.actor(ana).dm_channel_id()),
        ("outsider", world.outsider_id, world.foreign_channel_id),
    ]


def _ids(world: BotWorld) -> list[str]:
    """Ids of real, foreign and wrong-kind objects for channel, role and user options."""
    server, group = world.server, world.group
    roles = list(server.world.guild(group.guild_id).roles)
    return [
        str(i)
        for i in (
            group.home_channel_id,
            group.other_channel_id,
            server.actor(group.moderator_id).dm_channel_id(),
            world.foreign_channel_id,
            world.foreign_role_id,
            *roles,  # @everyone (the guild id), the bot's managed role, the others
            group.moderator_id,
            group.member_ids[0],
            world.foreign_guild_id,
        )
    ]


async def _seeds(world: BotWorld) -> dict[str, dict[str, list[str]]]:
    """Valid values the bot itself suggests (autocomplete), per command and option."""
    mira = world.server.actor(world.group.moderator_id)
    seeds: dict[str, dict[str, list[str]]] = {}
    for command in synced_commands(world.server, world.group.guild_id):
        for option in command.options:
            if option.get("autocomplete"):
                values: list[str] = []
                for typed in ("", "e", "lon", "mon"):
                    choices = await mira.autocomplete(
                        command.path, option["name"], typed, channel_id=world.group.home_channel_id
                    )
                    values += [str(c["value"]) for c in choices[:5]]
                seeds.setdefault(command.path, {})[option["name"]] = sorted(set(values))
    return seeds


def _fuzz_one(  # noqa: PLR0917 - the shared pieces of one fuzz run
    world: BotWorld,
    loop_thread: LoopThread,
    logs: LogRecords,
    findings: Findings,
    command: SyncedCommand,
    actors: list[tuple[str, int, int]],
    ids: list[str],
    seeds: dict[str, list[str]],
) -> Callable[[], None]:
    """A hypothesis test for one command; each example is one interaction on the shared bot."""

    @FUZZ_SETTINGS
    @given(who=st.sampled_from(actors), values=options_for(command.options, ids, seeds))
    def fuzz(who: tuple[str, int, int], values: dict[str, Any]) -> None:
        _, user_id, channel_id = who
        act = world.server.actor(user_id).slash_unchecked(
            command.path, channel_id=channel_id, options=values
        )
        _, problems = loop_thread.run(judged(world.server, logs, act))
        findings.add(f"/{command.path}", problems, {"who": who[0], "options": values})

    for case in sweep(command.options, ids, seeds):
        fuzz = example(who=actors[0], values=case)(fuzz)
    return fuzz


def test_every_command_survives_fuzzed_options(
    world: BotWorld, loop_thread: LoopThread, logs: LogRecords
) -> None:
    started = time.monotonic()
    commands = synced_commands(world.server, world.group.guild_id)
    assert commands
    seeds = loop_thread.run(_seeds(world))
    actors = _actors(world)
    ids = _ids(world)
    findings = Findings()

    for command in commands:
        command_seeds = seeds.get(command.path, {})
        _fuzz_one(world, loop_thread, logs, findings, command, actors, ids, command_seeds)()

    elapsed = time.monotonic() - started
    print(f"fuzzed {len(commands)} commands, {findings.examples} examples in {elapsed:.1f} s")  # noqa: T201
    assert not findings.first, findings.report()
    assert findings.examples >= len(commands)
    if EXAMPLES <= 100:
        assert elapsed < FUZZ_SECONDS_BUDGET, f"the command fuzz took {elapsed:.0f} s"
