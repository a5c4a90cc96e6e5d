"""Every button the bot sent works after a restart, or answers with a plain sentence.

The erase confirmation of /me forget and the two choices under a flagged check-in note
used to live in memory only: after a restart (or their 10- and 30-minute timeouts) a
click did nothing, and "save as written" lost the whole answer.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from checkin_steps import TUESDAY_9, advance_to, count, set_up

from bot.clock import VirtualClock
from bot.sandbox import SandboxServer
from bot.sandbox.chapters.checkins import answer_checkin, checkin_posts
from bot.sandbox.demo import DemoGroup
from bot.sandbox.running_bot import RunningBot, sandbox_settings, start_bot

pytestmark = pytest.mark.e2e

FLAGGED_NOTE = "Client Maria (maria@example.org) cancelled again; I felt relieved."
SAVE = "It identifies no one: save as written"
EDIT = "Edit my note"


async def restarted(
    running: RunningBot, path: Path, server: SandboxServer, group: DemoGroup, clock: VirtualClock
) -> RunningBot:
    """Stop the bot and start a new process's worth of it on the same database."""
    await running.stop()
    return await start_bot(
        sandbox_settings(server, group.credentials.token, path), clock, sync=False
    )


async def test_the_erase_confirmation_works_after_a_restart(
    server: SandboxServer, group: DemoGroup, clock: VirtualClock, tmp_path: Path
) -> None:
    ana = server.actor(group.member_ids[0])
    path = tmp_path / "peerpulse.db"
    running = await start_bot(sandbox_settings(server, group.credentials.token, path), clock)
    try:
        await ana.slash(
            "me timezone", channel_id=group.home_channel_id, options={"zone": "Europe/London"}
        )
        asked = await ana.slash("me forget", channel_id=group.home_channel_id)
        assert asked.message is not None
        running = await restarted(running, path, server, group, clock)
        clock.advance(timedelta(minutes=45))  # past the old 10-minute view timeout too

        assert await count(running, "SELECT COUNT(*) FROM member_preferences") == 1
        erased = await ana.click(asked.message.id, label="Erase everything")
        assert erased.message is not None
        assert "Erased: your settings" in erased.message.content
        assert erased.message.buttons() == []
        assert await count(running, "SELECT COUNT(*) FROM member_preferences") == 0
    finally:
        await running.stop()


async def test_a_flagged_note_can_be_saved_as_written_after_a_restart(
    server: SandboxServer, group: DemoGroup, clock: VirtualClock, tmp_path: Path
) -> None:
    ana, ben = group.member_ids[:2]
    path = tmp_path / "peerpulse.db"
    running = await start_bot(sandbox_settings(server, group.credentials.token, path), clock)
    try:
        await set_up(server, group)
        await advance_to(running, TUESDAY_9)
        [post] = checkin_posts(server, group.home_channel_id)
        flagged = await answer_checkin(
            server, ana, post.id, energy=2, caseload="heavy", boundaries="no", note=FLAGGED_NOTE
        )
        assert flagged.message is not None
        assert "may identify a client" in flagged.message.content
        ben_flagged = await answer_checkin(
            server, ben, post.id, energy=4, caseload="light", boundaries="yes", note=FLAGGED_NOTE
        )
        assert ben_flagged.message is not None
        assert await count(running, "SELECT COUNT(*) FROM checkin_answers") == 0

        running = await restarted(running, path, server, group, clock)
        clock.advance(timedelta(minutes=40))  # past the old 30-minute view timeout too

        # Ben edits: the form reopens with everything he typed, after the restart.
        edit = await server.actor(ben).click(ben_flagged.message.id, label=EDIT)
        assert edit.modal is not None
        assert edit.modal.inputs()["note"]["value"] == FLAGGED_NOTE

        # Ana saves as written: her whole answer, note included, is saved.
        saved = await server.actor(ana).click(flagged.message.id, label=SAVE)
        assert saved.message is not None
        assert "your check-in is saved" in saved.message.content
        row = await running.db.fetchone(
            "SELECT energy, caseload, boundaries, note FROM checkin_answers WHERE user_id = ?",
            (ana,),
        )
        assert row is not None
        assert tuple(row) == (2, "heavy", "no", FLAGGED_NOTE)
        # What was held for her decision is gone once saved.
        held = "SELECT COUNT(*) FROM checkin_pending WHERE user_id = ?"
        assert await count(running, held, ana) == 0
    finally:
        await running.stop()


async def test_a_held_answer_expires_after_an_hour_with_a_plain_sentence(
    server: SandboxServer, group: DemoGroup, peerpulse: RunningBot
) -> None:
    ana = group.member_ids[0]
    await set_up(server, group)
    await advance_to(peerpulse, TUESDAY_9)
    [post] = checkin_posts(server, group.home_channel_id)
    flagged = await answer_checkin(
        server, ana, post.id, energy=2, caseload="heavy", boundaries="no", note=FLAGGED_NOTE
    )
    assert flagged.message is not None

    await peerpulse.advance(timedelta(minutes=61))
    assert await count(peerpulse, "SELECT COUNT(*) FROM checkin_pending") == 0  # purged
    late = await server.actor(ana).click(flagged.message.id, label=SAVE)
    assert late.message is not None
    assert late.message.ephemeral
    assert "I no longer hold this unsaved answer" in late.message.content
    assert "it was not saved" in late.message.content
    # The warning with her note is still there to copy from.
    [kept] = [m for m in server.actor(ana).sees(post.channel_id) if m.id == flagged.message.id]
    assert "Maria" in kept.text
    assert await count(peerpulse, "SELECT COUNT(*) FROM checkin_answers") == 0


async def test_forget_erases_an_answer_held_for_a_flagged_note(
    server: SandboxServer, group: DemoGroup, peerpulse: RunningBot
) -> None:
    ana = group.member_ids[0]
    await set_up(server, group)
    await advance_to(peerpulse, TUESDAY_9)
    [post] = checkin_posts(server, group.home_channel_id)
    await answer_checkin(
        server, ana, post.id, energy=2, caseload="heavy", boundaries="no", note=FLAGGED_NOTE
    )
    assert await count(peerpulse, "SELECT COUNT(*) FROM checkin_pending") == 1
    asked = await server.actor(ana).slash("me forget", channel_id=group.home_channel_id)
    assert asked.message is not None
    await server.actor(ana).click(asked.message.id, label="Erase everything")
    assert await count(peerpulse, "SELECT COUNT(*) FROM checkin_pending") == 0


async def test_a_button_from_an_older_version_answers_with_a_plain_sentence(
    server: SandboxServer, group: DemoGroup, peerpulse: RunningBot
) -> None:
    """The old in-memory confirmation had a random custom_id that nothing claims any more."""
    ana = server.actor(group.member_ids[0])
    app = server.application
    old = server.core.create_message(
        channel_id=group.home_channel_id,
        author_id=app.bot_user_id,
        payload={
            "content": "Erase everything?",
            "components": [
                {
                    "type": 1,
                    "components": [
                        {
                            "type": 2,
                            "style": 4,
                            "label": "Erase everything",
                            "custom_id": "9f1c2e7a5b3d4c6e8f0a1b2c3d4e5f60",
                        }
                    ],
                }
            ],
        },
        ephemeral_to=ana.user_id,
        application_id=app.id,
    )
    clicked = await ana.click(old.id, label="Erase everything")
    assert clicked.message is not None
    assert clicked.message.ephemeral
    assert "This button no longer works" in clicked.message.content
