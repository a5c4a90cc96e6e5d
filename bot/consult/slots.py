"""Choosing a poll's slot: most "works", then most "if need be", then earliest.

Two slots with the same "works" and "if need be" counts are a tie. When the organiser
(or a moderator) finalizes, a tie is theirs to pick: the choice lists the tied slots,
earliest first. When the deadline finalizes the poll by itself, nobody is there to
pick, so the earliest tied slot wins. A poll where nobody marked any slot has no slot
to choose: it closes without a session, and the organiser is told.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Final, Literal

Mark = Literal["works", "if_need_be"]
MARKS: Final[tuple[Mark, ...]] = ("works", "if_need_be")
Outcome = Literal["chosen", "tie", "nobody"]


@dataclass(frozen=True)
class SlotTally:
    """One slot and how many marked it."""

    slot_id: int
    start: datetime
    works: int = 0
    if_need_be: int = 0

    @property
    def rank(self) -> tuple[int, int]:
        """Higher is better: (works, if need be)."""
        return (self.works, self.if_need_be)


@dataclass(frozen=True)
class Choice:
    """The outcome: a chosen slot, a tie for a person to pick from, or nobody available."""

    outcome: Outcome
    slot: SlotTally | None  # the chosen slot ("chosen" only)
    tied: tuple[SlotTally, ...] = ()  # the best-ranked slots, earliest first (2+ on a tie)


def tally(
    slots: Sequence[tuple[int, datetime]], marks: Iterable[tuple[int, Mark]]
) -> list[SlotTally]:
    """Count (slot id, mark) pairs per slot; slots in the order given, unmarked ones at 0."""
    works = dict.fromkeys((slot_id for slot_id, _ in slots), 0)
    maybe = dict(works)
    for slot_id, mark in marks:
        if slot_id not in works:
            raise ValueError(f"mark for unknown slot {slot_id}")
        (works if mark == "works" else maybe)[slot_id] += 1
    return [SlotTally(slot_id, start, works[slot_id], maybe[slot_id]) for slot_id, start in slots]


def choose(tallies: Sequence[SlotTally], *, automatic: bool) -> Choice:
    """The best slot per the rule above; `automatic` (at the deadline) breaks ties by earliest."""
    if not tallies:
        raise ValueError("a poll has at least one slot")
    best = max(tally.rank for tally in tallies)
    if best == (0, 0):
        return Choice("nobody", None)
    tied = tuple(sorted((t for t in tallies if t.rank == best), key=lambda t: (t.start, t.slot_id)))
    if len(tied) == 1 or automatic:
        return Choice("chosen", tied[0], tied)
    return Choice("tie", None, tied)
