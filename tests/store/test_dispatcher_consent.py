"""The dispatcher re-checks consent and existence right before each request: /me forget and
turning DMs off win over a DM already claimed."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from bot.clock import VirtualClock
from bot.db import Database
from bot.delivery import outbox, recipients
from bot.delivery.dispatcher import Dispatcher
from bot.delivery.outbox import OutboxItem
from bot.delivery.pacing import steady_limiter
from bot.members.personal_data import forget_member
from bot.members.preferences import set_dm_opt_in

MONDAY_10_LONDON = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
ANA = 7


@dataclass
class Transport:
    """Runs `during_open` / `during_send` while the request is 'with Discord'."""

    db: Database
    during_open: str | None = None
    during_send: str | None = None
    sent: list[int] = field(default_factory=list)
    opened: list[int] = field(default_factory=list)

    async def _member_acts(self, action: str | None, user_id: int) -> None:
        if action == "forget":
            await forget_member(self.db, user_id)
        elif action == "dms off":
            await set_dm_opt_in(self.db, 1, user_id, "checkins", False, now=MONDAY_10_LONDON)

    async def open_dm(self, user_id: int) -> int:
        self.opened.append(user_id)
        await self._member_acts(self.during_open, user_id)
        return 9000 + user_id

    async def send(self, channel_id: int, item: OutboxItem) -> int:
        self.sent.append(item.user_id)
        await self._member_acts(self.during_send, item.user_id)
        return 5000 + item.id


@dataclass
class Access:
    """Who is still in the server and sees the group's channel."""

    reachable: set[int]
    asked: list[tuple[int, int | None, int]] = field(default_factory=list)

    async def can_reach(self, guild_id: int, channel_id: int | None, user_id: int) -> bool:
        self.asked.append((guild_id, channel_id, user_id))
        return user_id in self.reachable


async def world(db: Database, clock: VirtualClock, kind: str = "checkin_open") -> None:
    clock.set(MONDAY_10_LONDON)
    await db.execute(
        "INSERT INTO groups (guild_id, home_channel_id, timezone, created_at) "
        "VALUES (555, 66, 'Europe/London', ?)",
        (clock.now().isoformat(),),
    )
    await set_dm_opt_in(db, 1, ANA, "checkins", True, now=clock.now())
    await outbox.enqueue(
        db,
        group_id=1,
        user_id=ANA,
        kind=kind,
        ref="2026-W10",
        due_at=clock.now(),
        expires_at=clock.now() + timedelta(days=1),
        payload={"round_id": 1},
    )


def dispatcher(db: Database, transport: Transport, access: Access | None = None) -> Dispatcher:
    return Dispatcher(
        db,
        transport,
        limiter=steady_limiter(100_000, burst=1000),
        open_limiter=steady_limiter(100_000, burst=1000),
        rng=random.Random(1),  # noqa: S311 - jitter
        access=access,
    )


async def rows_naming(db: Database, user_id: int) -> dict[str, int]:
    found = {}
    for table in ("outbox", "dm_recipients", "member_preferences"):
        row = await db.fetchone(f"SELECT COUNT(*) FROM {table} WHERE user_id = ?", (user_id,))  # noqa: S608
        assert row is not None
        found[table] = int(row[0])
    return found


async def test_forget_while_the_dm_channel_opens_sends_nothing_and_recreates_nothing(
    db: Database, clock: VirtualClock
) -> None:
    await world(db, clock)
    transport = Transport(db, during_open="forget")
    await dispatcher(db, transport).run_due(clock.now())
    assert transport.opened == [ANA]
    assert transport.sent == []  # claimed before /me forget, not delivered after it
    assert await rows_naming(db, ANA) == {"outbox": 0, "dm_recipients": 0, "member_preferences": 0}


async def test_forget_while_the_dm_is_sent_recreates_nothing(
    db: Database, clock: VirtualClock
) -> None:
    await world(db, clock)
    await recipients.remember_channel(db, ANA, 9000 + ANA, now=clock.now())
    transport = Transport(db, during_send="forget")
    await dispatcher(db, transport).run_due(clock.now())
    assert transport.sent == [ANA]
    assert await rows_naming(db, ANA) == {"outbox": 0, "dm_recipients": 0, "member_preferences": 0}


async def test_dms_turned_off_while_the_channel_opens_are_not_sent(
    db: Database, clock: VirtualClock
) -> None:
    await world(db, clock)
    transport = Transport(db, during_open="dms off")
    await dispatcher(db, transport).run_due(clock.now())
    assert transport.sent == []
    row = await db.fetchone("SELECT status, outcome FROM outbox")
    assert row is not None
    assert tuple(row) == ("dropped", "opted_out")


async def test_a_member_who_lost_access_is_not_dmed(db: Database, clock: VirtualClock) -> None:
    await world(db, clock)
    access = Access(reachable=set())
    transport = Transport(db)
    await dispatcher(db, transport, access).run_due(clock.now())
    assert access.asked == [(555, 66, ANA)]  # the group's home channel: no channel in the payload
    assert transport.opened == transport.sent == []
    row = await db.fetchone("SELECT status, outcome FROM outbox")
    assert row is not None
    assert tuple(row) == ("dropped", "no_access")
