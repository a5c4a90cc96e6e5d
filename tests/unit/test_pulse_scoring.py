"""Pulse scoring: a member's own index, published shares and rounding, the suggestions rule."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.pulse.instrument import BUILTIN_DIR, load_instrument
from bot.pulse.scoring import (
    own_result,
    rising_twice,
    share_percent,
    suggestions,
    summarize,
)

INSTRUMENT = load_instrument(BUILTIN_DIR / "peerpulse-default.toml")
# Item order: exhaustion, detachment, difference (reversed), sts, then the four drivers.
CALM = (0, 0, 4, 0, 4, 0, 4, 4)
WORN = (4, 4, 0, 4, 0, 4, 0, 0)


def test_own_index_flips_the_reversed_item_and_scales_to_100() -> None:
    assert own_result(INSTRUMENT, CALM).index == 0.0
    assert own_result(INSTRUMENT, WORN).index == 100.0
    # (3 + 1 + (4 - 2)) / 3 * 25 = 50
    mine = own_result(INSTRUMENT, (3, 1, 2, 4, 1, 3, 3, 2))
    assert mine.index == 50.0
    assert mine.sts_answer == "Always"
    assert [(d.driver, d.answer, d.concern) for d in mine.drivers] == [
        ("caseload", "Disagree", True),
        ("admin", "Agree", True),
        ("support", "Agree", False),
        ("autonomy", "Neither agree nor disagree", True),
    ]


def test_own_result_refuses_values_outside_the_scale() -> None:
    with pytest.raises(ValueError, match="outside"):
        own_result(INSTRUMENT, (5, 0, 0, 0, 0, 0, 0, 0))


@pytest.mark.parametrize(
    ("high", "n", "expected"),
    [(1, 4, 30), (1, 3, 30), (2, 3, 70), (1, 8, 10), (0, 5, 0), (5, 5, 100), (1, 9, 10),
     (1, 20, 5), (1, 3 * 10 + 3, 3), (7, 10, 70), (1, 6, 20)],
)  # fmt: skip
def test_shares_round_to_ten_percent_below_ten_answers(high: int, n: int, expected: int) -> None:
    assert share_percent(high, n) == expected


@given(st.integers(1, 40).flatmap(lambda n: st.tuples(st.integers(0, n), st.just(n))))
def test_small_n_shares_are_multiples_of_ten(pair: tuple[int, int]) -> None:
    high, n = pair
    share = share_percent(high, n)
    assert 0 <= share <= 100
    assert abs(share - high * 100 / n) <= (5 if n < 10 else 0.5)
    if n < 10:
        assert share % 10 == 0


def test_summary_reports_median_iqr_shares_and_no_histogram_below_ten() -> None:
    answers = [CALM, CALM, WORN, (2, 2, 2, 2, 2, 2, 2, 2), (3, 3, 1, 3, 1, 3, 1, 1)]
    result = summarize(INSTRUMENT, answers)
    assert result.n == 5
    assert (result.index_median, result.index_q1, result.index_q3) == (50.0, 0.0, 75.0)
    assert result.option_counts is None
    shares = {s.key: s.share_percent for s in result.items}
    assert shares["exhaustion"] == 40  # WORN and the 3s: 2 of 5
    assert shares["caseload"] == 40  # agreeing: the two CALM answers
    assert result.sts is not None
    assert result.sts.share_percent == 40
    assert [d.driver for d in result.drivers] == ["caseload", "admin", "support", "autonomy"]


def test_histograms_appear_from_ten_answers() -> None:
    result = summarize(INSTRUMENT, [CALM] * 6 + [WORN] * 4)
    assert result.option_counts is not None
    assert result.option_counts["exhaustion"] == (6, 0, 0, 0, 4)
    assert {s.share_percent for s in result.items} == {40, 60}


@given(st.lists(st.tuples(*[st.integers(0, 4)] * 8), min_size=1, max_size=30))
def test_summary_stays_in_range(answers: list[tuple[int, ...]]) -> None:
    result = summarize(INSTRUMENT, answers)
    assert 0 <= result.index_q1 <= result.index_median <= result.index_q3 <= 100
    assert all(0 <= s.share_percent <= 100 for s in result.items)
    assert (result.option_counts is None) == (len(answers) < 10)


def test_suggestions_follow_drivers_of_concern_at_most_two() -> None:
    calm = summarize(INSTRUMENT, [CALM] * 5)
    assert suggestions(INSTRUMENT, calm, []) == ()
    worn = summarize(INSTRUMENT, [WORN] * 5)
    chosen = suggestions(INSTRUMENT, worn, [])
    assert len(chosen) == 2
    assert all(s in INSTRUMENT.suggestions.values() for s in chosen)
    # exactly half: admin at 50% often/always, resources at 50% agreeing (coarse n=6)
    half = summarize(INSTRUMENT, [CALM] * 3 + [WORN] * 3)
    assert {d.share_percent for d in half.drivers} == {50}
    assert len(suggestions(INSTRUMENT, half, [])) == 2
    # only admin past half
    admin_only = summarize(INSTRUMENT, [(0, 0, 4, 0, 4, 4, 4, 4)] * 5)
    assert suggestions(INSTRUMENT, admin_only, []) == (INSTRUMENT.suggestions["admin"],)


def test_a_rising_index_comes_first() -> None:
    calm = summarize(INSTRUMENT, [CALM] * 5)
    assert rising_twice([10.0, 20.0, 30.0])
    assert not rising_twice([10.0, 20.0, 20.0])
    assert not rising_twice([20.0, 30.0])
    assert suggestions(INSTRUMENT, calm, [-2.0, -1.0]) == (INSTRUMENT.suggestions["rising"],)
    worn = summarize(INSTRUMENT, [WORN] * 5)
    chosen = suggestions(INSTRUMENT, worn, [10.0, 20.0])
    assert chosen[0] == INSTRUMENT.suggestions["rising"]
    assert len(chosen) == 2
