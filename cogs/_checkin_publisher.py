"""The check-in `Publisher` over discord.py: the opening post and the summary in the channel.

Pages from `bot.checkins.render` become one embed per message (Discord's 6000-character
limit counts every embed of a message together). Nothing posted here can ping anyone.
"""

from __future__ import annotations

import io
from collections.abc import Callable

import discord

from bot.checkins.render import Page, RenderedSummary, round_open_page
from bot.checkins.store import Round
from bot.checkins.summary import CheckinSummary

EMBED_COLOUR = discord.Colour(0x5B8DEF)
NO_PINGS = discord.AllowedMentions.none()

RoundView = Callable[[Round], discord.ui.View]


def page_embed(page: Page) -> discord.Embed:
    """One rendered page as an embed."""
    embed = discord.Embed(title=page.title, description=page.description, colour=EMBED_COLOUR)
    for field in page.fields:
        embed.add_field(name=field.name, value=field.value, inline=field.inline)
    if page.footer:
        embed.set_footer(text=page.footer)
    return embed


def text_file(name: str, text: str) -> discord.File:
    """A UTF-8 text attachment."""
    return discord.File(io.BytesIO(text.encode("utf-8")), filename=name)


class DiscordCheckinPublisher:
    """`bot.checkins.rounds.Publisher` for a discord.py client.

    `round_view` builds the opening post's buttons (the cog owns them, so that the same
    persistent items answer after a restart).
    """

    def __init__(self, client: discord.Client, round_view: RoundView) -> None:
        self._client = client
        self._round_view = round_view

    async def _channel(self, channel_id: int) -> discord.abc.Messageable:
        channel = self._client.get_channel(channel_id)
        if channel is None:
            channel = await self._client.fetch_channel(channel_id)
        if not isinstance(channel, discord.abc.Messageable):
            raise TypeError(f"channel {channel_id} cannot hold messages")
        return channel

    async def post_round_open(self, checkin: Round) -> int:
        """Post the round's embed with its answer and DM opt-in buttons."""
        channel = await self._channel(checkin.channel_id)
        message = await channel.send(
            embed=page_embed(round_open_page(checkin)),
            view=self._round_view(checkin),
            allowed_mentions=NO_PINGS,
        )
        return message.id

    async def post_summary(
        self, checkin: Round, summary: CheckinSummary, rendered: RenderedSummary
    ) -> int:
        """Post each page as its own message; the notes file (if any) goes with the first."""
        channel = await self._channel(checkin.channel_id)
        first_id: int | None = None
        for index, page in enumerate(rendered.pages):
            files: list[discord.File] = []
            if index == 0 and rendered.attachment_name and rendered.attachment_text is not None:
                files.append(text_file(rendered.attachment_name, rendered.attachment_text))
            message = await channel.send(
                embed=page_embed(page), files=files, allowed_mentions=NO_PINGS
            )
            if first_id is None:
                first_id = message.id
        if first_id is None:  # pragma: no cover - render_summary always yields a first page
            raise ValueError("a summary has at least one page")
        return first_id
