"""Recurring consultations: every N weeks on a weekday at a local time in the group's zone.

The bot keeps the rule itself (discord.py 2.7 cannot send Discord's recurrence rule,
and Discord's allows only 1 or 2 weeks): each occurrence becomes its own scheduled
event, created one occurrence ahead, so a rule never has more than one future
occurrence. Local times follow the project's DST rule: a time that does not exist
moves to the next valid minute, an ambiguous one takes the first.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Final
from zoneinfo import ZoneInfo

from bot.errors import UserError
from bot.members.hours import DAY_NAMES, format_minute, resolve_local

EVERY_WEEKS: Final = (1, 2, 4)
# A rule with every date in the next two years skipped has nothing to create.
_LOOKAHEAD_WEEKS: Final = 104


@dataclass(frozen=True)
class RecurringRule:
    """Every `every_weeks` weeks from `anchor` (a local date), at `minute` after local midnight."""

    anchor: date
    minute: int
    every_weeks: int
    zone: str
    skipped: frozenset[date] = field(default_factory=frozenset)

    def __post_init__(self) -> None:
        if self.every_weeks not in EVERY_WEEKS:
            raise ValueError(f"every_weeks must be one of {EVERY_WEEKS}")
        if not 0 <= self.minute < 24 * 60:
            raise ValueError("minute must be in 0..1439")

    @property
    def weekday(self) -> int:
        """The rule's weekday, 0 = Monday."""
        return self.anchor.weekday()

    def is_on(self, day: date) -> bool:
        """True when `day` is one of the rule's dates (skipped or not)."""
        delta = (day - self.anchor).days
        return delta >= 0 and delta % (7 * self.every_weeks) == 0

    def start_on(self, day: date) -> datetime:
        """The UTC instant of the occurrence on local `day`."""
        local = datetime.combine(day, time()) + timedelta(minutes=self.minute)
        return resolve_local(local, ZoneInfo(self.zone))

    def dates(self, from_day: date) -> Iterator[date]:
        """The rule's dates on or after `from_day`, skipped ones included, for two years."""
        first = max(from_day, self.anchor)
        period = 7 * self.every_weeks
        offset = -(first - self.anchor).days % period
        day = first + timedelta(days=offset)
        for _ in range(_LOOKAHEAD_WEEKS // self.every_weeks + 1):
            yield day
            day += timedelta(days=period)

    def next_after(self, instant: datetime) -> tuple[date, datetime] | None:
        """The first occurrence starting after `instant` that is not skipped, or None."""
        from_day = instant.astimezone(ZoneInfo(self.zone)).date() - timedelta(days=1)
        for day in self.dates(from_day):
            start = self.start_on(day)
            if start > instant and day not in self.skipped:
                return day, start
        return None

    def describe(self) -> str:
        """ "every other Thu at 12:00 (Europe/London)"."""
        every = {1: "every", 2: "every other", 4: "every fourth"}[self.every_weeks]
        return f"{every} {DAY_NAMES[self.weekday]} at {format_minute(self.minute)} ({self.zone})"


def new_rule(
    *, weekday: int, minute: int, every_weeks: int, zone: str, now: datetime
) -> RecurringRule:
    """A rule whose first date is the next `weekday` whose occurrence is still ahead."""
    if every_weeks not in EVERY_WEEKS:
        raise UserError("Choose every 1, 2 or 4 weeks.")
    if not 0 <= weekday <= 6:
        raise ValueError("weekday must be 0..6")
    tz = ZoneInfo(zone)
    today = now.astimezone(tz).date()
    day = today + timedelta(days=(weekday - today.weekday()) % 7)
    rule = RecurringRule(day, minute, every_weeks, zone)
    if rule.start_on(day) <= now.astimezone(UTC):
        rule = RecurringRule(day + timedelta(days=7), minute, every_weeks, zone)
    return rule


def check_skip(rule: RecurringRule, day: date, now: datetime) -> None:
    """Refuse skipping a date the rule does not fall on, or one already past."""
    if not rule.is_on(day):
        raise UserError(
            f"The consultation does not fall on {day.isoformat()}: it is {rule.describe()}."
        )
    if rule.start_on(day) <= now:
        raise UserError("That date has passed. Pick a date still ahead.")
