"""Booked consultations on Discord: the scheduled event, the announcement and its buttons.

`sync_discord` brings Discord up to date with the store (`store.sessions_to_sync`,
`store.polls_to_refresh`): it creates, edits or cancels each session's Guild Scheduled
Event (voice: the channel; external: the place and an end time, as Discord requires)
and posts or redraws its announcement (RSVP buttons going · maybe · can't, and "Add to
calendar", which answers with the `.ics` file ephemerally). It runs after every tick
and right after a change made by a button or command.
"""

from __future__ import annotations

import io
import logging
import re
from datetime import datetime
from typing import Any, Final, cast

import discord

from bot.app import replies
from bot.checkins.render import discord_time
from bot.consult import calendar, presenters, store
from bot.consult.store import RSVPS, Rsvp, Session
from bot.errors import UserError
from bot.groups import Group
from bot.ids import ID_DIGITS, parse_id
from bot.text import plain
from bot.wording import plural
from cogs._checkin_context import reporting
from cogs._common import EMBED_COLOUR
from cogs._consult_context import ConsultContext, context_of
from cogs._consult_poll import NO_PINGS, draw_poll, where_text

log = logging.getLogger(__name__)

MAX_EVENT_NAME: Final = 100
RSVP_LABELS: Final[dict[Rsvp, str]] = {"going": "Going", "maybe": "Maybe", "cant": "Can't"}
CALENDAR_LABEL: Final = "Add to calendar"
EVENT_DESCRIPTION: Final = (
    "A peer consultation booked with peerpulse. Answer going, maybe or can't under the "
    "announcement in the group's channel to get reminders."
)


# --- the announcement -------------------------------------------------------------


async def announcement(
    context: ConsultContext, session: Session, group: Group
) -> tuple[discord.Embed, discord.ui.View]:
    """The announcement's embed and buttons for the session as stored now."""
    db = context.bot.db
    lines = [
        f"When: {discord_time(session.start)} ({discord_time(session.start, 'R')}), "
        f"{plural(int((session.end - session.start).total_seconds() // 60), 'minute')}",
        f"Where: {where_text(session.location)}",
    ]
    if session.needs_presenter:
        presenter = await presenters.presenter_of(db, session.id)
        if presenter is not None:
            name = (await context.names(group.guild_id, [presenter]))[presenter]
            lines.append(f"Case presenter: {name}")
        else:
            lines.append(
                "Case presenter: not confirmed yet (asked from the presenter queue by DM; "
                "a moderator can name one)"
            )
    counts = await store.rsvp_counts(db, session.id)
    lines.append(" · ".join(f"{RSVP_LABELS[a]} {counts[a]}" for a in RSVPS))
    if session.discord_event_id is not None:
        lines.append(f"Event: {calendar.event_url(group.guild_id, session.discord_event_id)}")
    cancelled = session.status == "cancelled"
    if cancelled:
        lines.insert(0, "This consultation was cancelled.")
    else:
        lines.append("Going or maybe gets you reminders before it starts (switch them in /me).")
    embed = discord.Embed(
        title=f"{'Cancelled: ' if cancelled else 'Consultation: '}{plain(session.title)}",
        description="\n".join(lines),
        colour=EMBED_COLOUR,
    )
    view = discord.ui.View(timeout=None)
    if not cancelled:
        for answer in RSVPS:
            view.add_item(RsvpButton(session.id, answer))
    view.add_item(CalendarButton(session.id))
    return embed, view


async def draw_announcement(context: ConsultContext, session: Session, group: Group) -> int:
    """Post the announcement, or redraw it in place; its message id."""
    embed, view = await announcement(context, session, group)
    channel = context.bot.get_partial_messageable(session.channel_id)
    if session.announcement_message_id is not None:
        try:
            await channel.get_partial_message(session.announcement_message_id).edit(
                embed=embed, view=view, allowed_mentions=NO_PINGS
            )
        except discord.NotFound:  # deleted by someone: post it again
            pass
        else:
            return session.announcement_message_id
    message = await channel.send(embed=embed, view=view, allowed_mentions=NO_PINGS)
    return message.id


# --- the scheduled event ------------------------------------------------------------


def _event_fields(session: Session) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "name": session.title[:MAX_EVENT_NAME],
        "start_time": session.start,
        "description": EVENT_DESCRIPTION,
        "privacy_level": discord.PrivacyLevel.guild_only,
    }
    if session.location.kind == "voice" and session.location.voice_channel_id:
        fields["entity_type"] = discord.EntityType.voice
        fields["channel"] = discord.Object(
            session.location.voice_channel_id, type=discord.VoiceChannel
        )
        fields["end_time"] = session.end
    else:
        fields["entity_type"] = discord.EntityType.external
        fields["location"] = (session.location.text or "To be announced")[:100]
        fields["end_time"] = session.end
    return fields


async def sync_event(context: ConsultContext, session: Session, guild: discord.Guild) -> int | None:
    """Create, move or cancel the session's scheduled event; its id (None: none exists)."""
    now = context.now()
    if session.discord_event_id is None:
        if session.status == "cancelled" or session.start <= now:
            return None  # Discord refuses a start in the past; a cancelled one needs none
        event = await guild.create_scheduled_event(**_event_fields(session))
        return event.id
    try:
        event = await guild.fetch_scheduled_event(session.discord_event_id)
    except discord.NotFound:
        return session.discord_event_id  # deleted by someone on Discord: leave it so
    if event.status is not discord.EventStatus.scheduled:
        return event.id  # started or finished: Discord allows no change any more
    if session.status == "cancelled":
        await event.cancel()
    elif session.start > now:
        fields = _event_fields(session)
        fields.pop("privacy_level")
        await event.edit(**fields)
    return event.id


async def sync_session(context: ConsultContext, session: Session) -> None:
    """Bring one session's event and announcement up to date, then mark it synced.

    When Discord refuses the event (permissions), the announcement is still posted and
    the event is tried again on the next tick, until the session starts.
    """
    group = await context.group_by_id(session.group_id)
    guild = context.bot.get_guild(group.guild_id)
    event_id = session.discord_event_id
    synced = session.sequence
    if guild is not None:
        try:
            event_id = await sync_event(context, session, guild)
        except discord.Forbidden as error:
            log.warning(
                "no permission for the scheduled event of session %s (%s)", session.id, error.code
            )
            context.event_refused.add(session.id)
            synced -= 1  # not yet: the event is tried again on the next tick
    shown = await store.get_session(context.bot.db, session.id) or session
    shown = _with_event(shown, event_id)
    message_id = await draw_announcement(context, shown, group)
    await store.mark_synced(
        context.bot.db,
        session.id,
        synced,
        discord_event_id=event_id,
        announcement_message_id=message_id,
    )


def _with_event(session: Session, event_id: int | None) -> Session:
    from dataclasses import replace  # noqa: PLC0415 - one use

    return replace(session, discord_event_id=event_id)


async def run_events(context: ConsultContext, since: datetime, now: datetime) -> int:
    """Start each session's event when it starts and end it when it ends; how many changed."""
    changed = 0
    for session in await store.sessions_starting_or_ending(context.bot.db, since, now):
        group = await context.group_by_id(session.group_id)
        guild = context.bot.get_guild(group.guild_id)
        if guild is None or session.discord_event_id is None or session.start > now:
            continue
        try:
            event = await guild.fetch_scheduled_event(session.discord_event_id)
            if event.status is discord.EventStatus.scheduled:
                event = await event.start()
                changed += 1
            if session.end <= now and event.status is discord.EventStatus.active:
                await event.end()
                changed += 1
        except discord.NotFound:
            continue  # deleted on Discord
        except discord.HTTPException as error:
            log.warning(
                "could not start or end the event of session %s (HTTP %s/%s)",
                session.id,
                error.status,
                error.code,
            )
    return changed


async def sync_discord(context: ConsultContext) -> int:
    """Sync changed sessions, then redraw changed poll posts; how many were brought up to date.

    Sessions first: a new event and its announcement need not wait behind poll edits,
    which Discord rate-limits per channel.
    """
    db = context.bot.db
    done = 0
    for session in await store.sessions_to_sync(db):
        try:
            await sync_session(context, session)
        except discord.HTTPException as error:  # tried again on the next tick
            log.warning(
                "could not sync session %s (HTTP %s/%s)", session.id, error.status, error.code
            )
            continue
        done += 1
    for poll in await store.polls_to_refresh(db):
        try:
            await draw_poll(context, poll.id)
        except discord.NotFound:
            log.info("poll %s: its post was deleted, nothing to redraw", poll.id)
        except discord.HTTPException as error:  # tried again on the next tick
            log.warning("could not redraw poll %s (HTTP %s/%s)", poll.id, error.status, error.code)
            continue
        await store.mark_post_refreshed(db, poll.id, poll.post_version)
        done += 1
    await context.redraws_done()
    return done


# --- buttons ------------------------------------------------------------------------


async def _session_here(
    context: ConsultContext, interaction: discord.Interaction[Any], session_id: int
) -> tuple[Session, Group]:
    session = await store.get_session(context.bot.db, session_id) if session_id else None
    if session is None:
        raise UserError("That consultation no longer exists.")
    group = await context.group_by_id(session.group_id)
    if interaction.guild_id is not None and interaction.guild_id != group.guild_id:
        raise UserError("This consultation belongs to another group.")
    return session, group


class RsvpButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=rf"consult:rsvp:(?P<session>{ID_DIGITS}):(?P<answer>going|maybe|cant)",
):
    """Going · Maybe · Can't under an announcement."""

    def __init__(self, session_id: int, answer: Rsvp) -> None:
        super().__init__(
            discord.ui.Button(
                label=RSVP_LABELS[answer],
                style=(
                    discord.ButtonStyle.success
                    if answer == "going"
                    else discord.ButtonStyle.secondary
                ),
                custom_id=f"consult:rsvp:{session_id}:{answer}",
            )
        )
        self.session_id = session_id
        self.answer = answer

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction[Any],
        item: discord.ui.Item[Any],
        match: re.Match[str],
        /,
    ) -> RsvpButton:
        """Rebuild the button from its custom_id (0 names nothing)."""
        return cls(parse_id(match["session"]) or 0, cast(Rsvp, match["answer"]))

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        """Save the answer, redraw the counts, confirm."""
        async with reporting(interaction):
            context = context_of(interaction)
            session, _ = await _session_here(context, interaction, self.session_id)
            if interaction.guild_id is None:
                raise UserError("Answer under the announcement in the group's channel.")
            await store.set_rsvp(
                context.bot.db, session.id, interaction.user.id, self.answer, context.now()
            )
            reminders = (
                " You'll get reminders before it starts (switch them in /me)."
                if self.answer != "cant"
                else ""
            )
            await replies.respond(
                interaction,
                f"Saved: {RSVP_LABELS[self.answer].lower()}.{reminders} "
                "You can change it with the buttons until it starts.",
            )
            context.redraw_announcement(session.id)  # soon: edits are rate-limited


class CalendarButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=rf"consult:ics:(?P<session>{ID_DIGITS})",
):
    """Answers with the session's `.ics` file, ephemerally."""

    def __init__(self, session_id: int) -> None:
        super().__init__(
            discord.ui.Button(
                label=CALENDAR_LABEL,
                style=discord.ButtonStyle.secondary,
                custom_id=f"consult:ics:{session_id}",
            )
        )
        self.session_id = session_id

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction[Any],
        item: discord.ui.Item[Any],
        match: re.Match[str],
        /,
    ) -> CalendarButton:
        """Rebuild the button from its custom_id (0 names nothing)."""
        return cls(parse_id(match["session"]) or 0)

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        """The file, built from the session as stored now."""
        async with reporting(interaction):
            context = context_of(interaction)
            session, group = await _session_here(context, interaction, self.session_id)
            data = calendar.ics_bytes(
                calendar.entry_for(session, group.guild_id), now=context.now()
            )
            status = (
                "It is marked cancelled, so your calendar app removes it."
                if session.status == "cancelled"
                else "Open it to add the consultation to your calendar."
            )
            await replies.respond(
                interaction,
                f"{plain(session.title)}, {discord_time(session.start)}. {status}",
                file=discord.File(io.BytesIO(data), filename=calendar.FILENAME),
            )


DYNAMIC_ITEMS = (RsvpButton, CalendarButton)
