"""The sandbox world as transcript timelines: channels, each member's DMs and ephemerals."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING

from bot.sandbox.state import (
    GUILD_TEXT,
    LOADING,
    EventChange,
    Guild,
    Message,
    MessageVersion,
    ShownModal,
    World,
)
from bot.sandbox.transcript import TranscriptAttachment, TranscriptMessage, TranscriptTimeline

if TYPE_CHECKING:
    from bot.sandbox.server import SandboxServer


# (when it was shown, its order among events of that instant, the message as then shown)
_Shown = tuple[datetime, tuple[int, int], TranscriptMessage]


def _message(world: World, message: Message, note: str | None = None) -> list[_Shown]:
    """Each version of a message at the moment it was shown: earlier ones, then the latest."""
    author = world.user(message.author_id)
    viewer = world.user(message.ephemeral_to).display_name if message.ephemeral_to else None
    current_note = note
    if message.flags & LOADING:
        current_note = "thinking…" if note is None else f"{note} · thinking…"

    def shown(
        version: Message | MessageVersion,
        at: datetime,
        note: str | None,
        *,
        edited: bool = False,
        replaced_at: datetime | None = None,
    ) -> TranscriptMessage:
        return TranscriptMessage(
            author=author.display_name,
            author_is_bot=author.bot,
            timestamp=at,
            content=version.content,
            embeds=version.embeds,
            components=version.components,
            attachments=[
                TranscriptAttachment(a.filename, a.content_type, a.data)
                for a in version.attachments
            ],
            ephemeral_to=viewer,
            note=note,
            edited=edited,
            replaced_at=replaced_at,
        )

    versions = message.versions
    result: list[_Shown] = []
    for index, version in enumerate(versions):
        following = versions[index + 1] if index + 1 < len(versions) else None
        replaced_at = following.shown_at if following else message.edited_timestamp
        result.append(
            (
                version.shown_at,
                version.order,
                shown(version, version.shown_at, note, replaced_at=replaced_at),
            )
        )
    at = message.edited_timestamp or message.timestamp
    order = message.shown_order or (message.id, 0)
    result.append((at, order, shown(message, at, current_note, edited=bool(versions))))
    return result


def _modal(world: World, modal: ShownModal, where: str) -> _Shown:
    bot = next(
        (world.user(a.bot_user_id) for a in world.applications.values()),
        None,
    )
    message = TranscriptMessage(
        author=bot.display_name if bot else "bot",
        author_is_bot=True,
        timestamp=modal.shown_at,
        content="",
        components=[modal.data],
        ephemeral_to=world.user(modal.user_id).display_name,
        note=f"modal shown {where}",
    )
    return (modal.shown_at, (modal.interaction_id, 0), message)


_EVENT_VERB = {
    "created": "scheduled",
    "edited": "edited",
    "started": "started",
    "completed": "ended",
    "cancelled": "cancelled",
    "deleted": "deleted",
}
_EVENT_FIELD = {
    "name": "name",
    "description": "description",
    "scheduled_start_time": "start",
    "scheduled_end_time": "end",
    "privacy_level": "privacy",
    "entity_type": "kind",
    "channel_id": "channel",
    "entity_metadata": "location",
    "image": "cover image",
}


def _unix(value: str) -> int:
    return int(datetime.fromisoformat(value).timestamp())


def event_text(change: EventChange) -> str:
    """One change to a scheduled event as a reader sees it: what happened, when it
    starts (a Discord timestamp, so each reader sees their own zone) and where."""
    data = change.data
    lines = [f"**{data['name']}**: event {_EVENT_VERB.get(change.kind, change.kind)}"]
    if change.fields:
        lines.append("Changed: " + ", ".join(_EVENT_FIELD.get(f, f) for f in change.fields))
    start = _unix(data["scheduled_start_time"])
    when = f"Starts <t:{start}:F> (<t:{start}:R>)"
    if data.get("scheduled_end_time"):
        when += f", ends <t:{_unix(data['scheduled_end_time'])}:f>"
    lines.append(when)
    if data.get("channel_id"):
        lines.append(f"In <#{data['channel_id']}>")
    elif (data.get("entity_metadata") or {}).get("location"):
        lines.append(f"At {data['entity_metadata']['location']}")
    if data.get("description"):
        lines.append(str(data["description"]))
    return "\n".join(lines)


def _event_changes(world: World, guild: Guild) -> list[TranscriptMessage]:
    shown: list[_Shown] = []
    for change in world.event_log:
        if change.guild_id != guild.id:
            continue
        who = world.users.get(change.by) if change.by is not None else None
        message = TranscriptMessage(
            author=who.display_name if who else "Discord",
            author_is_bot=who.bot if who else True,
            timestamp=change.at,
            content=event_text(change),
            note=f"scheduled event {_EVENT_VERB.get(change.kind, change.kind)}",
        )
        shown.append((change.at, (change.order, 0 if change.kind == "created" else 1), message))
    return _in_order(shown)


def _in_order(shown: list[_Shown]) -> list[TranscriptMessage]:
    return [message for _, _, message in sorted(shown, key=lambda item: (item[0], item[1]))]


def _where(world: World, channel_id: int) -> str:
    channel = world.channel(channel_id)
    return "in DMs" if channel.guild_id is None else f"in #{channel.name}"


def timelines(server: SandboxServer, zones: Mapping[int, str]) -> list[TranscriptTimeline]:
    """Every guild channel (what everyone saw) and the guild's scheduled events, then per
    member their DMs and ephemerals.

    `zones` maps user ids to IANA zones; DM and ephemeral timelines use the
    member's zone, channels are shown in UTC by the renderer.
    """
    world = server.world
    result: list[TranscriptTimeline] = []
    for guild in world.guilds.values():
        for channel_id in guild.channel_ids:
            channel = world.channel(channel_id)
            public = [
                version
                for m in world.timeline(channel_id)
                if not m.ephemeral
                for version in _message(world, m)
            ]
            if channel.type != GUILD_TEXT and not public:
                continue  # an unused voice channel has nothing to read
            title = f"#{channel.name} · {guild.name}"
            result.append(TranscriptTimeline(title, "channel", None, _in_order(public)))
        changes = _event_changes(world, guild)
        if changes:
            title = f"Scheduled events · {guild.name}"
            result.append(TranscriptTimeline(title, "events", None, changes))
    # Everyone in a server, and the story's people who have left one: what they saw stays.
    people = [
        u for u in world.users.values() if not u.bot and (world.guilds_of(u.id) or u.id in zones)
    ]
    for user in people:
        zone = zones.get(user.id)
        dm = world.find_dm_channel(user.id)
        if dm is not None and world.timeline(dm.id):
            messages = [v for m in world.timeline(dm.id) for v in _message(world, m)]
            title = f"DMs with {user.display_name}"
            result.append(
                TranscriptTimeline(title, "dm", zone, _in_order(messages), user.display_name)
            )
        private = [
            version
            for m in world.messages.values()
            if m.ephemeral_to == user.id and not m.deleted
            for version in _message(world, m, note=_where(world, m.channel_id))
        ]
        private += [
            _modal(world, modal, _where(world, modal.channel_id))
            for modal in world.modals
            if modal.user_id == user.id
        ]
        if private:
            title = f"Only {user.display_name} could see"
            result.append(
                TranscriptTimeline(title, "ephemeral", zone, _in_order(private), user.display_name)
            )
    return result
