"""The consultation DMs (one renderer per outbox kind) and the presenter request's buttons.

Payloads carry ids, the title, `starts_at` and `channel_id` (see `bot.consult`); titles
are member text and go through `plain`. The request to present has Accept and Pass
buttons that work after a restart (the session id is in their custom_id).
"""

from __future__ import annotations

import re
from typing import Any

import discord

from bot.app import replies
from bot.app.dm_transport import OutgoingDm
from bot.checkins.render import discord_time
from bot.consult import presenters, store
from bot.consult.steps import READY_KIND
from bot.consult.store import CHANGED_KIND
from bot.delivery.outbox import OutboxItem
from bot.delivery.policy import CONSULT_REMINDER_KIND
from bot.ids import ID_DIGITS, parse_id
from bot.members.instants import from_db
from bot.text import plain
from bot.wording import plural
from cogs._checkin_context import reporting
from cogs._consult_context import context_of

ACCEPT_LABEL = "I'll present"
DECLINE_LABEL = "Not this time"


def _title(item: OutboxItem) -> str:
    return f"“{plain(str(item.payload.get('title', 'Peer consultation')))}”"


def _when(item: OutboxItem, key: str = "starts_at") -> str:
    instant = from_db(str(item.payload[key]))
    return f"{discord_time(instant)} ({discord_time(instant, 'R')})"


def _channel(item: OutboxItem) -> str:
    return f"<#{int(item.payload['channel_id'])}>"


async def render_poll_ready(item: OutboxItem) -> OutgoingDm:
    """To the organiser, once: everyone answered, or the deadline closed the poll."""
    if item.payload.get("reason") == "answered":
        text = (
            f"Everyone who isn't away has answered your poll {_title(item)} in "
            f"{_channel(item)}. You can finalize it there with the Finalize button, or let "
            "the deadline pick the best time."
        )
    else:
        text = (
            f"The voting deadline of your poll {_title(item)} has passed and the poll is "
            f"closed. See the result in {_channel(item)}."
        )
    return OutgoingDm(content=text)


async def render_reminder(item: OutboxItem) -> OutgoingDm:
    """To those going or maybe, before the session."""
    minutes = int(item.payload.get("minutes_before", 0))
    ahead = (
        plural(minutes // 60, "hour")
        if minutes >= 60 and minutes % 60 == 0
        else plural(minutes, "minute")
    )
    return OutgoingDm(
        content=(
            f"Reminder: the consultation {_title(item)} starts in about {ahead}, "
            f"{_when(item)}. Details in {_channel(item)}. Turn these reminders off with "
            "/me consult-reminders."
        )
    )


async def render_session_changed(item: OutboxItem) -> OutgoingDm:
    """To those going or maybe, once per change: moved or cancelled."""
    if item.payload.get("cancelled"):
        text = f"The consultation {_title(item)} on {_when(item)} was cancelled."
    else:
        text = (
            f"The consultation {_title(item)} has moved to {_when(item)}. "
            f"Your answer still stands; change it under the announcement in {_channel(item)}."
        )
    return OutgoingDm(content=text)


async def render_presenter_ask(item: OutboxItem) -> OutgoingDm:
    """To the queued member whose turn it is: present a case at the session?"""
    session_id = int(item.payload["session_id"])
    view = discord.ui.View(timeout=None)
    view.add_item(PresenterButton(session_id, accept=True))
    view.add_item(PresenterButton(session_id, accept=False))
    return OutgoingDm(
        content=(
            f"It's your turn in the presenter queue: would you present a case at "
            f"{_title(item)}, {_when(item)}? Please answer by "
            f"{discord_time(from_db(str(item.payload['answer_by'])))}; after that the next "
            "member in the queue is asked. Passing is fine."
        ),
        view=view,
    )


RENDERERS = {
    READY_KIND: render_poll_ready,
    CONSULT_REMINDER_KIND: render_reminder,
    CHANGED_KIND: render_session_changed,
    presenters.ASK_KIND: render_presenter_ask,
}


class PresenterButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=rf"consult:present:(?P<session>{ID_DIGITS}):(?P<answer>yes|no)",
):
    """Accept or pass a request to present (in the DM)."""

    def __init__(self, session_id: int, *, accept: bool) -> None:
        super().__init__(
            discord.ui.Button(
                label=ACCEPT_LABEL if accept else DECLINE_LABEL,
                style=discord.ButtonStyle.primary if accept else discord.ButtonStyle.secondary,
                custom_id=f"consult:present:{session_id}:{'yes' if accept else 'no'}",
            )
        )
        self.session_id = session_id
        self.accept = accept

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction[Any],
        item: discord.ui.Item[Any],
        match: re.Match[str],
        /,
    ) -> PresenterButton:
        """Rebuild the button from its custom_id (0 names nothing)."""
        return cls(parse_id(match["session"]) or 0, accept=match["answer"] == "yes")

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        """Record the answer (a pass asks the next member) and say so."""
        async with reporting(interaction):
            context = context_of(interaction)
            session = await store.require_session(context.bot.db, self.session_id)
            group = await context.group_by_id(session.group_id)
            await presenters.answer(
                context.bot.db,
                session.id,
                interaction.user.id,
                accept=self.accept,
                group_zone=group.timezone,
                now=context.now(),
            )
            text = (
                "Thank you: you present the case. The announcement shows your name."
                if self.accept
                else "Thanks for saying so: the next member in the queue is asked."
            )
            asked = interaction.message.content if interaction.message else ""
            # Answer first: the announcement and the event are redrawn after, and those
            # edits may wait on Discord's rate limits longer than a reply may.
            await replies.respond(interaction, f"{asked}\n\n{text}".strip(), edit=True)
            await context.sync()
