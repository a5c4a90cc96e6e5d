"""Counts with the right plural; typed text quoted back plainly."""

from __future__ import annotations

import pytest

from bot.wording import echo, plural, visible


@pytest.mark.parametrize(
    ("count", "word", "expected"),
    [(1, "hour", "1 hour"), (48, "hour", "48 hours"), (0, "DM", "0 DMs"), (1, "DM", "1 DM")],
)
def test_plural(count: int, word: str, expected: str) -> None:
    assert plural(count, word) == expected


def test_plural_takes_an_irregular_form() -> None:
    assert plural(2, "reply", "replies") == "2 replies"


def test_visible_drops_invisible_characters_and_keeps_spaces() -> None:
    assert visible("\u202aEurope/\u200bLondon\u202c") == "Europe/London"
    assert visible("9:30\u00a0pm\u0000") == "9:30 pm"


def test_echo_is_one_short_line_without_markdown_or_mentions() -> None:
    assert echo("**bold**\n`code`") == "\\*\\*bold\\*\\* \\`code\\`"
    assert echo("@everyone <@&1>") == "@\u200beveryone \\<@\u200b&1\\>"
    assert echo("x" * 100, 10) == "x" * 9 + "\u2026"
    assert echo("\u202e\u200b") == ""
