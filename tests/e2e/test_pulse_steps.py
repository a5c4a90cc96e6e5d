"""The two survey steps: what is said first, step one held in memory only, then forgotten."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from pulse_steps import open_round, set_home

from bot.clock import VirtualClock
from bot.pulse.crisis import last_verified, load_crisis_resources
from bot.sandbox import SandboxServer
from bot.sandbox.chapters.pulse import ANSWERS, CONTINUE, KEYS, START, TAKE, take_pulse
from bot.sandbox.demo import DemoGroup
from bot.sandbox.running_bot import RunningBot, sandbox_settings, start_bot
from cogs._pulse_context import Drafts

pytestmark = pytest.mark.e2e


def drafts_of(running: RunningBot) -> Drafts:
    cog = running.bot.get_cog("Pulse")
    drafts = getattr(getattr(cog, "context", None), "drafts", None)
    assert isinstance(drafts, Drafts)
    return drafts


async def _step_one(server: SandboxServer, user_id: int, post: int) -> int:
    """Take, Start, submit step one; returns the Continue message's id."""
    actor = server.actor(user_id)
    intro = await actor.click(post, label=TAKE)
    assert intro.message is not None
    assert intro.message.ephemeral
    assert "One submission per person." in intro.message.text
    assert "cannot be changed or deleted afterwards" in intro.message.text
    assert "only group aggregates, after the pulse closes" in intro.message.text
    one = await actor.click(intro.message.id, label=START)
    assert one.modal is not None
    assert list(one.modal.inputs()) == list(KEYS[:4])
    step = await actor.submit_modal(
        one.modal, {key: str(v) for key, v in zip(KEYS[:4], ANSWERS[0][:4], strict=True)}
    )
    assert step.message is not None
    assert step.message.ephemeral
    assert [b["label"] for b in step.message.buttons()] == [CONTINUE]
    return step.message.id


async def test_step_one_is_held_in_memory_until_submit_then_forgotten(
    server: SandboxServer, group: DemoGroup, peerpulse: RunningBot
) -> None:
    ana = group.member_ids[0]
    await set_home(server, group)
    post = await open_round(server, group, peerpulse)
    drafts = drafts_of(peerpulse)
    continue_at = await _step_one(server, ana, post)
    assert len(drafts) == 1
    rows = await peerpulse.db.fetchone("SELECT COUNT(*) FROM pulse_answers")
    assert rows is not None
    assert rows[0] == 0  # nothing stored before step two

    two = await server.actor(ana).click(continue_at, label=CONTINUE)
    assert two.modal is not None
    assert list(two.modal.inputs()) == list(KEYS[4:])
    done = await server.actor(ana).submit_modal(
        two.modal, {key: str(v) for key, v in zip(KEYS[4:], ANSWERS[0][4:], strict=True)}
    )
    assert done.message is not None
    assert done.message.ephemeral
    assert "Your own burnout index" in done.message.text
    assert "Caseload felt manageable" in done.message.text
    assert "not a validated instrument and not a diagnosis" in done.message.text
    verified = last_verified(load_crisis_resources()).isoformat()
    assert f"Last verified {verified}" in done.message.text
    assert len(drafts) == 0
    rows = await peerpulse.db.fetchone("SELECT COUNT(*) FROM pulse_answers")
    assert rows is not None
    assert rows[0] == 1


async def test_step_one_is_forgotten_after_15_minutes(
    server: SandboxServer, group: DemoGroup, peerpulse: RunningBot
) -> None:
    ben = group.member_ids[1]
    await set_home(server, group)
    post = await open_round(server, group, peerpulse)
    drafts = drafts_of(peerpulse)
    continue_at = await _step_one(server, ben, post)
    await peerpulse.advance(timedelta(minutes=14))
    assert len(drafts) == 1
    await peerpulse.advance(timedelta(minutes=1))
    assert len(drafts) == 0  # the due step forgot it, with nobody pressing anything

    late = await server.actor(ben).click(continue_at, label=CONTINUE)
    assert late.message is not None
    assert late.message.ephemeral
    assert "15 minutes" in late.message.text
    assert "nothing was stored" in late.message.text
    rows = await peerpulse.db.fetchone("SELECT COUNT(*) FROM pulse_answers")
    assert rows is not None
    assert rows[0] == 0


async def test_someone_elses_continue_token_finds_nothing(
    server: SandboxServer, group: DemoGroup, peerpulse: RunningBot
) -> None:
    ana, ben = group.member_ids[:2]
    await set_home(server, group)
    await open_round(server, group, peerpulse)
    drafts = drafts_of(peerpulse)
    now = peerpulse.clock.now()
    token = drafts.hold(1, ana, (1, 2, 3, 4), now)
    assert drafts.peek(token, ben, now) is None
    assert drafts.take(token, ben, now) is None
    assert drafts.take(token, ana, now) is not None
    assert len(drafts) == 0


async def test_across_a_restart_the_buttons_work_and_step_one_is_forgotten(
    server: SandboxServer, group: DemoGroup, clock: VirtualClock, tmp_path: Path
) -> None:
    ana, ben = group.member_ids[:2]
    settings = sandbox_settings(server, group.credentials.token, tmp_path / "peerpulse.db")
    first = await start_bot(settings, clock)
    try:
        await set_home(server, group)
        post = await open_round(server, group, first)
        continue_at = await _step_one(server, ana, post)
        intro = await server.actor(ben).click(post, label=TAKE)
        assert intro.message is not None
        opened = await server.actor(ben).click(intro.message.id, label=START)
        assert opened.modal is not None
    finally:
        await first.stop()

    second = await start_bot(settings, clock, sync=False)
    try:
        late = await server.actor(ana).click(continue_at, label=CONTINUE)
        assert late.message is not None
        assert "nothing was stored" in late.message.text
        # Ben's step one, opened before the restart, is still taken from its raw values.
        step = await server.actor(ben).submit_modal(
            opened.modal, {key: str(v) for key, v in zip(KEYS[:4], ANSWERS[1][:4], strict=True)}
        )
        assert step.message is not None
        assert [b["label"] for b in step.message.buttons()] == [CONTINUE]
        note = await take_pulse(server, ana, post, ANSWERS[2])
        assert note.message is not None
        assert "Your own burnout index" in note.message.text
    finally:
        await second.stop()
