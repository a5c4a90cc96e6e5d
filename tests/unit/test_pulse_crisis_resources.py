"""The default crisis resources: complete entries, verified within a year of the release."""

from __future__ import annotations

import tomllib
from datetime import date
from pathlib import Path

import pytest

from bot.pulse.crisis import (
    DEFAULT_FILE,
    CrisisResourcesError,
    last_verified,
    load_crisis_resources,
)

ROOT = Path(__file__).resolve().parents[2]


def release_date() -> date:
    data = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    return date.fromisoformat(data["tool"]["peerpulse"]["release-date"])


def within_a_year_before(verified: date, release: date) -> bool:
    try:
        year_before = release.replace(year=release.year - 1)
    except ValueError:  # 29 February
        year_before = release.replace(year=release.year - 1, day=28)
    return verified >= year_before


def test_default_resources_were_verified_within_twelve_months_of_the_release() -> None:
    resources = load_crisis_resources()
    release = release_date()
    stale = [r.name for r in resources if not within_a_year_before(r.verified, release)]
    assert stale == [], f"verify these again before releasing on {release}: {stale}"
    assert {r.region for r in resources} >= {"United States", "United Kingdom and Ireland"}
    assert last_verified(resources) == date(2026, 11, 25)


def test_the_age_rule_fails_on_an_old_date() -> None:
    assert within_a_year_before(date(2025, 11, 25), date(2026, 11, 25))
    assert not within_a_year_before(date(2025, 11, 24), date(2026, 11, 25))


ENTRY = 'name = "X line"\nregion = "Nowhere"\ncontact = "Call 1"\nverified = 2026-11-25\n'


@pytest.mark.parametrize(
    ("entry", "problem"),
    [
        (ENTRY.replace('region = "Nowhere"\n', ""), "lacks a 'region'"),
        (ENTRY.replace("verified = 2026-11-25\n", ""), "lacks a 'verified' date"),
        (ENTRY.replace("2026-11-25", '"2026-11-25"'), "lacks a 'verified' date"),
        (ENTRY.replace('contact = "Call 1"', 'contact = ""'), "lacks a 'contact'"),
    ],
)
def test_an_incomplete_entry_is_refused_naming_the_file(
    tmp_path: Path, entry: str, problem: str
) -> None:
    path = tmp_path / "resources.toml"
    path.write_text("[[resources]]\n" + entry, encoding="utf-8")
    with pytest.raises(CrisisResourcesError, match=problem) as raised:
        load_crisis_resources(path)
    assert str(path) in str(raised.value)
    assert "\n" not in str(raised.value)


def test_the_shipped_file_is_the_default() -> None:
    assert DEFAULT_FILE.name == "crisis_resources.toml"
    assert all(r.line().count(":") >= 1 for r in load_crisis_resources())
