"""Pulse surveys over time: moderators' actions, members' submissions and the due steps.

Each due step is an idempotent `async (now) -> int` for `DueSteps`. Exactly-once effects
(a survey per period, the one reminder, closing) are decided by a conditional write in
a transaction, so running a step twice at one instant changes nothing. After downtime a
survey whose window is still useful (half of it remains) opens late; none opens twice
(UNIQUE(group, period start)); each closes exactly once (`store.close_survey`).

Posting in the channel (the invitation, results, "not enough answers") is the glue's:
it reads `store.surveys_to_announce`, `store.results_to_post` and
`store.drops_to_announce` and records what it posted.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime

from bot.db import Database, Sql
from bot.delivery import outbox
from bot.delivery.outbox import EnqueueMany
from bot.errors import UserError
from bot.groups import Group, group_by_id
from bot.members.instants import to_db
from bot.members.preferences import OptedIn, members_opted_in
from bot.pulse import schedule as rule
from bot.pulse import store
from bot.pulse.instrument import Instrument, InstrumentLibrary
from bot.pulse.pooling import MIN_K
from bot.pulse.scoring import OwnResult, own_result
from bot.pulse.store import CloseOutcome, PublishedPoint, PulseSettings, SubmitResult, Survey
from bot.scheduling import DueSteps

log = logging.getLogger(__name__)

MAX_SUPPORT_CHARS = 1000
NOT_SET_UP = "The pulse is not set up in this group yet. A moderator can start it with /pulse."
ALREADY_ANSWERED = (
    "You have already answered this pulse. Answers can't be changed, because nothing links "
    "them to you."
)
NOT_OPEN = "This pulse is closed. The next one opens on the group's usual day."


@dataclass(frozen=True)
class Submitted:
    """A stored submission and the member's own note (shown once, never stored)."""

    own: OwnResult


_UNCHANGED: object = object()


@dataclass(frozen=True)
class PulseService:
    """The pulse for every group: settings, surveys, submissions and the due steps."""

    db: Database
    instruments: InstrumentLibrary
    enqueue_many: EnqueueMany = field(default=outbox.enqueue_many)
    opted_in: OptedIn = field(default=members_opted_in)
    # Surveys closed while a reader kept the WAL checkpoint busy; the close step retries.
    _checkpoint_owed: set[int] = field(default_factory=set, init=False, compare=False)

    def register(self, steps: DueSteps) -> None:
        """Add the pulse due steps (closing before opening, so a slot frees first)."""
        steps.register("pulse.close", self.close_due)
        steps.register("pulse.open", self.open_due)
        steps.register("pulse.remind", self.remind_due)

    # --- moderators ----------------------------------------------------------------------

    async def settings(self, group_id: int) -> PulseSettings:
        """The group's settings (defaults, with the group's k, before any change)."""
        found = await store.load_settings(self.db, group_id)
        if found is not None:
            return found
        group = await self._group(group_id)
        return PulseSettings(group.id, group.timezone, k=group.anonymity_threshold)

    async def set_schedule(
        self,
        group_id: int,
        *,
        every_weeks: int,
        weekday: str | int,
        local_time: str,
        days_open: int,
        now: datetime,
    ) -> PulseSettings:
        """Turn the schedule on or change it (UserError sentences); the first survey opens
        at the next chosen weekday and time after `now`, in the group's zone."""
        current = await self.settings(group_id)
        plan = rule.make_schedule(
            current.timezone, every_weeks, weekday, local_time, days_open, now=now
        )
        first = rule.window_for(plan, plan.anchor).opens_at
        await store.save_settings(self.db, replace(current, schedule=plan, next_open_at=first), now)
        return await self.settings(group_id)

    async def schedule_off(self, group_id: int, now: datetime) -> PulseSettings:
        """Stop scheduled surveys; an open one still closes and publishes as usual."""
        current = await self.settings(group_id)
        await store.save_settings(self.db, replace(current, schedule=None, next_open_at=None), now)
        return await self.settings(group_id)

    async def reschedule(self, group_id: int, now: datetime) -> None:
        """Have the opening step look again at the next tick (after a time zone change)."""
        current = await store.load_settings(self.db, group_id)
        if current is not None and current.schedule is not None:
            await store.set_next_open(self.db, group_id, now)

    async def configure(
        self,
        group_id: int,
        now: datetime,
        *,
        k: int | None = None,
        post_results: bool | None = None,
        support_text: str | object | None = _UNCHANGED,
        support_replaces: bool | None = None,
        instrument_id: str | None = None,
        keep_raw_answers: bool | None = None,
        reminders: bool | None = None,
    ) -> PulseSettings:
        """Change some settings (None: unchanged; `support_text=None` clears it)."""
        current = await self.settings(group_id)
        changed = current
        if k is not None:
            if k < MIN_K:
                raise UserError(
                    f"Results need at least {MIN_K} answers to protect anonymity. "
                    f"Pick {MIN_K} or more."
                )
            changed = replace(changed, k=k)
        if support_text is not _UNCHANGED:
            changed = replace(changed, support_text=_support(support_text))
        if instrument_id is not None:
            if self.instruments.get(instrument_id) is None:
                raise UserError(
                    f"There is no pulse instrument called '{instrument_id[:40]}'. "
                    f"Pick one of: {', '.join(self.instruments.ids())}."
                )
            changed = replace(changed, instrument_id=instrument_id)
        changed = replace(
            changed,
            post_results=_or(post_results, changed.post_results),
            support_replaces=_or(support_replaces, changed.support_replaces),
            keep_raw_answers=_or(keep_raw_answers, changed.keep_raw_answers),
            reminders=_or(reminders, changed.reminders),
        )
        await store.save_settings(self.db, changed, now)
        return changed

    async def open_now(self, group_id: int, now: datetime) -> Survey:
        """Open a survey now (`/pulse open`); UserError if one is open or today had one."""
        settings = await self.settings(group_id)
        group = await self._group(group_id)
        instrument = self._instrument(settings.instrument_id)
        window = rule.manual_window(settings.schedule, settings.timezone, now)
        async with self.db.transaction() as tx:
            if await store.load_settings(tx, group_id) is None:
                await store.save_settings(tx, settings, now)
            survey = await store.open_survey(
                tx, group_id, window, instrument, channel_id=group.home_channel_id, manual=True
            )
            if survey is None:
                if await store.open_survey_of(tx, group_id) is not None:
                    raise UserError("A pulse is already open. Members can answer from its post.")
                raise UserError("Today already had a pulse. Open the next one on another day.")
            await self._invite(tx, survey, now)
        return survey

    async def close_now(self, group_id: int, now: datetime) -> CloseOutcome:
        """Close the open survey early (`/pulse close`); UserError if none is open."""
        survey = await store.open_survey_of(self.db, group_id)
        if survey is None:
            raise UserError("No pulse is open in this group, so there is nothing to close.")
        closed = await self._close(survey, now)
        if closed is None:  # the close step got there first
            raise UserError("That pulse has just closed.")
        return closed

    # --- members -------------------------------------------------------------------------

    async def survey_for_member(
        self, survey_id: int, member_id: int, now: datetime
    ) -> tuple[Survey, Instrument]:
        """The survey and its questions, before the first step; UserError if it is closed or
        the member has already answered."""
        survey = await store.get_survey(self.db, survey_id)
        if survey is None or not survey.accepts_answers(now):
            raise UserError(NOT_OPEN)
        if await store.has_answered(self.db, survey.id, member_id):
            raise UserError(ALREADY_ANSWERED)
        return survey, self._survey_instrument(survey)

    async def submit(
        self, survey_id: int, member_id: int, values: Sequence[int], now: datetime
    ) -> Submitted:
        """Store a member's answers (all steps at once) and return their own note.

        UserError when the survey is closed, the member already answered, or a value is
        outside its scale. Nothing about the member is stored beside the HMAC.
        """
        survey = await store.get_survey(self.db, survey_id)
        if survey is None:
            raise UserError(NOT_OPEN)
        instrument = self._survey_instrument(survey)
        try:
            checked = instrument.check_values(values)
        except ValueError:
            raise UserError("Answer every question with one of its options, then send.") from None
        result = await store.submit(self.db, survey.id, member_id, checked, now)
        if result is SubmitResult.ALREADY_ANSWERED:
            raise UserError(ALREADY_ANSWERED)
        if result is SubmitResult.CLOSED:
            raise UserError(NOT_OPEN)
        return Submitted(own_result(instrument, checked))

    # --- views (moderators and members see the same) -------------------------------------

    async def latest_result(self, group_id: int) -> PublishedPoint | None:
        """The latest published result, or None (then: "not enough responses yet")."""
        return await store.latest_result(self.db, group_id)

    async def published(self, group_id: int) -> list[PublishedPoint]:
        """Every published point, oldest first (chart and CSV export)."""
        return await store.published_points(self.db, group_id)

    # --- due steps -----------------------------------------------------------------------

    async def open_due(self, now: datetime) -> int:
        """Open every scheduled survey that is due (or late but still useful)."""
        opened = 0
        for settings in await store.settings_due(self.db, now):
            plan = settings.schedule
            if plan is None:  # pragma: no cover - settings_due reads scheduled rows only
                continue
            group = await group_by_id(self.db, settings.group_id)
            instrument = self.instruments.get(settings.instrument_id)
            async with self.db.transaction() as tx:
                window = rule.due_window(plan, now)
                if window is not None and group is not None and instrument is not None:
                    survey = await store.open_survey(
                        tx, group.id, window, instrument, channel_id=group.home_channel_id
                    )
                    if survey is not None:
                        await self._invite(tx, survey, now)
                        opened += 1
                elif instrument is None:
                    log.warning("group %d: pulse instrument is not installed", settings.group_id)
                await store.set_next_open(
                    tx, settings.group_id, rule.next_after(plan, now).opens_at
                )
        return opened

    async def remind_due(self, now: datetime) -> int:
        """Queue the one reminder of each due survey to every opted-in member; those who
        have answered (by HMAC) are dropped when it is due (`answered_among`), so the queued
        rows never list who had not. Returns how many surveys were reminded."""
        reminded = 0
        for survey in await store.surveys_due_reminder(self.db, now):
            async with self.db.transaction() as tx:
                if not await store.claim_reminder(tx, survey.id, now):
                    continue
                invited = await self.opted_in(tx, survey.group_id, "pulse")
                await self.enqueue_many(
                    tx,
                    group_id=survey.group_id,
                    user_ids=invited,
                    kind=store.REMINDER_KIND,
                    ref=survey.ref,
                    due_at=max(survey.reminder_due_at, now),
                    expires_at=survey.closes_at,
                    payload=_payload(survey),
                    now=now,
                )
                reminded += 1
        return reminded

    async def close_due(self, now: datetime) -> int:
        """Close every survey past its close time (exactly once); drop carried surveys past
        12 weeks in groups where none closed. Returns how many surveys closed."""
        closed = 0
        for survey in await store.surveys_due_close(self.db, now):
            try:
                outcome = await self._close(survey, now)
            except UserError:  # its instrument was removed or changed: the host must act
                log.warning("pulse survey %d cannot close: its instrument is gone", survey.id)
                continue
            closed += outcome is not None
        for group_id in await store.groups_with_carried(self.db, now.date()):
            if await store.open_survey_of(self.db, group_id) is None:  # else it pools at close
                await store.expire_carried(self.db, group_id, now.date())
        if self._checkpoint_owed and await store.checkpoint(self.db):
            self._checkpoint_owed.clear()
        return closed

    # --- internals -----------------------------------------------------------------------

    async def _close(self, survey: Survey, now: datetime) -> CloseOutcome | None:
        closed = await store.close_survey(self.db, survey.id, self._survey_instrument(survey), now)
        if closed is not None and not closed.checkpointed:
            self._checkpoint_owed.add(survey.id)  # the WAL may hold the open survey: retry
        return closed

    async def _invite(self, tx: Sql, survey: Survey, now: datetime) -> None:
        await self.enqueue_many(
            tx,
            group_id=survey.group_id,
            user_ids=await self.opted_in(tx, survey.group_id, "pulse"),
            kind=store.INVITE_KIND,
            ref=survey.ref,
            due_at=survey.opens_at,
            expires_at=survey.closes_at,
            payload=_payload(survey),
            now=now,
        )

    async def _group(self, group_id: int) -> Group:
        group = await group_by_id(self.db, group_id)
        if group is None:
            raise UserError(NOT_SET_UP)
        return group

    def _instrument(self, instrument_id: str) -> Instrument:
        found = self.instruments.get(instrument_id)
        if found is None:
            raise UserError(
                "This group's pulse instrument is not installed any more. A moderator can pick "
                f"another in /pulse settings: {', '.join(self.instruments.ids())}."
            )
        return found

    def _survey_instrument(self, survey: Survey) -> Instrument:
        instrument = self._instrument(survey.instrument_id)
        if instrument.version != survey.instrument_version:
            raise UserError(
                "This pulse's questions were changed by the bot's host while it was open, so "
                "it can't take answers. The next pulse will use the new questions."
            )
        return instrument


def _or(new: bool | None, old: bool) -> bool:
    return old if new is None else new


def _support(text: object) -> str | None:
    if text is None:
        return None
    if not isinstance(text, str):
        raise TypeError("support_text must be text or None")
    cleaned = text.strip()
    if len(cleaned) > MAX_SUPPORT_CHARS:
        raise UserError(
            f"The support text can be up to {MAX_SUPPORT_CHARS} characters. Shorten it and "
            "try again."
        )
    return cleaned or None


def _payload(survey: Survey) -> dict[str, object]:
    return {
        "survey_id": survey.id,
        "channel_id": survey.channel_id,  # whom to DM: those who can still see it
        "closes_at": to_db(survey.closes_at),
    }
