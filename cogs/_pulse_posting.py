"""The pulse's channel posts, as a due step: invitations, published results, dropped rounds.

The domain says what waits to be posted (`store.surveys_to_announce`, `results_to_post`,
`drops_to_announce`); this posts it in the group's channel and records the post, so each
goes out once. A refused post waits out the group's posting backoff (`bot.posting`) and is
tried again; nothing is lost meanwhile. Nothing posted here can ping anyone.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any, TypeVar

import discord

from bot import posting
from bot.groups import group_by_id
from bot.posting import CannotPostError
from bot.pulse import store
from bot.pulse.store import PublishedPoint, Survey
from cogs._common import EMBED_COLOUR
from cogs._pulse_context import PulseContext
from cogs._pulse_survey import take_view
from cogs._pulse_text import ResultView, drop_text, invitation_text, result_view

log = logging.getLogger(__name__)
NO_PINGS = discord.AllowedMentions.none()
T = TypeVar("T")


def result_embed(view: ResultView) -> discord.Embed:
    """The one embed of a published result (channel, /pulse results, /pulse group)."""
    embed = discord.Embed(title=view.title, description="\n".join(view.lines), colour=EMBED_COLOUR)
    embed.set_footer(text=view.footer)
    return embed


class PulsePoster:
    """Posts what waits, group by group, respecting each group's posting backoff."""

    def __init__(self, context: PulseContext) -> None:
        self.context = context

    async def post_due(self, now: datetime) -> int:
        """The due step: post every waiting invitation, result and drop notice."""
        db = self.context.bot.db
        posted = 0
        for survey in await store.surveys_to_announce(db):
            posted += await self._post(
                survey.group_id, survey.channel_id, now, self._invite, survey
            )
        for point in await store.results_to_post(db):
            group = await group_by_id(db, point.group_id)
            channel_id = group.home_channel_id if group else None
            posted += await self._post(point.group_id, channel_id, now, self._result, point)
        for dropped in await store.drops_to_announce(db):
            group = await group_by_id(db, dropped.group_id)
            channel_id = group.home_channel_id if group else dropped.channel_id
            posted += await self._post(dropped.group_id, channel_id, now, self._drop, dropped)
        return posted

    async def _post(
        self,
        group_id: int,
        channel_id: int | None,
        now: datetime,
        publish: Callable[[int, T], Awaitable[None]],
        subject: T,
    ) -> int:
        db = self.context.bot.db
        if channel_id is None or not await posting.may_post(db, group_id, now):
            return 0
        try:
            await publish(channel_id, subject)
        except CannotPostError as error:
            failure = await posting.failed(db, group_id, now, refused=True)
            if failure.newly_blocked:
                log.warning(
                    "group %d: Discord refuses pulse posts in channel %d (%s); they wait",
                    group_id,
                    error.channel_id,
                    error.reason,
                )
            return 0
        except Exception:
            failure = await posting.failed(db, group_id, now, refused=False)
            if failure.failures == 1:
                log.exception("a pulse post in group %d failed; trying again later", group_id)
            return 0
        if await posting.posted(db, group_id):
            log.info("group %d: posting in the channel works again", group_id)
        return 1

    async def _send(self, channel_id: int, **kwargs: Any) -> int:  # noqa: ANN401
        """Send in the channel; Discord's refusals become `CannotPostError`."""
        client = self.context.bot
        try:
            channel = client.get_channel(channel_id) or await client.fetch_channel(channel_id)
            if not isinstance(channel, discord.abc.Messageable):
                raise TypeError(f"channel {channel_id} cannot hold messages")
            message = await channel.send(allowed_mentions=NO_PINGS, **kwargs)
        except (discord.Forbidden, discord.NotFound) as error:
            raise CannotPostError(channel_id, f"{error.status}/{error.code}") from None
        return int(message.id)

    async def _invite(self, channel_id: int, survey: Survey) -> None:
        service = self.context.service
        instrument = service.instruments.get(survey.instrument_id)
        if instrument is None:
            raise LookupError(f"pulse instrument {survey.instrument_id} is not installed")
        settings = await service.settings(survey.group_id)
        embed = discord.Embed(
            title="Group pulse",
            description=invitation_text(survey, instrument, settings.k),
            colour=EMBED_COLOUR,
        )
        message_id = await self._send(channel_id, embed=embed, view=take_view(survey.id))
        await store.set_channel_message(self.context.bot.db, survey.id, message_id)

    async def _result(self, channel_id: int, point: PublishedPoint) -> None:
        instrument = self.context.service.instruments.get(point.instrument_id)
        embed = result_embed(result_view(point, instrument))
        message_id = await self._send(channel_id, embed=embed)
        await store.set_result_message(self.context.bot.db, point.id, message_id)

    async def _drop(self, channel_id: int, survey: Survey) -> None:
        settings = await self.context.service.settings(survey.group_id)
        await self._send(channel_id, content=drop_text(survey, settings.k))
        await store.mark_drop_announced(self.context.bot.db, survey.id)
