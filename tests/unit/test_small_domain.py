"""Clock, time zones, moderators, the privacy statement and the due-step runner."""

from __future__ import annotations

import logging
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.checkins.summary import MIN_RESPONSES
from bot.clock import SystemClock, VirtualClock
from bot.config import GroupDefaults
from bot.delivery.outbox import FINISHED_ROWS_KEPT
from bot.errors import UserError
from bot.groups import Group
from bot.moderation import ADMINISTRATOR, MANAGE_GUILD, is_moderator, refusal
from bot.privacy import INTRO, TITLE, capability_sections, privacy_statement
from bot.pulse import pooling
from bot.pulse.pooling import MIN_K
from bot.pulse.privacy import crisis_section
from bot.scheduling import DueSteps
from bot.timezones import parse_zone, search_zones


def test_virtual_clock_jumps_and_never_goes_back() -> None:
    clock = VirtualClock(datetime(2026, 3, 7, 23, 59, tzinfo=ZoneInfo("America/New_York")))
    assert clock.now().tzinfo == UTC
    after = clock.advance(timedelta(weeks=3))
    assert after == datetime(2026, 3, 29, 4, 59, tzinfo=UTC)
    with pytest.raises(ValueError, match="backwards"):
        clock.advance(timedelta(seconds=-1))
    with pytest.raises(ValueError, match="backwards"):
        clock.set(datetime(2020, 1, 1, tzinfo=UTC))
    with pytest.raises(ValueError, match="naive"):
        VirtualClock(datetime(2026, 1, 1))  # noqa: DTZ001 - the point of the test


def test_system_clock_is_aware_utc() -> None:
    assert SystemClock().now().tzinfo == UTC


def test_zone_search_prefers_city_prefix() -> None:
    assert search_zones("new y")[0] == "America/New_York"
    assert search_zones("LONDON")[0] == "Europe/London"
    assert "Australia/Sydney" in search_zones("sydn")
    assert len(search_zones("a")) == 25
    assert search_zones("")[0] == "America/New_York"
    assert search_zones("zzzz-nothing") == []


def test_parse_zone_is_forgiving_about_case_and_spaces() -> None:
    assert parse_zone("europe/london").key == "Europe/London"
    assert parse_zone(" America/New York ").key == "America/New_York"
    with pytest.raises(UserError, match="Europe/London or America/New_York"):
        parse_zone("Mars/Base")
    with pytest.raises(UserError):
        parse_zone("../../etc/passwd")


@pytest.mark.parametrize(
    ("permissions", "roles", "moderator_role", "expected"),
    [
        (MANAGE_GUILD, [], None, True),
        (ADMINISTRATOR, [], None, True),
        (0, [7], 7, True),
        (0, [7], None, False),
        (0, [8], 7, False),
        (1 << 11, [], None, False),  # Send Messages alone is not enough
    ],
)
def test_who_moderates(
    permissions: int, roles: list[int], moderator_role: int | None, expected: bool
) -> None:
    assert is_moderator(permissions, roles, moderator_role) is expected


def test_refusal_names_the_role_when_there_is_one() -> None:
    assert "<@&7>" in refusal(7)
    assert "Manage Server" in refusal(None)


def make_group(retention: int = 45, k: int = 6) -> Group:
    return Group(1, 2, None, "UTC", None, retention, k)


def test_privacy_statement_uses_the_group_settings_and_fits_an_embed() -> None:
    sections = privacy_statement(make_group(), "Call 988.", capability_sections())
    text = "\n".join(f"{s.title}\n{s.body}" for s in sections)
    assert "45 days" in text
    assert "Call 988." in text
    assert "never" in text.lower()
    total = len(TITLE) + len(INTRO) + sum(len(s.title) + len(s.body) for s in sections)
    assert total <= 6000
    assert len(sections) <= 25
    assert all(len(s.body) <= 1024 for s in sections)


@pytest.mark.parametrize(("retention", "k"), [(90, 5), (45, 6), (7, 3), (365, 12)])
def test_privacy_statement_numbers_come_from_the_settings(retention: int, k: int) -> None:
    """Every number /privacy states is a setting or a constant the code really uses."""
    sections = privacy_statement(make_group(retention, k), "support", capability_sections())
    text = "\n".join(f"{s.title}\n{s.body}" for s in sections)
    kept = str(FINISHED_ROWS_KEPT.days)
    crisis = crisis_section()
    # The pulse states its floor for k; the crisis lines their numbers and verified date.
    pulse = {str(MIN_K), *re.findall(r"[0-9]+", f"{crisis.title}\n{crisis.body}")}
    assert set(re.findall(r"[0-9]+", text)) == {str(MIN_RESPONSES), str(retention), kept} | pulse
    assert f"deleted {kept} days after it was sent or skipped" in text
    assert f"fewer than {MIN_RESPONSES} answers" in text
    assert f"{retention} days (this group's setting)" in text
    # Only the anonymous pulse may promise that members see what moderators see.
    assert "exactly what moderators see" not in text
    outside = privacy_statement(None, "support", capability_sections())
    outside_numbers = set(re.findall(r"[0-9]+", "".join(s.body for s in outside)))
    in_bodies = {str(MIN_K), *re.findall(r"[0-9]+", crisis.body)}
    assert outside_numbers == {str(MIN_RESPONSES), kept} | in_bodies


def test_readme_privacy_numbers_come_from_the_settings() -> None:
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Privacy in short", 1)[1].split("\n## ", 1)[0]
    retention = GroupDefaults().retention_days
    assert set(re.findall(r"[0-9]+", section)) == {
        str(MIN_RESPONSES),
        str(retention),
        str(pooling.DEFAULT_K),
    }
    flowing = " ".join(section.split())
    assert "*with the author's name*" in flowing
    assert "*without the author's name*" in flowing


def test_privacy_statement_says_who_reads_a_note_and_with_whose_name() -> None:
    text = "\n".join(s.body for s in privacy_statement(None, "", capability_sections()))
    assert "Moderators: the moderators, with your name" in text
    assert "The group: quoted in the summary without your name" in text


def test_privacy_statement_outside_a_group_still_answers() -> None:
    sections = privacy_statement(None, "help")
    assert any("the group's setting" in s.body for s in sections)


def test_overlong_support_text_is_refused() -> None:
    with pytest.raises(ValueError, match="field limits"):
        privacy_statement(None, "x" * 1025)


async def test_due_steps_run_in_order_and_survive_a_failure(
    caplog: pytest.LogCaptureFixture,
) -> None:
    steps = DueSteps()
    seen: list[str] = []

    async def first(now: datetime) -> int:
        seen.append(f"first {now:%H:%M}")
        return 2

    async def broken(now: datetime) -> int:
        raise RuntimeError("database is on fire")

    async def last(now: datetime) -> int:
        seen.append("last")
        return 0

    steps.register("first", first)
    steps.register("broken", broken)
    steps.register("last", last)
    with pytest.raises(ValueError, match="already registered"):
        steps.register("first", first)
    with caplog.at_level(logging.INFO):
        results = await steps.run_due(datetime(2026, 1, 5, 9, 30, tzinfo=UTC))
    assert seen == ["first 09:30", "last"]
    assert results == {"first": 2, "broken": -1, "last": 0}
    assert "due step broken failed" in caplog.text
    assert "due step first at 2026-01-05T09:30:00+00:00: 2 effect(s)" in caplog.text
