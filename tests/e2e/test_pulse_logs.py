"""The pulse at DEBUG: no log line names who submitted, and none counts an open survey."""

from __future__ import annotations

import asyncio
import logging
import re
import time
from datetime import timedelta
from pathlib import Path

import pytest
from pulse_steps import answer, open_round, pulse, set_home

from bot.clock import VirtualClock
from bot.logs import configure_logging
from bot.sandbox import SandboxServer
from bot.sandbox.chapters.pulse import ANSWERS, CONTINUE, KEYS, START, TAKE
from bot.sandbox.demo import DemoGroup, build_demo_group
from bot.sandbox.running_bot import sandbox_settings, start_bot

pytestmark = pytest.mark.e2e


async def test_no_log_line_names_a_submitter_or_counts_an_open_pulse(
    server: SandboxServer,
    group: DemoGroup,
    clock: VirtualClock,
    tmp_path: Path,
    debug_logging: pytest.LogCaptureFixture,
) -> None:
    token = group.credentials.token
    configure_logging("DEBUG", [token])
    logging.getLogger().addHandler(debug_logging.handler)
    running = await start_bot(sandbox_settings(server, token, tmp_path / "p.db"), clock)
    submitters = (group.member_ids[0], group.member_ids[1], group.member_ids[3])
    try:
        await set_home(server, group)
        await pulse(server, group, group.moderator_id, "settings", k=3)
        post = await open_round(server, group, running)
        opened = len(debug_logging.records)
        await answer(server, post, submitters)
        # A second try and an expired step: refusals log nothing about the member either.
        await answer(server, post, submitters[:1])
        await running.advance(timedelta(minutes=20))
        while_open = list(debug_logging.records[opened:])
        await pulse(server, group, group.moderator_id, "close")
        await running.advance(timedelta(minutes=2))
    finally:
        await running.stop()

    records = debug_logging.records
    assert any(r.levelno == logging.DEBUG for r in records)
    text = "\n".join(debug_logging.handler.format(r) for r in records)
    named = [m for m in submitters if str(m) in text or m.to_bytes(8, "big").hex() in text]
    assert named == []
    # No line per answer either (counting those lines would count the answers).
    counting = [
        r.getMessage()
        for r in while_open
        if re.search(r"answer|respon|submi|particip|stored", r.getMessage(), re.IGNORECASE)
    ]
    assert counting == []


class SkewedTime:
    """The sandbox's deadline clock, which a test can move past Discord's 3 s at once."""

    def __init__(self) -> None:
        self.skew = 0.0

    def __call__(self) -> float:
        return time.monotonic() + self.skew


async def test_a_step_answered_too_late_is_logged_without_its_member(
    clock: VirtualClock, tmp_path: Path, debug_logging: pytest.LogCaptureFixture
) -> None:
    deadline = SkewedTime()
    server = SandboxServer(clock=clock.now, now=deadline)
    await server.start()
    group = build_demo_group(server)
    configure_logging("DEBUG", [group.credentials.token])  # as `peerpulse run` does
    logging.getLogger().addHandler(debug_logging.handler)
    caplog = debug_logging
    running = await start_bot(
        sandbox_settings(server, group.credentials.token, tmp_path / "p.db"), clock
    )
    ana = server.actor(group.member_ids[0])
    try:
        await set_home(server, group)
        post = await open_round(server, group, running)
        intro = await ana.click(post, label=TAKE)
        assert intro.message is not None
        one = await ana.click(intro.message.id, label=START)
        assert one.modal is not None
        step = await ana.submit_modal(
            one.modal, {k: str(v) for k, v in zip(KEYS[:4], ANSWERS[0][:4], strict=True)}
        )
        assert step.message is not None
        two = await ana.click(step.message.id, label=CONTINUE)
        assert two.modal is not None
        await ana.submit_modal(
            two.modal,
            {k: str(v) for k, v in zip(KEYS[4:], ANSWERS[0][4:], strict=True)},
            wait=False,
        )
        deadline.skew = 5.0  # by the time the bot answers, 5 s have passed for Discord
        for _ in range(200):
            if any("pulse step expired" in r.getMessage() for r in caplog.records):
                break
            await asyncio.sleep(0.02)
    finally:
        await running.stop()
        await server.stop()
    messages = [caplog.handler.format(r) for r in caplog.records]
    assert any("a pulse step expired before it was answered" in m for m in messages)
    assert any("DEBUG" in m for m in messages)
    assert [m for m in messages if str(ana.user_id) in m] == []
