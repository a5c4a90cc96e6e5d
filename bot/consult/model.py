"""Consultation data types, limits and the checks on what people type.

Also registers the member-linked consultation tables for /me export and /me forget.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final, Literal, get_args

from bot.consult.slots import Choice, SlotTally
from bot.errors import UserError
from bot.members.personal_data import REGISTRY
from bot.wording import visible

# /me export and /me forget: a member's marks, answers, RSVPs, queue place, presenter
# requests and history are deleted; a poll they organised stays the group's, without them.
for _table in (
    "consult_responses",
    "consult_marks",
    "consult_rsvps",
    "consult_queue",
    "consult_presenter_requests",
    "consult_presenters",
):
    REGISTRY.register(_table, "user_id")
REGISTRY.register("consult_polls", "organiser_user_id", erase="nullify")

LocationKind = Literal["voice", "external"]
PollStatus = Literal["open", "tie", "finalized", "closed", "cancelled"]
SessionStatus = Literal["scheduled", "cancelled"]
Rsvp = Literal["going", "maybe", "cant"]
RSVPS: Final[tuple[Rsvp, ...]] = get_args(Rsvp)
FinalizedBy = Literal["organiser", "deadline"]

MAX_TITLE: Final = 100
MAX_LOCATION: Final = 100
MIN_DURATION: Final = 15
MAX_DURATION: Final = 480
DEFAULT_DEADLINE_BEFORE: Final = timedelta(hours=48)
DEFAULT_OFFSETS: Final = (24 * 60, 60)
MAX_OFFSETS: Final = 3
MAX_OFFSET: Final = 7 * 24 * 60


@dataclass(frozen=True)
class Actor:
    """Who is acting, and whether they moderate the group (the glue decides that)."""

    user_id: int
    is_moderator: bool = False


@dataclass(frozen=True)
class Location:
    """The group's voice channel, or an external place (text ≤ 100)."""

    kind: LocationKind
    text: str | None = None
    voice_channel_id: int | None = None


@dataclass(frozen=True)
class ConsultSettings:
    """A group's consultation settings."""

    group_id: int
    show_names: bool = True
    reminder_offsets: tuple[int, ...] = DEFAULT_OFFSETS  # minutes before the start
    location_kind: LocationKind = "voice"
    voice_channel_id: int | None = None


@dataclass(frozen=True)
class PollDraft:
    """What the proposer confirmed; `starts` are the parsed candidate instants."""

    group_id: int
    organiser_user_id: int
    channel_id: int
    title: str
    duration_minutes: int
    starts: Sequence[datetime]
    needs_presenter: bool
    location: Location
    deadline_at: datetime | None = None  # None: 48 h before the first candidate


@dataclass(frozen=True)
class Slot:
    """One candidate time of a poll."""

    id: int
    poll_id: int
    position: int
    start: datetime


@dataclass(frozen=True)
class Poll:
    """An availability poll."""

    id: int
    group_id: int
    organiser_user_id: int | None
    title: str
    duration_minutes: int
    deadline_at: datetime
    needs_presenter: bool
    location: Location
    channel_id: int
    message_id: int | None
    status: PollStatus
    ready_notice_at: datetime | None
    post_version: int
    post_synced: int

    def may_finalize(self, actor: Actor) -> bool:
        """The organiser or a moderator may finalize, pick a tied slot, or cancel."""
        return actor.is_moderator or actor.user_id == self.organiser_user_id


@dataclass(frozen=True)
class SlotView:
    """A slot with its counts and who marked it (user ids; names are the glue's)."""

    slot: Slot
    works: tuple[int, ...]
    if_need_be: tuple[int, ...]

    @property
    def tally(self) -> SlotTally:
        """Counts for the slot rule."""
        return SlotTally(self.slot.id, self.slot.start, len(self.works), len(self.if_need_be))


@dataclass(frozen=True)
class PollView:
    """What the poll post shows."""

    poll: Poll
    slots: tuple[SlotView, ...]
    answered: int  # how many members answered (with or without a slot ticked)
    show_names: bool


@dataclass(frozen=True)
class Session:
    """A booked consultation: one Discord scheduled event."""

    id: int
    group_id: int
    poll_id: int | None
    rule_id: int | None
    occurrence_date: str | None
    title: str
    start: datetime
    end: datetime
    needs_presenter: bool
    location: Location
    channel_id: int
    status: SessionStatus
    sequence: int
    synced_sequence: int | None
    discord_event_id: int | None
    announcement_message_id: int | None


@dataclass(frozen=True)
class FinalizeResult:
    """How a finalize went: a session, a tie for the organiser, or nobody could."""

    choice: Choice
    session: Session | None


# --- validation -------------------------------------------------------------------


def check_title(title: str) -> str:
    """A title of 1-100 visible characters, one line."""
    cleaned = " ".join(visible(title).split())
    if not cleaned:
        raise UserError("Give the consultation a title, like 'Peer consultation'.")
    if len(cleaned) > MAX_TITLE:
        raise UserError(f"Keep the title to {MAX_TITLE} characters; it is {len(cleaned)}.")
    return cleaned


def check_duration(minutes: int) -> int:
    """15 minutes to 8 hours."""
    if not MIN_DURATION <= minutes <= MAX_DURATION:
        raise UserError("Choose a duration between 15 minutes and 8 hours.")
    return minutes


def check_location(location: Location) -> Location:
    """An external place needs a text of 1-100 characters; a voice channel needs no text."""
    if location.kind == "voice":
        return Location("voice", None, location.voice_channel_id)
    text = " ".join(visible(location.text or "").split())
    if not text:
        raise UserError("Say where the consultation takes place, like a room or a video link.")
    if len(text) > MAX_LOCATION:
        raise UserError(f"Keep the place to {MAX_LOCATION} characters; it is {len(text)}.")
    return Location("external", text, None)


def default_deadline(first_start: datetime, now: datetime) -> datetime:
    """48 h before the first candidate, or halfway there when that is already past."""
    deadline = first_start - DEFAULT_DEADLINE_BEFORE
    return deadline if deadline > now else now + (first_start - now) / 2


def check_deadline(deadline: datetime, first_start: datetime, now: datetime) -> datetime:
    """A deadline still ahead and no later than the first candidate."""
    if deadline <= now:
        raise UserError("The voting deadline has passed. Pick a deadline still ahead.")
    if deadline > first_start:
        raise UserError("End the vote before the first candidate time, so people can plan.")
    return deadline


def check_offsets(offsets: Sequence[int]) -> tuple[int, ...]:
    """1-3 distinct reminder offsets, 5 minutes to 7 days before, largest first."""
    unique = tuple(sorted(set(offsets), reverse=True))
    if not 1 <= len(unique) <= MAX_OFFSETS or not all(5 <= o <= MAX_OFFSET for o in unique):
        raise UserError("Choose 1 to 3 reminder times between 5 minutes and 7 days before.")
    return unique
