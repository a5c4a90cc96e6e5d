"""The one error path for interactions: a short ephemeral sentence, the traceback to the log."""

from __future__ import annotations

import logging

import discord
from discord import app_commands

from bot.app import replies
from bot.db import DatabaseBusyError
from bot.errors import UserError, incident_message, new_incident_id

log = logging.getLogger(__name__)

UNKNOWN_INTERACTION = 10062  # answered after Discord's 3 s: the token is dead
DATABASE_BUSY = (
    "The database is busy right now, so that was not saved. Please try it again in a minute."
)


def expired(error: BaseException) -> bool:
    """Whether `error` says the interaction expired before the bot answered it (10062)."""
    original = getattr(error, "original", error)
    return isinstance(original, discord.NotFound) and original.code == UNKNOWN_INTERACTION


def message_for(error: BaseException) -> tuple[str, str | None]:
    """The sentence for the person, and an incident id when the error was unexpected."""
    original = error.original if isinstance(error, app_commands.CommandInvokeError) else error
    if isinstance(original, UserError):
        return original.message, None
    if isinstance(original, DatabaseBusyError):
        return DATABASE_BUSY, None
    if isinstance(original, app_commands.NoPrivateMessage):
        return "That command works in a server channel, not in DMs.", None
    if isinstance(original, app_commands.CommandOnCooldown):
        return f"Slow down a little: try again in {original.retry_after:.0f} s.", None
    if isinstance(original, app_commands.BotMissingPermissions):
        missing = ", ".join(p.replace("_", " ") for p in original.missing_permissions)
        return f"I need these permissions here first: {missing}.", None
    if isinstance(original, app_commands.TransformerError):
        return (
            f"'{str(original.value)[:60]}' isn't something I can use for that option. "
            "Pick a value from the list.",
            None,
        )
    if isinstance(original, app_commands.CheckFailure):
        return str(original) or "You can't use that command here.", None
    incident = new_incident_id()
    return incident_message(incident), incident


async def report(interaction: discord.Interaction, error: BaseException) -> None:
    """Answer the person ephemerally and log unexpected errors with an incident id.

    An interaction that expired before it was answered (10062) cannot be answered at
    all: it is logged once, as a warning with ids only, and not answered a second time.
    """
    if expired(error):
        replies.abandon(interaction)
        log.warning(
            "interaction %s expired before it was answered (guild %s, user %s)",
            interaction.id,
            interaction.guild_id,
            interaction.user.id,
        )
        return
    text, incident = message_for(error)
    if isinstance(getattr(error, "original", error), DatabaseBusyError):
        log.warning("database busy: interaction %s not saved", interaction.id)
    if incident is not None:
        original = getattr(error, "original", error)
        name = interaction.command.qualified_name if interaction.command else "component"
        log.error(
            "incident %s in %s (guild %s, interaction %s)",
            incident,
            name,
            interaction.guild_id,
            interaction.id,
            exc_info=(type(original), original, original.__traceback__),
        )
    try:
        await replies.respond(interaction, text)
    except discord.HTTPException:
        log.warning("could not deliver the error message for interaction %s", interaction.id)
