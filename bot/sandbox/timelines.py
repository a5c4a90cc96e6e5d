"""The sandbox world as transcript timelines: channels, each member's DMs and ephemerals."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from bot.sandbox.state import LOADING, Message, ShownModal, World
from bot.sandbox.transcript import TranscriptAttachment, TranscriptMessage, TranscriptTimeline

if TYPE_CHECKING:
    from bot.sandbox.server import SandboxServer


def _message(world: World, message: Message, note: str | None = None) -> TranscriptMessage:
    author = world.user(message.author_id)
    viewer = world.user(message.ephemeral_to).display_name if message.ephemeral_to else None
    if message.flags & LOADING:
        note = "thinking…" if note is None else f"{note} · thinking…"
    return TranscriptMessage(
        author=author.display_name,
        author_is_bot=author.bot,
        timestamp=message.timestamp,
        content=message.content,
        embeds=message.embeds,
        components=message.components,
        attachments=[
            TranscriptAttachment(a.filename, a.content_type, a.data) for a in message.attachments
        ],
        ephemeral_to=viewer,
        note=note,
    )


def _modal(world: World, modal: ShownModal, where: str) -> TranscriptMessage:
    bot = next(
        (world.user(a.bot_user_id) for a in world.applications.values()),
        None,
    )
    return TranscriptMessage(
        author=bot.display_name if bot else "bot",
        author_is_bot=True,
        timestamp=modal.shown_at,
        content="",
        components=[modal.data],
        ephemeral_to=world.user(modal.user_id).display_name,
        note=f"modal shown {where}",
    )


def _where(world: World, channel_id: int) -> str:
    channel = world.channel(channel_id)
    return "in DMs" if channel.guild_id is None else f"in #{channel.name}"


def timelines(server: SandboxServer, zones: Mapping[int, str]) -> list[TranscriptTimeline]:
    """Every guild channel (what everyone saw), then per member their DMs and ephemerals.

    `zones` maps user ids to IANA zones; DM and ephemeral timelines use the
    member's zone, channels are shown in UTC by the renderer.
    """
    world = server.world
    result: list[TranscriptTimeline] = []
    for guild in world.guilds.values():
        for channel_id in guild.channel_ids:
            channel = world.channel(channel_id)
            public = [_message(world, m) for m in world.timeline(channel_id) if not m.ephemeral]
            title = f"#{channel.name} · {guild.name}"
            result.append(TranscriptTimeline(title, "channel", None, public))
    people = [u for u in world.users.values() if not u.bot and world.guilds_of(u.id)]
    for user in people:
        zone = zones.get(user.id)
        dm = world.find_dm_channel(user.id)
        if dm is not None and world.timeline(dm.id):
            messages = [_message(world, m) for m in world.timeline(dm.id)]
            result.append(TranscriptTimeline(f"DMs with {user.display_name}", "dm", zone, messages))
        private = [
            (m.timestamp, _message(world, m, note=_where(world, m.channel_id)))
            for m in world.messages.values()
            if m.ephemeral_to == user.id and not m.deleted
        ]
        private += [
            (modal.shown_at, _modal(world, modal, _where(world, modal.channel_id)))
            for modal in world.modals
            if modal.user_id == user.id
        ]
        if private:
            private.sort(key=lambda pair: pair[0])
            title = f"Only {user.display_name} could see"
            result.append(TranscriptTimeline(title, "ephemeral", zone, [m for _, m in private]))
    return result
