"""Small groups: publish only what cannot be subtracted (a pure rule).

At each close, the closing survey joins the surveys carried so far (oldest first):

- if the pool's n reaches k, the pool is published (alone when nothing was carried,
  else pooled and labelled with every survey's date) and nothing stays carried;
- otherwise the whole pool is carried forward, and any carried survey whose period
  started more than `MAX_CARRY` before the closing survey's is dropped (the group is
  told there were not enough answers); dropped answers are never published.

Every survey is therefore published in at most one set, and published sets are
disjoint: no published result differs from another by one survey below k.
Surveys of another instrument (id and version) than the closing one cannot be pooled
with it and are dropped.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Final

MIN_K: Final = 3
DEFAULT_K: Final = 5
MAX_CARRY: Final = timedelta(weeks=12)


@dataclass(frozen=True)
class ClosedSurvey:
    """What the rule needs of a closed survey: no answers, just its size and date."""

    survey_id: int
    period_start: date
    n: int
    instrument: str = ""  # "id@version"; only equal instruments pool


@dataclass(frozen=True)
class Decision:
    """What to do at one close."""

    published: tuple[ClosedSurvey, ...]  # empty: nothing published at this close
    carried: tuple[ClosedSurvey, ...]
    dropped: tuple[ClosedSurvey, ...]

    @property
    def pooled(self) -> bool:
        """Whether the published set holds more than one survey."""
        return len(self.published) > 1

    @property
    def n(self) -> int:
        """The published n (0 when nothing is published)."""
        return sum(survey.n for survey in self.published)


def check_k(k: int) -> int:
    """k is at least `MIN_K`."""
    if k < MIN_K:
        raise ValueError(f"k must be at least {MIN_K}")
    return k


def too_old(survey: ClosedSurvey, today: date) -> bool:
    """A carried survey older than `MAX_CARRY` on `today`."""
    return today - survey.period_start > MAX_CARRY


def decide(carried: Sequence[ClosedSurvey], closing: ClosedSurvey, k: int) -> Decision:
    """The rule at the close of `closing`, given the surveys carried so far."""
    check_k(k)
    other = tuple(s for s in carried if s.instrument != closing.instrument)
    same = tuple(s for s in carried if s.instrument == closing.instrument)
    pool = (*sorted(same, key=lambda s: s.period_start), closing)
    if sum(survey.n for survey in pool) >= k:
        return Decision(published=pool, carried=(), dropped=other)
    old = tuple(s for s in pool if too_old(s, closing.period_start))
    kept = tuple(s for s in pool if s not in old)
    return Decision(published=(), carried=kept, dropped=other + old)


def expire(carried: Sequence[ClosedSurvey], today: date) -> Decision:
    """Drop carried surveys past `MAX_CARRY` when no survey closes (e.g. the schedule is off)."""
    old = tuple(s for s in carried if too_old(s, today))
    return Decision(published=(), carried=tuple(s for s in carried if s not in old), dropped=old)
