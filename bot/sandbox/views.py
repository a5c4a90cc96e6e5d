"""Read-only views of messages and modals, as a member would see them."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.sandbox.state import LOADING, ShownModal, World

Json = dict[str, Any]

BUTTON = 2
SELECT_TYPES = frozenset({3, 5, 6, 7, 8})
TEXT_DISPLAY = 10


def walk_components(components: list[Json]) -> Iterator[Json]:
    """Every component, depth first (rows, containers, sections, labels included)."""
    for component in components:
        yield component
        children: list[Json] = list(component.get("components") or [])
        for key in ("accessory", "component"):
            child = component.get(key)
            if isinstance(child, dict):
                children.append(child)
        yield from walk_components(children)


@dataclass(frozen=True)
class AttachmentView:
    """A file attached to a message."""

    id: int
    filename: str
    content_type: str
    data: bytes
    url: str

    @property
    def size(self) -> int:
        """Size in bytes."""
        return len(self.data)


@dataclass(frozen=True)
class MessageView:
    """A message as one person sees it."""

    id: int
    channel_id: int
    author_id: int
    author_name: str
    author_is_bot: bool
    content: str
    embeds: list[Json]
    components: list[Json]
    attachments: list[AttachmentView]
    ephemeral: bool
    flags: int
    timestamp: datetime
    edited: bool

    @property
    def loading(self) -> bool:
        """Still the deferred "thinking…" placeholder."""
        return bool(self.flags & LOADING)

    def all_components(self) -> list[Json]:
        """Every component, flattened."""
        return list(walk_components(self.components))

    def buttons(self) -> list[Json]:
        """Every button."""
        return [c for c in self.all_components() if c.get("type") == BUTTON]

    def button(self, label: str | None = None, *, custom_id: str | None = None) -> Json:
        """The one button with this label or custom_id (LookupError otherwise)."""
        return _one(self.buttons(), "button", label=label, custom_id=custom_id)

    def selects(self) -> list[Json]:
        """Every select menu."""
        return [c for c in self.all_components() if c.get("type") in SELECT_TYPES]

    def select(self, placeholder: str | None = None, *, custom_id: str | None = None) -> Json:
        """The one select with this placeholder or custom_id (LookupError otherwise)."""
        found = [
            s
            for s in self.selects()
            if (placeholder is None or s.get("placeholder") == placeholder)
            and (custom_id is None or s.get("custom_id") == custom_id)
        ]
        if len(found) != 1:
            raise LookupError(
                f"expected one select (placeholder={placeholder!r}, custom_id={custom_id!r}) "
                f"in message {self.id}, found {len(found)}"
            )
        return found[0]

    def embed_text(self) -> str:
        """All embed text (titles, descriptions, fields, footers), one piece a line."""
        lines: list[str] = []
        for embed in self.embeds:
            author = embed.get("author") or {}
            for piece in (author.get("name"), embed.get("title"), embed.get("description")):
                if piece:
                    lines.append(str(piece))
            for fld in embed.get("fields") or []:
                lines.append(f"{fld.get('name', '')}: {fld.get('value', '')}")
            footer = embed.get("footer") or {}
            if footer.get("text"):
                lines.append(str(footer["text"]))
        return "\n".join(lines)

    def text_displays(self) -> list[str]:
        """Contents of Components V2 text displays."""
        return [
            str(c.get("content", ""))
            for c in self.all_components()
            if c.get("type") == TEXT_DISPLAY
        ]

    @property
    def text(self) -> str:
        """Everything readable: content, text displays and embed text."""
        parts = [self.content, *self.text_displays(), self.embed_text()]
        return "\n".join(p for p in parts if p)


def _one(items: list[Json], kind: str, *, label: str | None, custom_id: str | None) -> Json:
    if label is None and custom_id is None:
        raise ValueError(f"name the {kind} by label or custom_id")
    found = [
        i
        for i in items
        if (label is None or i.get("label") == label)
        and (custom_id is None or i.get("custom_id") == custom_id)
    ]
    if len(found) != 1:
        known = [i.get("label") or i.get("custom_id") for i in items]
        raise LookupError(
            f"expected one {kind} (label={label!r}, custom_id={custom_id!r}), "
            f"found {len(found)}; available: {known}"
        )
    return found[0]


def message_view(world: World, message_id: int, *, base_url: str) -> MessageView:
    """A view of a stored message."""
    from bot.sandbox.payloads import attachment_url  # noqa: PLC0415 - avoid import cycle

    message = world.messages[message_id]
    author = world.user(message.author_id)
    return MessageView(
        id=message.id,
        channel_id=message.channel_id,
        author_id=author.id,
        author_name=author.display_name,
        author_is_bot=author.bot,
        content=message.content,
        embeds=message.embeds,
        components=message.components,
        attachments=[
            AttachmentView(
                a.id,
                a.filename,
                a.content_type,
                a.data,
                attachment_url(base_url, message.channel_id, a),
            )
            for a in message.attachments
        ],
        ephemeral=message.ephemeral,
        flags=message.flags,
        timestamp=message.timestamp,
        edited=message.edited_timestamp is not None,
    )


@dataclass(frozen=True)
class ModalView:
    """A modal the bot showed to the actor."""

    shown: ShownModal

    @property
    def custom_id(self) -> str:
        """The modal's custom_id."""
        return str(self.shown.data.get("custom_id", ""))

    @property
    def title(self) -> str:
        """The modal's title."""
        return str(self.shown.data.get("title", ""))

    @property
    def components(self) -> list[Json]:
        """The modal's top-level components as the bot sent them."""
        return list(self.shown.data.get("components") or [])

    def inputs(self) -> Mapping[str, Json]:
        """Every input component by custom_id (text inputs, selects, radios, checkboxes)."""
        return {
            str(c["custom_id"]): c
            for c in walk_components(self.components)
            if c.get("custom_id") and c.get("type") not in (1, 18)
        }

    def labels(self) -> Mapping[str, str]:
        """Label text by the custom_id of the input it wraps."""
        found: dict[str, str] = {}
        for component in walk_components(self.components):
            child = component.get("component")
            if component.get("type") == 18 and isinstance(child, dict) and child.get("custom_id"):
                found[str(child["custom_id"])] = str(component.get("label", ""))
            elif (
                component.get("type") == 4 and component.get("label") and component.get("custom_id")
            ):
                found.setdefault(str(component["custom_id"]), str(component["label"]))
        return found
