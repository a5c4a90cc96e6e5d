"""The permissions matrix: every synced command declares its audience, and the bot enforces it.

The declaration lives on the commands (`extras=audience(...)`, bot/app/audience.py); the
tests read the synced command tree, so a new command is covered (or fails) without
editing this file.
"""

from __future__ import annotations

from typing import Any

import pytest
from guardrail_kit import (
    BotWorld,
    LogRecords,
    LoopThread,
    SyncedCommand,
    changed_tables,
    is_plain_refusal,
    message_text,
    rejected,
    snapshot,
    synced_commands,
)

from bot.app.audience import AUDIENCES, declared_audiences
from bot.groups import group_for_channel
from bot.moderation import refusal
from bot.sandbox.options import BOOLEAN, CHANNEL, INTEGER, MENTIONABLE, NUMBER, ROLE, USER

pytestmark = pytest.mark.e2e


def plausible_options(world: BotWorld, command: SyncedCommand) -> dict[str, Any]:
    """A value for every option, of its declared type and within its bounds."""
    group = world.group
    values: dict[str, Any] = {}
    for option in command.options:
        kind = int(option["type"])
        if option.get("choices"):
            values[option["name"]] = option["choices"][0]["value"]
        elif kind in (INTEGER, NUMBER):
            values[option["name"]] = option.get("min_value", 1)
        elif kind == BOOLEAN:
            values[option["name"]] = True
        elif kind == CHANNEL:
            values[option["name"]] = str(group.home_channel_id)
        elif kind == ROLE:
            values[option["name"]] = str(group.cofacilitator_role_id)
        elif kind in (USER, MENTIONABLE):
            values[option["name"]] = str(group.member_ids[0])
        else:
            values[option["name"]] = "09:00" if option["name"] == "time" else "Monday"
    return values


@pytest.fixture(scope="module")
def set_up_group(world: BotWorld, loop_thread: LoopThread) -> BotWorld:
    """The moderator has set the group up (zone, channel, moderator role) and check-ins."""

    async def set_up() -> None:
        mira = world.server.actor(world.group.moderator_id)
        home = world.group.home_channel_id
        await mira.slash(
            "peerpulse settings",
            channel_id=home,
            options={"home_channel": home, "moderator_role": world.group.cofacilitator_role_id},
        )
        await mira.slash(
            "checkin setup", channel_id=home, options={"weekday": "Tuesday", "time": "09:00"}
        )

    loop_thread.run(set_up())
    return world


def by_audience(world: BotWorld, audience: str) -> list[SyncedCommand]:
    declared = declared_audiences(world.running.bot.tree)
    return [
        c
        for c in synced_commands(world.server, world.group.guild_id)
        if declared.get(c.path) == audience
    ]


def test_every_synced_command_declares_its_audience(world: BotWorld) -> None:
    synced = [c.path for c in synced_commands(world.server, world.group.guild_id)]
    declared = declared_audiences(world.running.bot.tree)
    assert synced, "the bot synced no commands"
    undeclared = [path for path in synced if declared.get(path) not in AUDIENCES]
    assert not undeclared, (
        f"commands without an audience: {undeclared}; add extras=audience('member' | "
        "'moderator' | 'everyone') to the command or its group"
    )
    assert sorted(declared) == sorted(synced), "the synced tree and the bot's tree differ"
    assert by_audience(world, "moderator"), "no moderator command found: the matrix tests nothing"


def test_moderator_commands_are_not_offered_in_dms(world: BotWorld) -> None:
    offered = [c.path for c in by_audience(world, "moderator") if c.in_dms]
    assert not offered, f"moderator commands offered in DMs: {offered}"


async def _refused(
    world: BotWorld, user_id: int, channel_id: int, command: SyncedCommand, expected: str | None
) -> list[str]:
    before = await snapshot(world.db)
    mark = len(world.server.requests)
    result = await world.server.actor(user_id).slash_unchecked(
        command.path, channel_id=channel_id, options=plausible_options(world, command)
    )
    messages = [m for m in [result.message] if m is not None] + result.followups
    problems = []
    if len(messages) != 1 or not is_plain_refusal(messages[0]):
        shown = [message_text(m)[:160] for m in messages]
        problems.append(f"/{command.path}: not one plain ephemeral refusal: {shown}")
    elif expected is not None and messages[0].content != expected:
        problems.append(f"/{command.path}: refused with {messages[0].content!r}, not {expected!r}")
    changed = changed_tables(before, await snapshot(world.db))
    if changed:
        problems.append(f"/{command.path}: changed tables {changed}")
    problems += [f"/{command.path}: {r}" for r in rejected(world.server.requests[mark:])]
    return problems


def test_members_are_refused_every_moderator_command(
    set_up_group: BotWorld, loop_thread: LoopThread, logs: LogRecords
) -> None:
    """Ana (no Manage Server, not in the moderator role) tries each moderator command."""
    world = set_up_group
    ana = world.group.member_ids[0]
    home = world.group.home_channel_id
    mark = logs.mark

    async def attempt() -> list[str]:
        group = await group_for_channel(world.db, world.group.guild_id, home)
        assert group is not None
        assert group.moderator_role_id == world.group.cofacilitator_role_id
        expected = refusal(group.moderator_role_id)
        problems: list[str] = []
        for command in by_audience(world, "moderator"):
            problems += await _refused(world, ana, home, command, expected)
        return problems

    problems = loop_thread.run(attempt())
    assert not problems, "\n".join(problems)
    assert not logs.errors_since(mark)


def test_moderator_commands_are_refused_in_dms(
    set_up_group: BotWorld, loop_thread: LoopThread, logs: LogRecords
) -> None:
    """Moderator commands, and any command not offered in DMs, are refused there.

    Even for a moderator, even from a client that sends them anyway.
    """
    world = set_up_group
    mira = world.group.moderator_id
    mark = logs.mark

    async def attempt() -> list[str]:
        dm = world.server.actor(mira).dm_channel_id()
        problems: list[str] = []
        declared = declared_audiences(world.running.bot.tree)
        for command in synced_commands(world.server, world.group.guild_id):
            if declared.get(command.path) == "moderator" or not command.in_dms:
                problems += await _refused(world, mira, dm, command, None)
        return problems

    problems = loop_thread.run(attempt())
    assert not problems, "\n".join(problems)
    assert not logs.errors_since(mark)


def test_the_moderator_role_grants_moderator_commands(
    set_up_group: BotWorld, loop_thread: LoopThread
) -> None:
    """The matrix's other side: Theo (moderator role only) is not refused as a non-moderator."""
    world = set_up_group
    theo = world.group.cofacilitator_id
    home = world.group.home_channel_id

    async def attempt() -> list[str]:
        group = await group_for_channel(world.db, world.group.guild_id, home)
        assert group is not None
        refused = []
        for command in by_audience(world, "moderator"):
            if command.path in {"checkin now", "checkin pause", "checkin resume"}:
                continue  # they change the schedule other tests in this module rely on
            result = await world.server.actor(theo).slash_unchecked(
                command.path, channel_id=home, options=plausible_options(world, command)
            )
            texts = [message_text(m) for m in [result.message, *result.followups] if m]
            if any(refusal(group.moderator_role_id) in t for t in texts):
                refused.append(command.path)
        return refused

    assert loop_thread.run(attempt()) == []
