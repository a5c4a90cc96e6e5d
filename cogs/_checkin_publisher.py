"""The check-in `Publisher` over discord.py: the opening post and the summary in the channel.

Pages from `bot.checkins.render` become one embed per message (Discord's 6000-character
limit counts every embed of a message together). Nothing posted here can ping anyone.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence

import discord

from bot.checkins.render import Page, RenderedSummary, round_open_page
from bot.checkins.store import Round
from bot.checkins.summary import CheckinSummary
from bot.moderation import is_moderator
from bot.posting import CannotPostError

EMBED_COLOUR = discord.Colour(0x5B8DEF)
NO_PINGS = discord.AllowedMentions.none()

RoundView = Callable[[Round], discord.ui.View]
SummaryView = Callable[[Round, CheckinSummary], discord.ui.View | None]


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
    persistent items answer after a restart); `summary_view` the summary's, if any.
    """

    def __init__(
        self,
        client: discord.Client,
        round_view: RoundView,
        summary_view: SummaryView | None = None,
    ) -> None:
        self._client = client
        self._round_view = round_view
        self._summary_view = summary_view

    async def _channel(self, channel_id: int) -> discord.abc.Messageable:
        # No check against the cached permissions: Discord's answer is the truth, and a
        # cache that missed the permission coming back would stop recovery for good.
        try:
            channel = self._client.get_channel(channel_id)
            if channel is None:
                channel = await self._client.fetch_channel(channel_id)
        except (discord.Forbidden, discord.NotFound) as error:
            raise _refused(channel_id, error) from None
        if not isinstance(channel, discord.abc.Messageable):
            raise TypeError(f"channel {channel_id} cannot hold messages")
        return channel

    async def _send(
        self, channel: discord.abc.Messageable, channel_id: int, **kwargs: object
    ) -> int:
        try:
            message = await channel.send(**kwargs)  # type: ignore[call-overload]
        except (discord.Forbidden, discord.NotFound) as error:
            raise _refused(channel_id, error) from None
        return int(message.id)

    async def post_round_open(self, checkin: Round) -> int:
        """Post the round's embed with its answer and DM opt-in buttons."""
        channel = await self._channel(checkin.channel_id)
        return await self._send(
            channel,
            checkin.channel_id,
            embed=page_embed(round_open_page(checkin)),
            view=self._round_view(checkin),
            allowed_mentions=NO_PINGS,
        )

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
            view = self._summary_view(checkin, summary) if self._summary_view else None
            extra: dict[str, object] = {"view": view} if index == 0 and view else {}
            message_id = await self._send(
                channel,
                checkin.channel_id,
                embed=page_embed(page),
                files=files,
                allowed_mentions=NO_PINGS,
                **extra,
            )
            if first_id is None:
                first_id = message_id
        if first_id is None:  # pragma: no cover - render_summary always yields a first page
            raise ValueError("a summary has at least one page")
        return first_id

    async def moderators_among(
        self, channel_id: int, moderator_role_id: int | None, user_ids: Sequence[int]
    ) -> list[int]:
        """Of `user_ids`, members with Manage Server (or Administrator) or the moderator role.

        Without the privileged members intent the bot caches no members: it asks Discord
        for each one (a group has 5 to 30 members, and this runs once per lost permission).
        """
        channel = self._client.get_channel(channel_id)
        if not isinstance(channel, discord.abc.GuildChannel):
            return []
        guild = channel.guild
        found = []
        for user_id in user_ids:
            member = guild.get_member(user_id)
            if member is None:
                try:
                    member = await guild.fetch_member(user_id)
                except discord.NotFound:
                    continue  # left the server
            roles = [role.id for role in member.roles]
            if is_moderator(member.guild_permissions.value, roles, moderator_role_id):
                found.append(user_id)
        return found


def _refused(channel_id: int, error: discord.HTTPException) -> CannotPostError:
    return CannotPostError(channel_id, f"{error.status}/{error.code}")
