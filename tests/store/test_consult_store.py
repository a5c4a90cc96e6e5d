"""Consultation polls, finalization, sessions, RSVPs and the organiser's one DM, on SQLite."""

from __future__ import annotations

from collections.abc import Collection
from datetime import UTC, datetime, timedelta

import pytest

from bot.clock import VirtualClock
from bot.consult import steps, store
from bot.consult.store import Actor, Location, PollDraft
from bot.db import Database
from bot.errors import NotPermittedError, UserError
from bot.members.preferences import set_away

ORGANISER, ANN, BEN, CAT, MOD = 101, 102, 103, 104, 199
CHANNEL = 7000
THU_NOON = datetime(2026, 3, 5, 12, 0, tzinfo=UTC)
FRI_NOON = datetime(2026, 3, 6, 12, 0, tzinfo=UTC)
SAT_NOON = datetime(2026, 3, 7, 12, 0, tzinfo=UTC)


async def new_group(db: Database, clock: VirtualClock, zone: str = "Europe/London") -> int:
    return await db.execute(
        "INSERT INTO groups (guild_id, timezone, created_at) VALUES (?, ?, ?)",
        (555, zone, clock.now().isoformat()),
    )


def draft(group: int, **changes: object) -> PollDraft:
    fields: dict[str, object] = {
        "group_id": group,
        "organiser_user_id": ORGANISER,
        "channel_id": CHANNEL,
        "title": "Peer consultation",
        "duration_minutes": 60,
        "starts": [FRI_NOON, THU_NOON, SAT_NOON],
        "needs_presenter": False,
        "location": Location("voice", None, 8000),
    }
    fields.update(changes)
    return PollDraft(**fields)  # type: ignore[arg-type]


async def poll_with_marks(
    db: Database,
    clock: VirtualClock,
    marks: dict[int, tuple[list[int], list[int]]],
    **changes: object,
) -> tuple[int, store.Poll, list[store.Slot]]:
    group = await new_group(db, clock)
    poll = await store.create_poll(db, draft(group, **changes), origin="i1", now=clock.now())
    slots = await store.poll_slots(db, poll.id)
    for user, (works, maybe) in marks.items():
        await store.save_availability(
            db,
            poll.id,
            user,
            works=[slots[i].id for i in works],
            if_need_be=[slots[i].id for i in maybe],
            now=clock.now(),
        )
    return group, poll, slots


async def outbox_rows(db: Database, kind: str) -> list[tuple[int, str]]:
    rows = await db.fetchall(
        "SELECT user_id, ref FROM outbox WHERE kind = ? ORDER BY user_id, ref", (kind,)
    )
    return [(row["user_id"], row["ref"]) for row in rows]


class FixedRoster:
    def __init__(self, members: Collection[int]) -> None:
        self._members = members

    async def members(self, group_id: int) -> Collection[int]:
        return self._members


# --- polls ------------------------------------------------------------------------


async def test_a_poll_is_saved_once_per_origin_with_slots_earliest_first(
    db: Database, clock: VirtualClock
) -> None:
    group = await new_group(db, clock)
    first = await store.create_poll(db, draft(group), origin="i1", now=clock.now())
    again = await store.create_poll(db, draft(group, title="Other"), origin="i1", now=clock.now())
    assert again == first
    assert [s.start for s in await store.poll_slots(db, first.id)] == [THU_NOON, FRI_NOON, SAT_NOON]
    assert first.deadline_at == THU_NOON - timedelta(hours=48)
    count = await db.fetchone("SELECT COUNT(*) AS n FROM consult_polls")
    assert count is not None
    assert count["n"] == 1


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"title": "x" * 101}, "100 characters"),
        ({"title": "   "}, "Give the consultation a title"),
        ({"duration_minutes": 5}, "between 15 minutes and 8 hours"),
        ({"location": Location("external")}, "Say where"),
        ({"location": Location("external", "y" * 101)}, "100 characters"),
        ({"deadline_at": FRI_NOON}, "before the first candidate"),
        ({"deadline_at": datetime(2026, 3, 1, tzinfo=UTC)}, "has passed"),
        ({"starts": [THU_NOON]}, "2 to 10"),
    ],
)
async def test_bad_polls_are_refused_with_a_sentence(
    db: Database, clock: VirtualClock, changes: dict[str, object], message: str
) -> None:
    group = await new_group(db, clock)
    with pytest.raises(UserError, match=message):
        await store.create_poll(db, draft(group, **changes), origin="i1", now=clock.now())


async def test_a_near_first_candidate_gets_a_deadline_halfway_there(
    db: Database, clock: VirtualClock
) -> None:
    group = await new_group(db, clock)
    soon = clock.now() + timedelta(hours=10)
    poll = await store.create_poll(
        db, draft(group, starts=[soon, soon + timedelta(days=1)]), origin="i1", now=clock.now()
    )
    assert poll.deadline_at == clock.now() + timedelta(hours=5)


async def test_marks_are_replaced_prefilled_and_counted(db: Database, clock: VirtualClock) -> None:
    _, poll, slots = await poll_with_marks(db, clock, {ANN: ([0, 1], [2]), BEN: ([1], [])})
    await store.save_availability(
        db, poll.id, ANN, works=[slots[2].id], if_need_be=[], now=clock.now()
    )
    assert await store.member_marks(db, poll.id, ANN) == {slots[2].id: "works"}
    view = await store.poll_view(db, poll.id)
    assert [(len(s.works), len(s.if_need_be)) for s in view.slots] == [(0, 0), (1, 0), (1, 0)]
    assert view.answered == 2
    assert view.slots[1].works == (BEN,)
    assert view.show_names


async def test_a_time_in_both_columns_or_after_the_deadline_is_refused(
    db: Database, clock: VirtualClock
) -> None:
    _, poll, slots = await poll_with_marks(db, clock, {})
    with pytest.raises(UserError, match="not both"):
        await store.save_availability(
            db, poll.id, ANN, works=[slots[0].id], if_need_be=[slots[0].id], now=clock.now()
        )
    with pytest.raises(UserError, match="not in this poll"):
        await store.save_availability(db, poll.id, ANN, works=[999], if_need_be=[], now=clock.now())
    clock.set(poll.deadline_at)
    with pytest.raises(UserError, match="closed"):
        await store.save_availability(db, poll.id, ANN, works=[], if_need_be=[], now=clock.now())


# --- finalize ---------------------------------------------------------------------


async def test_the_organiser_finalizes_the_slot_most_can_make(
    db: Database, clock: VirtualClock
) -> None:
    _, poll, slots = await poll_with_marks(
        db, clock, {ANN: ([1], [0]), BEN: ([1, 2], []), CAT: ([0], [1])}
    )
    with pytest.raises(NotPermittedError):
        await store.finalize(db, poll.id, now=clock.now(), actor=Actor(ANN))
    result = await store.finalize(db, poll.id, now=clock.now(), actor=Actor(ORGANISER))
    assert result.choice.outcome == "chosen"
    assert result.session is not None
    assert result.session.start == FRI_NOON
    assert result.session.end == FRI_NOON + timedelta(minutes=60)
    assert result.session.synced_sequence is None
    assert await store.sessions_to_sync(db) == [result.session]
    with pytest.raises(UserError, match="already closed"):
        await store.finalize(db, poll.id, now=clock.now(), actor=Actor(MOD, is_moderator=True))
    assert await store.finalized_slot(db, poll.id) == slots[1].id


async def test_a_tie_goes_to_the_organiser_who_picks_a_slot(
    db: Database, clock: VirtualClock
) -> None:
    _, poll, slots = await poll_with_marks(db, clock, {ANN: ([0], []), BEN: ([2], [])})
    tie = await store.finalize(db, poll.id, now=clock.now(), actor=Actor(ORGANISER))
    assert tie.choice.outcome == "tie"
    assert [t.slot_id for t in tie.choice.tied] == [slots[0].id, slots[2].id]
    assert tie.session is None
    assert (await store.require_poll(db, poll.id)).status == "tie"
    picked = await store.finalize(
        db, poll.id, now=clock.now(), actor=Actor(ORGANISER), slot_id=slots[2].id
    )
    assert picked.session is not None
    assert picked.session.start == SAT_NOON


async def test_the_deadline_finalizes_once_earliest_wins_a_tie_and_tells_the_organiser_once(
    db: Database, clock: VirtualClock
) -> None:
    _, poll, _ = await poll_with_marks(db, clock, {ANN: ([2], []), BEN: ([1], [])})
    assert await steps.finalize_due(db, clock.now()) == 0
    clock.set(poll.deadline_at)
    assert await steps.finalize_due(db, clock.now()) == 1
    assert await steps.finalize_due(db, clock.now()) == 0
    closed = await store.require_poll(db, poll.id)
    assert closed.status == "finalized"
    assert closed.post_version > closed.post_synced
    assert await store.polls_to_refresh(db) == []  # not posted yet, nothing to redraw
    (session,) = await store.sessions_to_sync(db)
    assert session.start == FRI_NOON
    assert await steps.ready_notices_due(db, clock.now()) == 1
    assert await steps.ready_notices_due(db, clock.now()) == 0
    assert await outbox_rows(db, steps.READY_KIND) == [(ORGANISER, f"poll{poll.id}")]


async def test_nobody_available_closes_the_poll_without_a_session(
    db: Database, clock: VirtualClock
) -> None:
    _, poll, _ = await poll_with_marks(db, clock, {ANN: ([], [])})
    clock.set(poll.deadline_at)
    assert await steps.finalize_due(db, clock.now()) == 1
    assert (await store.require_poll(db, poll.id)).status == "closed"
    assert await store.sessions_to_sync(db) == []


async def test_everyone_not_away_answered_tells_the_organiser_once(
    db: Database, clock: VirtualClock
) -> None:
    group, poll, _ = await poll_with_marks(db, clock, {ANN: ([0], [])})
    roster = FixedRoster([ORGANISER, ANN, BEN, CAT])
    await store.save_availability(db, poll.id, ORGANISER, works=[], if_need_be=[], now=clock.now())
    assert await steps.ready_notices_due(db, clock.now(), roster) == 0
    await set_away(db, group, CAT, None, now=clock.now(), group_zone="Europe/London")
    assert await steps.ready_notices_due(db, clock.now(), roster) == 0  # Ben has not
    await store.save_availability(db, poll.id, BEN, works=[], if_need_be=[], now=clock.now())
    assert await steps.ready_notices_due(db, clock.now(), roster) == 1
    assert await steps.ready_notices_due(db, clock.now(), roster) == 0
    clock.set(poll.deadline_at)
    await steps.finalize_due(db, clock.now())
    assert await steps.ready_notices_due(db, clock.now(), roster) == 0  # one DM, not two
    assert await outbox_rows(db, steps.READY_KIND) == [(ORGANISER, f"poll{poll.id}")]


async def test_a_forgotten_organiser_gets_no_dm_and_the_poll_stays(
    db: Database, clock: VirtualClock
) -> None:
    from bot.members.personal_data import forget_member

    _, poll, _ = await poll_with_marks(db, clock, {ANN: ([0], [])})
    await forget_member(db, ORGANISER)
    await forget_member(db, ANN)
    kept = await store.require_poll(db, poll.id)
    assert kept.organiser_user_id is None
    assert await store.member_marks(db, poll.id, ANN) == {}
    clock.set(poll.deadline_at)
    await steps.finalize_due(db, clock.now())
    assert await steps.ready_notices_due(db, clock.now()) == 0


# --- sessions, RSVPs, reminders ---------------------------------------------------


async def booked(db: Database, clock: VirtualClock) -> store.Session:
    _, poll, _ = await poll_with_marks(db, clock, {ANN: ([1], []), BEN: ([1], [])})
    result = await store.finalize(db, poll.id, now=clock.now(), actor=Actor(ORGANISER))
    assert result.session is not None
    return result.session


async def test_rsvps_and_the_event_sync(db: Database, clock: VirtualClock) -> None:
    session = await booked(db, clock)
    now = clock.now()
    await store.set_rsvp(db, session.id, ANN, "going", now)
    await store.set_rsvp(db, session.id, BEN, "maybe", now)
    await store.set_rsvp(db, session.id, CAT, "going", now)
    await store.set_rsvp(db, session.id, CAT, "cant", now)
    assert await store.rsvp_counts(db, session.id) == {"going": 1, "maybe": 1, "cant": 1}
    assert await store.attendees(db, session.id) == [ANN, BEN]
    with pytest.raises(UserError, match="going, maybe or can't"):
        await store.set_rsvp(db, session.id, ANN, "yes", now)
    await store.mark_synced(db, session.id, session.sequence, discord_event_id=9001)
    assert await store.sessions_to_sync(db) == []
    found = await store.session_by_event(db, 9001)
    assert found is not None
    assert found.id == session.id


async def test_reminders_go_once_per_offset_and_after_downtime_only_the_nearest(
    db: Database, clock: VirtualClock
) -> None:
    session = await booked(db, clock)
    await store.set_rsvp(db, session.id, ANN, "going", clock.now())
    await store.set_rsvp(db, session.id, BEN, "maybe", clock.now())
    await store.set_rsvp(db, session.id, CAT, "cant", clock.now())
    assert await steps.reminders_due(db, clock.now()) == 0
    clock.set(session.start - timedelta(hours=24))
    assert await steps.reminders_due(db, clock.now()) == 2
    assert await steps.reminders_due(db, clock.now()) == 0
    clock.set(session.start - timedelta(minutes=30))
    assert await steps.reminders_due(db, clock.now()) == 2
    stamp = int(session.start.timestamp())
    assert await outbox_rows(db, "consult_reminder") == [
        (ANN, f"s{session.id}@{stamp}/1440"),
        (ANN, f"s{session.id}@{stamp}/60"),
        (BEN, f"s{session.id}@{stamp}/1440"),
        (BEN, f"s{session.id}@{stamp}/60"),
    ]
    row = await db.fetchone("SELECT due_at, expires_at FROM outbox WHERE ref LIKE '%/60' LIMIT 1")
    assert row is not None
    assert row["expires_at"] == session.start.isoformat(timespec="microseconds")


async def test_after_downtime_only_the_nearest_offset_is_sent(
    db: Database, clock: VirtualClock
) -> None:
    session = await booked(db, clock)
    await store.set_rsvp(db, session.id, ANN, "going", clock.now())
    clock.set(session.start - timedelta(minutes=20))
    assert await steps.reminders_due(db, clock.now()) == 1
    assert [ref for _, ref in await outbox_rows(db, "consult_reminder")] == [
        f"s{session.id}@{int(session.start.timestamp())}/60"
    ]
    clock.set(session.start)
    assert await steps.reminders_due(db, clock.now()) == 0


async def test_reschedule_tells_attendees_once_and_reminds_for_the_new_time(
    db: Database, clock: VirtualClock
) -> None:
    session = await booked(db, clock)
    await store.set_rsvp(db, session.id, ANN, "going", clock.now())
    await store.set_rsvp(db, session.id, CAT, "cant", clock.now())
    clock.set(session.start - timedelta(hours=24))
    await steps.reminders_due(db, clock.now())
    with pytest.raises(NotPermittedError):
        await store.reschedule(db, session.id, SAT_NOON, actor=Actor(ANN), now=clock.now())
    moved = await store.reschedule(
        db, session.id, SAT_NOON, actor=Actor(ORGANISER), now=clock.now()
    )
    assert moved.sequence == session.sequence + 1
    assert await outbox_rows(db, store.CHANGED_KIND) == [(ANN, f"s{session.id}.v{moved.sequence}")]
    dropped = await db.fetchone(
        "SELECT status FROM outbox WHERE kind = 'consult_reminder' AND user_id = ?", (ANN,)
    )
    assert dropped is not None
    assert dropped["status"] == "dropped"
    clock.set(SAT_NOON - timedelta(hours=24))
    assert await steps.reminders_due(db, clock.now()) == 1


async def test_cancel_tells_attendees_once_and_stops_reminders(
    db: Database, clock: VirtualClock
) -> None:
    session = await booked(db, clock)
    await store.set_rsvp(db, session.id, ANN, "maybe", clock.now())
    cancelled = await store.cancel_session(
        db, session.id, actor=Actor(MOD, is_moderator=True), now=clock.now()
    )
    assert cancelled.status == "cancelled"
    assert cancelled.sequence == session.sequence + 1
    with pytest.raises(UserError, match="cancelled already"):
        await store.cancel_session(db, session.id, actor=Actor(ORGANISER), now=clock.now())
    assert len(await outbox_rows(db, store.CHANGED_KIND)) == 1
    clock.set(session.start - timedelta(hours=1))
    assert await steps.reminders_due(db, clock.now()) == 0
    with pytest.raises(UserError, match="cancelled"):
        await store.set_rsvp(db, session.id, BEN, "going", clock.now())


async def test_group_settings_default_and_change(db: Database, clock: VirtualClock) -> None:
    group = await new_group(db, clock)
    assert await store.get_settings(db, group) == store.ConsultSettings(group)
    changed = await store.save_settings(
        db, group, now=clock.now(), show_names=False, reminder_offsets=[60, 2880]
    )
    assert changed.reminder_offsets == (2880, 60)
    assert not changed.show_names
    with pytest.raises(UserError, match="1 to 3"):
        await store.save_settings(db, group, now=clock.now(), reminder_offsets=[1, 2, 3, 4])


async def test_marks_answers_and_rsvps_go_30_days_after_they_served(
    db: Database, clock: VirtualClock
) -> None:
    session = await booked(db, clock)
    await store.set_rsvp(db, session.id, ANN, "going", clock.now())
    clock.set(session.end + timedelta(days=29))
    assert await steps.purge_due(db, clock.now()) == 0
    clock.set(session.end + timedelta(days=31))
    assert await steps.purge_due(db, clock.now()) == 5  # 2 marks, 2 answers, 1 RSVP
    for table in ("consult_marks", "consult_responses", "consult_rsvps"):
        row = await db.fetchone(f"SELECT COUNT(*) AS n FROM {table}")  # noqa: S608
        assert row is not None
        assert row["n"] == 0, table
    assert await store.get_session(db, session.id) is not None  # the session itself stays
