"""Logs hold ids and counts only, at DEBUG too: no token, interaction token, note or answer."""

from __future__ import annotations

import logging
from datetime import timedelta
from pathlib import Path

import pytest
from checkin_steps import TUESDAY_9, advance_to, bot_dms, opt_in, set_up

from bot.clock import VirtualClock
from bot.logs import configure_logging
from bot.sandbox import SandboxServer
from bot.sandbox.chapters.checkins import answer_checkin, checkin_posts, latest_dm_with_button
from bot.sandbox.demo import DemoGroup
from bot.sandbox.running_bot import sandbox_settings, start_bot

pytestmark = pytest.mark.e2e

DM_NOTE = "ZEBRA-QUILL: my supervisor cancelled twice this month."
CHANNEL_NOTE = "OTTER-LANTERN: the group session on Thursday helped."


async def test_a_check_in_week_at_debug_logs_no_token_interaction_token_or_note(
    server: SandboxServer,
    group: DemoGroup,
    clock: VirtualClock,
    tmp_path: Path,
    debug_logging: pytest.LogCaptureFixture,
) -> None:
    token = group.credentials.token
    configure_logging("DEBUG", [token])  # as `peerpulse run` does with PEERPULSE_LOGGING__LEVEL
    logging.getLogger().addHandler(debug_logging.handler)  # and capture what reaches the root
    running = await start_bot(sandbox_settings(server, token, tmp_path / "p.db"), clock)
    try:
        ana, ben, *_ = group.member_ids
        await set_up(server, group)
        await opt_in(running, group, ana)
        await advance_to(running, TUESDAY_9)
        assert bot_dms(server, ana)
        invitation = latest_dm_with_button(server, ana)
        [post] = checkin_posts(server, group.home_channel_id)
        for author, message_id, note in (
            (ana, invitation.id, DM_NOTE),
            (ben, post.id, CHANNEL_NOTE),
        ):
            saved = await answer_checkin(
                server, author, message_id, energy=2, caseload="heavy", boundaries="no", note=note
            )
            assert saved.message is not None
        await advance_to(running, TUESDAY_9 + timedelta(hours=49))  # the summary is posted
    finally:
        await running.stop()

    records = debug_logging.records
    assert any(r.levelno == logging.DEBUG and r.name.startswith("discord") for r in records)
    lines = [debug_logging.handler.format(r) for r in records]
    text = "\n".join(lines)
    interaction_tokens = [i.token for i in server.world.interactions.values()]
    assert len(interaction_tokens) >= 4
    secrets = {"bot token": token, "note in DM": "ZEBRA-QUILL", "note in channel": "OTTER-LANTERN"}
    secrets |= {f"interaction token {n}": t for n, t in enumerate(interaction_tokens)}
    assert [what for what, secret in secrets.items() if secret in text] == []
