"""Typed slash-command options as Discord sends them, with their `resolved` data."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.sandbox import payloads
from bot.sandbox.state import SandboxError, World

Json = dict[str, Any]

STRING, INTEGER, BOOLEAN, USER, CHANNEL, ROLE, MENTIONABLE, NUMBER, ATTACHMENT = (
    3,
    4,
    5,
    6,
    7,
    8,
    9,
    10,
    11,
)


def build_options(
    world: World,
    guild_id: int | None,
    user_id: int,
    container: Json,
    given: Mapping[str, Any],
    *,
    focused: str | None,
) -> tuple[list[Json], Json]:
    """The `options` list for a (sub)command, in definition order, and `resolved`.

    Raises SandboxError for what the Discord client would refuse: unknown or
    missing required options, values of the wrong type, choices not offered.
    """
    definitions = {str(o["name"]): o for o in container.get("options") or []}
    unknown = sorted(set(given) - set(definitions))
    if unknown:
        raise SandboxError(f"unknown option(s) {unknown}; the command has {sorted(definitions)}")
    options: list[Json] = []
    resolved: Json = {}
    for name, definition in definitions.items():
        kind = int(definition["type"])
        if name not in given:
            if definition.get("required") and focused is None:
                raise SandboxError(f"option {name!r} is required")
            continue
        value = given[name]
        if name == focused:
            if not definition.get("autocomplete"):
                raise SandboxError(f"option {name!r} has no autocomplete")
            options.append({"name": name, "type": kind, "value": str(value), "focused": True})
            continue
        typed = _typed(world, guild_id, user_id, definition, value, resolved=resolved)
        options.append({"name": name, "type": kind, "value": typed})
    return options, resolved


def unchecked_options(
    world: World, guild_id: int | None, user_id: int, container: Json, given: Mapping[str, Any]
) -> tuple[list[Json], Json]:
    """Options as a modified client could send them: any value, bounds and choices unchecked.

    Values of id options are sent as given; `resolved` holds what the server knows of
    each id (Discord fills it in), nothing for ids it does not know.
    """
    kinds = {str(o["name"]): int(o["type"]) for o in container.get("options") or []}
    options: list[Json] = []
    resolved: Json = {}
    for name, given_value in given.items():
        kind = kinds.get(name, STRING)
        value = given_value
        if kind in (USER, CHANNEL, ROLE, MENTIONABLE) and type(value) is int:
            value = str(value)  # snowflakes travel as strings
        options.append({"name": name, "type": kind, "value": value})
        if kind in (USER, CHANNEL, ROLE, MENTIONABLE) and str(value).isdigit():
            _resolve_known(world, user_id, int(str(value)), kind, resolved=resolved)
    return options, resolved


def _resolve_known(world: World, user_id: int, target: int, kind: int, *, resolved: Json) -> None:
    key = str(target)
    if kind in (USER, MENTIONABLE) and target in world.users:
        resolved.setdefault("users", {})[key] = payloads.user_json(world.user(target))
    elif kind == CHANNEL and target in world.channels and world.channel(target).guild_id:
        # Discord resolves server channels only; a DM channel's id arrives unresolved.
        channel = world.channel(target)
        perms = world.channel_permissions(target, user_id)
        data = payloads.channel_json(world, channel, permissions=perms)
        resolved.setdefault("channels", {})[key] = data
    elif kind in (ROLE, MENTIONABLE):
        for guild in world.guilds.values():
            if target in guild.roles:
                resolved.setdefault("roles", {})[key] = payloads.role_json(guild.roles[target])


def _typed(
    world: World,
    guild_id: int | None,
    user_id: int,
    definition: Json,
    value: object,
    *,
    resolved: Json,
) -> str | int | float | bool:
    kind = int(definition["type"])
    name = definition["name"]
    if kind in (STRING, INTEGER, NUMBER):
        value = _choice(definition, value)
    if kind == STRING:
        return _string(definition, value)
    if kind in (INTEGER, NUMBER):
        return _number(definition, value)
    if kind == BOOLEAN:
        if not isinstance(value, bool):
            raise SandboxError(f"option {name!r} takes a bool, got {value!r}")
        return value
    if kind in (USER, CHANNEL, ROLE, MENTIONABLE):
        return _snowflake_option(world, guild_id, user_id, definition, value, resolved=resolved)
    raise SandboxError(f"option {name!r} has a type ({kind}) the sandbox cannot fill in")


def _choice(definition: Json, value: object) -> object:
    choices = definition.get("choices")
    if not choices:
        return value
    for choice in choices:
        if choice.get("value") == value or choice.get("name") == value:
            found: object = choice["value"]
            return found
    offered = [c.get("value") for c in choices]
    raise SandboxError(f"option {definition['name']!r}: {value!r} is not one of {offered}")


def _string(definition: Json, value: object) -> str:
    name = definition["name"]
    if not isinstance(value, str):
        raise SandboxError(f"option {name!r} takes a string, got {value!r}")
    low = int(definition.get("min_length", 0))
    high = int(definition.get("max_length", 6000))
    if not low <= len(value) <= high:
        raise SandboxError(f"option {name!r} must be {low}..{high} characters long")
    return value


def _number(definition: Json, value: object) -> int | float:
    name = definition["name"]
    kind = int(definition["type"])
    number: int | float
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise SandboxError(f"option {name!r} takes a number, got {value!r}")
    if kind == INTEGER and not isinstance(value, int):
        raise SandboxError(f"option {name!r} takes an integer, got {value!r}")
    number = value
    low = definition.get("min_value")
    high = definition.get("max_value")
    if (low is not None and number < low) or (high is not None and number > high):
        raise SandboxError(f"option {name!r} must be within {low}..{high}")
    return number


def _snowflake_option(
    world: World,
    guild_id: int | None,
    user_id: int,
    definition: Json,
    value: object,
    *,
    resolved: Json,
) -> str:
    name = definition["name"]
    kind = int(definition["type"])
    if isinstance(value, bool) or not str(value).isdigit():
        raise SandboxError(f"option {name!r} takes an id, got {value!r}")
    target = int(str(value))
    key = str(target)
    guild = world.guilds.get(guild_id) if guild_id is not None else None
    if kind in (USER, MENTIONABLE) and target in world.users:
        resolved.setdefault("users", {})[key] = payloads.user_json(world.user(target))
        if guild is not None and target in guild.members:
            member = payloads.member_json(
                world,
                guild.members[target],
                with_user=False,
                permissions=world.guild_permissions(guild.id, target),
            )
            resolved.setdefault("members", {})[key] = member
        return key
    if kind in (ROLE, MENTIONABLE) and guild is not None and target in guild.roles:
        resolved.setdefault("roles", {})[key] = payloads.role_json(guild.roles[target])
        return key
    if kind == CHANNEL and target in world.channels:
        channel = world.channel(target)
        allowed_types = definition.get("channel_types")
        if allowed_types and channel.type not in allowed_types:
            raise SandboxError(f"option {name!r} does not accept channel type {channel.type}")
        if guild is not None and channel.guild_id != guild.id:
            raise SandboxError(f"channel {target} is not in this server")
        perms = world.channel_permissions(target, user_id)
        data = payloads.channel_json(world, channel, permissions=perms)
        resolved.setdefault("channels", {})[key] = data
        return key
    raise SandboxError(f"option {name!r}: nothing with id {target} can be chosen here")
