"""Finished outbox rows are deleted after two days; status keeps anonymous counts."""

from __future__ import annotations

from datetime import timedelta

from bot.clock import VirtualClock
from bot.db import Database
from bot.delivery import outbox
from bot.delivery.status import delivery_status
from bot.members.dm_consent import choose_dms

GROUP_ZONE = "Europe/London"
ANA, BEN, CHEN = 101, 102, 103


async def new_group(db: Database, clock: VirtualClock) -> int:
    return await db.execute(
        "INSERT INTO groups (guild_id, timezone, created_at) VALUES (?, ?, ?)",
        (555, GROUP_ZONE, clock.now().isoformat()),
    )


async def reminders(db: Database, clock: VirtualClock, group: int, *users: int) -> list[int]:
    ids = []
    for user in users:
        await outbox.enqueue(
            db,
            group_id=group,
            user_id=user,
            kind="checkin_reminder",
            ref="2026-W10",
            due_at=clock.now(),
            expires_at=clock.now() + timedelta(days=1),
            payload={"round_id": 1},
        )
        row = await db.fetchone("SELECT id FROM outbox WHERE user_id = ?", (user,))
        assert row is not None
        ids.append(int(row["id"]))
    return ids


async def finish(db: Database, clock: VirtualClock, ids: list[int]) -> None:
    """Ana's reminder is delivered, Ben's dropped (away), Chen's failed (DMs closed)."""
    sent, dropped, failed = ids
    now = clock.now()
    async with db.transaction() as tx:
        await outbox.claim(
            tx, [sent, failed], owner="w", lease_until=now + timedelta(minutes=1), now=now
        )
    assert await outbox.mark_sent(db, sent, owner="w", message_id=9, now=now)
    await outbox.drop(db, dropped, "away", now=now)
    await outbox.mark_failed(db, failed, owner="w", outcome="dms_closed", error="50007", now=now)


async def test_finished_rows_go_after_two_days_and_status_still_counts_them(
    db: Database, clock: VirtualClock
) -> None:
    group = await new_group(db, clock)
    await finish(db, clock, await reminders(db, clock, group, ANA, BEN, CHEN))
    expected = {"checkin_reminder": {"sent": 1, "away": 1, "dms_closed": 1}}

    clock.advance(timedelta(days=1, hours=23))
    assert await outbox.purge_finished(db, clock.now()) == 0  # not yet two days
    clock.advance(timedelta(hours=2))
    assert await outbox.purge_finished(db, clock.now()) == 3
    assert await outbox.purge_finished(db, clock.now()) == 0  # idempotent

    # No row names who was reminded (who had not answered), delivered or not.
    assert await db.fetchall("SELECT * FROM outbox") == []
    counts = await db.fetchall("SELECT * FROM delivery_counts")
    assert {tuple(row.keys()) for row in counts} == {
        ("group_id", "kind", "outcome", "day", "count")
    }
    status = await delivery_status(db, group, clock.now(), since=clock.now() - timedelta(days=7))
    assert status.outcomes == expected

    clock.advance(timedelta(days=9))
    await outbox.purge_finished(db, clock.now())
    assert await db.fetchall("SELECT * FROM delivery_counts") == []  # counts do not pile up


async def test_pending_rows_are_never_purged(db: Database, clock: VirtualClock) -> None:
    group = await new_group(db, clock)
    await reminders(db, clock, group, ANA)
    clock.advance(timedelta(days=30))
    assert await outbox.purge_finished(db, clock.now()) == 0
    assert len(await db.fetchall("SELECT * FROM outbox WHERE status = 'pending'")) == 1


async def test_the_welcome_is_sent_once_even_after_its_row_is_purged(
    db: Database, clock: VirtualClock
) -> None:
    group = await new_group(db, clock)
    _, queued = await choose_dms(db, group, ANA, "checkins", True, now=clock.now())
    assert queued
    await outbox.drop(db, 1, "sent-elsewhere", now=clock.now())
    clock.advance(timedelta(days=3))
    assert await outbox.purge_finished(db, clock.now()) == 1
    await choose_dms(db, group, ANA, "checkins", False, now=clock.now())
    _, again = await choose_dms(db, group, ANA, "pulse", True, now=clock.now())
    assert not again
    assert await db.fetchall("SELECT * FROM outbox") == []
