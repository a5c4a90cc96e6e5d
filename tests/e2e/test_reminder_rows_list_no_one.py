"""The outbox never lists who had not answered a check-in: a reminder is queued to every
opted-in member, held alike for all outside their hours, and at send time dropped for
whoever has answered by then; a finished reminder row is deleted at once."""

from __future__ import annotations

from datetime import timedelta

import pytest
from checkin_steps import TUESDAY_9, advance_to, bot_dms, group_id_of, opt_in, set_up

from bot.members.preferences import set_timezone
from bot.sandbox import SandboxServer
from bot.sandbox.chapters.checkins import answer_checkin, latest_dm_with_button
from bot.sandbox.demo import DemoGroup
from bot.sandbox.running_bot import RunningBot

pytestmark = pytest.mark.e2e

SYDNEY = "Australia/Sydney"  # Wednesday 09:00 UTC is 20:00 there: reminders wait


async def answer(server: SandboxServer, member: int) -> None:
    await answer_checkin(
        server,
        member,
        latest_dm_with_button(server, member).id,
        energy=3,
        caseload="manageable",
        boundaries="mostly",
    )


async def reminder_rows(running: RunningBot) -> list[tuple[int, str]]:
    rows = await running.db.fetchall(
        "SELECT user_id, status FROM outbox WHERE kind = 'checkin_reminder' ORDER BY user_id"
    )
    return [(int(row["user_id"]), str(row["status"])) for row in rows]


async def test_reminder_rows_do_not_sort_members_by_whether_they_answered(
    server: SandboxServer, group: DemoGroup, peerpulse: RunningBot
) -> None:
    ana, ben, chen, dev, eve = group.member_ids
    await set_up(server, group)
    await opt_in(peerpulse, group, ana, ben, chen, dev, eve)
    group_id = await group_id_of(peerpulse, group)
    for member in (chen, dev, eve):
        await set_timezone(peerpulse.db, group_id, member, SYDNEY, now=peerpulse.clock.now())
    await advance_to(peerpulse, TUESDAY_9)
    await answer(server, ana)
    await advance_to(peerpulse, TUESDAY_9 + timedelta(hours=13, minutes=30))  # Sydney's morning
    await answer(server, dev)

    await advance_to(peerpulse, TUESDAY_9 + timedelta(hours=24))  # the reminder is due
    # Ben (not answered, in hours) is reminded; Ana (answered, in hours) is not; Chen, Dev
    # and Eve wait for Sydney's morning alike, answered (Dev) or not (Chen, Eve).
    assert [len(bot_dms(server, m)) for m in (ana, ben)] == [1, 2]
    waiting = [(m, "pending") for m in sorted((chen, dev, eve))]
    assert await reminder_rows(peerpulse) == waiting

    await advance_to(peerpulse, TUESDAY_9 + timedelta(hours=27))
    await answer(server, eve)  # answers while her reminder waits: it must not go
    await advance_to(peerpulse, TUESDAY_9 + timedelta(hours=37, minutes=1))  # Sydney 09:01
    assert [len(bot_dms(server, m)) for m in (chen, dev, eve)] == [2, 1, 1]
    # Delivered or dropped, no reminder row is left to say who had not answered.
    assert await reminder_rows(peerpulse) == []
    counts = await peerpulse.db.fetchall(
        "SELECT outcome, SUM(count) AS n FROM delivery_counts "
        "WHERE kind = 'checkin_reminder' GROUP BY outcome"
    )
    assert {row["outcome"]: row["n"] for row in counts} == {"sent": 2}
