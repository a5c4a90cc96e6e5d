"""What the transcript templates print: plain data made from messages and Discord JSON.

Names, labels and times here are plain strings (times already in the reader's zone);
the templates escape them. The only ``Markup`` is rendered Markdown and timestamps, built
in ``transcript_markdown`` from escaped text.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from markupsafe import Markup

from bot.sandbox.transcript_components import Components, Media, Node, colour, maps
from bot.sandbox.transcript_markdown import MENTION_PREFIX, render_markdown

if TYPE_CHECKING:
    from bot.sandbox.transcript import TranscriptAttachment, TranscriptMessage, TranscriptTimeline

Json = Mapping[str, Any]

_INLINE_IMAGE_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp"})

KIND_LABEL = {
    "channel": "channel",
    "dm": "direct messages",
    "ephemeral": "ephemeral replies",
    "events": "scheduled events",
}


# --- view models ---------------------------------------------------------------------


@dataclass(frozen=True)
class Field:
    name: str
    value: Markup
    inline: bool


@dataclass(frozen=True)
class Embed:
    colour: str
    author: str
    title: str
    description: Markup
    fields: tuple[Field, ...]
    media: tuple[tuple[str, Media], ...]
    footer: str


@dataclass(frozen=True)
class MessageView:
    css: str
    initial: str
    author: str
    is_bot: bool
    iso: str
    when: str
    edited: bool
    replaced_at: str
    note: str
    content: Markup | None
    embeds: tuple[Embed, ...]
    components: tuple[Node, ...]
    attachments: tuple[Media, ...]
    ephemeral_to: str


@dataclass(frozen=True)
class Day:
    label: str
    messages: tuple[MessageView, ...]


@dataclass(frozen=True)
class Page:
    """One timeline as its own page of the transcript."""

    anchor: str
    title: str
    kind: str
    kind_label: str
    count: int
    reader: str
    zone: str
    zone_note: str
    days: tuple[Day, ...]


# --- timelines -------------------------------------------------------------------------


def _zone(name: str | None) -> ZoneInfo:
    if name:
        try:
            return ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError, OSError):  # "Europe" is a folder
            pass
    return ZoneInfo("UTC")


def _reader(timeline: TranscriptTimeline) -> str:
    """Whose view a page shows, in words."""
    if timeline.kind == "channel":
        return "What every member who can read this channel saw."
    if timeline.kind == "events":
        return "What every member of the server saw in its Events list."
    names = {timeline.reader} if timeline.reader else set()
    names |= {m.ephemeral_to for m in timeline.messages if m.ephemeral_to}
    names |= {m.author for m in timeline.messages if timeline.kind == "dm" and not m.author_is_bot}
    who = next(iter(names)) if len(names) == 1 else "the member named above"
    if timeline.kind == "dm":
        return f"What {who} saw in their direct messages with the bot."
    return f"What only {who} saw: replies and forms shown to them alone."


def page(anchor: str, timeline: TranscriptTimeline, names: Mapping[int, str]) -> Page:
    """A timeline as a page: messages grouped by day, times in the reader's zone."""
    # Channels are read by many people: show UTC. DMs: the member's own zone.
    own = timeline.kind != "channel" and bool(timeline.viewer_zone)
    zone = _zone(timeline.viewer_zone if own else None)
    if timeline.kind in ("channel", "events"):
        note = "shared by everyone who reads it"
    elif zone.key == timeline.viewer_zone:
        note = "the member's own zone"
    else:
        note = "the member's zone is unknown"
    reader = _Reader(zone, names)
    days: list[Day] = []
    current: list[MessageView] = []
    label = ""
    for message in timeline.messages:
        local = message.timestamp.astimezone(zone)
        day = f"{local:%A %d %B %Y}"
        if day != label and current:
            days.append(Day(label, tuple(current)))
            current = []
        label = day
        current.append(_Message(message, reader).view())
    if current:
        days.append(Day(label, tuple(current)))
    return Page(
        anchor=anchor,
        title=timeline.title,
        kind=timeline.kind,
        kind_label=KIND_LABEL[timeline.kind],
        count=len(timeline.messages),
        reader=_reader(timeline),
        zone=zone.key,
        zone_note=note,
        days=tuple(days),
    )


_TIME_STYLES = {
    "t": "%H:%M",
    "T": "%H:%M:%S",
    "d": "%Y-%m-%d",
    "D": "%d %B %Y",
    "f": "%d %B %Y %H:%M",
    "F": "%A, %d %B %Y %H:%M",
}
_UNITS = (("year", 31_536_000), ("month", 2_592_000), ("day", 86_400), ("hour", 3600))


def _relative(when: datetime, now: datetime) -> str:
    seconds = (when - now).total_seconds()
    amount = abs(seconds)
    if amount < 60:
        return "now"
    unit, size = next(((u, n) for u, n in _UNITS if amount >= n), ("minute", 60))
    count = round(amount / size)
    label = f"{count} {unit}{'s' if count != 1 else ''}"
    return f"in {label}" if seconds > 0 else f"{label} ago"


@dataclass(frozen=True)
class _Reader:
    """A page's reader: their zone and the names they see in mentions."""

    zone: ZoneInfo
    names: Mapping[int, str]

    def markdown(self, text: str, read_at: datetime) -> Markup:
        """`text` as rendered for a reader at `read_at` (relative times count from it)."""
        return render_markdown(
            text, lambda unix, style: self.timestamp(unix, style, read_at), self.mention
        )

    def mention(self, kind: str, snowflake: int) -> Markup:
        """A mention as the reader sees it: the name when known, else the kind and id."""
        name = self.names.get(snowflake)
        prefix = "#" if kind == "#" else "@"
        shown = f"{prefix}{name}" if name else f"{MENTION_PREFIX[kind]}{snowflake}"
        return Markup('<span class="mention">{}</span>').format(shown)

    def timestamp(self, unix: int, style: str, read_at: datetime) -> Markup:
        """A Discord ``<t:unix:style>`` timestamp, as the reader would see it at `read_at`."""
        try:
            when = datetime.fromtimestamp(unix, UTC).astimezone(self.zone)
        except (OverflowError, OSError, ValueError):
            return Markup("&lt;t:{}&gt;").format(unix)
        if style == "R":
            text = _relative(when, read_at)
        else:
            text = when.strftime(_TIME_STYLES.get(style, _TIME_STYLES["f"]))
        title = f"{when:%Y-%m-%d %H:%M %Z} ({self.zone.key})"
        return Markup('<span class="ts" title="{}">{}</span>').format(title, text)


# --- messages ----------------------------------------------------------------------------


def _data_uri(attachment: TranscriptAttachment) -> str | None:
    if attachment.content_type.lower() not in _INLINE_IMAGE_TYPES:
        return None
    encoded = base64.b64encode(attachment.data).decode("ascii")
    return f"data:{attachment.content_type.lower()};base64,{encoded}"


def _size(n: int) -> str:
    if n < 1024:
        return f"{n} B"
    if n < 1024 * 1024:
        return f"{n / 1024:.1f} KB"
    return f"{n / 1024 / 1024:.1f} MB"


def _attachment(attachment: TranscriptAttachment) -> Media:
    uri = _data_uri(attachment)
    if uri:
        return Media("image", name=attachment.filename, uri=uri)
    size = _size(len(attachment.data))
    return Media("file", name=attachment.filename, content_type=attachment.content_type, size=size)


@dataclass
class _Message:
    """Builds the view of one message; remembers which files its embeds showed."""

    message: TranscriptMessage
    reader: _Reader
    referenced: set[str] = field(default_factory=set)

    def view(self) -> MessageView:
        m, zone = self.message, self.reader.zone
        local = m.timestamp.astimezone(zone)
        replaced = ""
        if m.replaced_at is not None:
            replaced = f"{m.replaced_at.astimezone(zone):%H:%M}"
        content = self.markdown(m.content) if m.content else None
        embeds = tuple(self.embed(e) for e in m.embeds)
        build = Components(self.media, self.markdown)
        components = tuple(build.component(c) for c in m.components)
        attachments = tuple(
            _attachment(a) for a in m.attachments if a.filename not in self.referenced
        )
        return MessageView(
            css="msg ephemeral" if m.ephemeral_to else "msg",
            initial=m.author[:1].upper() or "?",
            author=m.author,
            is_bot=m.author_is_bot,
            iso=m.timestamp.astimezone(UTC).isoformat(),
            when=f"{local:%a %d %b %Y %H:%M %Z}",
            edited=m.edited,
            replaced_at=replaced,
            note=m.note or "",
            content=content,
            embeds=embeds,
            components=components,
            attachments=attachments,
            ephemeral_to=m.ephemeral_to or "",
        )

    def markdown(self, text: str) -> Markup:
        """Text of this message, with relative times as they read when it was shown."""
        return self.reader.markdown(text, self.message.timestamp)

    def media(self, url: object) -> tuple[Media, ...]:
        """An image given by URL: attachment:// names resolve to this message's files."""
        if not isinstance(url, str):
            return ()
        if url.startswith("attachment://"):
            name = url.removeprefix("attachment://")
            for attachment in self.message.attachments:
                if attachment.filename == name:
                    self.referenced.add(name)
                    return (_attachment(attachment),)
        # Never load anything from the network: name the URL instead.
        return (Media("url", name=url),)

    def embed(self, embed: Json) -> Embed:
        author = embed.get("author")
        fields = tuple(
            Field(
                str(f.get("name", "")),
                self.markdown(str(f.get("value", ""))),
                bool(f.get("inline")),
            )
            for f in maps(embed.get("fields"))
        )
        media = tuple(
            (key, shown)
            for key in ("image", "thumbnail")
            if isinstance(part := embed.get(key), Mapping)
            for shown in self.media(part.get("url"))
        )
        footer = embed.get("footer")
        footer_text = str(footer.get("text", "")) if isinstance(footer, Mapping) else ""
        return Embed(
            colour=colour(embed.get("color")) or "#1e1f22",
            author=str(author["name"])
            if isinstance(author, Mapping) and author.get("name")
            else "",
            title=str(embed["title"]) if embed.get("title") else "",
            description=self.markdown(str(embed["description"]))
            if embed.get("description")
            else Markup(),
            fields=fields,
            media=media,
            footer=" · ".join(
                x for x in (footer_text, self.embed_time(embed.get("timestamp"))) if x
            ),
        )

    def embed_time(self, value: object) -> str:
        if not isinstance(value, str):
            return ""
        try:
            when = datetime.fromisoformat(value)
        except ValueError:
            return value
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        return f"{when.astimezone(self.reader.zone):%d %b %Y %H:%M %Z}"
