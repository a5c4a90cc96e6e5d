"""Pulse scoring (pure): a member's own note, a published result, and the suggestions rule.

- Burnout index of one answer: the mean of the index items (reversed ones flipped),
  scaled to 0-100 (times 25 on a 0-4 scale).
- A result (of one survey or a pool): n; index median and interquartile range; for each
  item the share answering in its top two options (often/always, agree/strongly agree;
  for reversed resource items, the share agreeing), rounded to the nearest 10% when
  n < 10; secondary traumatic stress on its own; drivers one by one; per-option counts
  only when n ≥ 10. No free text, no per-person values.
- Suggestions: a driver at or past half in its top options (a reversed resource item: at
  or below half agreeing), or an index median rising two published points in a row,
  adds the instrument's plain suggestion; never more than two.

A member's own index and drivers are computed for their private note and never stored.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from statistics import median, quantiles
from typing import Final

from bot.pulse.instrument import RISING, Instrument, Item

HISTOGRAM_MIN_N: Final = 10
COARSE_BELOW_N: Final = 10  # shares rounded to the nearest 10% below this n
MAX_SUGGESTIONS: Final = 2
HALF: Final = 50


@dataclass(frozen=True)
class ItemShare:
    """One item's published share: percent of answers in its top two options."""

    key: str
    short: str
    role: str
    driver: str | None
    reversed: bool
    share_percent: int

    @property
    def concern(self) -> bool:
        """At or past half often/always; for a reversed resource item, at or below half agreeing."""
        if self.reversed:
            return self.share_percent <= HALF
        return self.share_percent >= HALF

    @property
    def severity(self) -> int:
        """How far past half, in points, towards concern (negative: not a concern)."""
        return HALF - self.share_percent if self.reversed else self.share_percent - HALF


@dataclass(frozen=True)
class PulseResult:
    """What may be published about a set of answers (n ≥ k is the caller's rule)."""

    n: int
    index_median: float
    index_q1: float
    index_q3: float
    items: tuple[ItemShare, ...]
    option_counts: dict[str, tuple[int, ...]] | None  # only when n ≥ HISTOGRAM_MIN_N

    @property
    def sts(self) -> ItemShare | None:
        """Secondary traumatic stress, reported on its own (None if the instrument has none)."""
        return next((share for share in self.items if share.role == "sts"), None)

    @property
    def drivers(self) -> tuple[ItemShare, ...]:
        """The demand/resource drivers, one by one."""
        return tuple(share for share in self.items if share.role == "driver")


@dataclass(frozen=True)
class DriverWord:
    """One driver in a member's own answer, in plain words."""

    driver: str
    short: str
    answer: str  # the scale label they chose, e.g. "Agree"
    concern: bool


@dataclass(frozen=True)
class OwnResult:
    """A member's own note after submitting: shown once, never stored."""

    index: float
    sts_answer: str | None
    drivers: tuple[DriverWord, ...]


def _flipped(item: Item, value: int) -> int:
    return item.scale.top - value if item.reversed else value


def answer_index(instrument: Instrument, values: Sequence[int]) -> float:
    """The burnout index (0-100) of one answer, rounded to one decimal."""
    parts = [
        Fraction(_flipped(item, value), item.scale.top)
        for item, value in zip(instrument.items, values, strict=True)
        if item.role == "index"
    ]
    return round(float(sum(parts) / len(parts) * 100), 1)


def own_result(instrument: Instrument, values: Sequence[int]) -> OwnResult:
    """A member's own index and drivers in plain words (for their private note only)."""
    checked = instrument.check_values(values)
    drivers: list[DriverWord] = []
    sts_answer = None
    for item, value in zip(instrument.items, checked, strict=True):
        if item.role == "sts":
            sts_answer = item.scale.labels[value]
        elif item.role == "driver" and item.driver is not None:
            high = item.scale.is_high(value)
            concern = not high if item.reversed else high
            drivers.append(DriverWord(item.driver, item.short, item.scale.labels[value], concern))
    return OwnResult(answer_index(instrument, checked), sts_answer, tuple(drivers))


def share_percent(high: int, n: int) -> int:
    """`high` of `n` as a whole percent; to the nearest 10% when n < 10 (halves round up)."""
    if n <= 0:
        raise ValueError("no answers to share")
    step = 10 if n < COARSE_BELOW_N else 1
    scaled = Fraction(high * 100, n * step)
    return int(scaled + Fraction(1, 2)) * step


def summarize(instrument: Instrument, answers: Sequence[Sequence[int]]) -> PulseResult:
    """The publishable result of `answers` (every answer checked against the instrument)."""
    checked = [instrument.check_values(values) for values in answers]
    n = len(checked)
    if n == 0:
        raise ValueError("no answers to summarize")
    indexes = sorted(answer_index(instrument, values) for values in checked)
    if n >= 2:
        q1, _, q3 = quantiles(indexes, n=4, method="inclusive")
    else:
        q1 = q3 = indexes[0]
    shares: list[ItemShare] = []
    counts: dict[str, tuple[int, ...]] = {}
    for position, item in enumerate(instrument.items):
        column = [values[position] for values in checked]
        high = sum(item.scale.is_high(value) for value in column)
        shares.append(
            ItemShare(
                item.key,
                item.short,
                item.role,
                item.driver,
                item.reversed,
                share_percent(high, n),
            )
        )
        counts[item.key] = tuple(column.count(option) for option in range(item.scale.top + 1))
    return PulseResult(
        n=n,
        index_median=round(float(median(indexes)), 1),
        index_q1=round(float(q1), 1),
        index_q3=round(float(q3), 1),
        items=tuple(shares),
        option_counts=counts if n >= HISTOGRAM_MIN_N else None,
    )


def rising_twice(medians: Sequence[float]) -> bool:
    """Whether the last three published index medians (oldest first) rose twice in a row."""
    if len(medians) < 3:
        return False
    first, second, third = medians[-3:]
    return first < second < third


def suggestions(
    instrument: Instrument, result: PulseResult, earlier_medians: Sequence[float]
) -> tuple[str, ...]:
    """At most two plain suggestions for a published result.

    `earlier_medians`: the index medians of the group's earlier published points, oldest
    first. A rising index comes first, then drivers of concern, the furthest past half first.
    """
    chosen: list[str] = []
    if rising_twice([*earlier_medians, result.index_median]) and RISING in instrument.suggestions:
        chosen.append(instrument.suggestions[RISING])
    concerns = sorted(
        (d for d in result.drivers if d.concern and d.driver in instrument.suggestions),
        key=lambda d: -d.severity,
    )
    for driver in concerns:
        if driver.driver is not None:
            chosen.append(instrument.suggestions[driver.driver])
    return tuple(chosen[:MAX_SUGGESTIONS])
