"""The availability poll post, its buttons, the availability form and finalizing.

One channel post per poll, edited in place after each change: every slot as a Discord
timestamp (each viewer sees their own time), counts, names unless the group turned
them off (plain text, never a ping), who is away. "Mark my availability" opens a form
of two checkbox groups in the member's own zone; "Finalize" books the best time (the
organiser or a moderator), or offers the tied times to pick from.
"""

from __future__ import annotations

import logging
import re
import secrets
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import discord

from bot.app import interaction_errors, replies
from bot.checkins.render import discord_time
from bot.consult import store
from bot.consult.store import Location, Poll, PollView, Slot
from bot.errors import UserError
from bot.groups import Group
from bot.ids import ID_DIGITS, parse_id
from bot.members.hours import WorkingHours, is_within
from bot.text import plain
from bot.wording import plural
from cogs._checkin_context import reporting
from cogs._common import EMBED_COLOUR
from cogs._consult_context import ConsultContext, context_of

log = logging.getLogger(__name__)

NO_PINGS = discord.AllowedMentions.none()
EVENT_PERMISSIONS = "Create Events (and Connect in a voice channel)"
MARK_LABEL = "Mark my availability"
FINALIZE_LABEL = "Finalize"
CANCEL_POLL_LABEL = "Cancel poll"
CONFIRM_CANCEL_LABEL = "Yes, cancel the poll"
MARK_PREFIX = "consult:mark:"
replies.opens_modal(MARK_PREFIX)  # a modal must be the first answer: never deferred
FORM_TIMEOUT = 30 * 60.0
FORM_ID = re.compile(rf"consult:avail:(?P<poll>{ID_DIGITS}):[0-9a-f]+")
WORKS, IF_NEED_BE = "works", "if_need_be"
NOT_ANONYMOUS = "This scheduling poll is not anonymous: everyone here sees who marked which time."
NAMES_HIDDEN = (
    "Names are hidden in this group, but the poll is not anonymous: who answered is stored."
)
STATUS_LINES = {
    "tie": "Tied: the organiser is picking one of the best times.",
    "closed": "Closed: nobody could make any of these times.",
    "cancelled": "Cancelled: no consultation is booked from this poll.",
}


def where_text(location: Location) -> str:
    """The place as shown: the voice channel, or the typed place as plain text."""
    if location.kind == "voice" and location.voice_channel_id:
        return f"<#{location.voice_channel_id}>"
    return plain(location.text or "to be announced")


def local_label(start: datetime, zone: ZoneInfo) -> str:
    """A slot as text in `zone` (modals show no Discord timestamps)."""
    local = start.astimezone(zone)
    return f"{local:%a %d %b %Y, %H:%M}"


async def poll_embed(context: ConsultContext, view: PollView, group: Group) -> discord.Embed:
    """The post: slots with counts (and names), place, deadline, status, away members."""
    poll = view.poll
    names: dict[int, str] = {}
    marked = {u for s in view.slots for u in (*s.works, *s.if_need_be)}
    away = await context.away_members(group, context.now()) if poll.status == "open" else []
    if view.show_names or away:
        names = await context.names(group.guild_id, sorted(marked | set(away)))
    lines = []
    if poll.organiser_user_id is not None:
        organiser = await context.names(group.guild_id, [poll.organiser_user_id])
        lines.append(f"Organised by {organiser[poll.organiser_user_id]}.")
    lines.append(
        f"{plural(poll.duration_minutes, 'minute')} · where: {where_text(poll.location)}"
        + (" · a case presenter is needed" if poll.needs_presenter else "")
    )
    if poll.status == "open":
        lines.append(
            f"Mark the times that work for you by {discord_time(poll.deadline_at)} "
            f"({discord_time(poll.deadline_at, 'R')}). Times show in your own time zone."
        )
    elif poll.status == "finalized":
        chosen = await store.finalized_slot(context.bot.db, poll.id)
        start = next((s.slot.start for s in view.slots if s.slot.id == chosen), None)
        lines.append(f"Closed: booked for {discord_time(start)}." if start else "Closed.")
    else:
        lines.append(STATUS_LINES.get(poll.status, "Closed."))
    lines.append("")
    for index, slot in enumerate(view.slots, start=1):
        lines.append(
            f"**{index}.** {discord_time(slot.slot.start)}: "
            f"works {len(slot.works)} · if need be {len(slot.if_need_be)}"
        )
        if view.show_names and (slot.works or slot.if_need_be):
            parts = []
            if slot.works:
                parts.append("works: " + ", ".join(names[u] for u in slot.works))
            if slot.if_need_be:
                parts.append("if need be: " + ", ".join(names[u] for u in slot.if_need_be))
            lines.append(f"  {' · '.join(parts)}")
    lines.append("")
    lines.append(f"{plural(view.answered, 'member')} answered.")
    if away:
        lines.append("Away: " + ", ".join(names[u] for u in away) + ".")
    lines.append(NOT_ANONYMOUS if view.show_names else NAMES_HIDDEN)
    return discord.Embed(
        title=f"Consultation poll: {plain(poll.title)}",
        description="\n".join(lines)[:4096],
        colour=EMBED_COLOUR,
    )


def poll_buttons(poll: Poll) -> discord.ui.View | None:
    """The open poll's two buttons; a closed poll has none."""
    if poll.status not in ("open", "tie"):
        return None
    view = discord.ui.View(timeout=None)
    if poll.status == "open":
        view.add_item(MarkButton(poll.id))
    view.add_item(FinalizeButton(poll.id))
    view.add_item(CancelPollButton(poll.id))
    return view


async def draw_poll(context: ConsultContext, poll_id: int) -> None:
    """Edit the poll post to show the poll as stored now (HTTPException if Discord refuses)."""
    view = await store.poll_view(context.bot.db, poll_id)
    poll = view.poll
    if poll.message_id is None:
        return
    group = await context.group_by_id(poll.group_id)
    channel = context.bot.get_partial_messageable(poll.channel_id)
    await channel.get_partial_message(poll.message_id).edit(
        embed=await poll_embed(context, view, group),
        view=poll_buttons(poll),
        allowed_mentions=NO_PINGS,
    )


# --- marking availability ---------------------------------------------------------


class MarkButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=rf"consult:mark:(?P<poll>{ID_DIGITS})",
):
    """Opens the availability form for the poll in its custom_id."""

    def __init__(self, poll_id: int) -> None:
        super().__init__(
            discord.ui.Button(
                label=MARK_LABEL,
                style=discord.ButtonStyle.primary,
                custom_id=f"{MARK_PREFIX}{poll_id}",
            )
        )
        self.poll_id = poll_id

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction[Any],
        item: discord.ui.Item[Any],
        match: re.Match[str],
        /,
    ) -> MarkButton:
        """Rebuild the button from its custom_id (0 names no poll)."""
        return cls(parse_id(match["poll"]) or 0)

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        """Show the form, prefilled with the member's marks."""
        async with reporting(interaction):
            context = context_of(interaction)
            poll = await _open_poll(context, interaction, self.poll_id)
            group = await context.group_by_id(poll.group_id)
            zone, hours = await context.zone_and_hours(group, interaction.user.id)
            slots = await store.poll_slots(context.bot.db, poll.id)
            marks = await store.member_marks(context.bot.db, poll.id, interaction.user.id)
            form = AvailabilityForm(context, poll, slots, marks, zone, hours)
            await interaction.response.send_modal(form)


async def _open_poll(
    context: ConsultContext, interaction: discord.Interaction[Any], poll_id: int
) -> Poll:
    """The poll if it is open and the member is in its server."""
    poll = await store.get_poll(context.bot.db, poll_id) if poll_id else None
    if poll is None:
        raise UserError("That poll no longer exists.")
    group = await context.group_by_id(poll.group_id)
    if interaction.guild_id != group.guild_id:
        raise UserError("This poll belongs to another group.")
    if poll.status != "open" or poll.deadline_at <= context.now():
        raise UserError("This poll is closed; marks can no longer change.")
    return poll


def _checkboxes(
    custom_id: str,
    slots: Sequence[Slot],
    ticked: set[int],
    zone: ZoneInfo,
    hours: WorkingHours,
) -> discord.ui.CheckboxGroup[Any]:
    return discord.ui.CheckboxGroup(
        custom_id=custom_id,
        required=False,
        min_values=0,
        max_values=len(slots),
        options=[
            discord.CheckboxGroupOption(
                label=local_label(slot.start, zone),
                value=str(slot.id),
                description=(
                    None if is_within(hours, zone, slot.start) else "Outside your working hours"
                ),
                default=slot.id in ticked,
            )
            for slot in slots
        ],
    )


class AvailabilityForm(discord.ui.Modal):
    """Two checkbox groups, "works for me" and "if need be", in the member's own zone."""

    def __init__(  # noqa: PLR0917 - what the form shows
        self,
        context: ConsultContext,
        poll: Poll,
        slots: Sequence[Slot],
        marks: Mapping[int, str],
        zone: ZoneInfo,
        hours: WorkingHours,
    ) -> None:
        # Modals are looked up by custom_id alone: make each one unique to its viewer.
        custom_id = f"consult:avail:{poll.id}:{secrets.token_hex(6)}"
        super().__init__(title="Your availability", custom_id=custom_id, timeout=FORM_TIMEOUT)
        context.live_forms.add(custom_id)
        self.context = context
        self.poll = poll
        works = {slot for slot, mark in marks.items() if mark == WORKS}
        maybe = {slot for slot, mark in marks.items() if mark == IF_NEED_BE}
        self.works = _checkboxes(WORKS, slots, works, zone, hours)
        self.if_need_be = _checkboxes(IF_NEED_BE, slots, maybe, zone, hours)
        self.add_item(
            discord.ui.Label(
                text="Works for me",
                description=f"Times in your zone ({zone.key}). Tick none if none works.",
                component=self.works,
            )
        )
        self.add_item(
            discord.ui.Label(
                text="If need be",
                description="Times you could make at a push (not also under 'works for me').",
                component=self.if_need_be,
            )
        )

    async def on_submit(self, interaction: discord.Interaction[Any]) -> None:
        """Save the marks, redraw the post and confirm."""
        self.context.live_forms.handling(interaction.id)
        try:
            await save_marks(
                self.context, interaction, self.poll.id, self.works.values, self.if_need_be.values
            )
        finally:
            self.context.live_forms.discard(self.custom_id)

    async def on_timeout(self) -> None:
        """From now on a late submit is saved from its raw components."""
        self.context.live_forms.discard(self.custom_id)

    async def on_error(  # type: ignore[override]  # a Modal's on_error has no item
        self, interaction: discord.Interaction[Any], error: Exception, /
    ) -> None:
        """The one error path: a short ephemeral sentence."""
        await interaction_errors.report(interaction, error)


def _slot_ids(values: Sequence[str]) -> list[int]:
    ids = [parse_id(value) for value in values]
    if any(found is None for found in ids):
        raise UserError("That time is not in this poll. Open the poll again and retry.")
    return list(dict.fromkeys(found for found in ids if found is not None))  # once each


async def save_marks(
    context: ConsultContext,
    interaction: discord.Interaction[Any],
    poll_id: int,
    works: Sequence[str],
    if_need_be: Sequence[str],
) -> None:
    """Save a member's marks from the form's values, redraw the post, confirm ephemerally."""
    poll = await _open_poll(context, interaction, poll_id)
    works_ids, maybe_ids = _slot_ids(works), _slot_ids(if_need_be)
    await store.save_availability(
        context.bot.db,
        poll.id,
        interaction.user.id,
        works=works_ids,
        if_need_be=maybe_ids,
        now=context.now(),
    )
    context.redraw_poll(poll.id)
    ticked = len(works_ids) + len(maybe_ids)
    text = (
        f"Saved: {plural(len(works_ids), 'time')} works for you, {len(maybe_ids)} if need be. "
        "You can change it with the same button until the poll closes."
        if ticked
        else "Saved: none of these times works for you. You can change it until the poll closes."
    )
    await replies.respond(interaction, text)


def submitted_checkboxes(data: dict[str, Any]) -> dict[str, list[str]]:
    """Checkbox values by custom_id from a raw modal submit (Labels wrap their input)."""
    values: dict[str, list[str]] = {}
    stack: list[Any] = list(data.get("components") or [])
    while stack:
        component = stack.pop()
        if not isinstance(component, dict):
            continue
        stack.extend(component.get("components") or [])
        if isinstance(component.get("component"), dict):
            stack.append(component["component"])
        custom_id = component.get("custom_id")
        chosen = component.get("values")
        if isinstance(custom_id, str) and isinstance(chosen, list):
            values[custom_id] = [str(value) for value in chosen]
    return values


def orphaned_form(
    context: ConsultContext, interaction: discord.Interaction[Any]
) -> re.Match[str] | None:
    """A submitted availability form this bot no longer holds (after a restart or timeout)."""
    if interaction.type is not discord.InteractionType.modal_submit:
        return None
    data: dict[str, Any] = dict(interaction.data or {})
    custom_id = str(data.get("custom_id", ""))
    match = FORM_ID.fullmatch(custom_id)
    live = custom_id in context.live_forms or context.live_forms.handled(interaction.id)
    return match if match and not live else None


async def save_orphaned_form(
    context: ConsultContext, interaction: discord.Interaction[Any], match: re.Match[str]
) -> None:
    """Save a form that outlived its modal object, as its own submit would."""
    poll_id = parse_id(match["poll"])
    if poll_id is None:
        raise UserError("That poll no longer exists.")
    values = submitted_checkboxes(dict(interaction.data or {}))
    await save_marks(
        context, interaction, poll_id, values.get(WORKS, []), values.get(IF_NEED_BE, [])
    )


# --- finalizing -------------------------------------------------------------------


class FinalizeButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=rf"consult:final:(?P<poll>{ID_DIGITS})",
):
    """Books the best time now (the organiser or a moderator)."""

    def __init__(self, poll_id: int) -> None:
        super().__init__(
            discord.ui.Button(
                label=FINALIZE_LABEL,
                style=discord.ButtonStyle.secondary,
                custom_id=f"consult:final:{poll_id}",
            )
        )
        self.poll_id = poll_id

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction[Any],
        item: discord.ui.Item[Any],
        match: re.Match[str],
        /,
    ) -> FinalizeButton:
        """Rebuild the button from its custom_id (0 names no poll)."""
        return cls(parse_id(match["poll"]) or 0)

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        """Finalize, or offer the tied times to the organiser."""
        async with reporting(interaction):
            await finalize_poll(context_of(interaction), interaction, self.poll_id)


class PickButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=rf"consult:pick:(?P<poll>{ID_DIGITS}):(?P<slot>{ID_DIGITS})",
):
    """One of the tied times, offered to the organiser (ephemeral) after a tie."""

    def __init__(self, poll_id: int, slot_id: int, label: str = "Pick this time") -> None:
        super().__init__(
            discord.ui.Button(
                label=label[:80],
                style=discord.ButtonStyle.primary,
                custom_id=f"consult:pick:{poll_id}:{slot_id}",
            )
        )
        self.poll_id = poll_id
        self.slot_id = slot_id

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction[Any],
        item: discord.ui.Item[Any],
        match: re.Match[str],
        /,
    ) -> PickButton:
        """Rebuild the button from its custom_id (0 names nothing)."""
        return cls(parse_id(match["poll"]) or 0, parse_id(match["slot"]) or 0)

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        """Book the picked time."""
        async with reporting(interaction):
            await finalize_poll(
                context_of(interaction), interaction, self.poll_id, slot_id=self.slot_id
            )


async def finalize_poll(
    context: ConsultContext,
    interaction: discord.Interaction[Any],
    poll_id: int,
    *,
    slot_id: int | None = None,
) -> None:
    """Finalize as the person pressing; book the session and tell them what happened."""
    poll = await store.get_poll(context.bot.db, poll_id) if poll_id else None
    if poll is None:
        raise UserError("That poll no longer exists.")
    group = await context.group_by_id(poll.group_id)
    if interaction.guild_id != group.guild_id:
        raise UserError("This poll belongs to another group.")
    actor = context.actor(interaction, group)
    if not poll.may_finalize(actor):
        raise UserError("Only the organiser or a moderator can finalize this poll.")
    await replies.defer(interaction)  # creating the event and the announcement takes requests
    result = await store.finalize(
        context.bot.db, poll.id, now=context.now(), actor=actor, slot_id=slot_id or None
    )
    # The event and the announcement, then the post (its version went up), in this order.
    await context.sync()
    if result.choice.outcome == "tie":
        view = discord.ui.View(timeout=None)
        zone, _ = await context.zone_and_hours(group, interaction.user.id)
        for tied in result.choice.tied[:5]:
            view.add_item(PickButton(poll.id, tied.slot_id, local_label(tied.start, zone)))
        times = ", ".join(discord_time(t.start) for t in result.choice.tied)
        await replies.respond(
            interaction,
            f"These times are tied: {times}. Pick one (buttons in your zone, {zone.key}).",
            view=view,
        )
        return
    if result.session is None:
        await replies.respond(
            interaction, "Nobody marked any of these times, so the poll is closed without a time."
        )
        return
    booked = f"Booked for {discord_time(result.session.start)}."
    if result.session.id in context.event_refused:
        context.event_refused.discard(result.session.id)
        text = (
            f"{booked} The announcement is in <#{result.session.channel_id}>, but Discord did "
            f"not let me create the event: give me {EVENT_PERMISSIONS}, and I'll create it "
            "within a minute."
        )
    else:
        text = f"{booked} The event and its announcement are in <#{result.session.channel_id}>."
    await replies.respond(interaction, text)


# --- cancelling -------------------------------------------------------------------


class CancelPollButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=rf"consult:cancel:(?P<poll>{ID_DIGITS})",
):
    """Asks the organiser (or a moderator) to confirm withdrawing the poll."""

    def __init__(self, poll_id: int) -> None:
        super().__init__(
            discord.ui.Button(
                label=CANCEL_POLL_LABEL,
                style=discord.ButtonStyle.secondary,
                custom_id=f"consult:cancel:{poll_id}",
            )
        )
        self.poll_id = poll_id

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction[Any],
        item: discord.ui.Item[Any],
        match: re.Match[str],
        /,
    ) -> CancelPollButton:
        """Rebuild the button from its custom_id (0 names no poll)."""
        return cls(parse_id(match["poll"]) or 0)

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        """Check who is asking, then ask them to confirm (nothing changes yet)."""
        async with reporting(interaction):
            context = context_of(interaction)
            poll = await _poll_they_may_close(context, interaction, self.poll_id, "cancel")
            view = discord.ui.View(timeout=None)
            view.add_item(ConfirmCancelPollButton(poll.id))
            await replies.respond(
                interaction,
                f"Cancel the poll **{plain(poll.title)}**? No consultation is booked from it "
                "and it cannot be reopened; members' marks are deleted with the poll's other "
                "records after 30 days. Propose again for new times.",
                view=view,
            )


class ConfirmCancelPollButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=rf"consult:cancel:yes:(?P<poll>{ID_DIGITS})",
):
    """Withdraws the poll: its post says it is cancelled and loses its buttons."""

    def __init__(self, poll_id: int) -> None:
        super().__init__(
            discord.ui.Button(
                label=CONFIRM_CANCEL_LABEL,
                style=discord.ButtonStyle.danger,
                custom_id=f"consult:cancel:yes:{poll_id}",
            )
        )
        self.poll_id = poll_id

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction[Any],
        item: discord.ui.Item[Any],
        match: re.Match[str],
        /,
    ) -> ConfirmCancelPollButton:
        """Rebuild the button from its custom_id (0 names no poll)."""
        return cls(parse_id(match["poll"]) or 0)

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        """Cancel the poll and redraw its post."""
        async with reporting(interaction):
            context = context_of(interaction)
            poll = await _poll_they_may_close(context, interaction, self.poll_id, "cancel")
            group = await context.group_by_id(poll.group_id)
            await store.cancel_poll(
                context.bot.db, poll.id, context.actor(interaction, group), context.now()
            )
            await replies.respond(
                interaction, f"The poll **{plain(poll.title)}** is cancelled.", edit=True
            )
            await context.sync()  # the post's version went up: it is redrawn without buttons


async def _poll_they_may_close(
    context: ConsultContext, interaction: discord.Interaction[Any], poll_id: int, verb: str
) -> Poll:
    """The open poll, if the person pressing organised it or moderates its group."""
    poll = await store.get_poll(context.bot.db, poll_id) if poll_id else None
    if poll is None:
        raise UserError("That poll no longer exists.")
    group = await context.group_by_id(poll.group_id)
    if interaction.guild_id != group.guild_id:
        raise UserError("This poll belongs to another group.")
    if not poll.may_finalize(context.actor(interaction, group)):
        raise UserError(f"Only the organiser or a moderator can {verb} this poll.")
    if poll.status not in ("open", "tie"):
        raise UserError("This poll is already closed.")
    return poll
