"""Candidate times as a proposer types them, read in their own IANA zone.

Accepted, separated by commas or semicolons (2-10 of them): a weekday and a time
("thu 12:00", "fri 6:30pm"), an ISO date and a time ("2026-12-03 12:00"), a day and
month in words ("3 Dec 12:00"), and relative days ("today 9am", "tomorrow 8pm").
Every time needs a time of day. A weekday means the next such day after today ("thu"
typed on a Thursday is next week's; type "today 12:00" for today's).

Refused, with the bad part quoted: numeric dates like 12/3 or 03-04 (day-month or
month-day? write 2026-12-03 or 3 Dec), anything unreadable, a time in the past or more
than a year ahead, the same instant twice, fewer than 2 or more than 10 times.

A local time that does not exist (clocks go forward) moves to the next valid minute
and is flagged "gap"; one that happens twice (clocks go back) takes the first and is
flagged "overlap", so the echo before posting can say so.

Reading is done by `dateparser` (a maintained parser), imported on first use only: it
costs about 0.1 s to import, which the bot's start does not pay. It is always given the
clock's instant as its base, the proposer's zone, English only, and a preference for
future dates, so the same input at the same instant reads the same on any machine.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Final, Literal
from zoneinfo import ZoneInfo

from bot.errors import UserError
from bot.members.hours import WorkingHours, is_within, resolve_local
from bot.wording import echo, visible

MIN_CANDIDATES: Final = 2
MAX_CANDIDATES: Final = 10
MAX_TYPED_CHARS: Final = 600
MAX_PART_CHARS: Final = 40
MAX_AHEAD: Final = timedelta(days=366)
EXAMPLES: Final = "thu 12:00, 2026-12-03 12:00 or tomorrow 8pm"

Adjustment = Literal["gap", "overlap"]

_SEPARATORS = re.compile(r"[,;]")
# 12/3, 03-04, 3.4. (but not the month and day inside an ISO date 2026-12-03)
_NUMERIC_DATE = re.compile(
    r"(?<![\d\-/.])\d{1,2}\s*(?:/\s*\d{1,2}(?:\s*/\s*\d{2,4})?|-\d{1,2}(?:-\d{2,4})?|\.\d{1,2}\.(?:\d{2,4})?)(?![\d:])",
    re.ASCII,
)
_TIME_OF_DAY = re.compile(
    r"\d{1,2}\s*[:.h]\s*\d{2}(?!\d)|\d{1,2}\s*[ap]\.?\s*m\b|\bnoon\b|\bmidnight\b",
    re.ASCII | re.IGNORECASE,
)


@dataclass(frozen=True)
class Candidate:
    """One parsed candidate time."""

    typed: str  # the part as typed, trimmed (quote it with `bot.wording.echo`)
    local: datetime  # the naive local time it was read as, in the proposer's zone
    start: datetime  # the instant, aware UTC
    outside_hours: bool  # outside the proposer's own working hours
    adjustment: Adjustment | None = None  # "gap": moved to the next valid minute


def parse_candidates(
    text: str, *, zone: ZoneInfo, hours: WorkingHours, now: datetime
) -> list[Candidate]:
    """The candidate times in `text`, earliest first; `UserError` quoting the bad part."""
    if len(text) > MAX_TYPED_CHARS:
        raise UserError(
            f"That is too long to be {MAX_CANDIDATES} times. Type 2 to {MAX_CANDIDATES} "
            f"times separated by commas, like {EXAMPLES}."
        )
    parts = [" ".join(visible(part).split()) for part in _SEPARATORS.split(text)]
    parts = [part for part in parts if part]
    if len(parts) < MIN_CANDIDATES:
        raise UserError(
            f"Type at least {MIN_CANDIDATES} candidate times separated by commas, like {EXAMPLES}."
        )
    if len(parts) > MAX_CANDIDATES:
        raise UserError(
            f"That is {len(parts)} times; a poll holds at most {MAX_CANDIDATES}. Leave some out."
        )
    now = now.astimezone(UTC)
    candidates = [parse_one(part, zone=zone, hours=hours, now=now) for part in parts]
    seen: dict[datetime, Candidate] = {}
    for candidate in candidates:
        earlier = seen.get(candidate.start)
        if earlier is not None:
            raise UserError(
                f"'{echo(earlier.typed)}' and '{echo(candidate.typed)}' are the same time. "
                "Leave one out."
            )
        seen[candidate.start] = candidate
    return sorted(candidates, key=lambda candidate: candidate.start)


def parse_one(part: str, *, zone: ZoneInfo, hours: WorkingHours, now: datetime) -> Candidate:
    """One candidate time (see the module docstring); `UserError` quoting it."""
    typed = " ".join(visible(part).split())
    quoted = echo(typed)
    if len(typed) > MAX_PART_CHARS:
        raise UserError(f"I can't read '{quoted}' as one day and time. Write it like {EXAMPLES}.")
    if (numeric := _NUMERIC_DATE.search(typed)) is not None:
        raise UserError(
            f"'{echo(numeric.group())}' in '{quoted}' could be day-month or month-day. "
            "Write the date like 2026-12-03 or 3 Dec."
        )
    if _TIME_OF_DAY.search(typed) is None:
        raise UserError(f"'{quoted}' needs a time of day, like thu 12:00 or tomorrow 8pm.")
    local = _read(typed, zone, now)
    if local is None:
        raise UserError(f"I can't read '{quoted}' as a day and time. Write it like {EXAMPLES}.")
    local = local.replace(second=0, microsecond=0)
    start = resolve_local(local, zone)
    if start <= now:
        raise UserError(f"'{quoted}' is in the past. Pick a time that is still ahead.")
    if start > now + MAX_AHEAD:
        raise UserError(f"'{quoted}' is more than a year ahead. Pick a nearer time.")
    return Candidate(
        typed=typed,
        local=local,
        start=start,
        outside_hours=not is_within(hours, zone, start),
        adjustment=local_adjustment(local, zone),
    )


def local_adjustment(local: datetime, zone: ZoneInfo) -> Adjustment | None:
    """ "gap" when `local` does not exist in `zone`, "overlap" when it happens twice."""
    first = local.replace(tzinfo=zone, fold=0)
    if first.astimezone(UTC).astimezone(zone).replace(tzinfo=None) != local:
        return "gap"
    if first.utcoffset() != local.replace(tzinfo=zone, fold=1).utcoffset():
        return "overlap"
    return None


def _read(typed: str, zone: ZoneInfo, now: datetime) -> datetime | None:
    """Naive local time of `typed` per dateparser, relative to `now` in `zone`, or None."""
    import dateparser  # noqa: PLC0415 - 0.1 s to import; only proposing a consultation needs it

    settings: dict[str, Any] = {
        "RELATIVE_BASE": now.astimezone(zone).replace(tzinfo=None),
        "PREFER_DATES_FROM": "future",
        "TIMEZONE": zone.key,
        "RETURN_AS_TIMEZONE_AWARE": False,
        "DATE_ORDER": "YMD",
    }
    parsed: datetime | None = dateparser.parse(typed, languages=["en"], settings=settings)
    if parsed is None:
        return None
    if parsed.tzinfo is not None:  # the text named its own zone ("12:00 UTC")
        parsed = parsed.astimezone(zone).replace(tzinfo=None)
    return parsed
