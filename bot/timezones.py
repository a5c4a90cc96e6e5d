"""IANA time zones: validation and the search behind autocomplete."""

from __future__ import annotations

from functools import cache
from zoneinfo import ZoneInfo, available_timezones

from bot.errors import UserError

MAX_CHOICES = 25
_POPULAR = (
    "America/New_York",
    "America/Chicago",
    "America/Denver",
    "America/Los_Angeles",
    "America/Toronto",
    "Europe/London",
    "Europe/Dublin",
    "Europe/Berlin",
    "Europe/Paris",
    "Australia/Sydney",
    "Asia/Tokyo",
    "UTC",
)


@cache
def all_zones() -> tuple[str, ...]:
    """Every canonical-looking IANA zone name, sorted."""
    return tuple(sorted(z for z in available_timezones() if not z.startswith(("Etc/", "SystemV"))))


@cache
def _by_lowercase() -> dict[str, str]:
    return {zone.lower(): zone for zone in all_zones()}


def parse_zone(name: str) -> ZoneInfo:
    """Return the zone called `name` (any case), or raise a `UserError` that says what to type."""
    match = _by_lowercase().get(name.strip().replace(" ", "_").lower())
    if match is None:
        raise UserError(
            f"I don't know the time zone '{name[:60]}'. Pick one from the list as you type, "
            "for example Europe/London or America/New_York."
        )
    return ZoneInfo(match)


def search_zones(query: str, limit: int = MAX_CHOICES) -> list[str]:
    """Zones matching `query` for autocomplete: prefix matches first, then any part."""
    needle = query.strip().lower().replace(" ", "_")
    if not needle:
        return list(_POPULAR[:limit])
    zones = all_zones()
    city_prefix = [z for z in zones if z.lower().rsplit("/", 1)[-1].startswith(needle)]
    prefix = [z for z in zones if z.lower().startswith(needle) and z not in city_prefix]
    contains = [z for z in zones if needle in z.lower() and z not in city_prefix + prefix]
    return (city_prefix + prefix + contains)[:limit]
