"""The outbox on a temporary database: natural key, leases, outcomes, closed-DM marks."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.clock import VirtualClock
from bot.db import Database
from bot.delivery import outbox, recipients
from bot.delivery.status import delivery_status
from bot.members.preferences import set_dm_opt_in

USER = 4242


async def new_group(db: Database, clock: VirtualClock) -> int:
    return await db.execute(
        "INSERT INTO groups (guild_id, timezone, created_at) VALUES (?, ?, ?)",
        (555, "Europe/London", clock.now().isoformat()),
    )


async def queue(db: Database, clock: VirtualClock, group: int, **changes: object) -> bool:
    fields: dict[str, object] = {
        "group_id": group,
        "user_id": USER,
        "kind": "checkin_prompt",
        "ref": "round-1",
        "due_at": clock.now(),
        "expires_at": clock.now() + timedelta(days=2),
        "payload": {"round_id": 1},
        **changes,
    }
    return await outbox.enqueue(db, **fields)  # type: ignore[arg-type]


async def statuses(db: Database) -> list[tuple[str, str | None]]:
    rows = await db.fetchall("SELECT status, outcome FROM outbox ORDER BY id")
    return [(row["status"], row["outcome"]) for row in rows]


async def test_enqueue_twice_keeps_one_row(db: Database, clock: VirtualClock) -> None:
    group = await new_group(db, clock)
    assert await queue(db, clock, group) is True
    assert await queue(db, clock, group, payload={"round_id": 2}) is False
    assert await queue(db, clock, group, ref="round-2") is True
    assert await queue(db, clock, group, kind="checkin_reminder") is True
    rows = await db.fetchall("SELECT ref, kind, payload, status, attempts FROM outbox ORDER BY id")
    assert [tuple(row) for row in rows] == [
        ("round-1", "checkin_prompt", '{"round_id":1}', "pending", 0),
        ("round-2", "checkin_prompt", '{"round_id":1}', "pending", 0),
        ("round-1", "checkin_reminder", '{"round_id":1}', "pending", 0),
    ]


async def test_enqueue_refuses_what_is_not_a_render_parameter(
    db: Database, clock: VirtualClock
) -> None:
    group = await new_group(db, clock)
    with pytest.raises(ValueError, match="render parameters"):
        await queue(db, clock, group, payload={"note": "x" * 2000})
    with pytest.raises(ValueError, match="after due_at"):
        await queue(db, clock, group, expires_at=clock.now())
    with pytest.raises(TypeError):
        await queue(db, clock, group, payload={"when": clock.now()})
    assert await db.fetchall("SELECT id FROM outbox") == []


async def test_lease_claim_expiry_and_owner_guard(db: Database, clock: VirtualClock) -> None:
    group = await new_group(db, clock)
    await queue(db, clock, group)
    now = clock.now()
    (due,) = await outbox.due_rows(db, now, 10)
    async with db.transaction() as tx:
        await outbox.claim(
            tx, [due.item.id], owner="a", lease_until=now + timedelta(minutes=2), now=now
        )
    assert await outbox.due_rows(db, now, 10) == []
    assert await outbox.reclaim_expired_leases(db, now + timedelta(minutes=1)) == 0
    assert await outbox.reclaim_expired_leases(db, now + timedelta(minutes=2)) == 1
    # The dead owner's late "sent" does not overwrite the reclaimed row.
    assert not await outbox.mark_sent(db, due.item.id, owner="a", message_id=1, now=now)
    (again,) = await outbox.due_rows(db, now + timedelta(minutes=2), 10)
    assert again.item.attempts == 1
    async with db.transaction() as tx:
        await outbox.claim(
            tx, [again.item.id], owner="b", lease_until=now + timedelta(hours=1), now=now
        )
    assert await outbox.mark_sent(db, due.item.id, owner="b", message_id=77, now=now)
    row = await db.fetchone("SELECT status, outcome, message_id, attempts FROM outbox")
    assert row is not None
    assert tuple(row) == ("sent", "sent", 77, 2)


async def test_due_rows_carry_preferences_and_dm_state(db: Database, clock: VirtualClock) -> None:
    group = await new_group(db, clock)
    await queue(db, clock, group)
    await queue(db, clock, group, user_id=99, due_at=clock.now() + timedelta(hours=1))
    await set_dm_opt_in(db, group, USER, "checkins", True, now=clock.now())
    await recipients.remember_channel(db, USER, 31337, now=clock.now())
    (row,) = await outbox.due_rows(db, clock.now(), 10)
    assert row.item.user_id == USER
    assert row.item.payload == {"round_id": 1}
    assert row.preferences.wants("checkins")
    assert (row.group_zone, row.channel_id, row.dms_closed) == ("Europe/London", 31337, False)
    assert row.item.nonce == f"pp{row.item.id}"
    assert len(row.item.nonce) <= 25


async def test_note_interaction_clears_a_closed_mark_once(
    db: Database, clock: VirtualClock
) -> None:
    assert await recipients.note_interaction(db, USER) is False
    await recipients.remember_channel(db, USER, 5, now=clock.now())
    await recipients.mark_dms_closed(db, USER, now=clock.now())
    assert await recipients.dms_closed(db, USER)
    assert await recipients.note_interaction(db, USER) is True
    assert await recipients.note_interaction(db, USER) is False
    assert not await recipients.dms_closed(db, USER)
    row = await db.fetchone("SELECT channel_id FROM dm_recipients WHERE user_id = ?", (USER,))
    assert row is not None
    assert row["channel_id"] == 5


async def test_status_counts_backlog_and_outcomes_without_names(
    db: Database, clock: VirtualClock
) -> None:
    group = await new_group(db, clock)
    now = clock.now()
    await queue(db, clock, group)  # due now
    await queue(db, clock, group, ref="later", due_at=now + timedelta(days=1))
    await queue(db, clock, group, ref="held")
    await queue(db, clock, group, ref="gone")
    rows = {row.item.ref: row.item.id for row in await outbox.due_rows(db, now, 10)}
    await outbox.hold(db, rows["held"], now + timedelta(hours=3), now=now)
    await outbox.drop(db, rows["gone"], "away", now=now)
    await set_dm_opt_in(db, group, 7, "checkins", True, now=now)
    await recipients.mark_dms_closed(db, 7, now=now)
    await recipients.mark_dms_closed(db, 8, now=now)  # not in this group
    status = await delivery_status(db, group, now)
    assert (status.backlog.due_now, status.backlog.held_for_hours, status.backlog.scheduled) == (
        1,
        1,
        1,
    )
    assert status.outcomes == {"checkin_prompt": {"away": 1}}
    assert status.members_with_dms_closed == 1
    text = "\n".join(status.lines())
    assert "Waiting to be sent: 3 (1 due now; 1 waiting for the member's working hours; " in text
    assert "1 not sent (the member was away)" in text
    assert "Right now 1 member who asked for DMs has DMs closed" in text
    assert str(USER) not in text
    assert await outbox.counts_by_status_and_kind(db, group) == {
        ("dropped", "checkin_prompt"): 1,
        ("pending", "checkin_prompt"): 3,
    }


async def test_a_consultation_reminder_goes_before_an_older_fan_out(
    db: Database, clock: VirtualClock
) -> None:
    # A reminder is worthless after its session starts: it must not wait behind another
    # group's thousand check-in DMs that became due a minute earlier.
    group = await new_group(db, clock)
    for user in range(1, 6):
        await queue(db, clock, group, user_id=user)
    clock.advance(timedelta(minutes=1))
    await queue(db, clock, group, user_id=9, kind="consult_reminder", ref="session-1:60")
    due = await outbox.due_rows(db, clock.now(), 2)
    assert [(r.item.kind, r.item.user_id) for r in due] == [
        ("consult_reminder", 9),
        ("checkin_prompt", 1),
    ]
