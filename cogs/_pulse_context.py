"""What the pulse buttons and forms need at hand: the bot, the service, step one's answers.

Step one's answers are held in memory only (`Drafts`), under an unguessable token that
travels in the Continue button's custom_id, for at most 15 minutes, then forgotten: they
are never written to the database, a file or a log.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Final

import discord
from discord.ext import commands

from bot.app.client import PeerPulseBot
from bot.errors import UserError
from bot.pulse.crisis import CrisisResource
from bot.pulse.service import PulseService
from cogs._common import require_channel_member

COG_NAME: Final = "Pulse"
DRAFT_LIFETIME: Final = timedelta(minutes=15)
MAX_DRAFTS: Final = 10_000  # far above the surveys answered at once; only a leak would reach it
NOT_A_MEMBER = (
    "This pulse belongs to a group you're not part of, so you can't answer it. "
    "Ask the group's moderators if that seems wrong."
)


@dataclass(frozen=True)
class Draft:
    """Step one's answers of one member, until step two or 15 minutes."""

    survey_id: int
    member_id: int
    values: tuple[int, ...]
    expires_at: datetime


class Drafts:
    """Step one's answers by token, in memory only, each for at most `DRAFT_LIFETIME`."""

    def __init__(self, limit: int = MAX_DRAFTS) -> None:
        self._by_token: dict[str, Draft] = {}
        self._limit = limit

    def hold(self, survey_id: int, member_id: int, values: tuple[int, ...], now: datetime) -> str:
        """Keep step one's answers; returns the token for the Continue button."""
        self.forget_expired(now)
        token = secrets.token_hex(16)
        self._by_token[token] = Draft(survey_id, member_id, values, now + DRAFT_LIFETIME)
        while len(self._by_token) > self._limit:
            del self._by_token[next(iter(self._by_token))]
        return token

    def peek(self, token: str, member_id: int, now: datetime) -> Draft | None:
        """The member's draft under `token`, if it has not expired."""
        self.forget_expired(now)
        draft = self._by_token.get(token)
        return draft if draft is not None and draft.member_id == member_id else None

    def take(self, token: str, member_id: int, now: datetime) -> Draft | None:
        """The member's draft, forgotten as it is taken."""
        draft = self.peek(token, member_id, now)
        if draft is not None:
            del self._by_token[token]
        return draft

    def forget_expired(self, now: datetime) -> int:
        """Forget every draft past its 15 minutes; returns how many went."""
        expired = [t for t, d in self._by_token.items() if d.expires_at <= now]
        for token in expired:
            del self._by_token[token]
        return len(expired)

    def __len__(self) -> int:
        return len(self._by_token)


@dataclass(frozen=True)
class PulseContext:
    """The running bot, its pulse service, the crisis lines and the drafts it holds."""

    bot: PeerPulseBot
    service: PulseService
    crisis: tuple[CrisisResource, ...]
    drafts: Drafts = field(default_factory=Drafts)


def context_of(interaction: discord.Interaction[Any]) -> PulseContext:
    """The pulse context of the bot that received `interaction` (the cog keeps it)."""
    client = interaction.client
    cog = client.get_cog(COG_NAME) if isinstance(client, commands.Bot) else None
    context = getattr(cog, "context", None)
    if not isinstance(context, PulseContext):
        raise UserError("The pulse is not available right now. Please try again in a minute.")
    return context


async def require_member(
    bot: PeerPulseBot, interaction: discord.Interaction[Any], channel_id: int | None
) -> None:
    """Refuse anyone who cannot see the survey's channel (the group), in its server or DMs."""
    await require_channel_member(
        interaction,
        bot.get_channel(channel_id) if channel_id is not None else None,
        gone="I can't find this pulse's channel any more. Ask a moderator to set the home "
        "channel with /peerpulse settings.",
        not_a_member=NOT_A_MEMBER,
    )
