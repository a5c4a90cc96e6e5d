"""The pooling rule: below-k surveys are carried and published only inside a pool."""

from __future__ import annotations

from datetime import date, timedelta
from itertools import combinations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.pulse.pooling import ClosedSurvey, check_k, decide, expire

DAY = date(2026, 12, 1)


def survey(i: int, n: int, weeks: int = 2, instrument: str = "default@1") -> ClosedSurvey:
    return ClosedSurvey(i, DAY + timedelta(weeks=weeks * (i - 1)), n, instrument)


@pytest.mark.parametrize("k", [3, 5, 7])
def test_n_at_k_is_published_alone_and_k_minus_one_is_carried(k: int) -> None:
    alone = decide([], survey(1, k), k)
    assert alone.published == (survey(1, k),)
    assert not alone.pooled
    carried = decide([], survey(1, k - 1), k)
    assert (carried.published, carried.carried, carried.dropped) == ((), (survey(1, k - 1),), ())


def test_a_carried_survey_is_published_only_pooled_with_the_next() -> None:
    first = decide([], survey(1, 4), 5)
    second = decide(first.carried, survey(2, 3), 5)
    assert second.published == (survey(1, 4), survey(2, 3))
    assert second.pooled
    assert second.n == 7
    # The next survey with n >= k still takes the carried one in, never leaves it alone.
    third = decide([survey(3, 2)], survey(4, 9), 5)
    assert third.published == (survey(3, 2), survey(4, 9))


def test_a_carried_survey_older_than_twelve_weeks_is_dropped() -> None:
    carried = (survey(1, 1),)
    later = ClosedSurvey(9, DAY + timedelta(weeks=13), 1, "default@1")
    decision = decide(carried, later, 5)
    assert decision.published == ()
    assert decision.dropped == (survey(1, 1),)
    assert decision.carried == (later,)
    at_twelve = ClosedSurvey(9, DAY + timedelta(weeks=12), 1, "default@1")
    assert decide(carried, at_twelve, 5).dropped == ()
    assert expire(carried, DAY + timedelta(weeks=12, days=1)).dropped == carried
    assert expire(carried, DAY + timedelta(weeks=12)).carried == carried


def test_another_instrument_is_never_pooled() -> None:
    decision = decide([survey(1, 4, instrument="other@1")], survey(2, 5), 5)
    assert decision.published == (survey(2, 5),)
    assert decision.dropped == (survey(1, 4, instrument="other@1"),)


def test_k_is_at_least_three() -> None:
    assert check_k(3) == 3
    with pytest.raises(ValueError, match="at least 3"):
        decide([], survey(1, 5), 2)


@settings(max_examples=300)
@given(
    k=st.integers(3, 8),
    rounds=st.lists(st.tuples(st.integers(0, 10), st.sampled_from([2, 4, 6, 14])), max_size=20),
)
def test_no_published_set_differs_from_another_by_one_small_survey(
    k: int, rounds: list[tuple[int, int]]
) -> None:
    carried: tuple[ClosedSurvey, ...] = ()
    published: list[frozenset[ClosedSurvey]] = []
    dropped: set[ClosedSurvey] = set()
    start = DAY
    everything = []
    for number, (n, gap_weeks) in enumerate(rounds, start=1):
        start += timedelta(weeks=gap_weeks)
        closing = ClosedSurvey(number, start, n, "default@1")
        everything.append(closing)
        decision = decide(carried, closing, k)
        if decision.published:
            published.append(frozenset(decision.published))
            assert decision.n >= k
        assert not any(too_old_and_carried(s, start) for s in decision.carried)
        dropped.update(decision.dropped)
        carried = decision.carried
    for first, second in combinations(published, 2):
        difference = first ^ second
        assert not (len(difference) == 1 and next(iter(difference)).n < k)
        assert not first & second  # a survey is published at most once
    for pool in published:
        assert sum(s.n for s in pool) >= k
        if len(pool) == 1:
            assert next(iter(pool)).n >= k  # a small survey is never shown alone
    shown = set().union(*published) if published else set()
    assert shown.isdisjoint(dropped)
    assert shown | dropped | set(carried) == set(everything)


def too_old_and_carried(s: ClosedSurvey, today: date) -> bool:
    return today - s.period_start > timedelta(weeks=12)
