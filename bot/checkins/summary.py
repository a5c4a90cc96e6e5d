"""A round's group summary, computed from its answers (pure).

What a channel summary may show: how many answered (never who did not), the energy,
caseload and boundaries distributions only when at least `MIN_RESPONSES` answered,
how many would like a consultation, the names of only those who chose to share, and
notes whose author chose "group", also only when at least `MIN_RESPONSES` answered (with
one or two answers a note "without your name" could be traced to its author). Notes meant
for moderators are available through `moderator_notes` for a moderator-only view; "only
me" notes appear nowhere. Last week's figures come from the counts stored when it closed,
so the group never sees two different figures for the same week.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from statistics import median

from bot.checkins.answers import BOUNDARIES, CASELOADS, ENERGY_LEVELS, Answer, Boundaries, Caseload

MIN_RESPONSES = 3


@dataclass(frozen=True)
class Distributions:
    """The spread of answers, shown only when enough people answered."""

    energy: dict[int, int]
    energy_median: float
    caseload: dict[Caseload, int]
    boundaries: dict[Boundaries, int]
    wants_consult: int


@dataclass(frozen=True)
class Comparison:
    """Last week's headline numbers, for one line of comparison."""

    responses: int
    energy_median: float
    heavy_or_overwhelming: int
    boundaries_kept: int


@dataclass(frozen=True)
class CheckinSummary:
    """Everything a round's public summary may say."""

    period: str
    responses: int
    distributions: Distributions | None  # None when fewer than MIN_RESPONSES answered
    consult_names: tuple[int, ...]  # user ids of those who asked for a consult and chose to share
    shared_notes: tuple[str, ...]  # empty when fewer than MIN_RESPONSES answered
    previous: Comparison | None  # only when both weeks had at least MIN_RESPONSES
    held_back_notes: int = 0  # notes for the group not posted because too few answered

    @property
    def suppressed(self) -> bool:
        """True when only the number of responses may be shown."""
        return self.distributions is None

    @property
    def this_week(self) -> Comparison | None:
        """This week's headline numbers in the same shape as `previous`."""
        return _headline(self.responses, self.distributions)


@dataclass(frozen=True)
class RoundCounts:
    """A closed round's counts as stored at close (they never change afterwards)."""

    responses: int
    energy: tuple[int, int, int, int, int]  # how many answered 1, 2, 3, 4, 5
    caseload: tuple[int, int, int, int]  # light, manageable, heavy, overwhelming
    boundaries: tuple[int, int, int]  # yes, mostly, no

    def headline(self) -> Comparison | None:
        """The round's headline numbers, or None below `MIN_RESPONSES`."""
        if self.responses < MIN_RESPONSES:
            return None
        by_caseload = dict(zip(CASELOADS, self.caseload, strict=True))
        by_boundaries = dict(zip(BOUNDARIES, self.boundaries, strict=True))
        return Comparison(
            responses=self.responses,
            energy_median=median_of_counts(dict(zip(ENERGY_LEVELS, self.energy, strict=True))),
            heavy_or_overwhelming=by_caseload["heavy"] + by_caseload["overwhelming"],
            boundaries_kept=by_boundaries["yes"] + by_boundaries["mostly"],
        )


def median_of_counts(counts: dict[int, int]) -> float:
    """The median of the values that `counts` tallies (value → how many); 0 when empty."""
    values = [value for value, count in sorted(counts.items()) for _ in range(count)]
    return float(median(values)) if values else 0.0


@dataclass(frozen=True)
class ModeratorNote:
    """A note its author addressed to the moderators (named: the form says so)."""

    user_id: int
    text: str


def distributions(answers: Sequence[Answer]) -> Distributions | None:
    """The distributions of `answers`, or None below `MIN_RESPONSES`."""
    if len(answers) < MIN_RESPONSES:
        return None
    energy = Counter(a.energy for a in answers)
    caseload = Counter(a.caseload for a in answers)
    boundaries = Counter(a.boundaries for a in answers)
    return Distributions(
        energy={level: energy[level] for level in ENERGY_LEVELS},
        energy_median=float(median(a.energy for a in answers)),
        caseload={option: caseload[option] for option in CASELOADS},
        boundaries={option: boundaries[option] for option in BOUNDARIES},
        wants_consult=sum(a.wants_consult for a in answers),
    )


def summarize(
    period: str, answers: Sequence[Answer], previous: RoundCounts | None = None
) -> CheckinSummary:
    """The public summary of one round; `previous` is last week's stored counts, if any."""
    spread = distributions(answers)
    ordered = sorted(answers, key=lambda a: (a.answered_at, a.user_id))
    group_notes = tuple(
        a.note for a in ordered if a.note is not None and a.note_visibility == "group"
    )
    return CheckinSummary(
        period=period,
        responses=len(answers),
        distributions=spread,
        consult_names=tuple(a.user_id for a in ordered if a.wants_consult and a.share_consult_name),
        shared_notes=group_notes if spread is not None else (),
        previous=previous.headline() if spread is not None and previous is not None else None,
        held_back_notes=0 if spread is not None else len(group_notes),
    )


def moderator_notes(answers: Sequence[Answer]) -> list[ModeratorNote]:
    """Notes addressed to the moderators, for a moderator-only (ephemeral) view."""
    ordered = sorted(answers, key=lambda a: (a.answered_at, a.user_id))
    return [
        ModeratorNote(a.user_id, a.note)
        for a in ordered
        if a.note is not None and a.note_visibility == "moderators"
    ]


def _headline(responses: int, spread: Distributions | None) -> Comparison | None:
    if spread is None:
        return None
    return Comparison(
        responses=responses,
        energy_median=spread.energy_median,
        heavy_or_overwhelming=spread.caseload["heavy"] + spread.caseload["overwhelming"],
        boundaries_kept=spread.boundaries["yes"] + spread.boundaries["mostly"],
    )
