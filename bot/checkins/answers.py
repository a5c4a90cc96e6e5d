"""What a member answers in a check-in, and the checks every answer passes before saving."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Literal, TypeVar, get_args

from bot.confidentiality import IdentifierFlag, flag_identifiers
from bot.errors import UserError
from bot.text import plain

Caseload = Literal["light", "manageable", "heavy", "overwhelming"]
Boundaries = Literal["yes", "mostly", "no"]
Visibility = Literal["only_me", "moderators", "group"]

ENERGY_LEVELS = (1, 2, 3, 4, 5)
CASELOADS: tuple[Caseload, ...] = get_args(Caseload)
BOUNDARIES: tuple[Boundaries, ...] = get_args(Boundaries)
VISIBILITIES: tuple[Visibility, ...] = get_args(Visibility)
CONSULT_CHOICES = ("no", "yes", "yes_share")
MAX_NOTE_CHARS = 1000
ENERGY_HINT = "Energy is a number from 1 (running on empty) to 5 (full of energy)."
CASELOAD_HINT = "Pick a caseload: light, manageable, heavy or overwhelming."
BOUNDARIES_HINT = "Pick whether you kept your boundaries: yes, mostly or no."
CONSULT_HINT = "Pick whether you'd like a peer consultation: no, yes, or yes and share your name."
_Option = TypeVar("_Option", bound=str)
NOTE_WARNING = (
    "Optional. No client-identifying details: no names, dates of birth, contact details "
    "or anything else that could identify a client."
)


@dataclass(frozen=True)
class AnswerInput:
    """One member's answers as the form collected them."""

    energy: int
    caseload: Caseload
    boundaries: Boundaries
    wants_consult: bool
    share_consult_name: bool = False
    note: str | None = None
    note_visibility: Visibility = "only_me"

    def cleaned(self) -> AnswerInput:
        """The answer with its note trimmed (an empty note is none); UserError if invalid."""
        if self.energy not in ENERGY_LEVELS:
            raise UserError(ENERGY_HINT)
        if self.caseload not in CASELOADS:
            raise UserError(CASELOAD_HINT)
        if self.boundaries not in BOUNDARIES:
            raise UserError(BOUNDARIES_HINT)
        if self.note_visibility not in VISIBILITIES:
            raise UserError("Pick who may see your note: only me, moderators or the group.")
        note = (self.note or "").strip() or None
        if note is not None and len(note) > MAX_NOTE_CHARS:
            raise UserError(
                f"Your note is {len(note)} characters; please keep it under {MAX_NOTE_CHARS}."
            )
        return AnswerInput(
            energy=self.energy,
            caseload=self.caseload,
            boundaries=self.boundaries,
            wants_consult=self.wants_consult,
            share_consult_name=self.wants_consult and self.share_consult_name,
            note=note,
            note_visibility=self.note_visibility,
        )


def _offered(value: str | None, options: tuple[_Option, ...], hint: str) -> _Option:
    """`value` when it is exactly one of the offered options, else the hint as a UserError."""
    for option in options:
        if value == option:
            return option
    raise UserError(hint)


def answer_from_form(values: Mapping[str, str | None], earlier: Answer | None) -> AnswerInput:
    """The answer from the form's raw values by custom_id (energy, caseload, boundaries,
    consult, note); a value that is not one of the form's options is refused.

    A modified client can send any string for a radio group, so nothing is converted
    before it matches an offered value exactly ("²" or 5,000 digits are not energy).
    """
    energy = _offered(values.get("energy"), tuple(str(e) for e in ENERGY_LEVELS), ENERGY_HINT)
    consult = _offered(values.get("consult") or "no", CONSULT_CHOICES, CONSULT_HINT)
    typed: object = values.get("note")
    note = typed if isinstance(typed, str) else ""  # a modified client may send a non-string
    return AnswerInput(
        energy=int(energy),
        caseload=_offered(values.get("caseload"), CASELOADS, CASELOAD_HINT),
        boundaries=_offered(values.get("boundaries"), BOUNDARIES, BOUNDARIES_HINT),
        wants_consult=consult != "no",
        share_consult_name=consult == "yes_share",
        note=note,
        note_visibility=carried_visibility(earlier, note),
    )


@dataclass(frozen=True)
class Answer:
    """A saved answer."""

    round_id: int
    user_id: int
    energy: int
    caseload: Caseload
    boundaries: Boundaries
    wants_consult: bool
    share_consult_name: bool
    note: str | None
    note_visibility: Visibility | None
    answered_at: datetime


class NoteMayIdentifyClientError(UserError):
    """The note looks like it holds client identifiers; the author must edit it or confirm."""

    def __init__(self, flags: list[IdentifierFlag]) -> None:
        reasons = "; ".join(f"{flag.reason}: “{plain(flag.text)}”" for flag in flags[:5])
        super().__init__(
            "Your note may identify a client (" + reasons + "). Please edit it, or confirm "
            "that it holds no client-identifying details. Nothing was saved yet."
        )
        self.flags = flags


def check_note(answer: AnswerInput, *, identifiers_confirmed: bool) -> None:
    """Raise NoteMayIdentifyClientError for likely identifiers the author has not confirmed."""
    if answer.note is None or identifiers_confirmed:
        return
    flags = flag_identifiers(answer.note)
    if flags:
        raise NoteMayIdentifyClientError(flags)


def carried_visibility(earlier: Answer | None, note: str | None) -> Visibility:
    """Who may see a newly submitted note before its author chooses again.

    An unchanged note keeps the visibility its author chose; a new or edited note is
    "only me" until the author picks otherwise, so nothing is shared by default.
    """
    text = (note or "").strip() or None
    if earlier is not None and text is not None and earlier.note == text:
        return earlier.note_visibility or "only_me"
    return "only_me"
