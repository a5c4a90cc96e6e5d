"""Ids in custom_ids: a forged 30-digit id or one past SQLite's INTEGER never reaches SQL."""

from __future__ import annotations

import pytest

from bot.ids import MAX_ID, parse_id
from cogs._checkin_buttons import AnswerButton, DmButton
from cogs._checkin_form import NoteVisibilityButton


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1", 1),
        (str(MAX_ID), MAX_ID),
        (str(MAX_ID + 1), None),
        ("9" * 30, None),
        ("0", None),
        ("", None),
        ("²", None),
        ("١٢", None),
        ("-5", None),
        ("9" * 5000, None),
    ],
)
def test_parse_id(text: str, expected: int | None) -> None:
    assert parse_id(text) == expected


@pytest.mark.parametrize(
    "custom_id",
    [
        "checkin:answer:" + "9" * 30,
        "checkin:dms:" + "9" * 30 + ":on",
        "checkin:note:" + "9" * 30 + ":group",
    ],
)
def test_templates_do_not_match_ids_longer_than_any_id(custom_id: str) -> None:
    templates = [
        item.__discord_ui_compiled_template__
        for item in (AnswerButton, DmButton, NoteVisibilityButton)
    ]
    assert not any(template.fullmatch(custom_id) for template in templates)
    shorter = custom_id.replace("9" * 30, "9" * 19)
    assert any(template.fullmatch(shorter) for template in templates)
