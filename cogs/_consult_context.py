"""What consultation commands, buttons and forms need at hand: the bot, and who is asking.

Also the group's roster for "everyone has answered" and the poll's away line: the bot
asks for no privileged intent, so it cannot list a server's members; the roster is the
members who chose DMs of any kind in the group (those the bot can reach at all).
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Collection, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Final
from zoneinfo import ZoneInfo

import discord
from discord.ext import commands

from bot.app.client import PeerPulseBot
from bot.consult.store import Actor, PollDraft
from bot.consult.times import Candidate
from bot.errors import NotPermittedError, UserError
from bot.groups import Group, group_by_id
from bot.members.hours import WorkingHours
from bot.members.preferences import DM_KINDS, get_preferences, members_opted_in
from bot.moderation import is_moderator, refusal
from bot.text import plain
from cogs._checkin_context import LiveForms
from cogs._common import group_here, role_ids

log = logging.getLogger(__name__)

COG_NAME = "Consult"
Post = tuple[str, int]  # ("poll", poll id) or ("session", session id)
MAX_NAMES: Final = 10_000
DRAFT_LIFETIME: Final = timedelta(hours=1)
MAX_DRAFTS: Final = 1000
GONE_MEMBER = "a former member"


class OptedInRoster:
    """`bot.consult.steps.Roster`: members who chose DMs of any kind in the group."""

    def __init__(self, bot: PeerPulseBot) -> None:
        self.bot = bot

    async def members(self, group_id: int) -> Collection[int]:
        """User ids, ascending."""
        found: set[int] = set()
        for kind in DM_KINDS:
            found.update(await members_opted_in(self.bot.db, group_id, kind))
        return sorted(found)


@dataclass(frozen=True)
class Proposal:
    """A proposal waiting for Confirm: what the poll will be, and who proposed it."""

    draft: PollDraft
    candidates: tuple[Candidate, ...]
    made_at: datetime


class Proposals:
    """Proposals awaiting Confirm, by the id of the /consult propose interaction."""

    def __init__(self, limit: int = MAX_DRAFTS) -> None:
        self._by_id: OrderedDict[int, Proposal] = OrderedDict()
        self._limit = limit

    def add(self, proposal_id: int, proposal: Proposal) -> None:
        """Keep a proposal (the oldest go first beyond the limit)."""
        self._by_id[proposal_id] = proposal
        while len(self._by_id) > self._limit:
            self._by_id.popitem(last=False)

    def get(self, proposal_id: int, now: datetime) -> Proposal | None:
        """The proposal, unless it is gone or too old."""
        proposal = self._by_id.get(proposal_id)
        if proposal is None or now - proposal.made_at > DRAFT_LIFETIME:
            return None
        return proposal

    def drop(self, proposal_id: int) -> None:
        """Forget a proposal."""
        self._by_id.pop(proposal_id, None)


@dataclass
class ConsultContext:
    """The running bot, the consultation forms it holds open and the proposals awaiting OK."""

    bot: PeerPulseBot
    live_forms: LiveForms = field(default_factory=LiveForms)
    proposals: Proposals = field(default_factory=Proposals)
    roster: OptedInRoster = field(init=False)
    # Brings Discord up to date with the store (events, announcements, poll posts); the
    # cog sets it. One at a time, so a button and the due step never create one event twice.
    syncer: Callable[[], Awaitable[int]] | None = None
    sync_lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    # Posts to redraw (a poll, or a session's announcement), one redraw at a time per
    # post: changes that arrive meanwhile are shown by the next one (Discord allows 5
    # edits per 5 s in a channel). The cog sets the drawer.
    drawer: Callable[[Post], Awaitable[None]] | None = None
    _redraws: dict[Post, asyncio.Task[None]] = field(default_factory=dict)
    _again: set[Post] = field(default_factory=set)
    _names: OrderedDict[tuple[int, int], str] = field(default_factory=OrderedDict)
    # Sessions whose Discord event Discord refused to create (missing permissions), so the
    # person who booked it can be told what to grant.
    event_refused: set[int] = field(default_factory=set)

    def __post_init__(self) -> None:
        self.roster = OptedInRoster(self.bot)

    async def sync(self) -> int:
        """Bring Discord up to date with the store now; how many things changed."""
        if self.syncer is None:
            return 0
        async with self.sync_lock:
            return await self.syncer()

    def redraw_poll(self, poll_id: int) -> None:
        """Redraw the poll post soon, without waiting for it."""
        self._redraw_soon(("poll", poll_id))

    def redraw_announcement(self, session_id: int) -> None:
        """Redraw the session's announcement soon, without waiting for it."""
        self._redraw_soon(("session", session_id))

    def _redraw_soon(self, post: Post) -> None:
        if self.drawer is None:
            return
        if post in self._redraws:
            self._again.add(post)
            return
        self._redraws[post] = asyncio.create_task(
            self._redraw(post), name=f"consult-{post[0]}-{post[1]}"
        )

    async def _redraw(self, post: Post) -> None:
        try:
            while True:
                self._again.discard(post)
                if self.drawer is not None:
                    try:
                        await self.drawer(post)
                    except discord.HTTPException as error:
                        log.warning(
                            "could not redraw consultation %s %s (HTTP %s/%s)",
                            *post,
                            error.status,
                            error.code,
                        )
                    except Exception:
                        log.exception("could not redraw consultation %s %s", *post)
                if post not in self._again:
                    return
        finally:
            self._redraws.pop(post, None)

    async def redraws_done(self) -> None:
        """Wait for the redraws under way (the due step does, so a tick ends drawn)."""
        while self._redraws:
            await asyncio.gather(*self._redraws.values(), return_exceptions=True)

    def now(self) -> datetime:
        """The clock's instant."""
        return self.bot.clock.now()

    async def group(self, interaction: discord.Interaction[Any]) -> Group:
        """The group of the channel the interaction came from."""
        return await group_here(self.bot, interaction)

    async def group_by_id(self, group_id: int) -> Group:
        """A group by id, or a sentence saying it is gone."""
        group = await group_by_id(self.bot.db, group_id)
        if group is None:
            raise UserError("That group no longer exists.")
        return group

    def actor(self, interaction: discord.Interaction[Any], group: Group) -> Actor:
        """Who is acting, and whether they moderate `group` (as seen in the server)."""
        moderator = interaction.guild_id == group.guild_id and is_moderator(
            interaction.permissions.value, role_ids(interaction.user), group.moderator_role_id
        )
        return Actor(interaction.user.id, moderator)

    def require_moderator(self, interaction: discord.Interaction[Any], group: Group) -> Actor:
        """The acting moderator, or the refusal saying who may."""
        actor = self.actor(interaction, group)
        if not actor.is_moderator:
            raise NotPermittedError(refusal(group.moderator_role_id))
        return actor

    async def zone_and_hours(self, group: Group, user_id: int) -> tuple[ZoneInfo, WorkingHours]:
        """A member's zone (theirs or the group's) and working hours."""
        prefs = await get_preferences(self.bot.db, group.id, user_id)
        return prefs.zone(group.timezone), prefs.hours

    def remember(self, interaction: discord.Interaction[Any]) -> None:
        """Note the display name of whoever interacts (it costs no request)."""
        if interaction.guild_id is not None and isinstance(interaction.user, discord.Member):
            self._remember(interaction.guild_id, interaction.user.id, interaction.user.display_name)

    def _remember(self, guild_id: int, user_id: int, name: str) -> None:
        self._names[guild_id, user_id] = plain(name)
        self._names.move_to_end((guild_id, user_id))
        while len(self._names) > MAX_NAMES:
            self._names.popitem(last=False)

    async def names(self, guild_id: int, user_ids: Iterable[int]) -> dict[int, str]:
        """Display names as plain text (never a mention), by user id.

        Without the members intent nothing caches members: names are kept here, learnt
        from interactions or fetched once, so redrawing a poll costs no member lookups.
        """
        guild = self.bot.get_guild(guild_id)
        found: dict[int, str] = {}
        for user_id in user_ids:
            if user_id in found:
                continue
            known = self._names.get((guild_id, user_id))
            if known is None:
                member = guild.get_member(user_id) if guild is not None else None
                if member is None and guild is not None:
                    try:
                        member = await guild.fetch_member(user_id)
                    except discord.HTTPException:
                        member = None
                if member is None:
                    found[user_id] = GONE_MEMBER
                    continue
                self._remember(guild_id, user_id, member.display_name)
                known = self._names[guild_id, user_id]
            found[user_id] = known
        return found

    async def away_members(self, group: Group, now: datetime) -> list[int]:
        """Members of the roster who are away now."""
        away = []
        for user_id in await self.roster.members(group.id):
            prefs = await get_preferences(self.bot.db, group.id, user_id)
            if prefs.is_away(prefs.zone(group.timezone), now):
                away.append(user_id)
        return away


def context_of(interaction: discord.Interaction[Any]) -> ConsultContext:
    """The consultation context of the bot that received `interaction` (the cog keeps it)."""
    client = interaction.client
    cog = client.get_cog(COG_NAME) if isinstance(client, commands.Bot) else None
    context = getattr(cog, "context", None)
    if not isinstance(context, ConsultContext):
        raise UserError("Consultations are not available right now. Please try again in a minute.")
    return context
