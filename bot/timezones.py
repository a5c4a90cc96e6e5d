"""IANA time zones: validation and the search behind autocomplete."""

from __future__ import annotations

from functools import cache
from zoneinfo import ZoneInfo, available_timezones

from bot.errors import UserError
from bot.wording import echo, visible

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


# Keys that name no place: the machine's own zone, tzdata's placeholder, a POSIX template.
_NOT_PLACES = frozenset({"localtime", "Factory", "posixrules"})
_NOT_PLACE_PREFIXES = ("Etc/", "SystemV/", "posix/", "right/")
UTC = "UTC"
# What people type for UTC; each is accepted and saved as "UTC".
_UTC_ALIASES = frozenset(
    name.lower()
    for name in (
        "UTC", "UCT", "GMT", "GMT0", "GMT+0", "GMT-0", "Greenwich", "Universal", "Zulu",
        "Etc/UTC", "Etc/UCT", "Etc/GMT", "Etc/GMT0", "Etc/GMT+0", "Etc/GMT-0",
        "Etc/Greenwich", "Etc/Universal", "Etc/Zulu",
    )
)  # fmt: skip


@cache
def all_zones() -> tuple[str, ...]:
    """Every zone a person may choose, sorted: the Area/Location names, and UTC.

    Left out: keys that name no place or depend on the machine ("localtime", "Factory",
    "posixrules", Etc/ offsets with inverted signs, SystemV/) and bare legacy names such
    as "EST" or "CET" whose rules are not a place's (pick America/New_York instead).
    """
    places = (
        zone
        for zone in available_timezones()
        if "/" in zone and not zone.startswith(_NOT_PLACE_PREFIXES) and zone not in _NOT_PLACES
    )
    return tuple(sorted({*places, UTC}))


@cache
def _by_lowercase() -> dict[str, str]:
    return {zone.lower(): zone for zone in all_zones()} | dict.fromkeys(_UTC_ALIASES, UTC)


def parse_zone(name: str) -> ZoneInfo:
    """Return the zone called `name` (any case), or raise a `UserError` that says what to type."""
    typed = "_".join(visible(name).split())
    if not typed:
        raise UserError(
            "Type a time zone, for example Europe/London or America/New_York, or pick one "
            "from the list as you type."
        )
    match = _by_lowercase().get(typed.lower())
    if match is None:
        raise UserError(
            f"I don't know the time zone '{echo(name, 60)}'. Pick one from the list as you "
            "type, for example Europe/London or America/New_York."
        )
    return ZoneInfo(match)


def search_zones(query: str, limit: int = MAX_CHOICES) -> list[str]:
    """Zones matching `query` for autocomplete: prefix matches first, then any part."""
    needle = "_".join(visible(query).split()).lower()
    if not needle:
        return list(_POPULAR[:limit])
    zones = all_zones()
    city_prefix = [z for z in zones if z.lower().rsplit("/", 1)[-1].startswith(needle)]
    prefix = [z for z in zones if z.lower().startswith(needle) and z not in city_prefix]
    contains = [z for z in zones if needle in z.lower() and z not in city_prefix + prefix]
    return (city_prefix + prefix + contains)[:limit]
