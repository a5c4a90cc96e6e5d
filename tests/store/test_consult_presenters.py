"""The presenter chain (pass, timeout, away, override) and recurring occurrences, on SQLite."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from bot.clock import VirtualClock
from bot.consult import presenters, rules, steps, store
from bot.consult.store import Actor, Location, PollDraft
from bot.db import Database
from bot.errors import UserError
from bot.members.personal_data import export_member, forget_member
from bot.members.preferences import set_away, set_dm_opt_in

ORGANISER, ANN, BEN, CAT, DAN = 101, 102, 103, 104, 105
FRI_NOON = datetime(2026, 3, 6, 12, 0, tzinfo=UTC)
SAT_NOON = datetime(2026, 3, 7, 12, 0, tzinfo=UTC)
ZONE = "Europe/London"


async def new_group(db: Database, clock: VirtualClock, zone: str = ZONE) -> int:
    return await db.execute(
        "INSERT INTO groups (guild_id, timezone, created_at) VALUES (?, ?, ?)",
        (555, zone, clock.now().isoformat()),
    )


async def asked(db: Database) -> list[tuple[int, str]]:
    rows = await db.fetchall(
        "SELECT user_id, status FROM consult_presenter_requests ORDER BY asked_at, rowid"
    )
    return [(row["user_id"], row["status"]) for row in rows]


async def session_needing_presenter(
    db: Database, clock: VirtualClock, works: list[int]
) -> tuple[int, store.Session]:
    group = await new_group(db, clock)
    now = clock.now()
    for minute, user in enumerate((ANN, BEN, CAT, DAN)):
        await set_dm_opt_in(db, group, user, "consultations", True, now=now)
        await presenters.join_queue(db, group, user, now + timedelta(minutes=minute))
    poll = await store.create_poll(
        db,
        PollDraft(
            group,
            ORGANISER,
            7000,
            "Case consultation",
            60,
            [FRI_NOON, SAT_NOON],
            True,
            Location("voice", None, 8000),
        ),
        origin="i1",
        now=now,
    )
    slots = await store.poll_slots(db, poll.id)
    for user in works:
        await store.save_availability(
            db, poll.id, user, works=[slots[0].id], if_need_be=[slots[1].id], now=now
        )
    result = await store.finalize(db, poll.id, now=now, actor=Actor(ORGANISER))
    assert result.session is not None
    return group, result.session


async def test_a_pass_and_a_timeout_move_down_the_chain_and_the_away_member_is_skipped(
    db: Database, clock: VirtualClock
) -> None:
    group, session = await session_needing_presenter(db, clock, [ANN, BEN, CAT])
    # Dan did not mark the slot "works"; Cat is away on the session's date.
    await set_away(db, group, CAT, date(2026, 3, 6), now=clock.now(), group_zone=ZONE)
    assert await steps.presenters_due(db, clock.now()) == 1
    assert await steps.presenters_due(db, clock.now()) == 0  # one open request at a time
    assert await asked(db) == [(ANN, "asked")]
    with pytest.raises(UserError, match="no longer open"):
        await presenters.answer(db, session.id, BEN, accept=True, group_zone=ZONE, now=clock.now())
    nxt = await presenters.answer(
        db, session.id, ANN, accept=False, group_zone=ZONE, now=clock.now()
    )
    assert nxt == BEN
    request = await presenters.open_request(db, session.id)
    assert request is not None
    assert request.answer_by == clock.now() + timedelta(hours=24)  # Tue 09:00 + 24 h
    clock.set(request.answer_by)
    assert await steps.presenters_due(db, clock.now()) == 1  # Ben timed out
    assert await asked(db) == [(ANN, "passed"), (BEN, "timed_out")]
    assert await presenters.open_request(db, session.id) is None  # nobody left
    assert await presenters.presenter_of(db, session.id) is None
    refs = await db.fetchall(
        "SELECT user_id FROM outbox WHERE kind = ? ORDER BY user_id", (presenters.ASK_KIND,)
    )
    assert [row["user_id"] for row in refs] == [ANN, BEN]


async def test_accepting_records_the_presenter_and_the_rotation_moves_on(
    db: Database, clock: VirtualClock
) -> None:
    group, session = await session_needing_presenter(db, clock, [ANN, BEN, CAT, DAN])
    await steps.presenters_due(db, clock.now())
    await presenters.answer(db, session.id, ANN, accept=True, group_zone=ZONE, now=clock.now())
    assert await presenters.presenter_of(db, session.id) == ANN
    assert [e.user_id for e in await presenters.queue(db, group)] == [BEN, CAT, DAN, ANN]
    (entry,) = await presenters.history(db, group)
    assert (entry.user_id, entry.presented_at, entry.title) == (ANN, FRI_NOON, "Case consultation")
    synced = await store.require_session(db, session.id)
    assert synced.sequence == session.sequence + 1  # the announcement shows the presenter


async def test_a_moderator_names_the_presenter_and_the_open_request_is_withdrawn(
    db: Database, clock: VirtualClock
) -> None:
    _, session = await session_needing_presenter(db, clock, [ANN, BEN])
    await steps.presenters_due(db, clock.now())
    await presenters.name_presenter(db, session.id, DAN, clock.now())
    assert await presenters.presenter_of(db, session.id) == DAN
    assert await asked(db) == [(ANN, "withdrawn")]
    assert await steps.presenters_due(db, clock.now()) == 0


async def test_queue_join_leave_and_cancel_releases_the_presenter(
    db: Database, clock: VirtualClock
) -> None:
    group, session = await session_needing_presenter(db, clock, [ANN])
    assert not await presenters.join_queue(db, group, ANN, clock.now())
    assert await presenters.leave_queue(db, group, DAN)
    assert not await presenters.leave_queue(db, group, DAN)
    await steps.presenters_due(db, clock.now())
    await presenters.answer(db, session.id, ANN, accept=True, group_zone=ZONE, now=clock.now())
    await store.cancel_session(db, session.id, actor=Actor(ORGANISER), now=clock.now())
    assert await presenters.history(db, group) == []


async def test_forget_and_export_cover_the_members_consultation_data(
    db: Database, clock: VirtualClock
) -> None:
    _, session = await session_needing_presenter(db, clock, [ANN, BEN])
    await steps.presenters_due(db, clock.now())
    await presenters.answer(db, session.id, ANN, accept=True, group_zone=ZONE, now=clock.now())
    await store.set_rsvp(db, session.id, ANN, "going", clock.now())
    exported = await export_member(db, ANN)
    for table in (
        "consult_responses", "consult_marks", "consult_rsvps", "consult_queue",
        "consult_presenter_requests", "consult_presenters",
    ):  # fmt: skip
        assert exported[table], table
    assert exported["consult_polls"] == []
    assert (await export_member(db, ORGANISER))["consult_polls"]
    await forget_member(db, ANN)
    after = await export_member(db, ANN)
    assert all(not rows for rows in after.values())


# --- recurring --------------------------------------------------------------------


def spec(**changes: object) -> rules.RuleSpec:
    fields: dict[str, object] = {
        "weekday": 3,
        "minute": 12 * 60,
        "every_weeks": 2,
        "title": "Peer consultation",
        "duration_minutes": 60,
        "needs_presenter": False,
        "location": Location("voice", None, 8000),
        "channel_id": 7000,
    }
    fields.update(changes)
    return rules.RuleSpec(**fields)  # type: ignore[arg-type]


async def scheduled(db: Database) -> list[tuple[str, datetime]]:
    rows = await db.fetchall(
        "SELECT occurrence_date, starts_at FROM consult_sessions WHERE status = 'scheduled' "
        "ORDER BY starts_at"
    )
    return [(r["occurrence_date"], datetime.fromisoformat(r["starts_at"])) for r in rows]


async def test_a_recurrence_across_dst_one_occurrence_ahead_with_a_skipped_date(
    db: Database, clock: VirtualClock
) -> None:
    group = await new_group(db, clock)
    await rules.set_rule(db, group, spec(), clock.now())
    await rules.skip(db, group, date(2026, 3, 19), clock.now())
    with pytest.raises(UserError, match="does not fall on"):
        await rules.skip(db, group, date(2026, 3, 12), clock.now())
    assert await rules.occurrences_due(db, clock.now()) == 1
    assert await rules.occurrences_due(db, clock.now()) == 0  # one ahead, never more
    assert await scheduled(db) == [("2026-03-05", datetime(2026, 3, 5, 12, 0, tzinfo=UTC))]
    clock.set(datetime(2026, 3, 5, 12, 0, tzinfo=UTC))  # the session starts
    assert await rules.occurrences_due(db, clock.now()) == 1
    upcoming = await store.upcoming_sessions(db, group, clock.now())
    assert [s.start for s in upcoming] == [
        datetime(2026, 3, 5, 12, 0, tzinfo=UTC),  # still running
        datetime(2026, 4, 2, 11, 0, tzinfo=UTC),  # 19 March skipped; BST from 29 March
    ]
    future = [s for s in upcoming if s.start > clock.now()]
    assert len(future) == 1


async def test_skipping_a_booked_date_cancels_it_and_the_next_one_follows(
    db: Database, clock: VirtualClock
) -> None:
    group = await new_group(db, clock)
    await rules.set_rule(db, group, spec(every_weeks=1), clock.now())
    await rules.occurrences_due(db, clock.now())
    await rules.skip(db, group, date(2026, 3, 5), clock.now())
    assert await scheduled(db) == []
    assert await rules.occurrences_due(db, clock.now()) == 1
    assert await scheduled(db) == [("2026-03-12", datetime(2026, 3, 12, 12, 0, tzinfo=UTC))]


async def test_changing_the_rule_cancels_occurrences_off_it_and_off_stops_creating(
    db: Database, clock: VirtualClock
) -> None:
    group = await new_group(db, clock)
    await rules.set_rule(db, group, spec(), clock.now())
    await rules.occurrences_due(db, clock.now())
    await rules.set_rule(db, group, spec(weekday=1, minute=9 * 60), clock.now())
    assert await scheduled(db) == []
    assert await rules.occurrences_due(db, clock.now()) == 1
    assert await scheduled(db) == [("2026-03-03", datetime(2026, 3, 3, 9, 0, tzinfo=UTC))]
    assert await rules.turn_off(db, group, clock.now())
    assert not await rules.turn_off(db, group, clock.now())
    clock.set(datetime(2026, 3, 4, tzinfo=UTC))
    assert await rules.occurrences_due(db, clock.now()) == 0


async def test_a_recurring_session_asks_a_presenter_from_the_queue(
    db: Database, clock: VirtualClock
) -> None:
    group = await new_group(db, clock)
    await set_dm_opt_in(db, group, ANN, "consultations", True, now=clock.now())
    await presenters.join_queue(db, group, ANN, clock.now())
    await set_dm_opt_in(db, group, BEN, "consultations", False, now=clock.now())
    await presenters.join_queue(db, group, BEN, clock.now() - timedelta(days=1))
    await rules.set_rule(db, group, spec(needs_presenter=True), clock.now())
    await rules.occurrences_due(db, clock.now())
    assert await asked(db) == [(ANN, "asked")]  # Ben joined first but cannot get the DM


async def test_a_quiet_tick_takes_no_write_lock(db: Database, clock: VirtualClock) -> None:
    group, session = await session_needing_presenter(db, clock, [ANN])
    await store.set_rsvp(db, session.id, ANN, "going", clock.now())
    await steps.presenters_due(db, clock.now())
    await presenters.answer(db, session.id, ANN, accept=False, group_zone=ZONE, now=clock.now())
    clock.set(session.start - timedelta(hours=2))
    await steps.reminders_due(db, clock.now())
    await rules.set_rule(db, group, spec(), clock.now())
    await rules.occurrences_due(db, clock.now())
    statements: list[str] = []
    await db.set_trace_callback(statements.append)
    try:
        ticked = sum(
            [
                await steps.finalize_due(db, clock.now()),
                await steps.ready_notices_due(db, clock.now()),
                await rules.occurrences_due(db, clock.now()),
                await steps.presenters_due(db, clock.now()),
                await steps.reminders_due(db, clock.now()),
                await steps.purge_due(db, clock.now()),
            ]
        )
    finally:
        await db.set_trace_callback(None)
    assert ticked == 0
    assert not [
        s for s in statements if s.lstrip().upper().startswith(("BEGIN", "INSERT", "UPDATE"))
    ]


async def test_a_member_who_answered_cant_is_not_asked(db: Database, clock: VirtualClock) -> None:
    _, session = await session_needing_presenter(db, clock, [ANN, BEN])
    await store.set_rsvp(db, session.id, ANN, "cant", clock.now())
    await steps.presenters_due(db, clock.now())
    assert await asked(db) == [(BEN, "asked")]
