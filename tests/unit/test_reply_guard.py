"""The 3-second guard: a timer per interaction, cancelled on answer, deferring only the slow."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace
from typing import Any

import discord

from bot.app import replies

GRACE = 0.05


class FakeResponse:
    def __init__(self) -> None:
        self.type: discord.InteractionResponseType | None = None
        self.deferred: list[bool] = []  # `thinking` of each defer

    def is_done(self) -> bool:
        return self.type is not None

    async def send_message(self, content: str | None = None, **_: Any) -> None:
        assert self.type is None, "answered twice"
        self.type = discord.InteractionResponseType.channel_message

    async def defer(self, *, ephemeral: bool, thinking: bool) -> None:
        assert self.type is None, "answered twice"
        assert ephemeral
        self.deferred.append(thinking)
        self.type = discord.InteractionResponseType.deferred_channel_message


class FakeFollowup:
    def __init__(self) -> None:
        self.sent: list[str] = []

    async def send(self, content: str, **_: Any) -> None:
        self.sent.append(content)


def command(number: int) -> Any:
    return SimpleNamespace(
        id=number,
        type=discord.InteractionType.application_command,
        data={},
        message=None,
        extras={},
        response=FakeResponse(),
        followup=FakeFollowup(),
    )


async def test_a_slow_command_is_acknowledged_then_answered_as_a_follow_up() -> None:
    slow = command(1)
    replies.guard(slow, grace=GRACE)
    await asyncio.sleep(GRACE * 4)  # the handler is still working
    assert slow.response.deferred == [True]  # "thinking…", within Discord's 3 s
    await replies.respond(slow, "done")
    assert slow.followup.sent == ["done"]
    assert 1 not in replies._locks
    assert 1 not in replies._timers


async def test_a_quick_answer_cancels_the_guard_at_once() -> None:
    """Nothing of a quick interaction's guard outlives its answer: no timer, lock or task."""
    quick = command(2)
    tasks_before = len(asyncio.all_tasks())
    replies.guard(quick, grace=GRACE)
    assert len(asyncio.all_tasks()) == tasks_before  # a timer, not a task per interaction
    await replies.respond(quick, "done")
    assert 2 not in replies._locks
    assert 2 not in replies._timers
    await asyncio.sleep(GRACE * 4)
    assert quick.response.deferred == []
    assert quick.followup.sent == []


async def test_an_answer_sent_without_respond_is_not_deferred_again() -> None:
    direct = command(3)
    replies.guard(direct, grace=GRACE)
    await direct.response.send_message("a modal, say")
    await asyncio.sleep(GRACE * 4)
    assert direct.response.deferred == []
    assert 3 not in replies._locks
    assert not replies._guards
