"""The dispatcher: a due step that delivers due outbox rows through a DM transport.

Each run returns expired leases to pending, then, batch by batch: decides each due
row against the member's boundaries (drop, hold until their window, or send), leases
the rows to send inside one transaction, and sends them — one member's rows in order
by one worker, many members at once, every request paced through a shared limiter —
recording delivered rows in group commits (see `_SentLog`). DM channels are opened by
a few tasks of their own at their slower pace, which hand each member to the senders
once open, so members whose channel is known never wait behind first-time opens.
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

from bot.db import Database, Sql

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
from .policy import (
    ANSWERED,
    DMS_CLOSED,
    GAVE_UP,
    NO_ACCESS,
    REJECTED,
    Decision,
    Drop,
    Hold,
    decide,
    recipient_in_logs,
)

log = logging.getLogger(__name__)


class DmTransport(Protocol):
    """How DMs reach Discord; the glue implements it over discord.py."""

    async def open_dm(self, user_id: int) -> int:
        """Open (or find) the DM channel with a user; return its id."""
        ...

    async def send(self, channel_id: int, item: OutboxItem) -> int:
        """Render `item` (from its kind, ref and payload) and send it; return the message id."""
        ...


class AnsweredCheck(Protocol):
    """Of a batch of due reminder rows, the ids of those whose member has answered since.

    A capability registers one per reminder kind, so a reminder is queued to every
    opted-in member and "who has not answered" is decided only when it is sent.
    """

    async def __call__(self, sql: Sql, items: Sequence[OutboxItem]) -> set[int]: ...


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


_Answers = dict[tuple[int, int | None, int], bool]  # (guild, channel, member): may reach


@dataclass
class _Job:
    """One member's rows in a run, sent in order; `index` is the next row to try."""

    rows: list[DueRow]
    channel_id: int | None
    index: int = 0


class _Lanes:
    """Members waiting for their DM channel to open, and members ready to be sent to.

    Workers take from one lane and may hand a member to the other; once the feeder has
    closed the lanes and every member is done, every worker's `take` returns None.
    """

    def __init__(self) -> None:
        self.opening: deque[_Job] = deque()
        self.sending: deque[_Job] = deque()
        self._active: dict[int, _Job] = {}  # by member: their rows in this run, not done
        self._in_opener: list[_Job] = []  # taken by an opener: nothing sent for them yet
        self._closed = False
        self._changed = asyncio.Condition()

    def _over(self) -> bool:
        return self._closed and not self._active

    async def add(self, rows: Sequence[DueRow]) -> None:
        """Hand claimed rows to the workers (a member's later rows join their job)."""
        async with self._changed:
            for row in rows:
                job = self._active.get(row.item.user_id)
                if job is not None:
                    job.rows.append(row)
                    continue
                job = self._active[row.item.user_id] = _Job([row], row.channel_id)
                (self.sending if job.channel_id is not None else self.opening).append(job)
            self._changed.notify_all()

    async def take(self, lane: deque[_Job]) -> _Job | None:
        """The next member of `lane`, waiting for one; None once every member is done."""
        async with self._changed:
            await self._changed.wait_for(lambda: bool(lane) or self._over())
            if not lane:
                return None
            job = lane.popleft()
            if lane is self.opening:
                self._in_opener.append(job)
            return job

    async def put(self, job: _Job, *, from_opening: bool = False) -> None:
        """Hand a member on: to a sender (channel known), an opener, or done."""
        async with self._changed:
            if from_opening:
                self._in_opener = [j for j in self._in_opener if j is not job]
            if job.index >= len(job.rows):
                del self._active[job.rows[0].item.user_id]
            else:
                (self.sending if job.channel_id is not None else self.opening).append(job)
            self._changed.notify_all()

    async def taken(self) -> None:
        """Wait until the senders have taken every member ready to send."""
        async with self._changed:
            await self._changed.wait_for(lambda: not self.sending)

    async def opened(self, timeout: float) -> bool:  # noqa: ASYNC109 - a poll, not a deadline
        """Wait (at most `timeout` s) until no member waits for their channel; whether so."""
        # `asyncio.timeout`, not `wait_for`: on Python 3.11 `wait_for` loses a cancellation
        # that arrives as the wait ends, and a cancelled run would then wait for its senders.
        async with self._changed:
            try:
                async with asyncio.timeout(timeout):
                    await self._changed.wait_for(lambda: not self.opening and not self._in_opener)
            except TimeoutError:
                return False
            return True

    async def close(self) -> None:
        """No more members: workers stop once those handed over are done."""
        async with self._changed:
            self._closed = True
            self._changed.notify_all()

    def untried(self) -> list[int]:
        """Outbox ids of rows no request was sent for (openers only open channels)."""
        waiting = (*self.sending, *self.opening, *self._in_opener)
        return [r.item.id for job in waiting for r in job.rows[job.index :]]


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
        openers: int = 2,
        poll_seconds: float = 1.0,
        rng: random.Random | None = None,
        owner: str | None = None,
        settings: DeliverySettings | None = None,
        access: MemberAccess | None = None,
    ) -> None:
        """`limiter` paces every request (share it with other REST traffic, e.g. an
        `AdaptivePacer` that the HTTP layer also reports to); `open_limiter`
        additionally paces opening DM channels, done by `openers` tasks of their own so that
        no sender waits on an open; `concurrency` bounds members sent to at once;
        `access`, when given, is asked before a member's first DM whether they still belong.
        """
        if concurrency < 1 or openers < 1:
            raise ValueError("concurrency and openers must be at least 1")
        self._db = db
        self._transport = transport
        self._limiter: AbstractAsyncContextManager[None] = limiter or steady_limiter()
        self._open_limiter: AbstractAsyncContextManager[None] = open_limiter or steady_limiter(
            DEFAULT_DM_OPENS_PER_SECOND
        )
        self._concurrency = concurrency
        self._openers = openers
        self._poll_seconds = poll_seconds
        self._rng = rng or random.Random()  # noqa: S311 - jitter, not security
        self.owner = owner or f"dispatcher-{secrets.token_hex(6)}"
        self._settings = settings or DeliverySettings()
        self._running = asyncio.Lock()
        self._access = access
        self._answered_checks: dict[str, AnsweredCheck] = {}

    def register_answered_check(self, kind: str, check: AnsweredCheck) -> None:
        """Drop rows of `kind` whose member has answered by the time they are due."""
        self._answered_checks[kind] = check

    async def _answered(self, sql: Sql, rows: Sequence[DueRow]) -> set[int]:
        """Ids of the due reminder rows whose member has already answered."""
        answered: set[int] = set()
        for kind, check in self._answered_checks.items():
            items = [row.item for row in rows if row.item.kind == kind]
            if items:
                answered |= await check(sql, items)
        return answered

    async def recover(self, now: datetime) -> int:
        """Return rows whose lease expired (a crashed sender) to pending; how many."""
        return await outbox.reclaim_expired_leases(self._db, now)

    async def run_due(self, now: datetime) -> int:
        """Deliver everything due at `now`; return how many rows changed state.

        Batches are claimed as the senders take them; members waiting for their DM
        channel to open do not hold the next batch back, and while some still wait the
        run looks for newly due rows every `poll_seconds`.
        """
        async with self._running:
            run = _Run(now, asyncio.get_running_loop().time(), _SentLog(self._db, self.owner))
            await self.recover(now)
            rows = await outbox.due_rows(self._db, run.now(), self._settings.batch_size)
            if not rows:
                return 0
            lanes = _Lanes()
            answers: _Answers = {}
            recorder = asyncio.create_task(run.sent.run(), name="dispatcher-sent-log")
            try:
                async with asyncio.TaskGroup() as group:
                    # Sends stay `concurrency` wide; a few openers, paced by `open_limiter`,
                    # hand members to them as their channels open.
                    for _ in range(self._concurrency):
                        group.create_task(self._sender(lanes, answers, run))
                    for _ in range(self._openers):
                        group.create_task(self._opener(lanes, answers, run))
                    try:
                        return await self._feed(rows, lanes, run)
                    finally:
                        await lanes.close()
            except BaseException:
                # Cancelled (a shutdown) or broken: rows never tried go back now instead of
                # waiting out their lease; a row whose request was under way keeps its lease.
                await asyncio.shield(self._release_untried(lanes.untried(), run))
                raise
            finally:
                # Never cancelled mid-commit: it finishes what has gathered, then stops.
                await asyncio.shield(run.sent.close(recorder))
                # A reminder row, once finished, would say whom the bot had to remind.
                await asyncio.shield(outbox.forget_finished_reminders(self._db))

    async def _feed(self, rows: Sequence[DueRow], lanes: _Lanes, run: _Run) -> int:
        """Decide and claim due rows batch by batch, handing them to the workers."""
        effects = 0
        while True:
            if rows:
                decided, to_send = await self._decide_and_claim(rows, run)
                effects += decided + len(to_send)
                await lanes.add(to_send)
            if run.paused_until is not None:
                return effects
            if len(rows) == self._settings.batch_size:
                await lanes.taken()  # the next batch once the senders took this one
            elif await lanes.opened(self._poll_seconds):
                return effects
            rows = await outbox.due_rows(self._db, run.now(), self._settings.batch_size)

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
            # Only a reminder about to go is checked: a held one stays whether its member
            # answered or not, so what waits in the outbox never sorts them.
            answered = await self._answered(tx, to_send)
            for row in to_send:
                if row.item.id in answered:
                    await outbox.drop(tx, row.item.id, ANSWERED, now=now)
            decided += len(answered)
            to_send = [row for row in to_send if row.item.id not in answered]
            await outbox.claim(
                tx,
                [row.item.id for row in to_send],
                owner=self.owner,
                lease_until=now + self._settings.lease,
                now=now,
            )
        return decided, to_send

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

    async def _opener(self, lanes: _Lanes, answers: _Answers, run: _Run) -> None:
        """Open DM channels, one member at a time, and hand each member to the senders."""
        while (job := await lanes.take(lanes.opening)) is not None:
            while await self._next_sendable(job, answers, run):
                row = job.rows[job.index]
                try:
                    async with self._open_limiter, self._limiter:
                        channel_id = await self._transport.open_dm(row.item.user_id)
                except DmsClosedError:
                    await self._dms_closed(row.item, job.rows[job.index + 1 :], run)
                    job.index = len(job.rows)
                    break
                except Exception as error:  # noqa: BLE001 - recorded on the row, retried
                    await self._failed(row.item, error, run)
                    job.index += 1
                    continue
                await recipients.remember_channel(
                    self._db,
                    row.item.user_id,
                    channel_id,
                    now=run.now(),
                    lease=(row.item.id, self.owner),
                )
                job.channel_id = channel_id
                break
            await lanes.put(job, from_opening=True)

    async def _sender(self, lanes: _Lanes, answers: _Answers, run: _Run) -> None:
        """Deliver members' rows in order, each member's channel known."""
        while (job := await lanes.take(lanes.sending)) is not None:
            await self._deliver_to_member(job, answers, run)
            await lanes.put(job)  # done, or its channel is gone: to an opener

    async def _next_sendable(self, job: _Job, answers: _Answers, run: _Run) -> bool:
        """Move `job` to its next row that may be sent now (dropping or holding the rows
        before it); False when none is left."""
        while job.index < len(job.rows):
            row = job.rows[job.index]
            if run.paused_until is not None:
                await outbox.release(
                    self._db,
                    row.item.id,
                    owner=self.owner,
                    retry_at=run.paused_until,
                    error=None,
                    now=run.now(),
                    attempted=False,
                )
            elif await self._reachable(row, answers, run) and await self._still_allowed(row, run):
                return True
            job.index += 1
        return False

    async def _deliver_to_member(self, job: _Job, answers: _Answers, run: _Run) -> None:
        """Send the member's rows in order, until done or their channel is gone."""
        while job.channel_id is not None and await self._next_sendable(job, answers, run):
            row = job.rows[job.index]
            item = row.item
            job.index += 1
            try:
                message_id = await self._attempt(row, job.channel_id, run)
            except DmsClosedError:
                await self._dms_closed(item, job.rows[job.index :], run)
                job.index = len(job.rows)
            except ChannelGoneError as error:
                job.channel_id = None
                await recipients.forget_channel(self._db, item.user_id, now=run.now())
                await self._retry_or_fail(item, error, run, retry_after=0.0)
            except Exception as error:  # noqa: BLE001 - every failure is recorded on the row
                await self._failed(item, error, run)
            else:
                if message_id is not None:
                    await self._mark_sent(item, message_id, run)

    async def _attempt(self, row: DueRow, channel_id: int, run: _Run) -> int | None:
        """Send one row on a known channel; the message id, or None if held back."""
        async with self._limiter:
            # Pacing may have kept this row waiting: its window may have closed since.
            if not await self._still_allowed(row, run):
                return None
            return await self._transport.send(channel_id, row.item)

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
                "DM delivery error: outbox=%d kind=%s user=%s",
                item.id,
                item.kind,
                recipient_in_logs(item),
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
        decision: Decision = decide(
            current.item, current.preferences, current.group_zone, dms_closed=False, now=now
        )
        if not isinstance(decision, (Drop, Hold)) and await self._answered(self._db, [current]):
            decision = Drop(ANSWERED)
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

    async def _reachable(self, row: DueRow, answers: _Answers, run: _Run) -> bool:
        """Whether the row's member still belongs to its group; the row is dropped if not.

        Asked right before the member's first request (once per guild, channel and member
        in a run), inside their worker, so the checks do not hold up the fan-out. When
        Discord cannot tell now, the failure is recorded on the row (retried) and False.
        """
        if self._access is None:
            return True
        payload_channel = row.item.payload.get("channel_id")
        channel = payload_channel if isinstance(payload_channel, int) else row.home_channel_id
        key = (row.guild_id, channel, row.item.user_id)
        if key not in answers:
            try:
                async with self._limiter:
                    answers[key] = await self._access.can_reach(*key)
            except Exception as error:  # noqa: BLE001 - recorded on the row, retried
                await self._failed(row.item, error, run)
                return False
        if not answers[key]:
            await outbox.drop(self._db, row.item.id, NO_ACCESS, now=run.now())
        return answers[key]

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
            "DM sent while its member erased their data: outbox=%d kind=%s user=%s",
            item.id,
            item.kind,
            recipient_in_logs(item),
        )
    else:
        log.warning(
            "DM sent but its lease was lost: outbox=%d kind=%s user=%s",
            item.id,
            item.kind,
            recipient_in_logs(item),
        )


def _log_failure(item: OutboxItem, code: str, detail: str) -> None:
    log.warning(
        "DM not delivered: outbox=%d kind=%s user=%s error=%s (%s)",
        item.id,
        item.kind,
        recipient_in_logs(item),
        code,
        detail,
    )
