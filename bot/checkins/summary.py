"""A round's group summary, computed from its answers (pure).

What a channel summary may show: how many answered (never who did not), the energy,
caseload and boundaries distributions only when at least `MIN_RESPONSES` answered,
how many would like a consultation, the names of only those who chose to share, and
notes whose author chose "group". Notes meant for moderators are available through
`moderator_notes` for a moderator-only view; "only me" notes appear nowhere.
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
    shared_notes: tuple[str, ...]
    previous: Comparison | None  # only when both weeks had at least MIN_RESPONSES

    @property
    def suppressed(self) -> bool:
        """True when only the number of responses may be shown."""
        return self.distributions is None

    @property
    def this_week(self) -> Comparison | None:
        """This week's headline numbers in the same shape as `previous`."""
        return _headline(self.responses, self.distributions)


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
    period: str, answers: Sequence[Answer], previous_answers: Sequence[Answer] | None = None
) -> CheckinSummary:
    """The public summary of one round; `previous_answers` are last week's, if there was a round."""
    spread = distributions(answers)
    previous = None
    if spread is not None and previous_answers is not None:
        previous = _headline(len(previous_answers), distributions(previous_answers))
    ordered = sorted(answers, key=lambda a: (a.answered_at, a.user_id))
    return CheckinSummary(
        period=period,
        responses=len(answers),
        distributions=spread,
        consult_names=tuple(a.user_id for a in ordered if a.wants_consult and a.share_consult_name),
        shared_notes=tuple(
            a.note for a in ordered if a.note is not None and a.note_visibility == "group"
        ),
        previous=previous,
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
