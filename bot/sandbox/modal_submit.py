"""The `components` of a modal submit, shaped as discord.py 2.7 reads them.

Text inputs send `value` (a string), radio groups `value`, checkbox groups and
selects `values`, a checkbox `value` (a bool); labels wrap their input under
`component`, action rows under `components`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.sandbox import payloads
from bot.sandbox.state import SandboxError, World

Json = dict[str, Any]

ACTION_ROW, STRING_SELECT, TEXT_INPUT, LABEL, FILE_UPLOAD = 1, 3, 4, 18, 19
RADIO_GROUP, CHECKBOX_GROUP, CHECKBOX = 21, 22, 23
AUTO_SELECTS = frozenset({5, 6, 7, 8})


def build_modal_components(
    world: World, components: list[Json], values: Mapping[str, Any]
) -> tuple[list[Json], Json]:
    """Submit components for a modal, filled from `values` keyed by custom_id.

    Unfilled inputs take their defaults; a required input left empty, a value not
    among the options or an unknown custom_id raises SandboxError, as the
    Discord client would not let the modal be submitted.
    """
    builder = _Builder(world, values)
    submitted: list[Json] = []
    for component in components:
        kind = component.get("type")
        if kind == ACTION_ROW:
            children = [builder.child(c) for c in component.get("components") or []]
            row: Json = {"type": ACTION_ROW, "components": [c for c in children if c]}
            submitted.append(_with_id(row, component))
        elif kind == LABEL:
            child = builder.child(component.get("component") or {})
            if child is not None:
                submitted.append(_with_id({"type": LABEL, "component": child}, component))
    unused = sorted(set(values) - builder.used)
    if unused:
        raise SandboxError(f"the modal has no input(s) {unused}; it has {sorted(builder.seen)}")
    return submitted, builder.resolved


def unchecked_modal_components(components: list[Json], values: Mapping[str, Any]) -> list[Json]:
    """Submit components as a modified client could send them: each input's value as given.

    A text input or radio group gets `value`, selects and checkbox groups `values`;
    an input missing from `values` is sent without a value. Nothing is checked.
    """
    submitted: list[Json] = []
    for component in components:
        kind = component.get("type")
        if kind == ACTION_ROW:
            children = [_unchecked(c, values) for c in component.get("components") or []]
            row: Json = {"type": ACTION_ROW, "components": [c for c in children if c]}
            submitted.append(_with_id(row, component))
        elif kind == LABEL:
            child = _unchecked(component.get("component") or {}, values)
            if child is not None:
                submitted.append(_with_id({"type": LABEL, "component": child}, component))
    return submitted


def _unchecked(component: Json, values: Mapping[str, Any]) -> Json | None:
    custom_id = component.get("custom_id")
    if not custom_id:
        return None
    data = _with_id({"type": component.get("type"), "custom_id": custom_id}, component)
    if custom_id not in values:
        return data
    key = (
        "values"
        if component.get("type") in (STRING_SELECT, CHECKBOX_GROUP, *AUTO_SELECTS)
        else "value"
    )
    return data | {key: values[custom_id]}


def _with_id(data: Json, source: Json) -> Json:
    if "id" in source:
        data["id"] = source["id"]
    return data


class _Builder:
    def __init__(self, world: World, values: Mapping[str, Any]) -> None:
        self.world = world
        self.values = values
        self.used: set[str] = set()
        self.seen: set[str] = set()
        self.resolved: Json = {}

    def _given(self, custom_id: str) -> object:
        self.seen.add(custom_id)
        if custom_id in self.values:
            self.used.add(custom_id)
            return self.values[custom_id]
        return None

    def child(self, component: Json) -> Json | None:
        kind = component.get("type")
        custom_id = component.get("custom_id")
        if not custom_id:
            return None
        given = self._given(str(custom_id))
        base = _with_id({"type": kind, "custom_id": custom_id}, component)
        required = bool(component.get("required", True))
        if kind == TEXT_INPUT:
            return base | {"value": _text(component, given, required)}
        if kind == RADIO_GROUP:
            choice = _radio(component, given, required)
            return base | ({"value": choice} if choice is not None else {})
        if kind == CHECKBOX:
            checked = bool(component.get("default", False)) if given is None else given
            if not isinstance(checked, bool):
                raise SandboxError(f"checkbox {custom_id!r} takes a bool")
            return base | {"value": checked}
        if kind in (STRING_SELECT, CHECKBOX_GROUP):
            return base | {"values": _choices(component, given, required)}
        if kind in AUTO_SELECTS:
            chosen = _as_strings(given)
            _count(component, chosen, required)
            self._resolve(int(kind), chosen)
            return base | {"values": chosen}
        if kind == FILE_UPLOAD:
            if given or required:
                raise SandboxError(f"file upload {custom_id!r}: the sandbox cannot upload files")
            return base | {"values": []}
        raise SandboxError(f"the sandbox cannot fill in component type {kind}")

    def _resolve(self, kind: int, chosen: list[str]) -> None:
        for value in chosen:
            key = int(value)
            if key in self.world.users and kind in (5, 7):
                users = self.resolved.setdefault("users", {})
                users[value] = payloads.user_json(self.world.user(key))
            elif key in self.world.channels and kind == 8:
                channels = self.resolved.setdefault("channels", {})
                channels[value] = payloads.channel_json(self.world, self.world.channel(key))
            else:
                for guild in self.world.guilds.values():
                    if key in guild.roles:
                        roles = self.resolved.setdefault("roles", {})
                        roles[value] = payloads.role_json(guild.roles[key])


def _text(component: Json, given: object, required: bool) -> str:
    custom_id = component["custom_id"]
    value = (component.get("value") or "") if given is None else given
    if not isinstance(value, str):
        raise SandboxError(f"text input {custom_id!r} takes a string")
    if required and not value:
        raise SandboxError(f"text input {custom_id!r} is required")
    low = int(component.get("min_length") or 0)
    high = int(component.get("max_length") or 4000)
    if value and not low <= len(value) <= high:
        raise SandboxError(f"text input {custom_id!r} must be {low}..{high} characters long")
    return value


def _as_strings(given: object) -> list[str]:
    if given is None:
        return []
    if isinstance(given, str | int):
        return [str(given)]
    if isinstance(given, list | tuple | set | frozenset):
        return [str(v) for v in given]
    raise SandboxError(f"expected a value or a list of values, got {given!r}")


def _option_values(component: Json) -> list[str]:
    return [str(o.get("value")) for o in component.get("options") or []]


def _defaults(component: Json) -> list[str]:
    return [str(o.get("value")) for o in component.get("options") or [] if o.get("default")]


def _radio(component: Json, given: object, required: bool) -> str | None:
    custom_id = component["custom_id"]
    defaults = _defaults(component)
    value = (defaults[0] if defaults else None) if given is None else given
    if value is None:
        if required:
            raise SandboxError(f"radio group {custom_id!r} is required")
        return None
    if str(value) not in _option_values(component):
        raise SandboxError(
            f"radio group {custom_id!r} has no option {value!r}; "
            f"options: {_option_values(component)}"
        )
    return str(value)


def _choices(component: Json, given: object, required: bool) -> list[str]:
    custom_id = component["custom_id"]
    chosen = _defaults(component) if given is None else _as_strings(given)
    unknown = [v for v in chosen if v not in _option_values(component)]
    if unknown:
        raise SandboxError(
            f"{custom_id!r} has no option(s) {unknown}; options: {_option_values(component)}"
        )
    _count(component, chosen, required)
    return chosen


def _count(component: Json, chosen: list[str], required: bool) -> None:
    custom_id = component["custom_id"]
    if not chosen and not required:
        return
    low_raw = component.get("min_values")
    high_raw = component.get("max_values")
    low = 1 if low_raw is None else int(low_raw)
    if component.get("type") == CHECKBOX_GROUP:
        default_high = len(component.get("options") or []) or 1
    else:
        default_high = 1
    high = default_high if high_raw is None else int(high_raw)
    if not required:
        low = 0
    if not low <= len(chosen) <= high:
        raise SandboxError(f"{custom_id!r} takes {low}..{high} value(s), got {len(chosen)}")
