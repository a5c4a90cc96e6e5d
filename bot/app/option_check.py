"""Slash-command options checked against what each command declares, before it runs.

The Discord client keeps every option within its declared type, length, range and
choices, but a modified client can send anything, and discord.py hands such values to
the command unchecked (a string where an integer belongs, a role that does not exist,
4,000 characters for a 64-character option). Checked here once, every command, present
and future, refuses them with a plain sentence before it reads them.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import discord
from discord import AppCommandOptionType as Kind
from discord import app_commands

from bot.app import interaction_errors
from bot.errors import UserError
from bot.ids import parse_id

MAX_SAFE_INTEGER = 2**53  # Discord's integer options lie within ±2^53
_RESOLVED: Mapping[Kind, tuple[str, ...]] = {
    Kind.user: ("users",),
    Kind.channel: ("channels",),
    Kind.role: ("roles",),
    Kind.mentionable: ("users", "roles"),
    Kind.attachment: ("attachments",),
}
_SUBCOMMANDS = (Kind.subcommand.value, Kind.subcommand_group.value)


def leaf_options(data: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The options of the (sub)command that runs, from an interaction's data."""
    options: list[Mapping[str, Any]] = list(data.get("options") or [])
    while options and options[0].get("type") in _SUBCOMMANDS:
        options = list(options[0].get("options") or [])
    return options


def option_problem(
    command: app_commands.Command[Any, ..., Any], data: Mapping[str, Any]
) -> str | None:
    """A sentence for the first option that breaks the command's declaration, else None."""
    resolved: Mapping[str, Any] = data.get("resolved") or {}
    declared = {parameter.display_name: parameter for parameter in command.parameters}
    given = leaf_options(data)
    for option in given:
        parameter = declared.get(str(option.get("name", "")))
        if parameter is None:
            return f"/{command.qualified_name} has no option called that. Pick one from the list."
        problem = _value_problem(parameter, option.get("value"), resolved)
        if problem is not None:
            return problem
    names = {option.get("name") for option in given}
    missing = [name for name, parameter in declared.items() if parameter.required]
    for name in missing:
        if name not in names:
            return f"/{command.qualified_name} needs {name}. Fill it in, then try again."
    return None


def _value_problem(
    parameter: app_commands.Parameter, value: object, resolved: Mapping[str, Any]
) -> str | None:
    name, kind = parameter.display_name, parameter.type
    again = f"I couldn't use the value sent for {name}. Choose or type it again."
    if parameter.choices and not any(value == choice.value for choice in parameter.choices):
        return again
    if kind is Kind.string:
        if not isinstance(value, str):
            return again
        return _length_problem(name, len(value), parameter.min_value, parameter.max_value)
    if kind in (Kind.integer, Kind.number):
        if isinstance(value, bool) or not isinstance(value, int | float):
            return again
        if kind is Kind.integer and not isinstance(value, int):
            return f"{name} takes a whole number."
        return _range_problem(name, value, parameter.min_value, parameter.max_value)
    if kind is Kind.boolean:
        return None if isinstance(value, bool) else again
    if kind in _RESOLVED:
        key = parse_id(value) if isinstance(value, str) else None
        found = key is not None and any(
            str(key) in (resolved.get(r) or {}) for r in _RESOLVED[kind]
        )
        return None if found else again
    return None


def _length_problem(name: str, length: int, low: float | None, high: float | None) -> str | None:
    low_chars, high_chars = int(low or 0), int(high or 6000)
    if low_chars <= length <= high_chars:
        return None
    if length == 0:
        return f"{name} can't be empty. Type something, then try again."
    if length < low_chars:
        return f"{name} takes at least {low_chars} characters."
    return f"{name} takes at most {high_chars} characters. Shorten it, then try again."


def _range_problem(name: str, value: float, low: float | None, high: float | None) -> str | None:
    lowest = -MAX_SAFE_INTEGER if low is None else low
    highest = MAX_SAFE_INTEGER if high is None else high
    if math.isfinite(value) and lowest <= value <= highest:
        return None
    if low is None and high is None:
        return f"{name} is far too large a number. Pick a smaller one."
    return f"{name} takes a number from {_number(lowest)} to {_number(highest)}."


def _number(value: float) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


class CheckedCommandTree(app_commands.CommandTree[Any]):
    """The command tree that refuses options breaking their declaration, before any command."""

    async def interaction_check(self, interaction: discord.Interaction[Any], /) -> bool:
        """Answer a malformed command with a plain sentence instead of running it, and a
        malformed autocomplete request with no choices."""
        command = interaction.command
        if not isinstance(command, app_commands.Command):
            return True
        data = dict(interaction.data or {})
        if interaction.type is discord.InteractionType.autocomplete:
            if all(isinstance(o.get("value"), str) for o in leaf_options(data) if o.get("focused")):
                return True
            await interaction.response.autocomplete([])
            return False
        if interaction.type is not discord.InteractionType.application_command:
            return True
        problem = option_problem(command, data)
        if problem is None:
            return True
        await interaction_errors.report(interaction, UserError(problem))
        return False
