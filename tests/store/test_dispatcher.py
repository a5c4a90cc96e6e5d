"""The dispatcher against an in-memory transport: boundaries, retries, crashes, pacing, fan-out."""

# ruff: noqa: S311 - seeded generators make failures and members reproducible

from __future__ import annotations

import asyncio
import random
from collections import Counter, deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest

from bot.clock import VirtualClock
from bot.db import Database
from bot.delivery import outbox, recipients
from bot.delivery.dispatcher import DeliverySettings, Dispatcher
from bot.delivery.errors import (
    ChannelGoneError,
    DeliveryError,
    DmsClosedError,
    PermanentDeliveryError,
    RateLimitedError,
    TransientDeliveryError,
)
from bot.delivery.outbox import OutboxItem
from bot.delivery.pacing import steady_limiter
from bot.delivery.status import delivery_status
from bot.members.hours import is_within
from bot.members.preferences import (
    get_preferences,
    set_away,
    set_dm_opt_in,
    set_hours,
    set_reminders,
    set_timezone,
)

NEW_YORK = "America/New_York"


@dataclass(frozen=True)
class Delivered:
    outbox_id: int
    user_id: int
    kind: str
    ref: str
    channel_id: int
    at: datetime
    nonce: str


@dataclass
class FakeTransport:
    """Records every call; can fail on demand like Discord would."""

    clock: VirtualClock
    closed: set[int] = field(default_factory=set)
    failures: deque[DeliveryError] = field(default_factory=deque)
    random_failure_rate: float = 0.0
    rng: random.Random = field(default_factory=lambda: random.Random(5))
    hang_after_send: bool = False
    calls: list[tuple[str, int]] = field(default_factory=list)
    delivered: list[Delivered] = field(default_factory=list)
    gone_channels: set[int] = field(default_factory=set)
    first_delivery: asyncio.Event = field(default_factory=asyncio.Event)
    _next_channel: int = 70_000

    async def open_dm(self, user_id: int) -> int:
        self.calls.append(("open", user_id))
        self._next_channel += 1
        return self._next_channel

    async def send(self, channel_id: int, item: OutboxItem) -> int:
        self.calls.append(("send", item.user_id))
        await asyncio.sleep(0)
        if channel_id in self.gone_channels:
            raise ChannelGoneError()
        if item.user_id in self.closed:
            raise DmsClosedError()
        if self.failures:
            raise self.failures.popleft()
        if self.random_failure_rate and self.rng.random() < self.random_failure_rate:
            if self.rng.random() < 0.5:
                raise RateLimitedError(self.rng.uniform(0.1, 3.0))
            raise TransientDeliveryError()
        self.delivered.append(
            Delivered(
                item.id, item.user_id, item.kind, item.ref, channel_id, self.clock.now(), item.nonce
            )
        )
        self.first_delivery.set()
        if self.hang_after_send:  # the request reached Discord; the answer never comes back
            await asyncio.Event().wait()
        return 10_000_000 + len(self.delivered)

    def sends_to(self, user_id: int) -> int:
        return self.calls.count(("send", user_id))


def dispatcher(db: Database, transport: FakeTransport, **options: object) -> Dispatcher:
    defaults: dict[str, object] = {
        "limiter": steady_limiter(100_000, burst=1000),
        "open_limiter": steady_limiter(100_000, burst=1000),
        "rng": random.Random(1),
        "concurrency": 8,
    }
    return Dispatcher(db, transport, **{**defaults, **options})  # type: ignore[arg-type]


async def new_group(db: Database, clock: VirtualClock, zone: str = NEW_YORK) -> int:
    return await db.execute(
        "INSERT INTO groups (guild_id, timezone, created_at) VALUES (?, ?, ?)",
        (555, zone, clock.now().isoformat()),
    )


async def opted_in(db: Database, clock: VirtualClock, group: int, *users: int) -> None:
    for user in users:
        await set_dm_opt_in(db, group, user, "checkins", True, now=clock.now())


async def queue(
    db: Database,
    clock: VirtualClock,
    group: int,
    user: int,
    *,
    kind: str = "checkin_prompt",
    ref: str = "round-1",
    expires_in: timedelta | None = timedelta(days=3),
) -> bool:
    return await outbox.enqueue(
        db,
        group_id=group,
        user_id=user,
        kind=kind,
        ref=ref,
        due_at=clock.now(),
        expires_at=clock.now() + expires_in if expires_in else None,
        payload={"round_id": 1},
    )


async def outcomes(db: Database) -> dict[int, tuple[str, str | None]]:
    rows = await db.fetchall("SELECT user_id, status, outcome FROM outbox ORDER BY id")
    return {row["user_id"]: (row["status"], row["outcome"]) for row in rows}


async def run_until(
    dispatch: Dispatcher, clock: VirtualClock, end: datetime, step: timedelta
) -> None:
    while True:
        await dispatch.run_due(clock.now())
        if clock.now() >= end:
            return
        clock.set(min(end, clock.now() + step))


# The conftest clock starts Monday 2 March 2026 09:00 UTC = 04:00 in New York.
MONDAY_10_NY = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)


async def test_due_dms_are_sent_exactly_once(db: Database, clock: VirtualClock) -> None:
    clock.set(MONDAY_10_NY)
    group = await new_group(db, clock)
    await opted_in(db, clock, group, 1, 2, 3)
    for user in (1, 2, 3):
        await queue(db, clock, group, user)
    fake = FakeTransport(clock)
    dispatch = dispatcher(db, fake)
    assert await dispatch.run_due(clock.now()) == 3
    assert await dispatch.run_due(clock.now()) == 0
    clock.advance(timedelta(hours=1))
    assert await dispatch.run_due(clock.now()) == 0
    assert sorted(d.user_id for d in fake.delivered) == [1, 2, 3]
    assert await outcomes(db) == dict.fromkeys((1, 2, 3), ("sent", "sent"))
    rows = await db.fetchall("SELECT message_id, attempts, lease_owner FROM outbox")
    assert all(row["message_id"] and row["attempts"] == 1 for row in rows)
    assert all(row["lease_owner"] is None for row in rows)


async def test_held_outside_hours_across_a_weekend_and_a_dst_change(
    db: Database, clock: VirtualClock
) -> None:
    # Friday 6 March 18:00 EST; New York springs forward on Sunday 8 March.
    clock.set(datetime(2026, 3, 6, 23, 0, tzinfo=UTC))
    group = await new_group(db, clock)
    await opted_in(db, clock, group, 1)
    await queue(db, clock, group, 1, expires_in=timedelta(days=5))
    fake = FakeTransport(clock)
    dispatch = dispatcher(db, fake)
    assert await dispatch.run_due(clock.now()) == 1  # held
    status = await delivery_status(db, group, clock.now())
    assert status.backlog.held_for_hours == 1
    monday_nine_edt = datetime(2026, 3, 9, 13, 0, tzinfo=UTC)  # 14:00 UTC a week earlier
    await run_until(dispatch, clock, monday_nine_edt - timedelta(minutes=1), timedelta(minutes=30))
    assert fake.calls == []
    clock.set(monday_nine_edt)
    await dispatch.run_due(clock.now())
    assert [d.at for d in fake.delivered] == [monday_nine_edt]


async def test_stale_dms_are_dropped_and_recorded(db: Database, clock: VirtualClock) -> None:
    clock.set(datetime(2026, 3, 6, 23, 0, tzinfo=UTC))  # Friday evening in New York
    group = await new_group(db, clock)
    await opted_in(db, clock, group, 1, 2)
    await queue(db, clock, group, 1, expires_in=timedelta(days=1))  # its window is Monday
    await queue(db, clock, group, 2, expires_in=timedelta(days=5))
    fake = FakeTransport(clock)
    dispatch = dispatcher(db, fake)
    await dispatch.run_due(clock.now())
    assert (await outcomes(db))[1] == ("dropped", "stale")
    # A catch-up after downtime past the expiry also drops, without a request.
    clock.set(datetime(2026, 3, 12, 15, 0, tzinfo=UTC))
    await dispatch.run_due(clock.now())
    assert (await outcomes(db))[2] == ("dropped", "stale")
    assert fake.calls == []


async def test_away_and_opted_out_members_are_skipped_and_recorded(
    db: Database, clock: VirtualClock
) -> None:
    clock.set(MONDAY_10_NY)
    group = await new_group(db, clock)
    await opted_in(db, clock, group, 1, 2, 3)
    await set_away(db, group, 1, None, now=clock.now(), group_zone=NEW_YORK)
    await set_dm_opt_in(db, group, 2, "checkins", False, now=clock.now())
    await set_reminders(db, group, 3, False, now=clock.now())
    await queue(db, clock, group, 1)
    await queue(db, clock, group, 2)
    await queue(db, clock, group, 3, kind="checkin_reminder")
    await queue(db, clock, group, 3)
    fake = FakeTransport(clock)
    await dispatcher(db, fake).run_due(clock.now())
    rows = await db.fetchall("SELECT user_id, kind, status, outcome FROM outbox ORDER BY id")
    # A finished reminder row is deleted at once, kept only as an anonymous count.
    assert [tuple(row) for row in rows] == [
        (1, "checkin_prompt", "dropped", "away"),
        (2, "checkin_prompt", "dropped", "opted_out"),
        (3, "checkin_prompt", "sent", "sent"),
    ]
    counts = await db.fetchall("SELECT kind, outcome, count FROM delivery_counts")
    assert [tuple(row) for row in counts] == [("checkin_reminder", "opted_out", 1)]
    assert fake.calls == [("open", 3), ("send", 3)]


async def test_closed_dms_are_tried_once_until_the_member_interacts_and_a_day_has_passed(
    db: Database, clock: VirtualClock
) -> None:
    clock.set(MONDAY_10_NY)
    group = await new_group(db, clock)
    other_group = await new_group(db, clock)
    await opted_in(db, clock, group, 1)
    await opted_in(db, clock, other_group, 1)
    await set_dm_opt_in(db, group, 1, "consultations", True, now=clock.now())
    await queue(db, clock, group, 1)
    await queue(db, clock, group, 1, kind="consult_reminder")
    fake = FakeTransport(clock, closed={1})
    dispatch = dispatcher(db, fake)
    await dispatch.run_due(clock.now())
    assert fake.sends_to(1) == 1
    rows = await db.fetchall("SELECT status, outcome, last_error FROM outbox ORDER BY id")
    # The reminder is urgent: it was tried first (and, finished, deleted: counted only).
    assert [tuple(row) for row in rows] == [("dropped", "dms_closed", None)]
    # Closed is per person: another group's DM is not tried either.
    await queue(db, clock, other_group, 1, ref="round-9")
    clock.advance(timedelta(hours=1))
    await dispatch.run_due(clock.now())
    assert fake.sends_to(1) == 1
    status = await delivery_status(db, group, clock.now())
    assert status.members_with_dms_closed == 1
    assert status.outcomes == {
        "checkin_prompt": {"dms_closed": 1},
        "consult_reminder": {"dms_closed": 1},
    }
    # They use a command: the glue shows the hint once, and DMs are tried again, but not
    # sooner than a day after the refused one.
    assert await recipients.note_interaction(db, 1) is True
    assert await recipients.note_interaction(db, 1) is False
    fake.closed.clear()
    await queue(db, clock, group, 1, ref="round-2")
    await dispatch.run_due(clock.now())
    assert fake.delivered == []
    clock.set(MONDAY_10_NY + timedelta(days=1, minutes=1))
    await dispatch.run_due(clock.now())
    assert [d.ref for d in fake.delivered] == ["round-2"]


async def test_429_waits_at_least_retry_after_then_delivers(
    db: Database, clock: VirtualClock
) -> None:
    clock.set(MONDAY_10_NY)
    group = await new_group(db, clock)
    await opted_in(db, clock, group, 1)
    await queue(db, clock, group, 1)
    fake = FakeTransport(clock, failures=deque([RateLimitedError(30.0)]))
    dispatch = dispatcher(db, fake)
    await dispatch.run_due(clock.now())
    row = await db.fetchone("SELECT status, hold_reason, attempts, last_error FROM outbox")
    assert row is not None
    assert tuple(row) == ("pending", "retry", 1, "rate_limited")
    clock.advance(timedelta(seconds=29))
    await dispatch.run_due(clock.now())
    assert fake.sends_to(1) == 1
    clock.advance(timedelta(seconds=2))
    await dispatch.run_due(clock.now())
    assert fake.sends_to(1) == 2
    assert len(fake.delivered) == 1
    assert (await outcomes(db))[1] == ("sent", "sent")


async def test_5xx_backs_off_then_gives_up_after_max_attempts(
    db: Database, clock: VirtualClock
) -> None:
    clock.set(MONDAY_10_NY)
    group = await new_group(db, clock)
    await opted_in(db, clock, group, 1)
    await queue(db, clock, group, 1)
    fake = FakeTransport(clock, failures=deque(TransientDeliveryError() for _ in range(10)))
    dispatch = dispatcher(db, fake, settings=DeliverySettings(max_attempts=4))
    delays: list[float] = []
    for _ in range(3):
        attempted_at = clock.now()
        await dispatch.run_due(attempted_at)
        row = await db.fetchone("SELECT next_attempt_at FROM outbox")
        assert row is not None
        retry_at = datetime.fromisoformat(row["next_attempt_at"])
        delays.append((retry_at - attempted_at).total_seconds())
        clock.advance(retry_at - attempted_at - timedelta(milliseconds=1))
        await dispatch.run_due(clock.now())  # not yet
        clock.set(retry_at)
    await dispatch.run_due(clock.now())
    assert fake.sends_to(1) == 4
    # Base 2 s, equal jitter: within [1, 2], [2, 4] and [4, 8] seconds (plus run time).
    for delay, ceiling in zip(delays, (2, 4, 8), strict=True):
        assert ceiling / 2 <= delay <= ceiling + 0.5
    row = await db.fetchone("SELECT status, outcome, attempts, last_error FROM outbox")
    assert row is not None
    assert tuple(row) == ("failed", "gave_up", 4, "transient")


async def test_permanent_failures_are_not_retried(db: Database, clock: VirtualClock) -> None:
    clock.set(MONDAY_10_NY)
    group = await new_group(db, clock)
    await opted_in(db, clock, group, 1)
    await queue(db, clock, group, 1)
    fake = FakeTransport(clock, failures=deque([PermanentDeliveryError(400, 50035)]))
    dispatch = dispatcher(db, fake)
    await dispatch.run_due(clock.now())
    clock.advance(timedelta(hours=1))
    await dispatch.run_due(clock.now())
    assert fake.sends_to(1) == 1
    row = await db.fetchone("SELECT status, outcome, last_error FROM outbox")
    assert row is not None
    assert tuple(row) == ("failed", "rejected", "400/50035")


async def test_a_global_429_pauses_the_rest_of_the_run(db: Database, clock: VirtualClock) -> None:
    clock.set(MONDAY_10_NY)
    group = await new_group(db, clock)
    users = list(range(1, 11))
    await opted_in(db, clock, group, *users)
    for user in users:
        await queue(db, clock, group, user)
    fake = FakeTransport(clock, failures=deque([RateLimitedError(5.0, is_global=True)]))
    dispatch = dispatcher(db, fake, concurrency=1)
    await dispatch.run_due(clock.now())
    assert len([c for c in fake.calls if c[0] == "send"]) == 1
    rows = await db.fetchall("SELECT attempts FROM outbox WHERE status = 'pending' ORDER BY id")
    assert [row["attempts"] for row in rows] == [1] + [0] * 9
    clock.advance(timedelta(seconds=6))
    await dispatch.run_due(clock.now())
    assert sorted(d.user_id for d in fake.delivered) == users


async def test_dm_channel_ids_are_kept_so_a_repeat_dm_costs_one_request(
    db: Database, clock: VirtualClock
) -> None:
    clock.set(MONDAY_10_NY)
    group = await new_group(db, clock)
    await opted_in(db, clock, group, 1)
    await queue(db, clock, group, 1, ref="round-1")
    fake = FakeTransport(clock)
    await dispatcher(db, fake).run_due(clock.now())
    assert fake.calls == [("open", 1), ("send", 1)]
    await queue(db, clock, group, 1, ref="round-2")
    await queue(db, clock, group, 1, ref="round-3")
    await dispatcher(db, fake).run_due(clock.now())  # a restarted bot: the id is in the database
    assert fake.calls == [("open", 1), ("send", 1), ("send", 1), ("send", 1)]
    assert len({d.channel_id for d in fake.delivered}) == 1
    # A channel Discord forgot is reopened on the next attempt.
    fake.gone_channels.add(fake.delivered[0].channel_id)
    await queue(db, clock, group, 1, ref="round-4")
    dispatch = dispatcher(db, fake)
    await dispatch.run_due(clock.now())
    clock.advance(timedelta(minutes=1))
    await dispatch.run_due(clock.now())
    assert fake.calls[-3:] == [("send", 1), ("open", 1), ("send", 1)]
    assert [d.ref for d in fake.delivered][-1] == "round-4"


async def test_a_crash_mid_send_loses_nothing_and_duplicates_only_the_dm_in_flight(
    db: Database, clock: VirtualClock
) -> None:
    clock.set(MONDAY_10_NY)
    group = await new_group(db, clock)
    await opted_in(db, clock, group, 1, 2, 3)
    for user in (1, 2, 3):
        await queue(db, clock, group, user)
    fake = FakeTransport(clock, hang_after_send=True)
    doomed = dispatcher(db, fake, concurrency=1)
    run = asyncio.create_task(doomed.run_due(clock.now()))
    await fake.first_delivery.wait()
    run.cancel()  # the process dies after Discord got the DM, before the outbox heard back
    with pytest.raises(asyncio.CancelledError):
        await run
    in_flight = fake.delivered[0].user_id
    fake.hang_after_send = False
    rows = await db.fetchall("SELECT user_id, status FROM outbox ORDER BY id")
    assert {row["user_id"]: row["status"] for row in rows} == {
        u: "sending" if u == in_flight else "pending" for u in (1, 2, 3)
    }  # rows never tried were handed back; the one in flight keeps its lease
    restarted = dispatcher(db, fake)
    clock.advance(timedelta(minutes=1))  # the dead process's lease still holds
    await restarted.run_due(clock.now())
    assert Counter(d.user_id for d in fake.delivered) == Counter(
        {in_flight: 1} | {u: 1 for u in (1, 2, 3) if u != in_flight}
    )
    clock.advance(timedelta(minutes=2))  # the lease expired
    await restarted.run_due(clock.now())
    counts = Counter(d.user_id for d in fake.delivered)
    assert counts == Counter({u: 2 if u == in_flight else 1 for u in (1, 2, 3)})
    assert {d.nonce for d in fake.delivered if d.user_id == in_flight} == {
        fake.delivered[0].nonce
    }  # the same nonce both times, so Discord's enforce_nonce can drop the repeat
    assert set((await outcomes(db)).values()) == {("sent", "sent")}


async def test_rows_leased_by_a_killed_process_come_back_when_the_lease_expires(
    db: Database, clock: VirtualClock
) -> None:
    clock.set(MONDAY_10_NY)
    group = await new_group(db, clock)
    await opted_in(db, clock, group, 1, 2)
    for user in (1, 2):
        await queue(db, clock, group, user)
    rows = await outbox.due_rows(db, clock.now(), 10)
    async with db.transaction() as tx:  # kill -9 right after the claim committed
        await outbox.claim(
            tx,
            [row.item.id for row in rows],
            owner="killed",
            lease_until=clock.now() + timedelta(minutes=2),
            now=clock.now(),
        )
    fake = FakeTransport(clock)
    restarted = dispatcher(db, fake)
    await restarted.run_due(clock.now())
    assert fake.delivered == []
    clock.advance(timedelta(minutes=2))
    await restarted.run_due(clock.now())
    assert sorted(d.user_id for d in fake.delivered) == [1, 2]


async def test_runs_do_not_overlap(db: Database, clock: VirtualClock) -> None:
    clock.set(MONDAY_10_NY)
    group = await new_group(db, clock)
    users = list(range(1, 21))
    await opted_in(db, clock, group, *users)
    for user in users:
        await queue(db, clock, group, user)
    fake = FakeTransport(clock)
    dispatch = dispatcher(db, fake)
    await asyncio.gather(*(dispatch.run_due(clock.now()) for _ in range(3)))
    assert sorted(d.user_id for d in fake.delivered) == users


async def test_paced_sends_run_at_the_limiter_rate_not_one_at_a_time(
    db: Database, clock: VirtualClock
) -> None:
    clock.set(MONDAY_10_NY)
    group = await new_group(db, clock)
    users = list(range(1, 101))
    await opted_in(db, clock, group, *users)
    for user in users:
        await queue(db, clock, group, user)
        await recipients.remember_channel(db, user, 80_000 + user, now=clock.now())

    class SlowTransport(FakeTransport):
        async def send(self, channel_id: int, item: OutboxItem) -> int:
            await asyncio.sleep(0.05)  # a round trip to Discord
            return await super().send(channel_id, item)

    fake = SlowTransport(clock)
    loop = asyncio.get_running_loop()
    started = loop.time()
    await dispatcher(db, fake, limiter=steady_limiter(400), concurrency=32).run_due(clock.now())
    elapsed = loop.time() - started
    assert len(fake.delivered) == 100
    assert fake.calls.count(("open", 1)) == 0
    # One at a time would take 100 x 50 ms = 5 s; paced at 400/s it takes about 0.25 s.
    assert elapsed < 1.5


@dataclass(frozen=True)
class Member:
    user_id: int
    zone: str | None
    days: str
    start: str
    end: str
    away: bool
    closed: bool


def make_members(count: int, rng: random.Random) -> list[Member]:
    zones = [None, "America/New_York", "Europe/London", "Australia/Sydney", "Asia/Kolkata"]
    shapes = [
        ("Mon-Fri", "09:00", "17:00"),
        ("Sun-Thu", "22:00", "06:00"),
        ("Mon,Wed,Fri", "08:00", "12:00"),
        ("Sat,Sun", "10:00", "14:00"),
        ("Tue-Thu", "13:30", "19:45"),
    ]
    members = []
    for index in range(count):
        days, start, end = rng.choice(shapes)
        members.append(
            Member(
                user_id=500 + index,
                zone=rng.choice(zones),
                days=days,
                start=start,
                end=end,
                away=index % 17 == 0,
                closed=index % 23 == 5,
            )
        )
    return members


@pytest.mark.parametrize("failure_rate", [0.0, 0.3])
async def test_fan_out_to_300_members_delivers_each_due_dm_once_inside_their_hours(
    db: Database, clock: VirtualClock, failure_rate: float
) -> None:
    clock.set(datetime(2026, 3, 5, 17, 0, tzinfo=UTC))  # Thursday; US DST starts on Sunday
    group = await new_group(db, clock, zone="Europe/London")
    members = make_members(300, random.Random(11))
    now = clock.now()
    for m in members:
        await set_dm_opt_in(db, group, m.user_id, "checkins", True, now=now)
        if m.zone:
            await set_timezone(db, group, m.user_id, m.zone, now=now)
        await set_hours(db, group, m.user_id, days=m.days, start=m.start, end=m.end, now=now)
        if m.away:
            await set_away(db, group, m.user_id, None, now=now, group_zone="Europe/London")
        await queue(db, clock, group, m.user_id, ref="week-10", expires_in=timedelta(days=9))
    fake = FakeTransport(
        clock,
        closed={m.user_id for m in members if m.closed},
        random_failure_rate=failure_rate,
    )
    dispatch = dispatcher(db, fake, settings=DeliverySettings(max_attempts=12))
    await run_until(dispatch, clock, now + timedelta(days=8), timedelta(minutes=5))

    delivered = Counter(d.user_id for d in fake.delivered)
    by_id = {m.user_id: m for m in members}
    expected = {m.user_id for m in members if not m.away and not m.closed}
    assert set(delivered) == expected
    assert set(delivered.values()) == {1}
    for d in fake.delivered:
        prefs = await get_preferences(db, group, d.user_id)
        assert is_within(prefs.hours, prefs.zone("Europe/London"), d.at), by_id[d.user_id]
    for m in members:
        if m.away:
            assert fake.sends_to(m.user_id) == 0
        if m.closed and not m.away:
            assert fake.sends_to(m.user_id) == 1
    final = Counter((await outcomes(db)).values())
    assert final == Counter(
        {
            ("sent", "sent"): len(expected),
            ("dropped", "away"): sum(m.away for m in members),
            ("failed", "dms_closed"): sum(m.closed and not m.away for m in members),
        }
    )
    assert (await delivery_status(db, group, clock.now())).backlog.total == 0
    send_calls = sum(1 for call in fake.calls if call[0] == "send")
    closed_tries = sum(m.closed and not m.away for m in members)
    if failure_rate:  # the injected 429s and 5xx were retried, not lost
        assert send_calls > len(expected) + closed_tries + 50
    else:
        assert send_calls == len(expected) + closed_tries


async def test_a_window_that_closes_while_a_dm_waits_for_pacing_holds_it(
    db: Database, clock: VirtualClock
) -> None:
    # Claimed at 16:59:59.9 in New York; the paced send comes after 17:00, outside hours.
    clock.set(datetime(2026, 3, 2, 21, 59, 59, 900_000, tzinfo=UTC))
    group = await new_group(db, clock)
    await opted_in(db, clock, group, 1)
    await queue(db, clock, group, 1)
    await recipients.remember_channel(db, 1, 123, now=clock.now())
    limiter = steady_limiter(5, burst=1)
    async with limiter:  # the shared limiter is busy: the next request waits ~0.2 s
        pass
    fake = FakeTransport(clock)
    await dispatcher(db, fake, limiter=limiter).run_due(clock.now())
    assert fake.calls == []
    row = await db.fetchone("SELECT status, hold_reason, attempts, next_attempt_at FROM outbox")
    assert row is not None
    assert tuple(row) == ("pending", "hours", 0, "2026-03-03T14:00:00.000000+00:00")


async def test_failures_are_logged_with_ids_and_never_content(
    db: Database, clock: VirtualClock, caplog: pytest.LogCaptureFixture
) -> None:
    clock.set(MONDAY_10_NY)
    group = await new_group(db, clock)
    await opted_in(db, clock, group, 1)
    await outbox.enqueue(
        db,
        group_id=group,
        user_id=1,
        kind="checkin_prompt",
        ref="round-1",
        due_at=clock.now(),
        expires_at=None,
        payload={"title": "Weekly check-in"},
    )
    fake = FakeTransport(
        clock, failures=deque([TransientDeliveryError(), RuntimeError("render bug")])
    )
    dispatch = dispatcher(db, fake)
    with caplog.at_level("WARNING", logger="bot.delivery"):
        await dispatch.run_due(clock.now())
        clock.advance(timedelta(minutes=1))
        await dispatch.run_due(clock.now())
    failures = [r.getMessage() for r in caplog.records]
    assert len(failures) == 2
    assert all("outbox=1 kind=checkin_prompt user=1" in line for line in failures)
    assert not any("Weekly check-in" in line for line in failures)
    row = await db.fetchone("SELECT status, attempts, last_error FROM outbox")
    assert row is not None
    assert tuple(row) == ("pending", 2, "unexpected")
    clock.advance(timedelta(minutes=1))
    await dispatch.run_due(clock.now())
    assert [d.ref for d in fake.delivered] == ["round-1"]


async def test_delivered_dms_are_recorded_in_batches_not_one_commit_each(
    db: Database, clock: VirtualClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock.set(MONDAY_10_NY)
    group = await new_group(db, clock)
    users = range(1, 41)
    await opted_in(db, clock, group, *users)
    for user in users:
        await recipients.remember_channel(db, user, 90_000 + user, now=clock.now())
        await queue(db, clock, group, user)
    commits: list[object] = []  # one entry per commit that recorded delivered DMs
    mark_sent = outbox.mark_sent

    async def counted(sql: object, *args: object, **kwargs: object) -> bool:
        if sql is db or not any(sql is seen for seen in commits):
            commits.append(sql)  # on the database itself, each statement commits alone
        return await mark_sent(sql, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(outbox, "mark_sent", counted)
    fake = FakeTransport(clock)
    assert await dispatcher(db, fake).run_due(clock.now()) == 40
    assert len(fake.delivered) == 40
    assert await outcomes(db) == dict.fromkeys(users, ("sent", "sent"))
    assert len(commits) <= 30  # group commits: several DMs per commit even with no load


async def test_logs_never_name_the_recipient_of_a_pulse_dm(
    db: Database, clock: VirtualClock, caplog: pytest.LogCaptureFixture
) -> None:
    # A pulse reminder goes to someone who has not answered: a log naming them would be a
    # list of who did not answer. A check-in DM's failure still names its member.
    clock.set(MONDAY_10_NY)
    group = await new_group(db, clock)
    for user in (424242, 515151):
        await set_dm_opt_in(db, group, user, "pulse", True, now=clock.now())
        await set_dm_opt_in(db, group, user, "checkins", True, now=clock.now())
    await queue(db, clock, group, 424242, kind="pulse_reminder", ref="2026-03-02")
    await queue(db, clock, group, 515151, kind="checkin_prompt")
    fake = FakeTransport(clock)
    fake.failures.extend([PermanentDeliveryError(403, 50001), PermanentDeliveryError(403, 50001)])
    with caplog.at_level("DEBUG"):
        await dispatcher(db, fake, concurrency=1).run_due(clock.now())
    logged = "\n".join(r.getMessage() for r in caplog.records if r.name.startswith("bot."))
    assert "kind=pulse_reminder user=-" in logged
    assert "424242" not in logged
    assert "user=515151" in logged


async def test_a_reminder_is_checked_for_an_answer_only_when_it_would_go(
    db: Database, clock: VirtualClock
) -> None:
    clock.set(MONDAY_10_NY)
    group = await new_group(db, clock)
    await opted_in(db, clock, group, 1, 2, 3)
    await set_timezone(db, group, 3, "Australia/Sydney", now=clock.now())  # 02:00 there: held
    for user in (1, 2, 3):
        await queue(db, clock, group, user, kind="checkin_reminder")
    asked: list[int] = []

    async def answered(_sql: object, items: Sequence[OutboxItem]) -> set[int]:
        asked.extend(item.user_id for item in items)
        return {item.id for item in items if item.user_id in (1, 3)}  # 1 and 3 answered

    fake = FakeTransport(clock)
    dispatch = dispatcher(db, fake)
    dispatch.register_answered_check("checkin_reminder", answered)
    await dispatch.run_due(clock.now())
    assert sorted(set(asked)) == [1, 2]  # the held one was not sorted by its answer
    assert [d.user_id for d in fake.delivered] == [2]
    rows = await db.fetchall("SELECT user_id, status, hold_reason FROM outbox ORDER BY user_id")
    assert [tuple(row) for row in rows] == [(3, "pending", "hours")]  # finished ones are gone
    counts = await db.fetchall("SELECT kind, outcome, count FROM delivery_counts")
    assert [tuple(row) for row in counts] == [("checkin_reminder", "sent", 1)]  # not "answered"
