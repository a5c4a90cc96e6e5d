"""The check-in due steps on a temporary database, with a fake publisher and the real outbox."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest

from bot.checkins import store
from bot.checkins.answers import AnswerInput, NoteMayIdentifyClientError
from bot.checkins.render import RenderedSummary
from bot.checkins.rounds import CheckinService
from bot.checkins.store import Round
from bot.checkins.summary import CheckinSummary
from bot.clock import VirtualClock
from bot.config import GroupDefaults
from bot.db import Database
from bot.delivery import outbox
from bot.errors import UserError
from bot.groups import ensure_group
from bot.members.personal_data import forget_member
from bot.members.preferences import set_dm_opt_in, set_reminders
from bot.scheduling import DueSteps

GUILD, CHANNEL = 111, 222
OPENS = datetime(2026, 3, 2, 14, tzinfo=UTC)  # Monday 09:00 in New York
CLOSES = OPENS + timedelta(hours=48)


@dataclass
class FakePublisher:
    opened: list[Round] = field(default_factory=list)
    summaries: list[tuple[Round, CheckinSummary, RenderedSummary]] = field(default_factory=list)
    failures: int = 0

    async def post_round_open(self, checkin: Round) -> int:
        self._maybe_fail()
        self.opened.append(checkin)
        return 1000 + len(self.opened)

    async def post_summary(
        self, checkin: Round, summary: CheckinSummary, rendered: RenderedSummary
    ) -> int:
        self._maybe_fail()
        self.summaries.append((checkin, summary, rendered))
        return 2000 + len(self.summaries)

    async def moderators_among(
        self, channel_id: int, moderator_role_id: int | None, user_ids: Sequence[int]
    ) -> list[int]:
        return []

    def _maybe_fail(self) -> None:
        if self.failures:
            self.failures -= 1
            raise ConnectionError("Discord is having a moment")


@dataclass
class World:
    db: Database
    clock: VirtualClock
    service: CheckinService
    publisher: FakePublisher
    group_id: int

    async def tick(self, at: datetime) -> dict[str, int]:
        self.clock.set(at)
        steps = DueSteps()
        self.service.register(steps)
        return await steps.run_due(at)

    async def outbox(self, kind: str) -> list[int]:
        rows = await self.db.fetchall(
            "SELECT user_id FROM outbox WHERE kind = ? ORDER BY user_id", (kind,)
        )
        return [row["user_id"] for row in rows]


@pytest.fixture
async def world(db: Database, clock: VirtualClock) -> World:
    group = await ensure_group(
        db, clock, GUILD, CHANNEL, GroupDefaults(timezone="America/New_York")
    )
    for user_id in (1, 2, 3):
        await set_dm_opt_in(db, group.id, user_id, "checkins", True, now=clock.now())
    await set_reminders(db, group.id, 2, False, now=clock.now())
    publisher = FakePublisher()
    service = CheckinService(db, publisher)
    await service.setup(
        group.id,
        "America/New_York",
        channel_id=CHANNEL,
        weekday="monday",
        local_time="09:00",
        open_hours=48,
        reminder=True,
        now=clock.now(),
    )
    return World(db, clock, service, publisher, group.id)


def form(energy: int = 3, **kw: object) -> AnswerInput:
    return AnswerInput(energy, "manageable", "yes", False, **kw)  # type: ignore[arg-type]


async def test_a_full_week(world: World) -> None:
    service, publisher = world.service, world.publisher
    assert (await world.tick(OPENS - timedelta(minutes=1)))["checkins.open"] == 0
    assert (await world.tick(OPENS))["checkins.open"] == 1
    assert (await world.tick(OPENS + timedelta(minutes=1)))["checkins.open"] == 0
    assert len(publisher.opened) == 1
    checkin = publisher.opened[0]
    assert (checkin.period, checkin.opens_at, checkin.closes_at) == ("2026-W10", OPENS, CLOSES)
    assert await world.outbox("checkin_open") == [1, 2, 3]
    stored = await store.get_round(world.db, checkin.id)
    assert stored is not None
    assert stored.channel_message_id == 1001

    first = await service.answer(checkin.id, 1, form(2), OPENS + timedelta(hours=1))
    edit = await service.answer(checkin.id, 1, form(4), OPENS + timedelta(hours=2))
    assert (first.replaced, edit.replaced) == (False, True)
    await service.answer(checkin.id, 9, form(3), OPENS + timedelta(hours=3))  # answered in channel

    # The one reminder is queued to everyone opted in (1, 2, 3) with reminders on (1, 3),
    # answered or not: the queue never lists who had not answered. At send time the
    # dispatcher drops member 1's (answered) through `answered_among`.
    assert (await world.tick(OPENS + timedelta(hours=23)))["checkins.remind"] == 0
    assert (await world.tick(OPENS + timedelta(hours=24)))["checkins.remind"] == 2
    assert (await world.tick(OPENS + timedelta(hours=25)))["checkins.remind"] == 0
    assert await world.outbox("checkin_reminder") == [1, 3]
    due = await outbox.due_rows(world.db, OPENS + timedelta(hours=25), 10)
    items = [row.item for row in due if row.item.kind == "checkin_reminder"]
    assert await store.answered_among(world.db, items) == {items[0].id}
    assert items[0].user_id == 1

    await service.answer(
        checkin.id, 3, form(5, note="ok", note_visibility="group"), CLOSES - timedelta(seconds=1)
    )
    assert (await world.tick(CLOSES))["checkins.close"] == 1
    assert (await world.tick(CLOSES + timedelta(minutes=1)))["checkins.close"] == 0
    assert len(publisher.summaries) == 1
    _, summary, rendered = publisher.summaries[0]
    assert summary.responses == 3
    assert summary.shared_notes == ("ok",)
    assert rendered.pages[0].title == "Check-in summary · week 10 of 2026"
    closed = await store.get_round(world.db, checkin.id)
    assert closed is not None
    assert (closed.status, closed.summary_message_id) == ("closed", 2001)

    with pytest.raises(UserError, match="has closed"):
        await service.answer(checkin.id, 2, form(), CLOSES + timedelta(minutes=2))
    # Next week opens on time, with last week's comparison available at its close.
    assert (await world.tick(OPENS + timedelta(weeks=1)))["checkins.open"] == 1


async def test_downtime_across_the_open_opens_late_while_useful(world: World) -> None:
    assert (await world.tick(OPENS + timedelta(hours=24)))["checkins.open"] == 1
    checkin = world.publisher.opened[0]
    assert checkin.opens_at == OPENS  # the scheduled window, so the close does not move
    assert checkin.closes_at == CLOSES


async def test_downtime_past_half_the_window_skips_the_week(world: World) -> None:
    results = await world.tick(OPENS + timedelta(hours=25))
    assert results["checkins.open"] == 0
    assert world.publisher.opened == []
    assert await store.round_for_period(world.db, world.group_id, "2026-W10") is None
    assert (await world.tick(OPENS + timedelta(weeks=1)))["checkins.open"] == 1


async def test_downtime_across_the_close_closes_once_without_a_stale_reminder(
    world: World,
) -> None:
    await world.tick(OPENS)
    results = await world.tick(CLOSES + timedelta(hours=30))
    assert results["checkins.remind"] == 0
    assert results["checkins.close"] == 1
    assert await world.outbox("checkin_reminder") == []
    assert len(world.publisher.summaries) == 1
    assert world.publisher.summaries[0][1].responses == 0


async def test_failed_posts_are_retried_until_recorded(world: World) -> None:
    world.publisher.failures = 1
    assert (await world.tick(OPENS))["checkins.open"] == 1
    assert world.publisher.opened == []
    await world.tick(OPENS + timedelta(minutes=1))
    assert len(world.publisher.opened) == 1
    await world.tick(OPENS + timedelta(minutes=2))
    assert len(world.publisher.opened) == 1

    world.publisher.failures = 1
    assert (await world.tick(CLOSES))["checkins.close"] == 1
    assert world.publisher.summaries == []
    assert (await world.tick(CLOSES + timedelta(minutes=1)))["checkins.close"] == 0
    assert len(world.publisher.summaries) == 1


async def test_a_dst_week(world: World) -> None:
    await world.service.setup(
        world.group_id,
        "America/New_York",
        channel_id=CHANNEL,
        weekday="sunday",
        local_time="02:30",  # does not exist on 2026-03-08
        open_hours=24,
        reminder=False,
        now=world.clock.now(),
    )
    assert (await world.tick(datetime(2026, 3, 8, 6, 59, tzinfo=UTC)))["checkins.open"] == 0
    assert (await world.tick(datetime(2026, 3, 8, 7, 0, tzinfo=UTC)))["checkins.open"] == 1
    checkin = world.publisher.opened[0]
    assert checkin.period == "2026-W10"
    assert checkin.closes_at == datetime(2026, 3, 9, 7, 0, tzinfo=UTC)
    assert (await world.tick(datetime(2026, 3, 8, 20, tzinfo=UTC)))["checkins.remind"] == 0


async def test_open_now_then_the_schedule_does_not_open_a_second(world: World) -> None:
    now = world.clock.now()  # Monday 04:00 in New York, before the 09:00 open
    checkin = await world.service.open_now(world.group_id, now)
    assert checkin.manual
    assert checkin.channel_message_id == 1001
    assert checkin.period == "2026-W10"
    with pytest.raises(UserError, match="already open"):
        await world.service.open_now(world.group_id, now)
    assert (await world.tick(OPENS))["checkins.open"] == 0
    assert len(world.publisher.opened) == 1
    assert await world.outbox("checkin_open") == [1, 2, 3]


async def test_pause_and_resume(world: World) -> None:
    paused = await world.service.pause(world.group_id, world.clock.now())
    assert paused.schedule.paused
    assert (await world.tick(OPENS))["checkins.open"] == 0
    resumed = await world.service.resume(world.group_id, OPENS + timedelta(hours=1))
    assert not resumed.schedule.paused
    assert (await world.tick(OPENS + timedelta(hours=1)))["checkins.open"] == 1  # late, useful


async def test_setup_and_answers_speak_sentences(world: World) -> None:
    with pytest.raises(UserError, match="Type it like 09:00"):
        await world.service.setup(
            world.group_id,
            "America/New_York",
            channel_id=CHANNEL,
            weekday="monday",
            local_time="9",
            open_hours=48,
            reminder=True,
            now=world.clock.now(),
        )
    with pytest.raises(UserError, match="not set up"):
        await world.service.open_now(world.group_id + 1, world.clock.now())
    await world.tick(OPENS)
    checkin = world.publisher.opened[0]
    with pytest.raises(NoteMayIdentifyClientError):
        await world.service.answer(checkin.id, 1, form(note="client Maria said"), OPENS)
    assert await store.round_answers(world.db, checkin.id) == []
    saved = await world.service.answer(
        checkin.id, 1, form(note="client Maria said"), OPENS, identifiers_confirmed=True
    )
    assert not saved.replaced
    with pytest.raises(UserError, match="Energy is a number"):
        await world.service.answer(checkin.id, 1, form(7), OPENS)


async def test_comparison_with_last_week(world: World) -> None:
    for week in range(2):
        start = OPENS + timedelta(weeks=week)
        await world.tick(start)
        checkin = world.publisher.opened[-1]
        for user_id in range(4):
            await world.service.answer(checkin.id, user_id, form(2 + week), start)
        await world.tick(start + timedelta(hours=48))
    first, second = (s for _, s, _ in world.publisher.summaries)
    assert first.previous is None
    assert second.previous is not None
    assert second.previous.energy_median == 2


async def test_last_weeks_figures_do_not_change_when_a_member_forgets(world: World) -> None:
    """The group never sees two different figures for the same week."""
    await world.tick(OPENS)
    first_round = world.publisher.opened[-1]
    tired = AnswerInput(1, "overwhelming", "no", False)
    await world.service.answer(first_round.id, 7, tired, OPENS)
    for user_id in range(3):
        await world.service.answer(
            first_round.id, user_id, AnswerInput(4, "light", "yes", False), OPENS
        )
    await world.tick(CLOSES)
    first = world.publisher.summaries[-1][1].this_week
    assert first is not None

    assert (await forget_member(world.db, 7))["checkin_answers"] == 1
    second_open = OPENS + timedelta(weeks=1)
    await world.tick(second_open)
    checkin = world.publisher.opened[-1]
    for user_id in range(3):
        await world.service.answer(checkin.id, user_id, form(3), second_open)
    await world.tick(second_open + timedelta(hours=48))
    second = world.publisher.summaries[-1][1]
    assert second.previous == first
    assert (second.previous.responses, second.previous.heavy_or_overwhelming) == (4, 1)
    assert second.previous.boundaries_kept == 3


async def test_a_zone_change_moves_the_next_open(world: World) -> None:
    await world.db.execute(
        "UPDATE groups SET timezone = 'Europe/London' WHERE id = ?", (world.group_id,)
    )
    await world.service.reschedule(world.group_id, world.clock.now())
    london_open = datetime(2026, 3, 2, 9, tzinfo=UTC)  # 09:00 GMT, the current instant
    assert (await world.tick(london_open + timedelta(minutes=1)))["checkins.open"] == 1
    checkin = world.publisher.opened[0]
    assert (checkin.period, checkin.opens_at) == ("2026-W10", london_open)
    assert (await world.tick(OPENS))["checkins.open"] == 0  # the old New York time: nothing


def test_the_privacy_section_fits_an_embed_field() -> None:
    from bot.checkins.privacy import CHECKIN_PRIVACY

    assert len(CHECKIN_PRIVACY.body) <= 1024


async def test_moderator_notes_and_history_go_through_the_service(world: World) -> None:
    with pytest.raises(UserError, match="no check-in yet"):
        await world.service.notes_for_moderators(world.group_id)
    await world.tick(OPENS)
    [checkin] = world.publisher.opened
    await world.service.answer(checkin.id, 1, form(note="for mods"), OPENS)
    await world.service.set_note_visibility(checkin.id, 1, "moderators", OPENS)
    await world.service.answer(checkin.id, 2, form(note="just me"), OPENS)
    with pytest.raises(UserError, match="who may see"):
        await world.service.set_note_visibility(checkin.id, 2, "everyone", OPENS)
    rendered = await world.service.notes_for_moderators(world.group_id)
    text = " ".join(page.description for page in rendered.pages)
    assert "for mods" in text
    assert "just me" not in text
    with pytest.raises(UserError, match="between 2 and 260"):
        await world.service.history(world.group_id, 1)
    await world.tick(CLOSES)
    assert [w.responses for w in await world.service.history(world.group_id, 4)] == [2]
