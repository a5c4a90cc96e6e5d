"""Working hours: weekly windows in a member's own zone, DST-correct.

A window starts on each working day at the start time and lasts until the end time,
which may be on the next day (a night clinician's Sun-Thu 22:00-06:00): a window
belongs to the day it starts on. Local times are turned into instants with the
project's rule: a time that does not exist (spring forward) moves to the next valid
minute; an ambiguous one (fall back) takes the first occurrence.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.errors import UserError
from bot.timeofday import MINUTES_PER_DAY, parse_time_of_day
from bot.wording import echo, visible

EN_DASH = "\N{EN DASH}"
DAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_DAY_ALIASES = {
    **{name.lower(): index for index, name in enumerate(DAY_NAMES)},
    **{
        full: index
        for index, full in enumerate(
            ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
        )
    },
    "tues": 1,
    "wednes": 2,
    "thur": 3,
    "thurs": 3,
}
_DAYS_HINT = "Write working days like Mon-Fri, Sun-Thu or Mon,Wed,Fri."
# Gaps in local time are at most a day (Samoa skipped 30 Dec 2011).
_MAX_GAP_MINUTES = 2 * MINUTES_PER_DAY


@dataclass(frozen=True)
class WorkingHours:
    """Days a window starts on (0 = Monday), and its local start and end in minutes.

    `end` is 1..1440; an end at or before `start` means the window ends the next day.
    """

    days: frozenset[int]
    start: int
    end: int

    def __post_init__(self) -> None:
        if not self.days or not self.days <= frozenset(range(7)):
            raise ValueError("working days must be a non-empty subset of 0..6")
        if not (0 <= self.start < MINUTES_PER_DAY and 0 < self.end <= MINUTES_PER_DAY):
            raise ValueError("start must be in 0..1439 and end in 1..1440")
        if self.start == self.end:
            raise ValueError("a working window cannot be empty")

    @property
    def crosses_midnight(self) -> bool:
        """True when the window ends on the day after it starts."""
        return self.end <= self.start

    @property
    def days_mask(self) -> int:
        """The days as a bit mask, bit 0 = Monday (how the database stores them)."""
        return sum(1 << day for day in self.days)

    @classmethod
    def from_mask(cls, mask: int, start: int, end: int) -> WorkingHours:
        """Hours from the stored bit mask."""
        return cls(frozenset(day for day in range(7) if mask & (1 << day)), start, end)


DEFAULT_HOURS = WorkingHours(frozenset(range(5)), 9 * 60, 17 * 60)


def parse_days(spec: str) -> frozenset[int]:
    """Parse "Mon-Fri", "Sun-Thu" (wrapping), "Mon,Wed,Fri", "weekdays" or "every day"."""
    text = " ".join(visible(spec).split()).lower()
    if text in {"weekdays", "workdays"}:
        return frozenset(range(5))
    if text in {"every day", "everyday", "daily", "all", "mon-sun"}:
        return frozenset(range(7))
    days: set[int] = set()
    for part in re.split(r"[,\s]+", text.replace(EN_DASH, "-")):
        if not part:
            continue
        if "-" in part:
            first, _, last = part.partition("-")
            if not first or not last:
                raise UserError(_DAYS_HINT)
            start, stop = _day(first), _day(last)
            days.update((start + step) % 7 for step in range((stop - start) % 7 + 1))
        else:
            days.add(_day(part))
    if not days:
        raise UserError(_DAYS_HINT)
    return frozenset(days)


def _day(name: str) -> int:
    index = _DAY_ALIASES.get(name.strip().rstrip("."))
    if index is None:
        raise UserError(f"I don't know the day '{echo(name, 20)}'. {_DAYS_HINT}")
    return index


def parse_time(text: str, *, is_end: bool = False) -> int:
    """Minutes after midnight of a typed time ("09:00", "9am", "9:30 pm", "21:00").

    An end of "00:00", "24:00" or "midnight" means the end of the day (1440), so a
    window like 18:00-00:00 runs until midnight.
    """
    minute = parse_time_of_day(text, end_of_day=is_end)
    return MINUTES_PER_DAY if is_end and minute == 0 else minute


def parse_hours(days: str, start: str, end: str) -> WorkingHours:
    """Working hours from what a member typed; raises `UserError` saying what to type."""
    parsed_days = parse_days(days)
    start_minute = parse_time(start)
    end_minute = parse_time(end, is_end=True)
    if end_minute == start_minute:
        raise UserError(
            "Start and end must differ. For a whole day, use 00:00 to 24:00; for a night "
            "shift, end the next morning, like 22:00 to 06:00."
        )
    return WorkingHours(parsed_days, start_minute, end_minute)


def format_days(days: frozenset[int]) -> str:
    """Days as "Mon-Fri", "Sun-Thu" (wrapping), "Mon, Wed, Fri" or "every day" (en dashes)."""
    if len(days) == 7:
        return "every day"
    run_starts = [day for day in range(7) if day in days and (day - 1) % 7 not in days]
    if len(run_starts) == 1 and len(days) >= 3:
        first = run_starts[0]
        return f"{DAY_NAMES[first]}{EN_DASH}{DAY_NAMES[(first + len(days) - 1) % 7]}"
    return ", ".join(DAY_NAMES[day] for day in sorted(days))


def format_minute(minute: int) -> str:
    """Minutes after midnight as HH:MM (1440 as 24:00)."""
    return f"{minute // 60:02d}:{minute % 60:02d}"


def format_hours(hours: WorkingHours) -> str:
    """Hours as "Mon-Thu 09:00-17:00" (en dashes); a night window says where it ends."""
    suffix = " (next day)" if hours.crosses_midnight else ""
    return (
        f"{format_days(hours.days)} {format_minute(hours.start)}{EN_DASH}"
        f"{format_minute(hours.end % MINUTES_PER_DAY if hours.crosses_midnight else hours.end)}"
        f"{suffix}"
    )


def resolve_local(local: datetime, zone: ZoneInfo) -> datetime:
    """The UTC instant of a naive local time in `zone`.

    A nonexistent local time moves to the next valid minute; an ambiguous one takes
    the first occurrence (fold=0).
    """
    if local.tzinfo is not None:
        raise ValueError("resolve_local takes a naive local time")
    candidate = local
    for _ in range(_MAX_GAP_MINUTES):
        instant = candidate.replace(tzinfo=zone, fold=0).astimezone(UTC)
        if instant.astimezone(zone).replace(tzinfo=None) == candidate:
            return instant
        candidate = candidate.replace(second=0, microsecond=0) + timedelta(minutes=1)
    raise ValueError(f"no valid local time within two days after {local} in {zone.key}")


def window_on(hours: WorkingHours, zone: ZoneInfo, day: date) -> tuple[datetime, datetime] | None:
    """The window that starts on local `day`, as UTC instants [start, end), or None.

    None when `day` is not a working day, or when DST swallows the whole window.
    """
    if day.weekday() not in hours.days:
        return None
    start = resolve_local(datetime.combine(day, time()) + timedelta(minutes=hours.start), zone)
    end_day_offset = hours.end if not hours.crosses_midnight else hours.end + MINUTES_PER_DAY
    end = resolve_local(datetime.combine(day, time()) + timedelta(minutes=end_day_offset), zone)
    if end <= start:
        return None
    return start, end


def is_within(hours: WorkingHours, zone: ZoneInfo, instant: datetime) -> bool:
    """True when `instant` (aware) falls inside one of the member's windows."""
    local_day = _require_aware(instant).astimezone(zone).date()
    for offset in (-1, 0, 1):
        window = window_on(hours, zone, local_day + timedelta(days=offset))
        if window is not None and window[0] <= instant < window[1]:
            return True
    return False


def next_window_start(hours: WorkingHours, zone: ZoneInfo, after: datetime) -> datetime:
    """The first instant at or after `after` that is within hours (UTC, aware).

    That is `after` itself when it is within hours, else the start of the next window.
    """
    after = _require_aware(after).astimezone(UTC)
    if is_within(hours, zone, after):
        return after
    local_day = after.astimezone(zone).date()
    starts = [
        window[0]
        for offset in range(-1, 9)
        if (window := window_on(hours, zone, local_day + timedelta(days=offset))) is not None
        and window[0] >= after
    ]
    if not starts:  # pragma: no cover - every week has a working day with a window
        raise ValueError("no working window in the next week")
    return min(starts)


def _require_aware(instant: datetime) -> datetime:
    if instant.tzinfo is None:
        raise ValueError("naive datetimes are not allowed; pass an aware datetime")
    return instant
