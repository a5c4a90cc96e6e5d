"""Check-in rounds over time: the idempotent due steps and the moderators' actions.

Each due step is an `async (now) -> int` for `DueSteps`; running one twice at the same
instant changes nothing. Effects that must happen exactly once (a round per week, the
one reminder, closing) are decided by a conditional write inside a transaction; what
follows (posting to Discord) is retried on later ticks until it is recorded, so a
crash duplicates at most the post in flight.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol

from bot import posting
from bot.checkins import pending, store
from bot.checkins.answers import VISIBILITIES, Answer, AnswerInput, check_note
from bot.checkins.history import validate_weeks
from bot.checkins.render import (
    DmRound,
    RenderedSummary,
    render_moderator_notes,
    render_summary,
)
from bot.checkins.schedule import (
    due_window,
    make_schedule,
    manual_window,
    next_open_after,
    previous_period,
)
from bot.checkins.store import GroupSchedule, Round, SaveResult, WeekAggregate
from bot.checkins.summary import CheckinSummary, moderator_notes, summarize
from bot.db import Database, Sql
from bot.delivery import outbox
from bot.delivery.outbox import EnqueueMany
from bot.errors import UserError
from bot.groups import group_by_id
from bot.members.instants import from_db
from bot.members.preferences import OptedIn, members_opted_in
from bot.posting import CannotPostError
from bot.scheduling import DueSteps

log = logging.getLogger(__name__)

OPEN_KIND = "checkin_open"
REMINDER_KIND = "checkin_reminder"
# To moderators who opted in to check-in DMs, once each time the bot loses the right to post.
CANNOT_POST_KIND = "checkin_cannot_post"
CANNOT_POST_EXPIRES_AFTER = timedelta(days=7)
NOT_SET_UP = (
    "Check-ins are not set up in this group yet. A moderator can start them with /checkin setup."
)


class Publisher(Protocol):
    """Posts to the group's channel; the glue implements it with discord.py."""

    async def post_round_open(self, checkin: Round) -> int:
        """Post the round's opening message with its answer buttons; return the message id."""
        ...

    async def post_summary(
        self, checkin: Round, summary: CheckinSummary, rendered: RenderedSummary
    ) -> int:
        """Post the summary pages (and attachment, if any); return the first message's id."""
        ...

    async def moderators_among(
        self, channel_id: int, moderator_role_id: int | None, user_ids: Sequence[int]
    ) -> list[int]:
        """Of `user_ids`, the moderators of the server that holds `channel_id`."""
        ...


@dataclass(frozen=True)
class CheckinService:
    """Check-ins for every group: setup, manual rounds, answers and the due steps."""

    db: Database
    publisher: Publisher
    enqueue_many: EnqueueMany = field(default=outbox.enqueue_many)
    opted_in: OptedIn = field(default=members_opted_in)

    def register(self, steps: DueSteps) -> None:
        """Add the check-in due steps to the scheduler's runner."""
        steps.register("checkins.open", self.open_due)
        steps.register("checkins.remind", self.remind_due)
        steps.register("checkins.close", self.close_due)
        steps.register("checkins.pending", self.purge_pending)

    async def purge_pending(self, now: datetime) -> int:
        """Delete answers held for a flagged-note decision past their hour."""
        return await pending.purge_expired(self.db, now)

    # --- moderators ------------------------------------------------------------------

    async def setup(
        self,
        group_id: int,
        timezone: str,
        *,
        channel_id: int,
        weekday: str | int,
        local_time: str,
        open_hours: int,
        reminder: bool,
        now: datetime,
    ) -> GroupSchedule:
        """Create or change the schedule (validated; UserError sentences) and return it.

        The first round is the next scheduled open after `now`; use `open_now` to start one
        today. A round already open keeps its times.
        """
        schedule = make_schedule(timezone, weekday, local_time, open_hours, reminder=reminder)
        next_open = next_open_after(schedule, now).opens_at
        await store.save_schedule(
            self.db, group_id, channel_id, schedule, next_open_at=next_open, now=now
        )
        return await self._schedule(group_id)

    async def pause(self, group_id: int, now: datetime) -> GroupSchedule:
        """Stop opening rounds and reminders; an open round still closes with its summary."""
        await self._schedule(group_id)
        await store.set_paused(self.db, group_id, paused=True, next_open_at=None, now=now)
        return await self._schedule(group_id)

    async def resume(self, group_id: int, now: datetime) -> GroupSchedule:
        """Resume; this week's round still opens (late) if enough of its window remains."""
        await self._schedule(group_id)
        await store.set_paused(self.db, group_id, paused=False, next_open_at=now, now=now)
        return await self._schedule(group_id)

    async def reschedule(self, group_id: int, now: datetime) -> None:
        """Have the opening step look again at the next tick, e.g. after a time zone change.

        This week's round then opens if, in the new zone, it is due and still useful.
        """
        await reschedule_after_zone_change(self.db, group_id, now)

    async def open_now(self, group_id: int, now: datetime) -> Round:
        """Open this week's round now (`/checkin now`); UserError if this week already has one.

        It closes after the usual open hours, but no later than next week's scheduled open.
        """
        group_schedule = await self._schedule(group_id)
        window = manual_window(group_schedule.schedule, now)
        async with self.db.transaction() as tx:
            checkin = await store.insert_round(
                tx, group_id, group_schedule.channel_id, window, manual=True
            )
            if checkin is None:
                existing = await store.round_for_period(tx, group_id, window.period)
                raise UserError(_already_has_round(existing, now))
            await self._invite(tx, checkin, now)
        try:
            return await self._publish_open(checkin)
        except CannotPostError:
            await posting.failed(self.db, group_id, now, refused=True)
            raise UserError(
                f"This week's check-in is open, but I can't post in <#{checkin.channel_id}>: "
                "give me View Channel, Send Messages, Embed Links and Attach Files there, "
                "and I'll post it by myself."
            ) from None

    async def schedule(self, group_id: int) -> GroupSchedule | None:
        """The group's schedule, or None before setup."""
        return await store.load_schedule(self.db, group_id)

    # --- members ---------------------------------------------------------------------

    async def answer(
        self,
        round_id: int,
        user_id: int,
        answer: AnswerInput,
        now: datetime,
        *,
        identifiers_confirmed: bool = False,
        replacing: bool = False,
    ) -> SaveResult:
        """Save (or replace) a member's answer until close.

        Raises UserError when the round has closed or the input is invalid, and
        `NoteMayIdentifyClientError` (a UserError with `.flags`) when the note looks like it holds
        client identifiers and the author has not confirmed it; nothing is saved then.
        `replacing`: the member had answered when the form opened (a hint; see `save_answer`).
        """
        cleaned = answer.cleaned()
        check_note(cleaned, identifiers_confirmed=identifiers_confirmed)
        return await store.save_answer(
            self.db, round_id, user_id, cleaned, now, replacing=replacing
        )

    async def set_note_visibility(
        self, round_id: int, user_id: int, visibility: str, now: datetime
    ) -> Answer:
        """Let the author choose who may see their saved note (only me, moderators, the group)."""
        for known in VISIBILITIES:
            if visibility == known:
                return await store.set_note_visibility(self.db, round_id, user_id, known, now)
        raise UserError("Pick who may see your note: only me, moderators or the group.")

    async def get_round(self, round_id: int) -> Round | None:
        """One round by id (buttons and DMs carry it)."""
        return await store.get_round(self.db, round_id)

    async def responses_so_far(self, round_id: int) -> int:
        """How many have answered the round so far (a count, to tell a note's author)."""
        return await store.response_count(self.db, round_id)

    async def round_and_answer(
        self, round_id: int, user_id: int
    ) -> tuple[Round | None, Answer | None]:
        """A round and the member's own answer to it, read together (to open the form)."""
        return await store.round_and_answer(self.db, round_id, user_id)

    async def member_answer(self, round_id: int, user_id: int) -> Answer | None:
        """A member's own answer, to prefill their form."""
        return await store.member_answer(self.db, round_id, user_id)

    # --- moderators' views -----------------------------------------------------------

    async def history(self, group_id: int, weeks: int) -> list[WeekAggregate]:
        """Counts of the group's last `weeks` closed rounds for the chart (2 to 260 weeks)."""
        return await store.history(self.db, group_id, validate_weeks(weeks))

    async def notes_for_moderators(self, group_id: int) -> RenderedSummary:
        """The notes addressed to moderators in the group's latest round."""
        checkin = await store.latest_round(self.db, group_id)
        if checkin is None:
            raise UserError("There has been no check-in yet, so there are no notes.")
        answers = await store.round_answers(self.db, checkin.id)
        return render_moderator_notes(moderator_notes(answers), checkin.period)

    # --- due steps -------------------------------------------------------------------

    async def open_due(self, now: datetime) -> int:
        """Open every round that is due (or late but still useful), then post any unposted ones."""
        opened = 0
        for group_schedule in await store.schedules_due(self.db, now):
            async with self.db.transaction() as tx:
                window = due_window(group_schedule.schedule, now)
                checkin = None
                if window is not None:
                    checkin = await store.insert_round(
                        tx, group_schedule.group_id, group_schedule.channel_id, window
                    )
                    if checkin is not None:
                        await self._invite(tx, checkin, now)
                        opened += 1
                else:
                    log.info("group %d: no check-in round useful now", group_schedule.group_id)
                upcoming = next_open_after(group_schedule.schedule, now).opens_at
                await store.set_next_open(tx, group_schedule.group_id, upcoming)
        for checkin in await store.rounds_to_publish(self.db, now):
            await self._post(checkin, now, self._publish_open)
        return opened

    async def remind_due(self, now: datetime) -> int:
        """Queue the one reminder of each due round; return how many DMs were queued."""
        queued = 0
        for checkin in await store.rounds_due_reminder(self.db, now):
            async with self.db.transaction() as tx:
                if not await store.claim_reminder(tx, checkin.id, now):
                    continue
                queued += await self.enqueue_many(
                    tx,
                    group_id=checkin.group_id,
                    user_ids=await store.reminder_recipients(tx, checkin),
                    kind=REMINDER_KIND,
                    ref=checkin.period,
                    due_at=checkin.reminder_due_at,
                    expires_at=checkin.closes_at,
                    payload=_payload(checkin),
                    now=now,
                )
        return queued

    async def close_due(self, now: datetime) -> int:
        """Close every round past its close time (exactly once) and post unposted summaries."""
        closed = 0
        for checkin in await store.rounds_due_close(self.db, now):
            async with self.db.transaction() as tx:
                closed += await store.close_round(tx, checkin.id, now)
        for checkin in await store.summaries_to_post(self.db, now):
            await self._post(checkin, now, self._publish_summary)
        return closed

    # --- summaries -------------------------------------------------------------------

    async def summary(self, checkin: Round) -> CheckinSummary:
        """The round's summary, compared with last week's round when there was one."""
        answers = await store.round_answers(self.db, checkin.id)
        previous = await store.previous_round(self.db, checkin.group_id, checkin.period)
        counts = None
        if previous is not None and previous.period == previous_period(checkin.period):
            # Stored at its close: a member's later erasure does not change last week's figures.
            counts = await store.round_counts(self.db, previous.id)
        return summarize(checkin.period, answers, counts)

    # --- posting in the channel ---------------------------------------------------------

    async def _post(
        self, checkin: Round, now: datetime, publish: Callable[[Round], Awaitable[object]]
    ) -> None:
        """Post unless the group's posting waits out a backoff; record how it went."""
        group_id = checkin.group_id
        if not await posting.may_post(self.db, group_id, now):
            return
        try:
            await publish(checkin)
        except CannotPostError as error:
            failure = await posting.failed(self.db, group_id, now, refused=True)
            if failure.newly_blocked:
                log.warning(
                    "group %d: Discord refuses posts in channel %d (%s); check-in posts wait, "
                    "moderators are told, trying again hourly or when the server changes",
                    group_id,
                    error.channel_id,
                    error.reason,
                )
                await self._tell_moderators(checkin, now)
        except Exception:
            failure = await posting.failed(self.db, group_id, now, refused=False)
            if failure.failures == 1:  # once per streak, not every tick
                log.exception(
                    "posting in group %d failed (round %d); trying again with backoff",
                    group_id,
                    checkin.id,
                )
        else:
            if await posting.posted(self.db, group_id):
                log.info("group %d: posting in the channel works again", group_id)

    async def _tell_moderators(self, checkin: Round, now: datetime) -> None:
        """Queue one DM to each moderator who opted in to check-in DMs (once per episode)."""
        group = await group_by_id(self.db, checkin.group_id)
        candidates = await self.opted_in(self.db, checkin.group_id, "checkins")
        if group is None or not candidates:
            return
        try:
            moderators = await self.publisher.moderators_among(
                checkin.channel_id, group.moderator_role_id, candidates
            )
        except Exception:
            log.exception("group %d: could not find the moderators to tell", group.id)
            return
        since = store.timestamp(now)
        await self.enqueue_many(
            self.db,
            group_id=group.id,
            user_ids=moderators,
            kind=CANNOT_POST_KIND,
            ref=since,
            due_at=now,
            expires_at=now + CANNOT_POST_EXPIRES_AFTER,
            payload={"channel_id": checkin.channel_id},
            now=now,
        )

    # --- internals -------------------------------------------------------------------

    async def _schedule(self, group_id: int) -> GroupSchedule:
        found = await store.load_schedule(self.db, group_id)
        if found is None:
            raise UserError(NOT_SET_UP)
        return found

    async def _invite(self, tx: Sql, checkin: Round, now: datetime) -> None:
        await self.enqueue_many(
            tx,
            group_id=checkin.group_id,
            user_ids=await self.opted_in(tx, checkin.group_id, "checkins"),
            kind=OPEN_KIND,
            ref=checkin.period,
            due_at=checkin.opens_at,
            expires_at=checkin.closes_at,
            payload=_payload(checkin),
            now=now,
        )

    async def _publish_open(self, checkin: Round) -> Round:
        message_id = await self.publisher.post_round_open(checkin)
        await store.set_channel_message(self.db, checkin.id, message_id)
        updated = await store.get_round(self.db, checkin.id)
        return updated if updated is not None else checkin

    async def _publish_summary(self, checkin: Round) -> None:
        summary = await self.summary(checkin)
        message_id = await self.publisher.post_summary(checkin, summary, render_summary(summary))
        await store.set_summary_message(self.db, checkin.id, message_id)


def _payload(checkin: Round) -> dict[str, object]:
    return {
        "round_id": checkin.id,
        "channel_id": checkin.channel_id,  # whom to DM: those who can still see it
        "period": checkin.period,
        "closes_at": store.timestamp(checkin.closes_at),
    }


def dm_round(payload: Mapping[str, object]) -> DmRound | None:
    """The round a check-in DM shows, read back from its payload (None: an older payload)."""
    round_id, period, closes_at = (payload.get(k) for k in ("round_id", "period", "closes_at"))
    if not (isinstance(round_id, int) and isinstance(period, str) and isinstance(closes_at, str)):
        return None
    return DmRound(round_id, period, from_db(closes_at))


def _already_has_round(existing: Round | None, now: datetime) -> str:
    if existing is not None and existing.accepts_answers(now):
        return "This week's check-in is already open. Members can answer from its post."
    return (
        "This week already had its check-in. The next one opens on the usual day; "
        "use /checkin setup to change the day."
    )


async def reschedule_after_zone_change(db: Database, group_id: int, now: datetime) -> None:
    """Have the opening step recompute the group's next open at the next tick (new zone)."""
    group_schedule = await store.load_schedule(db, group_id)
    if group_schedule is not None and not group_schedule.schedule.paused:
        await store.set_next_open(db, group_id, now)
