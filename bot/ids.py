"""Ids read back from custom_ids: a forged one must never reach SQLite as an overflow.

A modified client can put any digits in a custom_id. Discord snowflakes and SQLite row
ids are at most 2**63 - 1 (SQLite's INTEGER), so a longer or larger number names nothing.
"""

from __future__ import annotations

MAX_ID = 2**63 - 1
ID_DIGITS = r"[0-9]{1,19}"  # for DynamicItem templates: longer never matches


def parse_id(text: str) -> int | None:
    """The id written in `text` (ASCII digits), or None when it cannot name anything."""
    if not 1 <= len(text) <= 19 or not (text.isascii() and text.isdigit()):
        return None
    value = int(text)
    return value if 0 < value <= MAX_ID else None


def is_storable_id(value: int) -> bool:
    """Whether `value` can be an id in the database (so a lookup may run at all)."""
    return 0 < value <= MAX_ID
