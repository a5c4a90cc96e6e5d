"""Shared machinery of the sandbox server: messages, events and API errors."""

from __future__ import annotations

import mimetypes
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from bot.sandbox import payloads
from bot.sandbox import permissions as perm
from bot.sandbox.gateway import Gateway
from bot.sandbox.state import (
    DM,
    EPHEMERAL,
    INTENT_DIRECT_MESSAGES,
    INTENT_GUILD_MESSAGES,
    INTENT_MESSAGE_CONTENT,
    LOADING,
    Message,
    MessageVersion,
    StoredAttachment,
    World,
)

Json = dict[str, Any]

# Flags a sender may set on a message (suppress embeds, suppress notifications,
# components v2); EPHEMERAL only through interactions.
SETTABLE_FLAGS = (1 << 2) | (1 << 12) | (1 << 15)


class ApiError(Exception):
    """An error answer in Discord's shape: HTTP status plus JSON code and message."""

    def __init__(
        self, status: int, code: int, message: str, *, errors: Mapping[str, Any] | None = None
    ) -> None:
        super().__init__(f"{status} {code} {message}")
        self.status = status
        self.code = code
        self.message = message
        self.errors = errors

    def body(self) -> Json:
        """The JSON body Discord would send."""
        body: Json = {"message": self.message, "code": self.code}
        if self.errors is not None:
            body["errors"] = dict(self.errors)
        return body


def not_found(code: int, what: str) -> ApiError:
    """Discord's 404 for an unknown object (10003 Unknown Channel, ...)."""
    return ApiError(404, code, f"Unknown {what}")


@dataclass(frozen=True)
class UploadedFile:
    """A file part of a multipart request (`files[n]`)."""

    field: str
    filename: str
    content_type: str
    data: bytes

    @property
    def index(self) -> int | None:
        """The n of a `files[n]` field, which attachment entries refer to by id."""
        if self.field.startswith("files[") and self.field.endswith("]"):
            inner = self.field[6:-1]
            return int(inner) if inner.isdigit() else None
        return None


def guess_content_type(filename: str, declared: str) -> str:
    """Discord infers the type from the name when the client sends octet-stream."""
    if declared and declared != "application/octet-stream":
        return declared
    guessed, _ = mimetypes.guess_type(filename)
    return guessed or declared or "application/octet-stream"


class Core:
    """Message storage with Discord's side effects (gateway events, intents)."""

    def __init__(self, world: World, gateway: Gateway, base_url: Callable[[], str]) -> None:
        self.world = world
        self.gateway = gateway
        self._base_url = base_url

    @property
    def base_url(self) -> str:
        """The server's http://host:port (attachment URLs live under it)."""
        return self._base_url()

    def message_json(self, message: Message) -> Json:
        """A message as Discord JSON."""
        return payloads.message_json(self.world, message, base_url=self.base_url)

    # --- attachments --------------------------------------------------------

    def _new_attachments(
        self, payload: Mapping[str, Any], files: Sequence[UploadedFile]
    ) -> list[StoredAttachment]:
        entries = {
            str(a.get("id")): a for a in payload.get("attachments") or [] if isinstance(a, dict)
        }
        stored = []
        for position, upload in enumerate(files):
            index = upload.index if upload.index is not None else position
            entry = entries.get(str(index), {})
            filename = str(entry.get("filename") or upload.filename)
            stored.append(
                StoredAttachment(
                    id=self.world.ids.next(),
                    filename=filename,
                    content_type=guess_content_type(filename, upload.content_type),
                    data=upload.data,
                    description=entry.get("description"),
                )
            )
        return stored

    # --- messages -----------------------------------------------------------

    def create_message(
        self,
        *,
        channel_id: int,
        author_id: int,
        payload: Mapping[str, Any],
        files: Sequence[UploadedFile] = (),
        ephemeral_to: int | None = None,
        extra_flags: int = 0,
        message_type: int = 0,
        application_id: int | None = None,
        webhook_id: int | None = None,
        interaction_id: int | None = None,
    ) -> Message:
        """Store a message from a create payload and announce it on the gateway."""
        flags = (int(payload.get("flags") or 0) & SETTABLE_FLAGS) | extra_flags
        if ephemeral_to is not None:
            flags |= EPHEMERAL
        message = Message(
            id=self.world.ids.next(),
            channel_id=channel_id,
            author_id=author_id,
            content=str(payload.get("content") or ""),
            timestamp=self.world.clock(),
            embeds=list(payload.get("embeds") or []),
            components=list(payload.get("components") or []),
            attachments=self._new_attachments(payload, files),
            flags=flags,
            type=message_type,
            application_id=application_id,
            webhook_id=webhook_id,
            interaction_id=interaction_id,
            ephemeral_to=ephemeral_to,
            poll=payload.get("poll"),
            nonce=_nonce(payload),
        )
        self.world.add_message(message)
        self.world.record_components(message)
        self.world.remember_nonce(message)
        self.announce("MESSAGE_CREATE", message)
        return message

    def edit_message(
        self, message: Message, payload: Mapping[str, Any], files: Sequence[UploadedFile] = ()
    ) -> Message:
        """Apply an edit payload (only the fields present) and announce it."""
        if not message.flags & LOADING:
            message.versions.append(
                MessageVersion(
                    content=message.content,
                    embeds=list(message.embeds),
                    components=list(message.components),
                    attachments=list(message.attachments),
                    shown_at=message.edited_timestamp or message.timestamp,
                    order=message.shown_order or (message.id, 0),
                )
            )
        if "content" in payload:
            message.content = str(payload.get("content") or "")
        if "embeds" in payload:
            message.embeds = list(payload.get("embeds") or [])
        if "components" in payload:
            message.components = list(payload.get("components") or [])
            self.world.record_components(message)
        if "flags" in payload and payload["flags"] is not None:
            kept = message.flags & ~SETTABLE_FLAGS
            message.flags = kept | (int(payload["flags"]) & SETTABLE_FLAGS)
        if "attachments" in payload and payload["attachments"] is not None:
            keep = {str(a.get("id")) for a in payload["attachments"] if isinstance(a, dict)}
            message.attachments = [a for a in message.attachments if str(a.id) in keep]
        message.attachments.extend(self._new_attachments(payload, files))
        message.flags &= ~LOADING
        message.edited_timestamp = self.world.clock()
        # After everything that led to this edit (the interaction, a modal shown), before
        # anything created later.
        message.shown_order = (self.world.ids.last, 1)
        self.announce("MESSAGE_UPDATE", message)
        return message

    def delete_message(self, message: Message) -> None:
        """Mark a message deleted and announce it."""
        message.deleted = True
        if message.ephemeral:
            return
        channel = self.world.channel(message.channel_id)
        data: Json = {"id": str(message.id), "channel_id": str(channel.id)}
        if channel.guild_id is not None:
            data["guild_id"] = str(channel.guild_id)
        self._dispatch_for_channel("MESSAGE_DELETE", channel.id, data)

    def announce(self, event: str, message: Message) -> None:
        """MESSAGE_CREATE/UPDATE to bots that may see it (never for ephemerals)."""
        if message.ephemeral:
            return
        data = self.message_json(message)
        self._dispatch_for_channel(event, message.channel_id, data, author_id=message.author_id)

    def _dispatch_for_channel(
        self, event: str, channel_id: int, data: Json, *, author_id: int | None = None
    ) -> None:
        channel = self.world.channel(channel_id)
        needed = INTENT_DIRECT_MESSAGES if channel.type == DM else INTENT_GUILD_MESSAGES
        for app in self.world.applications.values():
            session = self.gateway.session_for(app.id)
            if session is None or not session.intents & needed:
                continue
            if channel.type != DM and not (
                self.world.channel_permissions(channel_id, app.bot_user_id) & perm.VIEW_CHANNEL
            ):
                continue
            sent = data
            own = author_id == app.bot_user_id
            if channel.type != DM and not own and not session.intents & INTENT_MESSAGE_CONTENT:
                sent = {**data, "content": "", "embeds": [], "attachments": [], "components": []}
            self.gateway.dispatch(app.id, event, sent)

    def dispatch_guild_event(self, guild_id: int, event: str, data: Json, intent: int) -> None:
        """A guild event to every bot in the guild whose intents include `intent`."""
        guild = self.world.guild(guild_id)
        for app in self.world.applications.values():
            session = self.gateway.session_for(app.id)
            if session is None or app.bot_user_id not in guild.members:
                continue
            if session.intents & intent:
                self.gateway.dispatch(app.id, event, data)


def _nonce(payload: Mapping[str, Any]) -> str | int | None:
    nonce = payload.get("nonce")
    return nonce if isinstance(nonce, str | int) and not isinstance(nonce, bool) else None
