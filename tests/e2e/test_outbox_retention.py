"""No list of who did not answer outlives the week: reminder rows go, counts stay."""

from __future__ import annotations

from datetime import timedelta

import pytest
from checkin_steps import TUESDAY_9, advance_to, bot_dms, group_id_of, opt_in, set_up

from bot.delivery.status import delivery_status
from bot.sandbox import SandboxServer
from bot.sandbox.chapters.checkins import answer_checkin, latest_dm_with_button
from bot.sandbox.demo import DemoGroup
from bot.sandbox.running_bot import RunningBot

pytestmark = pytest.mark.e2e


async def test_reminder_rows_go_at_once_other_rows_after_two_days_and_status_keeps_counts(
    server: SandboxServer, group: DemoGroup, peerpulse: RunningBot
) -> None:
    ana, ben, chen, *_ = group.member_ids
    await set_up(server, group)
    await opt_in(peerpulse, group, ana, ben, chen)
    await advance_to(peerpulse, TUESDAY_9)
    await answer_checkin(
        server,
        ana,
        latest_dm_with_button(server, ana).id,
        energy=4,
        caseload="light",
        boundaries="yes",
    )
    await advance_to(peerpulse, TUESDAY_9 + timedelta(hours=24))  # Ben and Chen are reminded
    assert [len(bot_dms(server, m)) for m in (ana, ben, chen)] == [1, 2, 2]
    # Delivered (Ben, Chen) or dropped (Ana had answered), a reminder row goes at once.
    reminded = await peerpulse.db.fetchall("SELECT * FROM outbox WHERE kind = 'checkin_reminder'")
    assert reminded == []

    await advance_to(peerpulse, TUESDAY_9 + timedelta(days=3, minutes=1))
    # Nothing left names who was reminded (who had not answered), nor whom the bot DMed.
    assert await peerpulse.db.fetchall("SELECT * FROM outbox") == []
    group_id = await group_id_of(peerpulse, group)
    now = peerpulse.clock.now()
    status = await delivery_status(peerpulse.db, group_id, now, since=now - timedelta(days=7))
    assert status.outcomes == {"checkin_open": {"sent": 3}, "checkin_reminder": {"sent": 2}}
    shown = await server.actor(group.moderator_id).slash(
        "peerpulse status", channel_id=group.home_channel_id
    )
    assert shown.message is not None
    assert "No DMs finished" not in shown.message.embed_text()
