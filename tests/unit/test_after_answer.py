"""The closed-DMs hint: a set lookup per interaction, sent after the answer, never polled for."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace
from typing import Any

import discord

from bot.app import replies
from bot.delivery.recipients import ClosedDms
from cogs._checkin_context import LiveForms
from cogs.me import MeCog

CLOSED, OPEN = 7, 8


class FakeResponse:
    def __init__(self) -> None:
        self.type: discord.InteractionResponseType | None = None
        self.sent: list[str] = []

    def is_done(self) -> bool:
        return self.type is not None

    async def send_message(self, content: str | None = None, **_: Any) -> None:
        self.type = discord.InteractionResponseType.channel_message
        self.sent.append(content or "")


class FakeFollowup:
    def __init__(self) -> None:
        self.sent: list[str] = []

    async def send(self, content: str, **_: Any) -> None:
        self.sent.append(content)


def interaction(user_id: int, number: int = 1) -> Any:
    return SimpleNamespace(
        id=number,
        type=discord.InteractionType.application_command,
        user=SimpleNamespace(id=user_id),
        extras={},
        response=FakeResponse(),
        followup=FakeFollowup(),
    )


class FakeDb:
    def __init__(self) -> None:
        self.statements: list[str] = []

    async def fetchall(self, sql: str, params: Any = ()) -> list[Any]:
        self.statements.append(sql)
        return [{"user_id": CLOSED}]


def cog(closed: ClosedDms, db: FakeDb) -> Any:
    return MeCog(SimpleNamespace(closed_dms=closed, db=db))  # type: ignore[arg-type]


async def test_the_listener_neither_waits_nor_queries() -> None:
    """It returns at its first step, before the command has answered (no polling loop)."""
    db = FakeDb()
    closed = ClosedDms()
    closed.mark(CLOSED)
    for user in (CLOSED, OPEN):
        step = cog(closed, db).on_interaction(interaction(user))
        try:
            step.send(None)
        except StopIteration:
            pass
        else:  # pragma: no cover - the failure being tested for
            step.close()
            raise AssertionError("the closed-DMs listener suspended the interaction")
    assert db.statements == []


async def test_the_hint_follows_the_answer_once() -> None:
    db = FakeDb()
    closed = ClosedDms()
    closed.mark(CLOSED)
    first, second = interaction(CLOSED, 1), interaction(CLOSED, 2)
    for each in (first, second):
        await cog(closed, db).on_interaction(each)
    assert first.followup.sent == []  # nothing before the command's own answer
    await replies.respond(first, "your settings")
    await replies.respond(second, "your settings")
    for _ in range(5):
        await asyncio.sleep(0)
    assert first.response.sent == ["your settings"]
    assert len(first.followup.sent) == 1
    assert second.followup.sent == []  # once: the mark is cleared
    assert CLOSED not in closed
    assert len(db.statements) == 1  # the UPDATE that clears the database's mark


async def test_a_step_registered_after_the_answer_runs_at_once() -> None:
    answered = interaction(OPEN)
    await replies.respond(answered, "done")
    ran: list[int] = []

    async def step(i: Any) -> None:
        ran.append(i.id)

    replies.after_answer(answered, step)
    for _ in range(3):
        await asyncio.sleep(0)
    assert ran == [answered.id]


def test_live_forms_are_bounded_oldest_first() -> None:
    forms = LiveForms(limit=3)
    for n in range(5):
        forms.add(f"form-{n}")
    assert len(forms) == 3
    assert "form-0" not in forms
    assert "form-4" in forms
    forms.discard("form-4")
    forms.discard("never-added")
    assert len(forms) == 2


def test_a_submit_its_own_form_handled_is_never_taken_for_an_orphan() -> None:
    """The orphaned-forms listener may look after the form's handler let the form go."""
    forms = LiveForms(limit=2)
    forms.add("checkin:form:1:abc")
    forms.handling(41)
    forms.discard("checkin:form:1:abc")
    assert forms.handled(41)
    assert not forms.handled(42)  # a later submit of the same form is saved as an orphan
    for interaction_id in (43, 44):
        forms.handling(interaction_id)
    assert not forms.handled(41)  # bounded, oldest first
