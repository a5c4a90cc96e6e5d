"""How instants and dates are written to and read from the database.

Instants are UTC ISO-8601 text with a fixed width (microseconds always present), so
SQL can compare and sort them as text.
"""

from __future__ import annotations

from datetime import UTC, date, datetime


def to_db(instant: datetime) -> str:
    """An aware datetime as fixed-width UTC text."""
    if instant.tzinfo is None:
        raise ValueError("naive datetimes are not allowed; pass an aware datetime")
    return instant.astimezone(UTC).isoformat(timespec="microseconds")


def from_db(text: str) -> datetime:
    """Text written by `to_db` (or any ISO instant with an offset) as an aware UTC datetime."""
    parsed = datetime.fromisoformat(text)
    if parsed.tzinfo is None:
        raise ValueError(f"stored instant {text!r} has no UTC offset")
    return parsed.astimezone(UTC)


def optional_from_db(text: str | None) -> datetime | None:
    """`from_db` for a nullable column."""
    return None if text is None else from_db(text)


def date_from_db(text: str | None) -> date | None:
    """A YYYY-MM-DD column, or None."""
    return None if text is None else date.fromisoformat(text)
