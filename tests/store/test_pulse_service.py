"""Pulse due steps and actions: open once (late if still useful), invite opted-in members,
one reminder only to those who have not answered, close exactly once, refusals."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from bot.clock import VirtualClock
from bot.config import GroupDefaults
from bot.db import Database
from bot.delivery import outbox
from bot.errors import UserError
from bot.groups import ensure_group
from bot.members.preferences import set_dm_opt_in
from bot.pulse import store
from bot.pulse.instrument import InstrumentLibrary
from bot.pulse.service import PulseService
from bot.scheduling import DueSteps

GUILD, CHANNEL = 111, 222
MEMBERS = [900 + i for i in range(8)]
ANSWER = (3, 1, 2, 4, 1, 3, 3, 2)
# Set up on Monday 2 March 2026 09:00 UTC; the first survey: Tuesday 3 March 09:00 UTC.
FIRST = datetime(2026, 3, 3, 9, tzinfo=UTC)


async def service_for(
    db: Database, clock: VirtualClock, *, opted_in: int = 4, **config: object
) -> tuple[PulseService, int]:
    group = await ensure_group(db, clock, GUILD, CHANNEL, GroupDefaults(anonymity_threshold=4))
    service = PulseService(db, InstrumentLibrary())
    for member in MEMBERS[:opted_in]:
        await set_dm_opt_in(db, group.id, member, "pulse", True, now=clock.now())
    await service.set_schedule(
        group.id, every_weeks=2, weekday="tue", local_time="09:00", days_open=4, now=clock.now()
    )
    if config:
        await service.configure(group.id, clock.now(), **config)  # type: ignore[arg-type]
    return service, group.id


async def outbox_rows(db: Database) -> list[tuple[str, int, str]]:
    rows = await db.fetchall("SELECT kind, user_id, ref FROM outbox ORDER BY kind, user_id")
    return [(r["kind"], r["user_id"], r["ref"]) for r in rows]


async def test_the_group_default_k_and_settings(db: Database, clock: VirtualClock) -> None:
    service, group_id = await service_for(db, clock)
    settings = await service.settings(group_id)
    assert settings.k == 4  # from the group's anonymity threshold
    assert settings.schedule is not None
    assert settings.next_open_at == FIRST
    with pytest.raises(UserError, match="at least 3"):
        await service.configure(group_id, clock.now(), k=2)
    with pytest.raises(UserError, match="peerpulse-default"):
        await service.configure(group_id, clock.now(), instrument_id="mbi")
    changed = await service.configure(group_id, clock.now(), k=3, support_text="  Dana: 555 ")
    assert (changed.k, changed.support_text, changed.reminders) == (3, "Dana: 555", False)
    cleared = await service.configure(group_id, clock.now(), support_text=None, reminders=True)
    assert (cleared.support_text, cleared.reminders, cleared.k) == (None, True, 3)


async def test_opens_once_invites_opted_in_and_closes_exactly_once(
    db: Database, clock: VirtualClock
) -> None:
    service, group_id = await service_for(db, clock)
    steps = DueSteps()
    service.register(steps)
    assert steps.names[:3] == ["pulse.close", "pulse.open", "pulse.remind"]
    assert await service.open_due(FIRST - timedelta(minutes=1)) == 0
    assert (await steps.run_due(FIRST))["pulse.open"] == 1
    assert await service.open_due(FIRST) == 0
    assert await service.open_due(FIRST + timedelta(hours=1)) == 0
    survey = await store.open_survey_of(db, group_id)
    assert survey is not None
    assert (survey.period_start, survey.closes_at) == (date(2026, 3, 3), FIRST + timedelta(days=4))
    assert await outbox_rows(db) == [("pulse_invite", m, "2026-03-03") for m in MEMBERS[:4]]
    for member in MEMBERS[:4]:
        await service.submit(survey.id, member, ANSWER, FIRST + timedelta(hours=2))
    assert await service.close_due(survey.closes_at - timedelta(seconds=1)) == 0
    results = await steps.run_due(survey.closes_at)
    assert results["pulse.close"] == 1
    assert await service.close_due(survey.closes_at) == 0
    assert await outbox_rows(db) == []
    latest = await service.latest_result(group_id)
    assert latest is not None
    assert (latest.n, latest.period_starts) == (4, (date(2026, 3, 3),))
    assert await service.published(group_id) == [latest]
    # The next survey is two weeks later.
    assert await service.open_due(FIRST + timedelta(weeks=2)) == 1


async def test_after_downtime_a_survey_opens_late_only_while_useful(
    db: Database, clock: VirtualClock
) -> None:
    service, group_id = await service_for(db, clock)
    assert await service.open_due(FIRST + timedelta(days=2, minutes=1)) == 0  # < half left
    assert await store.open_survey_of(db, group_id) is None
    late = FIRST + timedelta(weeks=2, days=1)
    assert await service.open_due(late) == 1
    survey = await store.open_survey_of(db, group_id)
    assert survey is not None
    assert survey.period_start == date(2026, 3, 17)
    assert survey.closes_at == FIRST + timedelta(weeks=2, days=4)  # the scheduled close
    assert await service.open_due(late + timedelta(minutes=5)) == 0


async def test_one_reminder_queued_to_every_opted_in_member_and_dropped_if_answered(
    db: Database, clock: VirtualClock
) -> None:
    service, group_id = await service_for(db, clock, reminders=True)
    await service.open_due(FIRST)
    survey = await store.open_survey_of(db, group_id)
    assert survey is not None
    await service.submit(survey.id, MEMBERS[0], ANSWER, FIRST + timedelta(hours=1))
    await service.submit(survey.id, MEMBERS[5], ANSWER, FIRST + timedelta(hours=1))  # not opted in
    assert await service.remind_due(survey.reminder_due_at - timedelta(seconds=1)) == 0
    assert await service.remind_due(survey.reminder_due_at) == 1  # surveys, never DMs
    assert await service.remind_due(survey.reminder_due_at + timedelta(hours=1)) == 0
    reminders = [r for r in await outbox_rows(db) if r[0] == "pulse_reminder"]
    # Queued to every opted-in member (the queue lists no one as "not answered"); the
    # dispatcher asks `answered_among` when it is due and drops the first member's.
    assert [r[1] for r in reminders] == MEMBERS[:4]
    due = await outbox.due_rows(db, survey.reminder_due_at, 20)
    items = [row.item for row in due if row.item.kind == "pulse_reminder"]
    answered = await store.answered_among(db, items)
    assert [item.user_id for item in items if item.id in answered] == [MEMBERS[0]]
    await service.close_due(survey.closes_at)
    assert await outbox_rows(db) == []


async def test_no_reminder_when_the_group_has_them_off(db: Database, clock: VirtualClock) -> None:
    service, group_id = await service_for(db, clock)
    await service.open_due(FIRST)
    survey = await store.open_survey_of(db, group_id)
    assert survey is not None
    assert await service.remind_due(survey.reminder_due_at) == 0


async def test_members_answer_once_and_see_only_their_own_note(
    db: Database, clock: VirtualClock
) -> None:
    service, group_id = await service_for(db, clock)
    await service.open_due(FIRST)
    survey = await store.open_survey_of(db, group_id)
    assert survey is not None
    now = FIRST + timedelta(hours=1)
    found, instrument = await service.survey_for_member(survey.id, MEMBERS[0], now)
    assert (found.id, len(instrument.items)) == (survey.id, 8)
    submitted = await service.submit(survey.id, MEMBERS[0], ANSWER, now)
    assert submitted.own.index == 50.0
    assert len(submitted.own.drivers) == 4
    with pytest.raises(UserError, match="already answered"):
        await service.submit(survey.id, MEMBERS[0], ANSWER, now)
    with pytest.raises(UserError, match="already answered"):
        await service.survey_for_member(survey.id, MEMBERS[0], now)
    with pytest.raises(UserError, match="Answer every question"):
        await service.submit(survey.id, MEMBERS[1], (9,) * 8, now)
    with pytest.raises(UserError, match="closed"):
        await service.submit(survey.id, MEMBERS[1], ANSWER, survey.closes_at)
    with pytest.raises(UserError, match="closed"):
        await service.survey_for_member(12345, MEMBERS[1], now)


async def test_moderators_open_and_close_by_hand(db: Database, clock: VirtualClock) -> None:
    service, group_id = await service_for(db, clock, k=3)
    now = clock.now()
    survey = await service.open_now(group_id, now)
    assert survey.manual
    with pytest.raises(UserError, match="already open"):
        await service.open_now(group_id, now)
    assert await service.open_due(FIRST) == 0  # one survey at a time
    for member in MEMBERS[:2]:
        await service.submit(survey.id, member, ANSWER, now)
    closed = await service.close_now(group_id, now + timedelta(hours=2))
    assert (closed.outcome, closed.result) == ("carried", None)  # 2 < k = 3: nothing shown
    with pytest.raises(UserError, match="nothing to close"):
        await service.close_now(group_id, now)
    with pytest.raises(UserError, match="Today already had"):
        await service.open_now(group_id, now + timedelta(hours=3))
    assert await service.latest_result(group_id) is None


async def test_schedule_off_opens_nothing(db: Database, clock: VirtualClock) -> None:
    service, group_id = await service_for(db, clock)
    off = await service.schedule_off(group_id, clock.now())
    assert off.schedule is None
    assert await service.open_due(FIRST) == 0
    await service.reschedule(group_id, FIRST)  # nothing to look at
    assert await service.open_due(FIRST + timedelta(hours=1)) == 0
