"""The dispatcher: a due step that delivers due outbox rows through a DM transport.

Each run returns expired leases to pending, then, batch by batch: decides each due
row against the member's boundaries (drop, hold until their window, or send), leases
the rows to send inside one transaction, and sends them — one member's rows in order
by one worker, many members at once, every request paced through a shared limiter —
recording delivered rows in group commits (see `_SentLog`).
"""

from __future__ import annotations

import asyncio
import logging
import random
import secrets
from collections import deque
from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol

from bot.db import Database

from . import outbox, recipients
from .backoff import Backoff
from .errors import (
    ChannelGoneError,
    DeliveryError,
    DmsClosedError,
    PermanentDeliveryError,
    RateLimitedError,
)
from .outbox import DueRow, OutboxItem
from .pacing import DEFAULT_DM_OPENS_PER_SECOND, steady_limiter
from .policy import DMS_CLOSED, GAVE_UP, NO_ACCESS, REJECTED, Drop, Hold, decide

log = logging.getLogger(__name__)


class DmTransport(Protocol):
    """How DMs reach Discord; the glue implements it over discord.py."""

    async def open_dm(self, user_id: int) -> int:
        """Open (or find) the DM channel with a user; return its id."""
        ...

    async def send(self, channel_id: int, item: OutboxItem) -> int:
        """Render `item` (from its kind, ref and payload) and send it; return the message id."""
        ...


class MemberAccess(Protocol):
    """Whether a member may still get the group's DMs; the glue asks Discord."""

    async def can_reach(self, guild_id: int, channel_id: int | None, user_id: int) -> bool:
        """True while the member is in the server and can view `channel_id` (when given).

        Raises a `DeliveryError` when it cannot tell now (try again later).
        """
        ...


@dataclass(frozen=True)
class DeliverySettings:
    """Tunables of the dispatcher."""

    lease: timedelta = timedelta(minutes=2)
    max_attempts: int = 10
    batch_size: int = 200
    backoff: Backoff = field(default_factory=Backoff)


class _SentLog:
    """Delivered DMs waiting to be recorded, written together (group commit).

    A writer commits whatever has gathered, one transaction at a time, without ever
    holding a sender back: under load a commit records many DMs; when idle, one. A crash
    can leave unrecorded only the DMs sent while the last commit was being written, and
    those are still leased: they go out again with the same nonce, like the ones in flight.
    """

    def __init__(self, db: Database, owner: str) -> None:
        self._db = db
        self._owner = owner
        self._pending: list[tuple[OutboxItem, int, datetime]] = []
        self._gathered = asyncio.Event()
        self._closed = False

    def add(self, item: OutboxItem, message_id: int, now: datetime) -> None:
        """Note a delivered DM; it is committed with the next batch."""
        self._pending.append((item, message_id, now))
        self._gathered.set()

    async def run(self) -> None:
        """Commit batches as they gather, until closed."""
        while not self._closed:
            await self._gathered.wait()
            self._gathered.clear()
            await self.flush()

    async def close(self, writer: asyncio.Task[None]) -> None:
        """Let `writer` (running `run`) commit what has gathered and stop."""
        self._closed = True
        self._gathered.set()
        await writer
        await self.flush()

    async def flush(self) -> None:
        """Commit every DM noted so far in one transaction."""
        batch, self._pending = self._pending, []
        if not batch:
            return
        try:
            async with self._db.transaction() as tx:
                marked = [
                    await outbox.mark_sent(
                        tx, item.id, owner=self._owner, message_id=message_id, now=now
                    )
                    for item, message_id, now in batch
                ]
        except Exception:
            # Still leased: they are reclaimed and resent with their nonce.
            log.exception("could not record %d delivered DM(s)", len(batch))
            return
        for (item, _, _), ok in zip(batch, marked, strict=True):
            if not ok:
                await _log_unmarked(self._db, item)


@dataclass
class _Run:
    """One run's shared state: its start instant, a global rate-limit pause, sent DMs."""

    started: datetime
    started_monotonic: float
    sent: _SentLog
    paused_until: datetime | None = None

    def now(self) -> datetime:
        """The run's start plus the time elapsed since (monotonic, so virtual clocks work)."""
        elapsed = asyncio.get_running_loop().time() - self.started_monotonic
        return self.started + timedelta(seconds=elapsed)


class Dispatcher:
    """Delivers the outbox; register `run_due` as a due step."""

    def __init__(
        self,
        db: Database,
        transport: DmTransport,
        *,
        limiter: AbstractAsyncContextManager[None] | None = None,
        open_limiter: AbstractAsyncContextManager[None] | None = None,
        concurrency: int = 16,
        rng: random.Random | None = None,
        owner: str | None = None,
        settings: DeliverySettings | None = None,
        access: MemberAccess | None = None,
    ) -> None:
        """`limiter` paces every request (share it with other REST traffic, e.g. an
        `AdaptivePacer` that the HTTP layer also reports to); `open_limiter`
        additionally paces opening DM channels; `concurrency` bounds members served at once;
        `access`, when given, is asked before each DM whether the member still belongs.
        """
        if concurrency < 1:
            raise ValueError("concurrency must be at least 1")
        self._db = db
        self._transport = transport
        self._limiter: AbstractAsyncContextManager[None] = limiter or steady_limiter()
        self._open_limiter: AbstractAsyncContextManager[None] = open_limiter or steady_limiter(
            DEFAULT_DM_OPENS_PER_SECOND
        )
        self._concurrency = concurrency
        self._rng = rng or random.Random()  # noqa: S311 - jitter, not security
        self.owner = owner or f"dispatcher-{secrets.token_hex(6)}"
        self._settings = settings or DeliverySettings()
        self._running = asyncio.Lock()
        self._access = access

    async def recover(self, now: datetime) -> int:
        """Return rows whose lease expired (a crashed sender) to pending; how many."""
        return await outbox.reclaim_expired_leases(self._db, now)

    async def run_due(self, now: datetime) -> int:
        """Deliver everything due at `now`; return how many rows changed state."""
        async with self._running:
            run = _Run(now, asyncio.get_running_loop().time(), _SentLog(self._db, self.owner))
            await self.recover(now)
            effects = 0
            while run.paused_until is None:
                rows = await outbox.due_rows(self._db, run.now(), self._settings.batch_size)
                if not rows:
                    break
                decided, to_send = await self._decide_and_claim(rows, run)
                effects += decided + len(to_send)
                await self._send_all(to_send, run)
                if len(rows) < self._settings.batch_size:
                    break
            return effects

    async def _decide_and_claim(
        self, rows: Sequence[DueRow], run: _Run
    ) -> tuple[int, list[DueRow]]:
        now = run.now()
        to_send: list[DueRow] = []
        decided = 0
        async with self._db.transaction() as tx:
            for row in rows:
                decision = decide(
                    row.item,
                    row.preferences,
                    row.group_zone,
                    dms_closed=row.dms_closed,
                    now=now,
                    dms_retry_at=row.dms_retry_at,
                )
                if isinstance(decision, Drop):
                    await outbox.drop(tx, row.item.id, decision.outcome, now=now)
                    decided += 1
                elif isinstance(decision, Hold):
                    await outbox.hold(tx, row.item.id, decision.until, now=now)
                    decided += 1
                else:
                    to_send.append(row)
            await outbox.claim(
                tx,
                [row.item.id for row in to_send],
                owner=self.owner,
                lease_until=now + self._settings.lease,
                now=now,
            )
        return decided, to_send

    async def _send_all(self, rows: Sequence[DueRow], run: _Run) -> None:
        rows = await self._reachable(rows, run)
        by_user: dict[int, list[DueRow]] = {}
        for row in rows:
            by_user.setdefault(row.item.user_id, []).append(row)
        # Members whose DM channel is known first: they cost one request each.
        queue = deque(sorted(by_user.values(), key=lambda items: items[0].channel_id is None))

        async def worker() -> None:
            while queue:
                await self._deliver_to_member(queue.popleft(), run)

        recorder = asyncio.create_task(run.sent.run(), name="dispatcher-sent-log")
        try:
            async with asyncio.TaskGroup() as group:
                for _ in range(min(self._concurrency, len(queue))):
                    group.create_task(worker())
        except BaseException:
            # Cancelled (a shutdown) or broken: rows never tried go back now instead of
            # waiting out their lease; a row whose request was under way keeps its lease.
            untried = [row.item.id for items in queue for row in items]
            await asyncio.shield(self._release_untried(untried, run))
            raise
        finally:
            # Never cancelled mid-commit: it finishes what has gathered, then stops.
            await asyncio.shield(run.sent.close(recorder))

    async def _release_untried(self, ids: Sequence[int], run: _Run) -> None:
        for outbox_id in ids:
            await outbox.release(
                self._db,
                outbox_id,
                owner=self.owner,
                retry_at=run.now(),
                error=None,
                now=run.now(),
                attempted=False,
            )

    async def _deliver_to_member(self, rows: list[DueRow], run: _Run) -> None:
        channel_id = rows[0].channel_id
        for index, row in enumerate(rows):
            item = row.item
            if run.paused_until is not None:
                await outbox.release(
                    self._db,
                    item.id,
                    owner=self.owner,
                    retry_at=run.paused_until,
                    error=None,
                    now=run.now(),
                    attempted=False,
                )
                continue
            try:
                channel_id, message_id = await self._attempt(row, channel_id, run)
            except DmsClosedError:
                await self._dms_closed(item, rows[index + 1 :], run)
                return
            except ChannelGoneError as error:
                channel_id = None
                await recipients.forget_channel(self._db, item.user_id, now=run.now())
                await self._retry_or_fail(item, error, run, retry_after=0.0)
            except Exception as error:  # noqa: BLE001 - every failure is recorded on the row
                await self._failed(item, error, run)
            else:
                if message_id is not None:
                    await self._mark_sent(item, message_id, run)

    async def _attempt(
        self, row: DueRow, channel_id: int | None, run: _Run
    ) -> tuple[int | None, int | None]:
        """Open the DM channel if needed and send; the message id, or None if held back."""
        if not await self._still_allowed(row, run):
            return channel_id, None
        if channel_id is None:
            async with self._open_limiter, self._limiter:
                channel_id = await self._transport.open_dm(row.item.user_id)
            await recipients.remember_channel(
                self._db,
                row.item.user_id,
                channel_id,
                now=run.now(),
                lease=(row.item.id, self.owner),
            )
        async with self._limiter:
            # Pacing may have kept this row waiting: its window may have closed since.
            if not await self._still_allowed(row, run):
                return channel_id, None
            return channel_id, await self._transport.send(channel_id, row.item)

    async def _failed(self, item: OutboxItem, error: Exception, run: _Run) -> None:
        if isinstance(error, RateLimitedError):
            if error.is_global:
                run.paused_until = run.now() + timedelta(seconds=error.retry_after)
            await self._retry_or_fail(item, error, run, retry_after=error.retry_after)
        elif isinstance(error, PermanentDeliveryError):
            _log_failure(item, error.code, f"HTTP {error.status} code {error.discord_code}")
            await outbox.mark_failed(
                self._db,
                item.id,
                owner=self.owner,
                outcome=REJECTED,
                error=f"{error.status}/{error.discord_code}",
                now=run.now(),
            )
        elif isinstance(error, DeliveryError):
            await self._retry_or_fail(item, error, run)
        else:
            # A bug in rendering or the transport: logged with its traceback, retried like
            # a transient failure so that a fix deployed in time still delivers.
            log.error(
                "DM delivery error: outbox=%d kind=%s user=%d",
                item.id,
                item.kind,
                item.user_id,
                exc_info=error,
            )
            await self._retry_or_fail(item, error, run, logged=True)

    async def _mark_sent(self, item: OutboxItem, message_id: int, run: _Run) -> None:
        run.sent.add(item, message_id, run.now())

    async def _still_allowed(self, row: DueRow, run: _Run) -> bool:
        """Decide again on the member's settings as they are now, right before a request.

        False (and nothing written) when the row is gone: the member used /me forget.
        """
        now = run.now()
        current = await outbox.leased_row(self._db, row.item.id, self.owner)
        if current is None:
            return False
        decision = decide(
            current.item, current.preferences, current.group_zone, dms_closed=False, now=now
        )
        if isinstance(decision, Drop):
            await outbox.drop(self._db, row.item.id, decision.outcome, now=now)
        elif isinstance(decision, Hold):
            await outbox.release(
                self._db,
                row.item.id,
                owner=self.owner,
                retry_at=decision.until,
                error=None,
                now=now,
                attempted=False,
                hold_reason="hours",
            )
        return not isinstance(decision, (Drop, Hold))

    async def _reachable(self, rows: Sequence[DueRow], run: _Run) -> list[DueRow]:
        """The claimed rows whose member still belongs to the group; the others are dropped.

        Asked one member at a time, in order, before the workers start, so that these
        requests do not race the sends (and a run's requests keep a deterministic order).
        """
        if self._access is None:
            return list(rows)
        kept: list[DueRow] = []
        answers: dict[tuple[int, int | None, int], bool] = {}
        for index, row in enumerate(rows):
            payload_channel = row.item.payload.get("channel_id")
            channel = payload_channel if isinstance(payload_channel, int) else row.home_channel_id
            key = (row.guild_id, channel, row.item.user_id)
            try:
                if key not in answers:
                    async with self._limiter:
                        answers[key] = await self._access.can_reach(*key)
            except Exception as error:  # noqa: BLE001 - recorded on the row, retried
                await self._failed(row.item, error, run)
                continue
            except BaseException:
                await asyncio.shield(self._release_untried([r.item.id for r in rows[index:]], run))
                raise
            if answers[key]:
                kept.append(row)
            else:
                await outbox.drop(self._db, row.item.id, NO_ACCESS, now=run.now())
        return kept

    async def _dms_closed(self, item: OutboxItem, rest: Sequence[DueRow], run: _Run) -> None:
        now = run.now()
        _log_failure(
            item,
            DmsClosedError.code,
            "DMs closed; not trying again until they interact, nor for a day",
        )
        await recipients.mark_dms_closed(
            self._db, item.user_id, now=now, lease=(item.id, self.owner)
        )
        await outbox.mark_failed(
            self._db, item.id, owner=self.owner, outcome=DMS_CLOSED, error="50007", now=now
        )
        for row in rest:
            await outbox.drop(self._db, row.item.id, DMS_CLOSED, now=now)

    async def _retry_or_fail(
        self,
        item: OutboxItem,
        error: Exception,
        run: _Run,
        *,
        retry_after: float | None = None,
        logged: bool = False,
    ) -> None:
        code = error.code if isinstance(error, DeliveryError) else "unexpected"
        attempts = item.attempts + 1  # the claim counted this attempt
        now = run.now()
        if attempts >= self._settings.max_attempts:
            if not logged:
                _log_failure(item, code, f"giving up after {attempts} attempts")
            await outbox.mark_failed(
                self._db, item.id, owner=self.owner, outcome=GAVE_UP, error=code, now=now
            )
            return
        delay = self._settings.backoff.delay(attempts, self._rng, retry_after)
        if not logged:
            _log_failure(
                item, code, f"attempt {attempts}, retrying in {delay.total_seconds():.1f} s"
            )
        await outbox.release(
            self._db, item.id, owner=self.owner, retry_at=now + delay, error=code, now=now
        )


async def _log_unmarked(db: Database, item: OutboxItem) -> None:
    if await outbox.get_item(db, item.id) is None:
        log.info(
            "DM sent while its member erased their data: outbox=%d kind=%s user=%d",
            item.id,
            item.kind,
            item.user_id,
        )
    else:
        log.warning(
            "DM sent but its lease was lost: outbox=%d kind=%s user=%d",
            item.id,
            item.kind,
            item.user_id,
        )


def _log_failure(item: OutboxItem, code: str, detail: str) -> None:
    log.warning(
        "DM not delivered: outbox=%d kind=%s user=%d error=%s (%s)",
        item.id,
        item.kind,
        item.user_id,
        code,
        detail,
    )
