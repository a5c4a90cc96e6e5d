"""The in-memory closed-DMs set against the database's marks."""

from __future__ import annotations

from bot.clock import VirtualClock
from bot.db import Database
from bot.delivery import recipients
from bot.delivery.recipients import ClosedDms


async def test_loaded_at_start_and_cleared_once(db: Database, clock: VirtualClock) -> None:
    await recipients.mark_dms_closed(db, 7, now=clock.now())
    await recipients.remember_channel(db, 8, 5, now=clock.now())
    closed = ClosedDms()
    await closed.load(db)
    assert 7 in closed
    assert 8 not in closed
    assert await closed.clear(db, 7) is True
    assert 7 not in closed
    assert not await recipients.dms_closed(db, 7)
    assert await closed.clear(db, 7) is False


async def test_a_stale_mark_costs_one_update_and_shows_nothing(
    db: Database, clock: VirtualClock
) -> None:
    """Marked in memory, but the database no longer says closed (or never did)."""
    closed = ClosedDms()
    closed.mark(9)
    assert await closed.clear(db, 9) is False
    assert 9 not in closed
