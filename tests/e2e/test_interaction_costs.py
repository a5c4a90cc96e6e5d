"""What an interaction costs the bot: no closed-DMs query, no polling, no form kept forever."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from checkin_steps import TUESDAY_9, advance_to, set_up

import cogs._checkin_form
from bot.checkins.rounds import CheckinService
from bot.delivery.recipients import DMS_CLOSED_HINT
from bot.sandbox import SandboxServer
from bot.sandbox.chapters.checkins import ANSWER, checkin_posts
from bot.sandbox.demo import DemoGroup
from bot.sandbox.running_bot import RunningBot
from cogs._checkin_context import COG_NAME, CheckinContext

pytestmark = pytest.mark.e2e

FORM = {
    "energy": "3",
    "caseload": "manageable",
    "boundaries": "mostly",
    "consult": "no",
    "note": "",
}


def live_forms(peerpulse: RunningBot) -> int:
    context = getattr(peerpulse.bot.get_cog(COG_NAME), "context", None)
    assert isinstance(context, CheckinContext)
    return len(context.live_forms)


async def test_an_interaction_asks_the_database_nothing_about_closed_dms(
    server: SandboxServer, group: DemoGroup, peerpulse: RunningBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    statements: list[str] = []
    for name in ("fetchone", "fetchall", "execute"):
        monkeypatch.setattr(peerpulse.db, name, _counting(getattr(peerpulse.db, name), statements))
    result = await server.actor(group.member_ids[0]).slash(
        "privacy", channel_id=group.home_channel_id
    )
    assert result.message is not None
    await asyncio.sleep(0.2)  # room for a listener that would query after the answer
    assert statements  # the wrapper works: /privacy itself looks the group up
    assert [s for s in statements if "dm_recipients" in s] == []


def _counting(method: Callable[..., Awaitable[Any]], seen: list[str]) -> Callable[..., Any]:
    async def counted(sql: str, *args: Any) -> Any:
        seen.append(sql)
        return await method(sql, *args)

    return counted


async def test_the_closed_dms_hint_follows_the_answer_of_a_form_submit(
    server: SandboxServer, group: DemoGroup, peerpulse: RunningBot
) -> None:
    """The hint waits for `respond`, not for a poll: a modal first, then the submit's answer."""
    ben = server.actor(group.member_ids[1])
    await set_up(server, group)
    await advance_to(peerpulse, TUESDAY_9)
    await peerpulse.db.execute(
        "INSERT INTO dm_recipients (user_id, dms_closed_at, updated_at) VALUES (?, ?, ?)",
        (ben.user_id, "2026-03-02T09:00:00+00:00", "2026-03-02T09:00:00+00:00"),
    )
    peerpulse.bot.closed_dms.mark(ben.user_id)
    [post] = checkin_posts(server, group.home_channel_id)
    opened = await ben.click(post.id, label=ANSWER)
    assert opened.modal is not None
    assert ben.user_id in peerpulse.bot.closed_dms  # a modal is no place for the hint
    submitted = await ben.submit_modal(opened.modal, FORM)
    assert submitted.message is not None
    assert "your check-in is saved" in submitted.message.content
    [hint] = await submitted.wait_followups(1)
    assert hint.content == DMS_CLOSED_HINT
    assert ben.user_id not in peerpulse.bot.closed_dms


async def test_submitted_forms_are_not_kept(
    server: SandboxServer, group: DemoGroup, peerpulse: RunningBot
) -> None:
    await set_up(server, group)
    await advance_to(peerpulse, TUESDAY_9)
    [post] = checkin_posts(server, group.home_channel_id)
    for member in group.member_ids[:3]:
        opened = await server.actor(member).click(post.id, label=ANSWER)
        assert opened.modal is not None
        assert live_forms(peerpulse) == 1
        submitted = await server.actor(member).submit_modal(opened.modal, FORM)
        assert submitted.message is not None
        assert "your check-in is saved" in submitted.message.content
        await until_no_live_forms(peerpulse)
        assert submitted.followups == []  # handled once, not also as an orphaned form


async def test_forms_that_time_out_are_not_kept(
    server: SandboxServer, group: DemoGroup, peerpulse: RunningBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cogs._checkin_form, "FORM_TIMEOUT", 0.2)
    await set_up(server, group)
    await advance_to(peerpulse, TUESDAY_9)
    [post] = checkin_posts(server, group.home_channel_id)
    for member in group.member_ids[:2]:
        opened = await server.actor(member).click(post.id, label=ANSWER)
        assert opened.modal is not None
    assert live_forms(peerpulse) == 2
    await until_no_live_forms(peerpulse)


async def until_no_live_forms(peerpulse: RunningBot) -> None:
    """The submit handler lets go of its form just after it answered."""
    for _ in range(50):
        if live_forms(peerpulse) == 0:
            return
        await asyncio.sleep(0.05)
    assert live_forms(peerpulse) == 0


async def test_checkin_history_acknowledges_before_it_queries(
    server: SandboxServer, group: DemoGroup, peerpulse: RunningBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The chart's query can be slow: the moderator sees "thinking…" before it starts."""
    await set_up(server, group)
    acknowledged_before: list[int] = []

    async def history(self: CheckinService, group_id: int, weeks: int) -> list[object]:
        acknowledged_before.append(len(server.requests_to("POST", CALLBACK)))
        return []

    monkeypatch.setattr(CheckinService, "history", history)
    answered = len(server.requests_to("POST", CALLBACK))
    result = await server.actor(group.moderator_id).slash(
        "checkin history", channel_id=group.home_channel_id
    )
    assert "nothing to chart" in (await result.final()).text
    assert acknowledged_before == [answered + 1]


CALLBACK = "/interactions/{interaction_id}/{interaction_token}/callback"
