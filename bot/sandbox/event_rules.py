"""Discord's rules for the body of a guild scheduled event's create or edit.

Pure functions over JSON: the caller passes the world's clock reading (never the wall
clock) and the types of the guild's channels. A refusal is an `ApiError`: 50035
"Invalid Form Body" with every field error at once, 180000 for a finished event.

Codes Discord is known to send: BASE_TYPE_*, NUMBER_TYPE_COERCE, DATE_TYPE_PARSE,
GUILD_SCHEDULED_EVENT_SCHEDULE_PAST, GUILD_SCHEDULED_EVENT_ENTITY_METADATA_UNSUPPORTED and
GUILD_SCHEDULED_EVENT_INVALID_START_BY_STATUS (a start time sent for a running event), and
the JSON codes 180000 and 30038. The codes for an end before the start, a channel of the
wrong type, a channel on an external event and a refused status move are the sandbox's
own names: Discord answers 50035 for them, under the same field.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from bot.sandbox.core import ApiError, Json
from bot.sandbox.routing import form_error
from bot.sandbox.state import (
    ENTITY_EXTERNAL,
    ENTITY_STAGE_INSTANCE,
    ENTITY_VOICE,
    EVENT_ACTIVE,
    EVENT_CANCELED,
    EVENT_COMPLETED,
    EVENT_SCHEDULED,
    GUILD_STAGE_VOICE,
    GUILD_VOICE,
)

MAX_NAME = 100
MAX_DESCRIPTION = 1000
MAX_LOCATION = 100
MAX_UNCOMPLETED = 100
GUILD_ONLY = 2

# The only status moves Discord allows; COMPLETED and CANCELED are final.
TRANSITIONS: dict[int, frozenset[int]] = {
    EVENT_SCHEDULED: frozenset({EVENT_ACTIVE, EVENT_CANCELED}),
    EVENT_ACTIVE: frozenset({EVENT_COMPLETED}),
}
UNCOMPLETED = frozenset({EVENT_SCHEDULED, EVENT_ACTIVE})

# The fields a bot may set; anything else in a body is ignored, as Discord does.
FIELDS = (
    "name",
    "description",
    "scheduled_start_time",
    "scheduled_end_time",
    "privacy_level",
    "entity_type",
    "channel_id",
    "entity_metadata",
    "image",
)
_CHANNEL_TYPE = {ENTITY_STAGE_INSTANCE: GUILD_STAGE_VOICE, ENTITY_VOICE: GUILD_VOICE}

_Err = tuple[str, str]
_REQUIRED: _Err = ("BASE_TYPE_REQUIRED", "This field is required")
_PAST: _Err = ("GUILD_SCHEDULED_EVENT_SCHEDULE_PAST", "Cannot schedule event in the past.")


def finished_event() -> ApiError:
    """180000: a completed or canceled event cannot be edited."""
    return ApiError(400, 180000, "Cannot update a finished event")


def too_many_events() -> ApiError:
    """30038: a guild holds at most 100 scheduled or active events."""
    return ApiError(
        400, 30038, "Maximum number of uncompleted guild scheduled events reached (100)"
    )


@dataclass(frozen=True)
class Facts:
    """What the rules need from the world: its clock reading and the guild's channels."""

    now: datetime
    channel_types: Mapping[int, int]


class _Errors:
    def __init__(self) -> None:
        self.tree: dict[str, Any] = {}

    def add(self, path: tuple[str, ...], error: _Err) -> None:
        node = self.tree
        for key in path:
            node = node.setdefault(key, {})
        node.setdefault("_errors", []).append({"code": error[0], "message": error[1]})

    def raise_any(self) -> None:
        if self.tree:
            raise form_error(self.tree)


def parse_time(value: str) -> datetime:
    """A stored (normalised) event time."""
    return datetime.fromisoformat(value)


def check_create(body: Mapping[str, Any], facts: Facts) -> Json:
    """The new event's fields, normalised, or ApiError 50035."""
    e = _Errors()
    for key in ("name", "scheduled_start_time", "entity_type"):
        if key not in body:
            e.add((key,), _REQUIRED)
    given = _given(e, body, editing=False)
    start = given.get("scheduled_start_time")
    if start is not None and parse_time(start) < facts.now:
        e.add(("scheduled_start_time",), _PAST)
    merged: Json = {
        "name": None,
        "description": None,
        "scheduled_start_time": None,
        "scheduled_end_time": None,
        "privacy_level": GUILD_ONLY,
        "entity_type": None,
        "channel_id": None,
        "entity_metadata": None,
        "image": None,
    }
    merged.update(given)
    _check_entity(e, merged, body, facts)
    _check_order(e, merged)
    e.raise_any()
    return merged


def check_edit(current: Mapping[str, Any], body: Mapping[str, Any], facts: Facts) -> Json:
    """The fields an edit changes (status included), normalised, or ApiError."""
    status = int(current["status"])
    if status in (EVENT_COMPLETED, EVENT_CANCELED):
        raise finished_event()
    e = _Errors()
    given = _given(e, body, editing=True)
    changes = {k: v for k, v in given.items() if current.get(k) != v}
    if "status" in changes:
        if changes["status"] not in TRANSITIONS[status]:
            e.add(
                ("status",),
                (
                    "GUILD_SCHEDULED_EVENT_INVALID_STATUS_TRANSITION",
                    f"Cannot change status from {status} to {changes['status']}.",
                ),
            )
        elif status == EVENT_ACTIVE and len(changes) > 1:
            # Ending a running event is a move of its status alone.
            raise finished_event()
    if status == EVENT_ACTIVE and "scheduled_start_time" in given:
        e.add(
            ("scheduled_start_time",),
            (
                "GUILD_SCHEDULED_EVENT_INVALID_START_BY_STATUS",
                "Cannot change the start time of an event that has started.",
            ),
        )
    elif "scheduled_start_time" in changes and parse_time(changes["scheduled_start_time"]) < (
        facts.now
    ):
        e.add(("scheduled_start_time",), _PAST)
    merged: Json = {k: current.get(k) for k in FIELDS}
    merged.update({k: v for k, v in given.items() if k != "status"})
    _check_entity(e, merged, body, facts)
    _check_order(e, merged)
    e.raise_any()
    result = {k: merged[k] for k in FIELDS if merged[k] != current.get(k)}
    if "status" in changes:
        result["status"] = changes["status"]
    return result


_BAD = object()  # a value that was refused (the error is already recorded)
_Check = Callable[[_Errors, object], object]


def _given(e: _Errors, body: Mapping[str, Any], *, editing: bool) -> Json:
    """The known fields present in `body`, type- and length-checked and normalised."""
    out: Json = {}
    for key, check in _CHECKS.items():
        if key in body and (editing or key != "status"):
            value = check(e, body[key])
            if value is not _BAD:
                out[key] = value
    return out


def _name(e: _Errors, value: object) -> object:
    if not isinstance(value, str):
        e.add(("name",), _REQUIRED if value is None else _not_string())
        return _BAD
    if not 1 <= len(value) <= MAX_NAME:
        e.add(("name",), _bad_length(1, MAX_NAME))
        return _BAD
    return value


def _description(e: _Errors, value: object) -> object:
    if value is not None and not isinstance(value, str):
        e.add(("description",), _not_string())
        return _BAD
    if value is not None and len(value) > MAX_DESCRIPTION:
        error = ("BASE_TYPE_MAX_LENGTH", f"Must be {MAX_DESCRIPTION} or fewer in length.")
        e.add(("description",), error)
        return _BAD
    return value


def _time(key: str, *, nullable: bool) -> _Check:
    def check(e: _Errors, value: object) -> object:
        if value is None:
            if nullable:
                return None
            e.add((key,), _REQUIRED)
            return _BAD
        parse_error = ("DATE_TYPE_PARSE", f"Could not parse {value}. Should be ISO8601.")
        try:
            when = datetime.fromisoformat(str(value))
        except ValueError:
            e.add((key,), parse_error)
            return _BAD
        if when.tzinfo is None:
            e.add((key,), parse_error)
            return _BAD
        return when.astimezone(UTC).isoformat()

    return check


def _choice(key: str, values: tuple[int, ...]) -> _Check:
    def check(e: _Errors, value: object) -> object:
        if value is None:
            e.add((key,), _REQUIRED)
            return _BAD
        if isinstance(value, bool) or value not in values:
            listed = ", ".join(str(v) for v in values)
            e.add((key,), ("BASE_TYPE_CHOICES", f"Value must be one of ({listed},)."))
            return _BAD
        return value

    return check


def _channel(e: _Errors, value: object) -> object:
    if value is None:
        return None
    if isinstance(value, int | str) and not isinstance(value, bool) and str(value).isdigit():
        return str(value)
    e.add(("channel_id",), ("NUMBER_TYPE_COERCE", f'Value "{value}" is not snowflake.'))
    return _BAD


def _metadata(e: _Errors, value: object) -> object:
    if value is None:
        return None
    if not isinstance(value, Mapping):
        e.add(("entity_metadata",), ("DICT_TYPE_CONVERT", "Only dictionaries may be used"))
        return _BAD
    location = value.get("location")
    if location is None:
        return {}
    if not isinstance(location, str):
        e.add(("entity_metadata", "location"), _not_string())
        return _BAD
    if not 1 <= len(location) <= MAX_LOCATION:
        e.add(("entity_metadata", "location"), _bad_length(1, MAX_LOCATION))
        return _BAD
    return {"location": location}


def _image(e: _Errors, value: object) -> object:
    # Discord stores an uploaded cover and answers with its hash.
    return hashlib.md5(str(value).encode()).hexdigest() if value else None  # noqa: S324


_CHECKS: dict[str, _Check] = {
    "name": _name,
    "description": _description,
    "scheduled_start_time": _time("scheduled_start_time", nullable=False),
    "scheduled_end_time": _time("scheduled_end_time", nullable=True),
    "privacy_level": _choice("privacy_level", (GUILD_ONLY,)),
    "entity_type": _choice("entity_type", (ENTITY_STAGE_INSTANCE, ENTITY_VOICE, ENTITY_EXTERNAL)),
    "status": _choice("status", (1, 2, 3, 4)),
    "channel_id": _channel,
    "entity_metadata": _metadata,
    "image": _image,
}


def _check_entity(e: _Errors, merged: Json, body: Mapping[str, Any], facts: Facts) -> None:
    """VOICE/STAGE: a channel of that kind, no metadata. EXTERNAL: a location and an end
    time, no channel. Normalises `merged` (the other kind's field is cleared)."""
    kind = merged.get("entity_type")
    if kind in _CHANNEL_TYPE:
        if body.get("entity_metadata") is not None:
            e.add(
                ("entity_metadata",),
                (
                    "GUILD_SCHEDULED_EVENT_ENTITY_METADATA_UNSUPPORTED",
                    "Entity metadata is only supported for external events.",
                ),
            )
        merged["entity_metadata"] = None
        channel_id = merged.get("channel_id")
        if channel_id is None:
            e.add(("channel_id",), _REQUIRED)
        elif facts.channel_types.get(int(channel_id)) != _CHANNEL_TYPE[kind]:
            wanted = "a stage channel" if kind == ENTITY_STAGE_INSTANCE else "a voice channel"
            e.add(
                ("channel_id",),
                ("GUILD_SCHEDULED_EVENT_INVALID_CHANNEL", f"The channel must be {wanted}."),
            )
    elif kind == ENTITY_EXTERNAL:
        if body.get("channel_id") is not None:
            e.add(
                ("channel_id",),
                (
                    "GUILD_SCHEDULED_EVENT_CHANNEL_NOT_ALLOWED",
                    "An external event cannot have a channel.",
                ),
            )
        merged["channel_id"] = None
        if not (merged.get("entity_metadata") or {}).get("location"):
            e.add(("entity_metadata", "location"), _REQUIRED)
        if merged.get("scheduled_end_time") is None:
            e.add(("scheduled_end_time",), _REQUIRED)


def _check_order(e: _Errors, merged: Json) -> None:
    start, end = merged.get("scheduled_start_time"), merged.get("scheduled_end_time")
    if start is not None and end is not None and parse_time(end) <= parse_time(start):
        e.add(
            ("scheduled_end_time",),
            (
                "GUILD_SCHEDULED_EVENT_END_BEFORE_START",
                "The end time must be after the start time.",
            ),
        )


def _not_string() -> _Err:
    return ("BASE_TYPE_STRING", "This field must be a string.")


def _bad_length(low: int, high: int) -> _Err:
    return ("BASE_TYPE_BAD_LENGTH", f"Must be between {low} and {high} in length.")
