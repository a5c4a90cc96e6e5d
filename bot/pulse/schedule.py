"""The pulse schedule rule: every 2 or 4 weeks, on a weekday, at a local time, open N days.

Computed in the group's IANA zone and returned as aware UTC instants, with the
check-ins' `localize` (a nonexistent local time moves to the next valid minute, an
ambiguous one takes the first occurrence); opening and closing are both local wall
times, so a window across a DST change is a day or so longer or shorter in hours.

- Surveys open on `anchor` (a local date on the chosen weekday) and every
  `every_weeks` weeks after it; a survey's natural key is (group, period start), the
  local date it was scheduled to open.
- A survey closes `days_open` days later at the same local time; `days_open` is at most
  the cadence, so at most one survey is open at a time.
- Late open after downtime: a survey whose open time has passed still opens while at
  least half of its window remains; after that the period is skipped.
- The one reminder is due 24 hours before close, never before the window's midpoint.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Final
from zoneinfo import ZoneInfo

from bot.checkins.schedule import (
    localize,
    parse_local_time,
    parse_weekday,
    reminder_time,
)
from bot.errors import UserError
from bot.timezones import parse_zone

CADENCES: Final = (2, 4)
MIN_DAYS_OPEN: Final = 1
LATE_OPEN_SHARE: Final = 0.5


@dataclass(frozen=True)
class PulseSchedule:
    """A group's pulse schedule, in the group's zone."""

    timezone: str
    every_weeks: int  # 2 or 4
    weekday: int  # 0 = Monday … 6 = Sunday
    local_time: time
    days_open: int
    anchor: date  # the first scheduled period start, on `weekday`

    @property
    def zone(self) -> ZoneInfo:
        """The schedule's time zone."""
        return ZoneInfo(self.timezone)


@dataclass(frozen=True)
class SurveyWindow:
    """One survey's natural key and instants (aware UTC)."""

    period_start: date
    opens_at: datetime
    closes_at: datetime
    reminder_at: datetime


def validate_every_weeks(weeks: int) -> int:
    """A cadence of 2 or 4 weeks."""
    if weeks not in CADENCES:
        raise UserError("A pulse runs every 2 or every 4 weeks. Pick 2 or 4.")
    return weeks


def validate_days_open(days: int, every_weeks: int) -> int:
    """1 day up to the whole cadence."""
    most = every_weeks * 7
    if not MIN_DAYS_OPEN <= days <= most:
        raise UserError(
            f"A pulse every {every_weeks} weeks stays open 1 to {most} days. "
            "Pick a number in that range, for example 5."
        )
    return days


def make_schedule(
    timezone: str,
    every_weeks: int,
    weekday: str | int,
    local_time: str,
    days_open: int,
    *,
    now: datetime,
) -> PulseSchedule:
    """Validate a moderator's input (UserError sentences); the first survey opens after `now`."""
    zone = parse_zone(timezone)
    weeks = validate_every_weeks(every_weeks)
    day = parse_weekday(weekday)
    at = parse_local_time(local_time)
    local_today = now.astimezone(zone).date()
    anchor = local_today + timedelta(days=(day - local_today.weekday()) % 7)
    if localize(anchor, at, zone) <= now:
        anchor += timedelta(weeks=1)
    return PulseSchedule(zone.key, weeks, day, at, validate_days_open(days_open, weeks), anchor)


def window_for(schedule: PulseSchedule, period_start: date) -> SurveyWindow:
    """The scheduled survey of one period start."""
    opens_at = localize(period_start, schedule.local_time, schedule.zone)
    return window_from(schedule, period_start, opens_at)


def window_from(schedule: PulseSchedule, period_start: date, opens_at: datetime) -> SurveyWindow:
    """A survey of `period_start` opening at `opens_at` (scheduled, late or manual).

    It closes `days_open` local days after its period start, at the schedule's local time,
    and never before an hour after it opens.
    """
    close_date = period_start + timedelta(days=schedule.days_open)
    closes_at = max(
        localize(close_date, schedule.local_time, schedule.zone), opens_at + timedelta(hours=1)
    )
    return SurveyWindow(period_start, opens_at, closes_at, reminder_time(opens_at, closes_at))


def _occurrence(schedule: PulseSchedule, index: int) -> date:
    return schedule.anchor + timedelta(weeks=schedule.every_weeks * index)


def _index_near(schedule: PulseSchedule, instant: datetime) -> int:
    local = instant.astimezone(schedule.zone).date()
    return (local - schedule.anchor).days // (7 * schedule.every_weeks)


def latest_at_or_before(schedule: PulseSchedule, instant: datetime) -> SurveyWindow | None:
    """The last scheduled survey opening at or before `instant` (None before the anchor)."""
    index = _index_near(schedule, instant) + 1
    while index >= 0:
        window = window_for(schedule, _occurrence(schedule, index))
        if window.opens_at <= instant:
            return window
        index -= 1
    return None


def next_after(schedule: PulseSchedule, instant: datetime) -> SurveyWindow:
    """The first scheduled survey opening strictly after `instant`."""
    index = max(_index_near(schedule, instant) - 1, 0)
    while True:
        window = window_for(schedule, _occurrence(schedule, index))
        if window.opens_at > instant:
            return window
        index += 1


def still_useful(window: SurveyWindow, now: datetime) -> bool:
    """Whether opening at `now` still leaves at least half of the window."""
    if now < window.opens_at:
        return False
    return window.closes_at - now >= (window.closes_at - window.opens_at) * LATE_OPEN_SHARE


def due_window(schedule: PulseSchedule, now: datetime) -> SurveyWindow | None:
    """The survey that should be open at `now`, if any (a late open keeps the scheduled close)."""
    window = latest_at_or_before(schedule, now)
    return window if window is not None and still_useful(window, now) else None


def manual_window(schedule: PulseSchedule | None, zone: str, now: datetime) -> SurveyWindow:
    """A survey opened now by a moderator: today's local date is its period start.

    With a schedule it stays open the usual days; without one, 5 days.
    """
    plan = schedule or PulseSchedule(zone, 2, 0, time(9, 0), 5, now.date())
    today = now.astimezone(plan.zone).date()
    local_now = now.astimezone(plan.zone).time().replace(second=0, microsecond=0)
    close_date = today + timedelta(days=plan.days_open)
    closes_at = max(localize(close_date, local_now, plan.zone), now + timedelta(hours=1))
    return SurveyWindow(today, now, closes_at, reminder_time(now, closes_at))
