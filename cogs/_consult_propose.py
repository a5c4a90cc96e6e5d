"""Proposing a consultation: read the options, echo the times, post the poll on Confirm.

The echo shows each parsed time as a Discord timestamp, marks those outside the
proposer's own working hours (and local times moved by a clock change), and flags a
title or place that looks like it identifies a client. The proposal waits in memory
for Confirm or Cancel (an hour at most; after a restart the proposer proposes again).
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any, Final

import discord

from bot.app import replies
from bot.checkins.render import discord_time
from bot.confidentiality import flag_identifiers
from bot.consult import store, times
from bot.consult.store import Location, PollDraft
from bot.consult.times import Candidate
from bot.errors import UserError
from bot.groups import Group
from bot.ids import ID_DIGITS, parse_id
from bot.text import plain
from bot.wording import echo, plural
from cogs._checkin_context import reporting
from cogs._consult_context import ConsultContext, Proposal, context_of
from cogs._consult_poll import NO_PINGS, poll_buttons, poll_embed, where_text

EXPIRED: Final = (
    "This proposal has expired (after an hour, or because I restarted). Run /consult propose again."
)
ADJUSTED: Final = {
    "gap": "this local time does not exist (clocks go forward): moved to the next valid minute",
    "overlap": "this local time happens twice (clocks go back): the first one",
}


def read_location(
    place: str | None, voice_channel_id: int | None, settings: store.ConsultSettings
) -> Location:
    """Where: a typed place, else a voice channel chosen now, else the group's voice channel."""
    if place is not None and place.strip():
        return store.check_location(Location("external", place))
    channel = voice_channel_id or (
        settings.voice_channel_id if settings.location_kind == "voice" else None
    )
    if channel is None:
        raise UserError(
            "Say where: type a place (a room or a video link), or pick a voice channel."
        )
    return Location("voice", None, channel)


def _flags(label: str, text: str | None) -> list[str]:
    found = flag_identifiers(text or "")
    return [f"{label}: {flag.reason}: “{plain(flag.text)}”" for flag in found[:3]]


async def propose(
    context: ConsultContext,
    interaction: discord.Interaction[Any],
    group: Group,
    *,
    title: str,
    candidate_times: str,
    duration: int,
    deadline: str | None,
    presenter: bool,
    place: str | None,
    voice_channel_id: int | None,
    note: str | None = None,
) -> None:
    """Check everything, then echo it back with Confirm and Cancel (nothing is posted yet).

    `note` is a first line for the echo (from a check-in summary: who shared their name).
    """
    if interaction.channel_id is None:
        raise UserError("Use /consult propose in the group's channel.")
    now = context.now()
    zone, hours = await context.zone_and_hours(group, interaction.user.id)
    clean_title = store.check_title(title)
    store.check_duration(duration)
    settings = await store.get_settings(context.bot.db, group.id)
    location = read_location(place, voice_channel_id, settings)
    candidates = times.parse_candidates(candidate_times, zone=zone, hours=hours, now=now)
    deadline_at: datetime | None = None
    if deadline is not None and deadline.strip():
        deadline_at = times.parse_one(deadline, zone=zone, hours=hours, now=now).start
        store.check_deadline(deadline_at, candidates[0].start, now)
    draft = PollDraft(
        group_id=group.id,
        organiser_user_id=interaction.user.id,
        channel_id=interaction.channel_id,
        title=clean_title,
        duration_minutes=duration,
        starts=[c.start for c in candidates],
        needs_presenter=presenter,
        location=location,
        deadline_at=deadline_at,
    )
    context.proposals.add(interaction.id, Proposal(draft, tuple(candidates), now))
    text = echo_text(draft, candidates, now)
    await replies.respond(
        interaction, f"{note}\n\n{text}" if note else text, view=confirm_view(interaction.id)
    )


def echo_text(draft: PollDraft, candidates: list[Candidate], now: datetime) -> str:
    """What the proposer checks before the poll is posted."""
    deadline = draft.deadline_at or store.default_deadline(candidates[0].start, now)
    lines = [
        f"**{plain(draft.title)}**, {plural(draft.duration_minutes, 'minute')}, "
        f"where: {where_text(draft.location)}"
        + (", a case presenter is needed" if draft.needs_presenter else ""),
        f"Voting closes {discord_time(deadline)}.",
        "",
        "Candidate times (each shows in the reader's own zone):",
    ]
    for index, candidate in enumerate(candidates, start=1):
        notes = []
        if candidate.outside_hours:
            notes.append("outside your working hours")
        if candidate.adjustment is not None:
            notes.append(ADJUSTED[candidate.adjustment])
        marker = f" ({'; '.join(notes)})" if notes else ""
        lines.append(
            f"{index}. {discord_time(candidate.start)} ← '{echo(candidate.typed)}'{marker}"
        )
    flags = _flags("Title", draft.title) + _flags("Place", draft.location.text)
    if flags:
        lines += [
            "",
            "This may identify a client (" + "; ".join(flags) + "). Cancel and propose "
            "again without it, or confirm that it identifies no one.",
        ]
    lines += ["", "Post this poll in the channel?"]
    return "\n".join(lines)


class ProposalButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=rf"consult:propose:(?P<choice>post|drop):(?P<proposal>{ID_DIGITS})",
):
    """Confirm (post the poll) or Cancel under the echo of a proposal."""

    def __init__(self, proposal_id: int, *, post: bool) -> None:
        super().__init__(
            discord.ui.Button(
                label="Confirm and post the poll" if post else "Cancel",
                style=discord.ButtonStyle.primary if post else discord.ButtonStyle.secondary,
                custom_id=f"consult:propose:{'post' if post else 'drop'}:{proposal_id}",
            )
        )
        self.proposal_id = proposal_id
        self.post = post

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction[Any],
        item: discord.ui.Item[Any],
        match: re.Match[str],
        /,
    ) -> ProposalButton:
        """Rebuild the button from its custom_id (0 names nothing)."""
        return cls(parse_id(match["proposal"]) or 0, post=match["choice"] == "post")

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        """Post the poll, or drop the proposal."""
        async with reporting(interaction):
            context = context_of(interaction)
            proposal = context.proposals.get(self.proposal_id, context.now())
            if proposal is None:
                raise UserError(EXPIRED)
            if proposal.draft.organiser_user_id != interaction.user.id:
                raise UserError("Only the member who proposed this can confirm it.")
            if not self.post:
                context.proposals.drop(self.proposal_id)
                await replies.respond(interaction, "Cancelled: nothing was posted.", edit=True)
                return
            message_id = await post_poll(context, proposal.draft, str(self.proposal_id))
            context.proposals.drop(self.proposal_id)
            await replies.respond(
                interaction,
                f"Posted in <#{proposal.draft.channel_id}>: "
                f"https://discord.com/channels/{interaction.guild_id}/"
                f"{proposal.draft.channel_id}/{message_id}",
                edit=True,
            )


async def post_poll(context: ConsultContext, draft: PollDraft, origin: str) -> int:
    """Save the poll (once per origin) and post it (once); the post's message id."""
    poll = await store.create_poll(context.bot.db, draft, origin=origin, now=context.now())
    if poll.message_id is not None:
        return poll.message_id
    group = await context.group_by_id(poll.group_id)
    view = await store.poll_view(context.bot.db, poll.id)
    channel = context.bot.get_partial_messageable(poll.channel_id)
    try:
        message = await channel.send(
            embed=await poll_embed(context, view, group),
            view=poll_buttons(poll) or discord.utils.MISSING,
            allowed_mentions=NO_PINGS,
        )
    except discord.Forbidden:
        await store.cancel_poll(
            context.bot.db, poll.id, store.Actor(draft.organiser_user_id), context.now()
        )
        raise UserError(
            "I can't post in this channel: give me View Channel, Send Messages and Embed "
            "Links here, then propose again."
        ) from None
    await store.set_poll_message(context.bot.db, poll.id, message.id)
    return message.id


def confirm_view(proposal_id: int) -> discord.ui.View:
    """Confirm and Cancel under the echo."""
    view = discord.ui.View(timeout=None)
    view.add_item(ProposalButton(proposal_id, post=True))
    view.add_item(ProposalButton(proposal_id, post=False))
    return view
