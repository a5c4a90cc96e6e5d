"""Away mode: a member on leave gets no DMs until the end of a date they chose, or until back."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.errors import UserError
from bot.wording import echo, visible

MONTH_NAMES = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
WEEKDAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
MAX_AWAY_DAYS = 366
_DATE_HINT = "Write the date like 2026-03-03 or 3 Mar."
_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}$", re.ASCII)
_DAY_MONTH = re.compile(r"^(\d{1,2})\s+([a-z]+)\.?(?:\s+(\d{4}))?$", re.ASCII)
_MONTH_DAY = re.compile(r"^([a-z]+)\.?\s+(\d{1,2})(?:,?\s+(\d{4}))?$", re.ASCII)


@dataclass(frozen=True)
class Away:
    """Away since an instant, through the end of `until` (a local date), or indefinitely."""

    since: datetime
    until: date | None

    def active(self, zone: ZoneInfo, now: datetime) -> bool:
        """True while the member is away at `now` in their zone."""
        return self.until is None or now.astimezone(zone).date() <= self.until


def format_date(day: date) -> str:
    """ "Tue 3 Mar"."""
    return f"{WEEKDAY_NAMES[day.weekday()]} {day.day} {MONTH_NAMES[day.month - 1]}"


def parse_date(text: str, today: date) -> date:
    """Parse "2026-03-03", "3 Mar", "3 March 2026" or "Mar 3"; a year-less date is the next one."""
    cleaned = " ".join(visible(text).split()).lower()
    if _ISO.match(cleaned):
        try:
            return date.fromisoformat(cleaned)
        except ValueError as error:
            raise UserError(f"That date does not exist. {_DATE_HINT}") from error
    if match := _DAY_MONTH.match(cleaned):
        day_text, month_text, year_text = match.groups()
    elif match := _MONTH_DAY.match(cleaned):
        month_text, day_text, year_text = match.groups()
    else:
        raise UserError(_DATE_HINT)
    month = _month(month_text)
    try:
        if year_text:
            return date(int(year_text), month, int(day_text))
        candidate = date(today.year, month, int(day_text))
        return candidate if candidate >= today else date(today.year + 1, month, int(day_text))
    except ValueError as error:
        raise UserError(f"That date does not exist. {_DATE_HINT}") from error


def _month(text: str) -> int:
    for index, name in enumerate(MONTH_NAMES, start=1):
        if text.startswith(name.lower()):
            return index
    raise UserError(f"I don't know the month '{echo(text, 20)}'. {_DATE_HINT}")


def check_until(until: date | None, today: date) -> None:
    """Refuse a past date or one more than a year ahead (indefinitely is None)."""
    if until is None:
        return
    if until < today:
        raise UserError(
            "That date has passed. Pick today or a later date, or leave it empty to be away "
            "until you use /me back."
        )
    if until > today + timedelta(days=MAX_AWAY_DAYS):
        raise UserError(
            "Pick a date within the next year, or leave it empty to be away until you use /me back."
        )
