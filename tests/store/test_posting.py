"""Posting in a group's channel: quick retries, then a slow watch, then recovery."""

from __future__ import annotations

from datetime import timedelta

from bot import posting
from bot.clock import VirtualClock
from bot.config import GroupDefaults
from bot.db import Database
from bot.groups import ensure_group


async def test_three_quick_retries_then_blocked_once_then_hourly_until_a_post_works(
    db: Database, clock: VirtualClock
) -> None:
    group = await ensure_group(db, clock, 1, 2, GroupDefaults())
    now = clock.now()
    waits = []
    blocked = []
    for _ in range(5):
        assert await posting.may_post(db, group.id, now)
        failure = await posting.failed(db, group.id, now, refused=True)
        assert not await posting.may_post(db, group.id, now)
        waits.append(failure.retry_at - now)
        blocked.append(failure.newly_blocked)
        failed_at, now = now, failure.retry_at
    minutes = [timedelta(minutes=m) for m in (1, 5, 15, 60, 60)]
    assert waits == minutes
    assert blocked == [False, False, False, True, False]  # said once
    assert await posting.cannot_post_since(db, group.id) == clock.now() + sum(
        minutes[:3], timedelta()
    )

    # The server changed a minute after the last try: try now rather than in an hour.
    changed = failed_at + timedelta(minutes=1)
    assert not await posting.may_post(db, group.id, changed)
    assert await posting.retry_soon(db, 1, changed) == 1
    assert await posting.may_post(db, group.id, changed)
    assert await posting.posted(db, group.id) is True  # it had been blocked
    assert await posting.cannot_post_since(db, group.id) is None
    assert await posting.posted(db, group.id) is False


async def test_an_outage_backs_off_but_never_marks_the_group_blocked(
    db: Database, clock: VirtualClock
) -> None:
    group = await ensure_group(db, clock, 1, 2, GroupDefaults())
    now = clock.now()
    for _ in range(6):
        failure = await posting.failed(db, group.id, now, refused=False)
        assert not failure.newly_blocked
        now = failure.retry_at
    assert await posting.cannot_post_since(db, group.id) is None
