"""Who each slash command is for: the one declaration the permissions matrix checks.

Every command (or its group) carries `extras=audience("member")` and the like. The
guard-rail tests enumerate the synced command tree and refuse any command without one,
so a new command cannot ship undeclared.
"""

from __future__ import annotations

from typing import Any, Literal, cast, get_args

import discord
from discord import app_commands

Audience = Literal["everyone", "member", "moderator"]
AUDIENCES: tuple[Audience, ...] = get_args(Audience)
KEY = "audience"


def audience(kind: Audience) -> dict[Any, Any]:
    """The `extras` that declare a command's (or a whole group's) audience."""
    if kind not in AUDIENCES:
        raise ValueError(f"audience must be one of {AUDIENCES}, not {kind!r}")
    return {KEY: kind}


def audience_of(
    command: app_commands.Command[Any, ..., Any] | app_commands.Group,
) -> Audience | None:
    """The declared audience of a command: its own, else its nearest group's."""
    node: app_commands.Command[Any, ..., Any] | app_commands.Group | None = command
    while node is not None:
        declared = node.extras.get(KEY)
        if declared in AUDIENCES:
            return cast(Audience, declared)
        node = node.parent
    return None


def declared_audiences(tree: app_commands.CommandTree[Any]) -> dict[str, Audience | None]:
    """Every slash command the tree holds, by qualified name (e.g. "me show"), and its audience."""
    found: dict[str, Audience | None] = {}
    stack: list[app_commands.Command[Any, ..., Any] | app_commands.Group] = [
        c
        for c in tree.get_commands(type=discord.AppCommandType.chat_input)
        if isinstance(c, app_commands.Command | app_commands.Group)
    ]
    while stack:
        node = stack.pop()
        if isinstance(node, app_commands.Group):
            stack.extend(node.commands)
        else:
            found[node.qualified_name] = audience_of(node)
    return found
