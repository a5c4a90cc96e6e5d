"""The outbox's transport over discord.py: open DM channels, render and send, map errors.

Each capability registers a renderer for its DM kinds (e.g. "checkin_open"); the renderer
turns an outbox row into the message to send. Errors become the delivery domain's errors
so the dispatcher can decide what to do.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field

import aiohttp
import discord
from discord.http import handle_message_parameters

from bot.delivery.errors import (
    ChannelGoneError,
    DeliveryError,
    DmsClosedError,
    PermanentDeliveryError,
    RateLimitedError,
    TransientDeliveryError,
)
from bot.delivery.outbox import OutboxItem
from bot.delivery.recipients import ClosedDms

CANNOT_DM_USER = 50007
UNKNOWN_CHANNEL = 10003
OPENING_DMS_TOO_FAST = 40003


@dataclass(frozen=True)
class OutgoingDm:
    """What a renderer returns: the message for one outbox row."""

    content: str | None = None
    embeds: Sequence[discord.Embed] = ()
    view: discord.ui.View | None = None
    files: Sequence[discord.File] = field(default_factory=tuple)


DmRenderer = Callable[[OutboxItem], Awaitable[OutgoingDm]]


class DmRenderers:
    """Renderers by DM kind, filled in by the cogs as they load."""

    def __init__(self) -> None:
        self._by_kind: dict[str, DmRenderer] = {}

    def register(self, kind: str, renderer: DmRenderer) -> None:
        """Render DMs of `kind` with `renderer`; one renderer per kind."""
        if kind in self._by_kind:
            raise ValueError(f"a renderer for DM kind {kind!r} is already registered")
        self._by_kind[kind] = renderer

    def get(self, kind: str) -> DmRenderer | None:
        """The renderer for `kind`, if any."""
        return self._by_kind.get(kind)


class DiscordDmTransport:
    """`DmTransport` and `MemberAccess` (of `bot.delivery.dispatcher`) over a discord.py client."""

    def __init__(
        self, client: discord.Client, renderers: DmRenderers, closed: ClosedDms | None = None
    ) -> None:
        self._client = client
        self._renderers = renderers
        self._closed = closed

    def _failed(self, user_id: int, error: BaseException) -> DeliveryError:
        mapped = delivery_error(error)
        if isinstance(mapped, DmsClosedError) and self._closed is not None:
            self._closed.mark(user_id)  # the dispatcher records it in the database
        return mapped

    async def open_dm(self, user_id: int) -> int:
        """Open (or find) the DM channel with a user; one REST request."""
        try:
            data = await self._client.http.start_private_message(user_id)
        except (discord.HTTPException, aiohttp.ClientError, OSError, TimeoutError) as error:
            raise self._failed(user_id, error) from error
        return int(data["id"])

    async def can_reach(self, guild_id: int, channel_id: int | None, user_id: int) -> bool:
        """Whether the member is still in the server and can view the group's channel.

        Asks Discord for the member (one request: without the members intent, the cache
        does not follow who leaves); the channel's permissions come from the cache.
        """
        guild = self._client.get_guild(guild_id)
        if guild is None:
            if self._client.is_ready():
                return False  # the bot is no longer in that server
            raise TransientDeliveryError("not connected to Discord yet")
        if guild.unavailable:
            raise TransientDeliveryError("the server is unavailable")
        try:
            member = await guild.fetch_member(user_id)
        except discord.NotFound:
            return False  # left the server (10007) or the account is gone
        except (discord.HTTPException, aiohttp.ClientError, OSError, TimeoutError) as error:
            raise delivery_error(error) from error
        if channel_id is None:
            return True
        channel = guild.get_channel(channel_id)
        return channel is not None and channel.permissions_for(member).view_channel

    async def send(self, channel_id: int, item: OutboxItem) -> int:
        """Render `item` and send it with its nonce, asking Discord to drop a repeat."""
        renderer = self._renderers.get(item.kind)
        if renderer is None:
            raise PermanentDeliveryError(None, None)
        message = await renderer(item)
        params = handle_message_parameters(
            content=message.content,
            embeds=list(message.embeds),
            view=message.view,
            files=list(message.files) if message.files else discord.utils.MISSING,
            nonce=item.nonce,
            allowed_mentions=discord.AllowedMentions.none(),
        )
        if not params.files and params.payload is not None:
            # A resend after a crash carries the same nonce; Discord returns the first message.
            params.payload["enforce_nonce"] = True
        try:
            with params:
                data = await self._client.http.send_message(channel_id, params=params)
        except (discord.HTTPException, aiohttp.ClientError, OSError, TimeoutError) as error:
            raise self._failed(item.user_id, error) from error
        return int(data["id"])


def delivery_error(error: BaseException) -> DeliveryError:
    """Map a discord.py or network error onto the delivery domain's errors."""
    if isinstance(error, discord.HTTPException):
        if error.code == CANNOT_DM_USER:
            return DmsClosedError()
        if error.code == UNKNOWN_CHANNEL:
            return ChannelGoneError()
        if error.code == OPENING_DMS_TOO_FAST:
            return RateLimitedError(_retry_after(error, default=5.0))
        if error.status == 429:
            retry_after = _retry_after(error)
            return RateLimitedError(retry_after, is_global=_is_global(error))
        if error.status >= 500:
            return TransientDeliveryError(f"HTTP {error.status}")
        return PermanentDeliveryError(error.status, error.code or None)
    if isinstance(error, (aiohttp.ClientError, OSError, asyncio.TimeoutError)):
        return TransientDeliveryError(type(error).__name__)
    return PermanentDeliveryError(None, None)


def _retry_after(error: discord.HTTPException, default: float = 1.0) -> float:
    header = error.response.headers.get("Retry-After") if error.response is not None else None
    try:
        return float(header) if header else default
    except ValueError:
        return default


def _is_global(error: discord.HTTPException) -> bool:
    if error.response is None:
        return False
    return error.response.headers.get("X-RateLimit-Global", "").lower() == "true"
