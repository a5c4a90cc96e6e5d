"""The one place that reads the wall clock.

Everything that needs the time takes a `Clock`; tests and the sandbox pass a
`VirtualClock` and jump across weeks, midnights and DST changes instantly.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    """Something that tells the current instant as an aware UTC datetime."""

    def now(self) -> datetime:
        """Return the current instant (timezone-aware, UTC)."""
        ...


class SystemClock:
    """The real clock."""

    def now(self) -> datetime:
        """Return the current instant (timezone-aware, UTC)."""
        return datetime.now(UTC)


class VirtualClock:
    """A clock that only moves when told to."""

    def __init__(self, start: datetime) -> None:
        self._now = _require_aware(start)

    def now(self) -> datetime:
        """Return the virtual current instant."""
        return self._now

    def advance(self, delta: timedelta) -> datetime:
        """Move forward by `delta` (never backwards) and return the new instant."""
        if delta < timedelta(0):
            raise ValueError("a virtual clock does not go backwards")
        self._now += delta
        return self._now

    def set(self, instant: datetime) -> None:
        """Jump to `instant`, which must not be earlier than now."""
        instant = _require_aware(instant)
        if instant < self._now:
            raise ValueError("a virtual clock does not go backwards")
        self._now = instant


def _require_aware(instant: datetime) -> datetime:
    if instant.tzinfo is None:
        raise ValueError("naive datetimes are not allowed; pass an aware datetime")
    return instant.astimezone(UTC)
