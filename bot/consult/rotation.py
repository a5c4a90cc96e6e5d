"""The case presenter rotation: least recent presenter first, among those who can.

Queued members are asked in this order: whoever presented least recently (never
presented counts as longest ago), ties by who joined the queue first. Only members who
marked the session's slot "works" and are not away on its date are asked. A pass, or
no answer by `answer_deadline`, moves to the next; whoever passed or timed out is not
asked again for the same session.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final

ANSWER_WITHIN: Final = timedelta(hours=24)
DECIDED_BEFORE_START: Final = timedelta(hours=24)
# When the session is near, whoever is asked still gets this long (never past the start).
MIN_ANSWER_TIME: Final = timedelta(hours=2)


@dataclass(frozen=True)
class QueueEntry:
    """A queued member, when they joined, and when they last presented (None: never)."""

    user_id: int
    joined_at: datetime
    last_presented_at: datetime | None = None


def presenter_order(
    queue: Sequence[QueueEntry], available: Collection[int], *, skip: Collection[int] = ()
) -> list[int]:
    """User ids to ask, first first: queued, in `available`, not in `skip` (passed or timed out)."""
    candidates = [
        entry for entry in queue if entry.user_id in available and entry.user_id not in skip
    ]
    candidates.sort(
        key=lambda entry: (
            entry.last_presented_at is not None,
            entry.last_presented_at or entry.joined_at,
            entry.joined_at,
            entry.user_id,
        )
    )
    return [entry.user_id for entry in candidates]


def answer_deadline(asked_at: datetime, session_start: datetime) -> datetime:
    """When an unanswered request times out: 24 h after asking or 24 h before the
    session, whichever comes first, but never sooner than 2 h after asking (nor after
    the start) when the session is near."""
    deadline = min(asked_at + ANSWER_WITHIN, session_start - DECIDED_BEFORE_START)
    floor = min(asked_at + MIN_ANSWER_TIME, session_start)
    return max(deadline, floor)
