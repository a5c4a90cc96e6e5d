"""Times of day as people type them, with one wording for every refusal.

Accepted anywhere a time of day is typed (/me hours, /checkin setup): 24-hour "09:00",
"9:00", "0900", "17.30", "21h30"; 12-hour "9am", "10pm", "9:30 pm", "9.30 a.m.";
"noon" and "midnight". Only ASCII digits count ("²" or "٩" are not digits here).
"""

from __future__ import annotations

import re

from bot.errors import UserError
from bot.wording import echo, visible

MINUTES_PER_DAY = 24 * 60
MAX_TYPED_CHARS = 20
_CLOCK = re.compile(
    r"(?P<hour>[0-9]{1,2})(?:\s*[:.h]?\s*(?P<minute>[0-9]{2}))?(?:\s*(?P<half>[ap])\.?\s*m?\.?)?",
    re.ASCII,
)
EXAMPLES = "like 09:00, 17:30, 9am or 9:30 pm"


def time_error(typed: str) -> UserError:
    """The one refusal for a time of day nobody could read."""
    shown = echo(typed, MAX_TYPED_CHARS)
    if not shown:
        return UserError(f"Type a time of day {EXAMPLES}.")
    return UserError(f"I can't read '{shown}' as a time of day. Type it {EXAMPLES}.")


def parse_time_of_day(text: str, *, end_of_day: bool = False) -> int:
    """Minutes after midnight (0..1439) of what a person typed; UserError if unreadable.

    With `end_of_day`, "24:00" and "midnight" mean the end of the day and give 1440.
    """
    typed = " ".join(visible(text).split()).lower()
    if len(typed) > MAX_TYPED_CHARS:
        raise time_error(text)
    if typed == "noon":
        return 12 * 60
    if typed == "midnight":
        return MINUTES_PER_DAY if end_of_day else 0
    match = _CLOCK.fullmatch(typed.replace("a.m", "am").replace("p.m", "pm"))
    if match is None or match["minute"] is match["half"] is None:  # "9": am or pm?
        raise time_error(text)
    hour, minute = int(match["hour"]), int(match["minute"] or 0)
    if minute > 59:
        raise time_error(text)
    if match["half"] is not None:
        if not 1 <= hour <= 12:
            raise time_error(text)
        hour = hour % 12 + (12 if match["half"] == "p" else 0)
    elif hour == 24 and minute == 0 and end_of_day:
        return MINUTES_PER_DAY
    elif hour > 23:
        raise time_error(text)
    return hour * 60 + minute
