"""Time zones a person may choose: places and UTC, never machine-dependent or internal keys."""

from __future__ import annotations

from zoneinfo import available_timezones

import pytest

from bot.errors import UserError
from bot.timezones import all_zones, parse_zone, search_zones


@pytest.mark.parametrize(
    "name", ["localtime", "Factory", "factory", "posixrules", "SystemV/EST5", "Etc/GMT+5", "EST"]
)
def test_internal_and_non_geographic_keys_are_refused(name: str) -> None:
    with pytest.raises(UserError, match="I don't know the time zone"):
        parse_zone(name)
    assert name not in all_zones()


@pytest.mark.parametrize("name", ["", " ", "\t\n", "\u3000"])
def test_a_blank_zone_is_refused_with_what_to_type(name: str) -> None:
    with pytest.raises(UserError, match=r"^Type a time zone, for example Europe/London"):
        parse_zone(name)


@pytest.mark.parametrize("name", ["UTC", "utc", "Etc/UTC", "GMT", "Zulu", "Universal"])
def test_utc_and_its_aliases_are_saved_as_utc(name: str) -> None:
    assert parse_zone(name).key == "UTC"


def test_every_offered_zone_is_a_place_or_utc() -> None:
    zones = all_zones()
    assert "UTC" in zones
    assert "Europe/London" in zones
    assert "Asia/Kolkata" in zones
    assert all("/" in zone or zone == "UTC" for zone in zones)
    assert set(zones) <= available_timezones() | {"UTC"}
    for typed in ("local", "fact", "posix", "etc/"):
        assert not [z for z in search_zones(typed) if z in {"localtime", "Factory"}]
        assert not [z for z in search_zones(typed) if z.startswith("Etc/")]


def test_a_refused_zone_is_quoted_back_plainly() -> None:
    with pytest.raises(UserError) as refused:
        parse_zone("**Mars**\u200b/@everyone" + "x" * 100)
    text = refused.value.message
    assert "\\*\\*Mars\\*\\*/@\u200beveryone" in text
    assert "\u200b/" not in text
    assert len(text) < 200
