"""The check-in schedule rule: when each weekly round opens, reminds and closes.

Everything is computed in the group's IANA zone and returned as aware UTC instants.
A local open time that does not exist (a DST gap) moves to the next valid minute; an
ambiguous one (a DST overlap) takes the first occurrence.

Rules, in one place:

- The round's period is the ISO year-week of its local open date, e.g. "2026-W10",
  so there is exactly one period per ISO week.
- A round closes `open_hours` after it opens, but never after the next week's round
  opens, so at most one round is open at a time (a 168-hour window across a DST change
  would otherwise overlap the next one by an hour).
- The one reminder is due 24 hours before close, but never before the midpoint of the
  window (a 48-hour window reminds at 24 hours, a 6-hour one at 3 hours). The outbox
  delivers it only inside each member's hours and drops it at close.
- Late open after downtime: a round whose open time has passed still opens while at
  least half of its window remains (`LATE_OPEN_SHARE`); after that the week is skipped.
  The database's UNIQUE(group, period) means a week never gets a second round.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.errors import UserError
from bot.timeofday import parse_time_of_day
from bot.timezones import parse_zone
from bot.wording import visible

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
MIN_OPEN_HOURS = 1
MAX_OPEN_HOURS = 168
LATE_OPEN_SHARE = 0.5
REMINDER_BEFORE_CLOSE = timedelta(hours=24)
_MAX_GAP_MINUTES = 24 * 60


@dataclass(frozen=True)
class CheckinSchedule:
    """A group's weekly check-in schedule, in the group's zone."""

    timezone: str
    weekday: int  # 0 = Monday … 6 = Sunday
    local_time: time
    open_hours: int
    reminder: bool = True
    paused: bool = False

    @property
    def zone(self) -> ZoneInfo:
        """The schedule's time zone."""
        return ZoneInfo(self.timezone)


@dataclass(frozen=True)
class RoundWindow:
    """One week's round: its period key and its instants (aware UTC)."""

    period: str
    opens_at: datetime
    closes_at: datetime
    reminder_at: datetime


def parse_weekday(value: str | int) -> int:
    """A weekday name (any case, or a prefix like "tue") or 0-6 → 0 = Monday … 6 = Sunday."""
    if isinstance(value, int):
        if 0 <= value <= 6:
            return value
    else:
        needle = visible(value).strip().lower()
        matches = [
            i for i, name in enumerate(WEEKDAYS) if len(needle) >= 2 and name.startswith(needle)
        ]
        if len(matches) == 1:
            return matches[0]
    raise UserError("Pick a weekday from Monday to Sunday, for example Monday.")


def parse_local_time(value: str) -> time:
    """A typed time of day ("09:00", "9am", "9:30 pm") → a time, or the shared refusal."""
    hours, minutes = divmod(parse_time_of_day(value), 60)
    return time(hours, minutes)


def validate_open_hours(hours: int) -> int:
    """How long a round stays open, 1 to 168 hours."""
    if not MIN_OPEN_HOURS <= hours <= MAX_OPEN_HOURS:
        raise UserError(
            f"A check-in stays open between {MIN_OPEN_HOURS} and {MAX_OPEN_HOURS} hours "
            "(one week). Pick a number in that range, for example 48."
        )
    return hours


def make_schedule(
    timezone: str, weekday: str | int, local_time: str, open_hours: int, *, reminder: bool
) -> CheckinSchedule:
    """Validate a moderator's setup input; every problem is a UserError sentence."""
    return CheckinSchedule(
        timezone=parse_zone(timezone).key,
        weekday=parse_weekday(weekday),
        local_time=parse_local_time(local_time),
        open_hours=validate_open_hours(open_hours),
        reminder=reminder,
    )


def period_key(local_date: date) -> str:
    """The ISO year-week of a local date, e.g. "2026-W10"."""
    year, week, _ = local_date.isocalendar()
    return f"{year}-W{week:02d}"


def parse_period(period: str) -> tuple[int, int]:
    """ "2026-W10" → (2026, 10)."""
    year, week = period.split("-W")
    return int(year), int(week)


def previous_period(period: str) -> str:
    """The period of the ISO week before `period`."""
    return "{}-W{:02d}".format(*_previous_week(*parse_period(period)))


def localize(local_date: date, local_time: time, zone: ZoneInfo) -> datetime:
    """The UTC instant of a wall-clock time (a gap moves to the next valid minute, an overlap
    takes the first occurrence)."""
    naive = datetime.combine(local_date, local_time)
    for minutes in range(_MAX_GAP_MINUTES):
        candidate = (naive + timedelta(minutes=minutes)).replace(tzinfo=zone, fold=0)
        instant = candidate.astimezone(UTC)
        if instant.astimezone(zone).replace(tzinfo=None) == candidate.replace(tzinfo=None):
            return instant
    raise ValueError(f"no valid local time near {naive} in {zone.key}")  # pragma: no cover


def scheduled_open(schedule: CheckinSchedule, iso_year: int, iso_week: int) -> datetime:
    """When the round of ISO week (`iso_year`, `iso_week`) opens."""
    local_date = date.fromisocalendar(iso_year, iso_week, schedule.weekday + 1)
    return localize(local_date, schedule.local_time, schedule.zone)


def reminder_time(opens_at: datetime, closes_at: datetime) -> datetime:
    """24 hours before close, but never before the window's midpoint."""
    midpoint = opens_at + (closes_at - opens_at) / 2
    return max(midpoint, closes_at - REMINDER_BEFORE_CLOSE)


def _next_week(iso_year: int, iso_week: int) -> tuple[int, int]:
    monday = date.fromisocalendar(iso_year, iso_week, 1) + timedelta(weeks=1)
    year, week, _ = monday.isocalendar()
    return year, week


def window_for_week(schedule: CheckinSchedule, iso_year: int, iso_week: int) -> RoundWindow:
    """The scheduled round of one ISO week."""
    opens_at = scheduled_open(schedule, iso_year, iso_week)
    return window_from(schedule, opens_at, f"{iso_year}-W{iso_week:02d}")


def window_from(schedule: CheckinSchedule, opens_at: datetime, period: str) -> RoundWindow:
    """A round of `period` opening at `opens_at` (scheduled or manual), closing per the rule."""
    following = scheduled_open(schedule, *_next_week(*parse_period(period)))
    closes_at = min(opens_at + timedelta(hours=schedule.open_hours), following)
    return RoundWindow(period, opens_at, closes_at, reminder_time(opens_at, closes_at))


def week_of(schedule: CheckinSchedule, instant: datetime) -> tuple[int, int]:
    """The ISO (year, week) of `instant`'s local date in the schedule's zone."""
    year, week, _ = instant.astimezone(schedule.zone).date().isocalendar()
    return year, week


def next_open_after(schedule: CheckinSchedule, instant: datetime) -> RoundWindow:
    """The first scheduled round that opens strictly after `instant`."""
    year, week = week_of(schedule, instant)
    # The local week of `instant` and its neighbours cover every zone offset.
    year, week = _previous_week(year, week)
    for _ in range(4):
        window = window_for_week(schedule, year, week)
        if window.opens_at > instant:
            return window
        year, week = _next_week(year, week)
    raise AssertionError("unreachable: a later week always opens later")  # pragma: no cover


def latest_open_at_or_before(schedule: CheckinSchedule, instant: datetime) -> RoundWindow:
    """The last scheduled round whose open time is at or before `instant`."""
    year, week = _next_week(*week_of(schedule, instant))
    for _ in range(4):
        window = window_for_week(schedule, year, week)
        if window.opens_at <= instant:
            return window
        year, week = _previous_week(year, week)
    raise AssertionError("unreachable: an earlier week always opens earlier")  # pragma: no cover


def _previous_week(iso_year: int, iso_week: int) -> tuple[int, int]:
    monday = date.fromisocalendar(iso_year, iso_week, 1) - timedelta(weeks=1)
    year, week, _ = monday.isocalendar()
    return year, week


def still_useful(window: RoundWindow, now: datetime) -> bool:
    """Whether a round opening at `now` (late) would still be worth it: half its window remains."""
    if now < window.opens_at:
        return False
    length = window.closes_at - window.opens_at
    return window.closes_at - now >= length * LATE_OPEN_SHARE


def due_window(schedule: CheckinSchedule, now: datetime) -> RoundWindow | None:
    """The round that should be open at `now`, if any; a late open keeps the scheduled close.

    Returns None when the schedule is paused, when no round's window covers `now`, or when
    too little of the covering window remains to be useful.
    """
    if schedule.paused:
        return None
    window = latest_open_at_or_before(schedule, now)
    return window if still_useful(window, now) else None


def manual_window(schedule: CheckinSchedule, now: datetime) -> RoundWindow:
    """A round opened now by a moderator: this local week's period, the usual length."""
    year, week = week_of(schedule, now)
    return window_from(schedule, now, f"{year}-W{week:02d}")
