"""A self-contained HTML transcript of what people saw in the sandbox.

``render_transcript`` turns plain data (timelines of messages with Discord embed and
component JSON) into one HTML page: inline CSS, no JavaScript, no external resources
(images are ``data:`` URIs). Every piece of user text goes through ``html.escape``
before the small Markdown subset is applied, so content cannot inject markup.

A modal is passed as one entry of ``TranscriptMessage.components``: the modal's
``data`` object (``title``, ``custom_id``, ``components``), which has no ``type``.

A message is shown as it read at ``timestamp``: relative Discord timestamps
(``<t:N:R>``) are rendered relative to that moment, not to when the transcript was
made. An edited message is passed once per version, each with its own ``timestamp``.
"""

from __future__ import annotations

import base64
import html
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

Json = Mapping[str, Any]

_INLINE_IMAGE_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp"})


@dataclass(frozen=True)
class TranscriptAttachment:
    """A file sent with a message."""

    filename: str
    content_type: str
    data: bytes


@dataclass(frozen=True)
class TranscriptMessage:
    """One message as its reader saw it."""

    author: str
    author_is_bot: bool
    timestamp: datetime
    content: str
    embeds: Sequence[Json] = ()
    components: Sequence[Json] = ()
    attachments: Sequence[TranscriptAttachment] = ()
    ephemeral_to: str | None = None
    note: str | None = None
    edited: bool = False
    replaced_at: datetime | None = None


@dataclass(frozen=True)
class TranscriptTimeline:
    """A channel, a member's DMs, a member's ephemeral replies, or a guild's scheduled
    events (each change to one as a message)."""

    title: str
    kind: Literal["channel", "dm", "ephemeral", "events"]
    viewer_zone: str | None
    messages: Sequence[TranscriptMessage] = ()


def render_transcript(
    title: str,
    timelines: Sequence[TranscriptTimeline],
    *,
    generated_at: datetime,
    names: Mapping[int, str] | None = None,
) -> str:
    """Render every timeline into one self-contained HTML page.

    `names` maps user, role and channel ids to the names a reader would see in mentions.
    """
    e = html.escape
    toc = "".join(
        f'<li><a href="#t{i}">{e(t.title)}</a> '
        f'<span class="muted">{_KIND_LABEL[t.kind]} · {len(t.messages)} messages</span></li>'
        for i, t in enumerate(timelines)
    )
    known = dict(names or {})
    sections = "".join(_Timeline(t, known).render(f"t{i}") for i, t in enumerate(timelines))
    stamp = generated_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{e(title)}</title><style>{_CSS}</style></head><body>"
        f'<header><h1>{e(title)}</h1><p class="muted">Generated {stamp}</p></header>'
        f'<nav class="toc"><h2>Contents</h2><ol>{toc}</ol></nav>'
        f"<main>{sections}</main></body></html>\n"
    )


_KIND_LABEL = {
    "channel": "channel",
    "dm": "direct messages",
    "ephemeral": "ephemeral replies",
    "events": "scheduled events",
}


def _zone(name: str | None) -> ZoneInfo:
    if name:
        try:
            return ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            pass
    return ZoneInfo("UTC")


class _Timeline:
    """Renders one timeline; knows its reader's zone and the names in mentions."""

    def __init__(self, timeline: TranscriptTimeline, names: Mapping[int, str]) -> None:
        self.timeline = timeline
        self.names = names
        # Channels are read by many people: show UTC. DMs: the member's own zone.
        use_viewer = timeline.kind != "channel" and timeline.viewer_zone
        self.zone = _zone(timeline.viewer_zone if use_viewer else None)

    def render(self, anchor: str) -> str:
        t = self.timeline
        parts = [
            f'<section class="timeline" id="{anchor}"><h2>{html.escape(t.title)}</h2>',
            f'<p class="muted">{_KIND_LABEL[t.kind]} · times in {html.escape(self.zone.key)}</p>',
        ]
        day = None
        for message in t.messages:
            local = message.timestamp.astimezone(self.zone)
            if local.date() != day:
                day = local.date()
                parts.append(f'<div class="day"><span>{local:%A %d %B %Y}</span></div>')
            parts.append(_Message(message, self).render())
        if not t.messages:
            parts.append('<p class="muted">No messages.</p>')
        parts.append("</section>")
        return "".join(parts)

    def markdown(self, text: str, read_at: datetime) -> str:
        """`text` as rendered for a reader at `read_at` (relative times count from it)."""
        return _markdown(
            text, lambda unix, style: self.timestamp(unix, style, read_at), self.mention
        )

    def mention(self, kind: str, snowflake: int) -> str:
        """A mention as the reader sees it: the name when known, else the kind and id."""
        name = self.names.get(snowflake)
        prefix = "#" if kind == "#" else "@"
        shown = f"{prefix}{name}" if name else f"{_MENTION_PREFIX[kind]}{snowflake}"
        return f'<span class="mention">{html.escape(shown)}</span>'

    def timestamp(self, unix: int, style: str, read_at: datetime) -> str:
        """A Discord ``<t:unix:style>`` timestamp, as the reader would see it at `read_at`."""
        try:
            when = datetime.fromtimestamp(unix, UTC).astimezone(self.zone)
        except (OverflowError, OSError, ValueError):
            return f"&lt;t:{unix}&gt;"
        if style == "R":
            text = _relative(when, read_at)
        else:
            text = when.strftime(_TIME_STYLES.get(style, _TIME_STYLES["f"]))
        title = html.escape(f"{when:%Y-%m-%d %H:%M %Z} ({self.zone.key})")
        return f'<span class="ts" title="{title}">{html.escape(text)}</span>'


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


# --- Markdown (a small subset of Discord's) ----------------------------------------

_ESCAPED = re.compile(r"\\([^\w\s])")
_AUTOLINK = re.compile(r"&lt;(https?://[^\s<>]+?)&gt;")
_CODE_BLOCK = re.compile(r"```(?:[\w+-]*\n)?(.*?)```", re.DOTALL)
_INLINE_CODE = re.compile(r"`([^`\n]+)`")
_TIMESTAMP = re.compile(r"&lt;t:(-?\d{1,13})(?::([tTdDfFR]))?&gt;")
_MENTION = re.compile(r"&lt;(@!?|@&amp;|#)(\d+)&gt;")
_LINK = re.compile(r"\[([^\]\n]+)\]\((https?://[^\s)]+)\)")
_INLINE = [
    (re.compile(r"\*\*(.+?)\*\*"), r"<strong>\1</strong>"),
    (re.compile(r"__(.+?)__"), r"<u>\1</u>"),
    (re.compile(r"(?<![\w*])\*(?!\s)(.+?)(?<!\s)\*(?![\w*])"), r"<em>\1</em>"),
    (re.compile(r"(?<!\w)_(?!\s)(.+?)(?<!\s)_(?!\w)"), r"<em>\1</em>"),
    (re.compile(r"~~(.+?)~~"), r"<s>\1</s>"),
]
_BLOCKS = [("-# ", "subtext"), ("### ", "h3"), ("## ", "h2"), ("# ", "h1"), ("&gt; ", "quote")]
_MENTION_PREFIX = {"@": "@user-", "@!": "@user-", "@&amp;": "@role-", "#": "#channel-"}


def _line(line: str) -> str:
    """One escaped line: its block style (heading, quote, bullet...) and inline styles."""
    css = "line"
    for prefix, block in _BLOCKS:
        if line.startswith(prefix):
            css, line = block, line[len(prefix) :]
            break
    if line.startswith(("- ", "* ")):
        css, line = "bullet", "• " + line[2:]
    for pattern, replacement in _INLINE:
        line = pattern.sub(replacement, line)
    return f'<div class="{css}">{line or "&#8203;"}</div>'


def _markdown(
    text: str,
    timestamp: Callable[[int, str], str],
    mention: Callable[[str, int], str] | None = None,
) -> str:
    """Escape ``text``, then render bold, italic, code, quotes, headings, line breaks."""
    stash: list[str] = []

    def keep(fragment: str) -> str:
        stash.append(fragment)
        return f"\x00{len(stash) - 1}\x00"

    text = text.replace("\x00", "")
    # As in Discord, a backslash shows the next punctuation character as itself.
    text = _ESCAPED.sub(lambda m: keep(html.escape(m[1])), text)
    text = _CODE_BLOCK.sub(lambda m: keep(f"<pre><code>{html.escape(m[1])}</code></pre>"), text)
    text = _INLINE_CODE.sub(lambda m: keep(f"<code>{html.escape(m[1])}</code>"), text)
    text = html.escape(text)
    text = _TIMESTAMP.sub(lambda m: keep(timestamp(int(m[1]), m[2] or "f")), text)
    show = mention or (
        lambda kind, snowflake: f'<span class="mention">{_MENTION_PREFIX[kind]}{snowflake}</span>'
    )
    text = _MENTION.sub(lambda m: keep(show(m[1], int(m[2]))), text)
    text = _AUTOLINK.sub(lambda m: keep(f'<a href="{m[1]}">{m[1]}</a>'), text)
    text = _LINK.sub(lambda m: keep(f'<a href="{m[2]}">{m[1]}</a>'), text)
    lines = [_line(line) for line in text.split("\n")]
    rendered = "".join(lines)
    return re.sub("\x00(\\d+)\x00", lambda m: stash[int(m[1])], rendered)


# --- messages ----------------------------------------------------------------------


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


def _colour(value: object) -> str | None:
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= 0xFFFFFF:
        return f"#{value:06x}"
    return None


@dataclass
class _Message:
    message: TranscriptMessage
    timeline: _Timeline
    referenced: set[str] = field(default_factory=set)

    def render(self) -> str:
        m, e = self.message, html.escape
        local = m.timestamp.astimezone(self.timeline.zone)
        when = f"{local:%a %d %b %Y %H:%M %Z}"
        iso = m.timestamp.astimezone(UTC).isoformat()
        badge = '<span class="badge">APP</span>' if m.author_is_bot else ""
        css = "msg ephemeral" if m.ephemeral_to else "msg"
        edited = '<span class="muted small">(edited)</span>' if m.edited else ""
        replaced = ""
        if m.replaced_at is not None:
            later = m.replaced_at.astimezone(self.timeline.zone)
            replaced = f'<span class="muted small">· replaced by an edit at {later:%H:%M}</span>'
        parts = [
            f'<article class="{css}"><div class="avatar">{e(m.author[:1].upper() or "?")}</div>',
            f'<div class="body"><div class="meta"><span class="author">{e(m.author)}</span>',
            f'{badge}<time datetime="{iso}">{when}</time>{edited}{replaced}</div>',
        ]
        if m.note:
            parts.append(f'<div class="note">{e(m.note)}</div>')
        if m.content:
            parts.append(f'<div class="content">{self.markdown(m.content)}</div>')
        parts += [self.embed(embed) for embed in m.embeds]
        parts += [self.component(c) for c in m.components]
        parts += [self.attachment(a) for a in m.attachments if a.filename not in self.referenced]
        if m.ephemeral_to:
            parts.append(
                '<div class="eph">Only you can see this'
                f' <span class="muted">· shown only to {e(m.ephemeral_to)}</span></div>'
            )
        parts.append("</div></article>")
        return "".join(parts)

    def markdown(self, text: str) -> str:
        """Text of this message, with relative times as they read when it was shown."""
        return self.timeline.markdown(text, self.message.timestamp)

    # -- media --

    def media(self, url: object, alt: str = "") -> str:
        """An image given by URL: attachment:// names resolve to this message's files."""
        if not isinstance(url, str):
            return ""
        if url.startswith("attachment://"):
            name = url.removeprefix("attachment://")
            for attachment in self.message.attachments:
                if attachment.filename == name:
                    self.referenced.add(name)
                    uri = _data_uri(attachment)
                    if uri:
                        return f'<img src="{uri}" alt="{html.escape(alt or name)}">'
                    return self.attachment(attachment)
        # Never load anything from the network: name the URL instead.
        return f'<div class="file">image: {html.escape(url)}</div>'

    def attachment(self, attachment: TranscriptAttachment) -> str:
        uri = _data_uri(attachment)
        name = html.escape(attachment.filename)
        if uri:
            return (
                f'<figure class="att"><img src="{uri}" alt="{name}">'
                f"<figcaption>{name}</figcaption></figure>"
            )
        return (
            f'<div class="file">{name} <span class="muted">'
            f"{html.escape(attachment.content_type)} · {_size(len(attachment.data))}</span></div>"
        )

    # -- embeds --

    def embed(self, embed: Json) -> str:
        e, md = html.escape, self.markdown
        colour = _colour(embed.get("color")) or "#1e1f22"
        parts = [f'<div class="embed" style="border-left-color:{colour}">']
        author = embed.get("author")
        if isinstance(author, Mapping) and author.get("name"):
            parts.append(f'<div class="e-author">{e(str(author["name"]))}</div>')
        if embed.get("title"):
            parts.append(f'<div class="e-title">{e(str(embed["title"]))}</div>')
        if embed.get("description"):
            parts.append(f'<div class="e-desc">{md(str(embed["description"]))}</div>')
        fields = [f for f in _items(embed.get("fields")) if isinstance(f, Mapping)]
        if fields:
            parts.append('<div class="fields">')
            for f in fields:
                css = "field inline" if f.get("inline") else "field"
                parts.append(
                    f'<div class="{css}"><div class="f-name">{e(str(f.get("name", "")))}</div>'
                    f'<div class="f-value">{md(str(f.get("value", "")))}</div></div>'
                )
            parts.append("</div>")
        for key in ("image", "thumbnail"):
            part = embed.get(key)
            if isinstance(part, Mapping):
                parts.append(f'<div class="e-{key}">{self.media(part.get("url"))}</div>')
        footer = embed.get("footer")
        footer_text = str(footer.get("text", "")) if isinstance(footer, Mapping) else ""
        if footer_text or embed.get("timestamp"):
            stamp = self.embed_time(embed.get("timestamp"))
            joined = " · ".join(x for x in (e(footer_text), stamp) if x)
            parts.append(f'<div class="e-footer">{joined}</div>')
        parts.append("</div>")
        return "".join(parts)

    def embed_time(self, value: object) -> str:
        if not isinstance(value, str):
            return ""
        try:
            when = datetime.fromisoformat(value)
        except ValueError:
            return html.escape(value)
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        return html.escape(f"{when.astimezone(self.timeline.zone):%d %b %Y %H:%M %Z}")

    # -- components --

    def component(self, c: Json) -> str:
        kind = c.get("type")
        if kind is None and "title" in c:
            return self.modal(c)
        render = _COMPONENTS.get(kind) if isinstance(kind, int) else None
        if render is None:
            return f'<div class="muted">[component type {html.escape(str(kind))}]</div>'
        return render(self, c)

    def children(self, c: Json) -> str:
        return "".join(
            self.component(x) for x in _items(c.get("components")) if isinstance(x, Mapping)
        )

    def modal(self, c: Json) -> str:
        return (
            f'<div class="modal"><div class="m-title">{html.escape(str(c.get("title", "")))}</div>'
            f'{self.children(c)}<div class="m-actions"><span class="btn btn-2">Cancel</span>'
            '<span class="btn btn-1">Submit</span></div></div>'
        )

    def row(self, c: Json) -> str:
        return f'<div class="row">{self.children(c)}</div>'

    def button(self, c: Json) -> str:
        style = c.get("style") if c.get("style") in (1, 2, 3, 4, 5, 6) else 2
        css = f"btn btn-{style}" + (" disabled" if c.get("disabled") else "")
        label = html.escape(str(c.get("label") or ""))
        arrow = " ↗" if style == 5 else ""
        return f'<span class="{css}">{_emoji(c.get("emoji"))}{label}{arrow}</span>'

    def select(self, c: Json) -> str:
        e = html.escape
        kind = _SELECT_KIND.get(int(c.get("type") or 3), "select")
        placeholder = e(str(c.get("placeholder") or "Make a selection"))
        options = "".join(
            f'<li class="{"chosen" if o.get("default") else ""}">{_emoji(o.get("emoji"))}'
            f"{e(str(o.get('label', '')))}"
            + (
                f' <span class="muted">— {e(str(o["description"]))}</span>'
                if o.get("description")
                else ""
            )
            + "</li>"
            for o in _items(c.get("options"))
            if isinstance(o, Mapping)
        )
        disabled = " disabled" if c.get("disabled") else ""
        return (
            f'<div class="select{disabled}"><div class="ph">{placeholder} ▾'
            f' <span class="muted">({kind})</span></div>'
            + (f"<ul>{options}</ul>" if options else "")
            + "</div>"
        )

    def text_input(self, c: Json) -> str:
        e = html.escape
        label = f'<div class="i-label">{e(str(c["label"]))}</div>' if c.get("label") else ""
        value = c.get("value") or c.get("placeholder") or ""
        css = "input para" if c.get("style") == 2 else "input"
        muted = "" if c.get("value") else " muted"
        return f'{label}<div class="{css}{muted}">{e(str(value))}&#8203;</div>'

    def label(self, c: Json) -> str:
        e = html.escape
        required = ""
        child = c.get("component")
        if isinstance(child, Mapping) and child.get("required", True) and child.get("type") != 23:
            required = ' <span class="req">*</span>'
        desc = c.get("description")
        return (
            f'<div class="label"><div class="i-label">{e(str(c.get("label", "")))}{required}</div>'
            + (f'<div class="muted small">{e(str(desc))}</div>' if desc else "")
            + (self.component(child) if isinstance(child, Mapping) else "")
            + "</div>"
        )

    def choices(self, c: Json) -> str:
        on, off = ("◉", "○") if c.get("type") == 21 else ("☑", "☐")
        items = "".join(
            f"<li>{on if o.get('default') else off} {html.escape(str(o.get('label', '')))}</li>"
            for o in _items(c.get("options"))
            if isinstance(o, Mapping)
        )
        return f'<ul class="choices">{items}</ul>'

    def checkbox(self, c: Json) -> str:
        return f'<div class="choices">{"☑" if c.get("default") else "☐"}</div>'

    def file_upload(self, c: Json) -> str:
        return '<div class="input muted">Upload files</div>'

    def section(self, c: Json) -> str:
        accessory = c.get("accessory")
        side = self.component(accessory) if isinstance(accessory, Mapping) else ""
        return f'<div class="section"><div>{self.children(c)}</div><div>{side}</div></div>'

    def text_display(self, c: Json) -> str:
        return f'<div class="text">{self.markdown(str(c.get("content", "")))}</div>'

    def thumbnail(self, c: Json) -> str:
        media = c.get("media")
        url = media.get("url") if isinstance(media, Mapping) else None
        return f'<div class="thumb">{self.media(url)}</div>'

    def gallery(self, c: Json) -> str:
        items = [i for i in _items(c.get("items")) if isinstance(i, Mapping)]
        images = "".join(
            self.media(i["media"].get("url") if isinstance(i.get("media"), Mapping) else None)
            for i in items
        )
        return f'<div class="gallery">{images}</div>'

    def file(self, c: Json) -> str:
        media = c.get("file")
        return self.media(media.get("url") if isinstance(media, Mapping) else None)

    def separator(self, c: Json) -> str:
        gap = "big" if c.get("spacing") == 2 else "small"
        return f'<hr class="sep {gap}{"" if c.get("divider", True) else " invisible"}">'

    def container(self, c: Json) -> str:
        colour = _colour(c.get("accent_color"))
        style = f' style="border-left-color:{colour}"' if colour else ""
        spoiler = '<div class="muted small">spoiler</div>' if c.get("spoiler") else ""
        return f'<div class="container"{style}>{spoiler}{self.children(c)}</div>'


def _items(value: object) -> list[Any]:
    return value if isinstance(value, list) else []


def _emoji(emoji: object) -> str:
    if not isinstance(emoji, Mapping) or not emoji.get("name"):
        return ""
    name = str(emoji["name"])
    return html.escape(f":{name}: " if emoji.get("id") else f"{name} ")


_SELECT_KIND = {3: "options", 5: "users", 6: "roles", 7: "users and roles", 8: "channels"}
_COMPONENTS: dict[int, Callable[[_Message, Json], str]] = {
    1: _Message.row,
    2: _Message.button,
    3: _Message.select,
    4: _Message.text_input,
    5: _Message.select,
    6: _Message.select,
    7: _Message.select,
    8: _Message.select,
    9: _Message.section,
    10: _Message.text_display,
    11: _Message.thumbnail,
    12: _Message.gallery,
    13: _Message.file,
    14: _Message.separator,
    17: _Message.container,
    18: _Message.label,
    19: _Message.file_upload,
    21: _Message.choices,
    22: _Message.choices,
    23: _Message.checkbox,
}

_CSS = """
:root{color-scheme:dark}
*{box-sizing:border-box}
body{margin:0;background:#313338;color:#dbdee1;font:15px/1.4 "gg sans","Noto Sans",
"Helvetica Neue",Helvetica,Arial,sans-serif}
header,nav,main{max-width:960px;margin:0 auto;padding:16px 24px}
h1{font-size:24px;margin:8px 0}h2{font-size:18px;margin:8px 0;color:#f2f3f5}
a{color:#00a8fc;text-decoration:none}a:hover{text-decoration:underline}
.muted{color:#949ba4}.small{font-size:12px}
.toc{background:#2b2d31;border-radius:8px}.toc ol{margin:0;padding-left:24px}
.timeline{border-top:1px solid #3f4147;margin-top:24px;padding-top:8px}
.day{display:flex;align-items:center;margin:16px 0 8px;color:#949ba4;font-size:12px;
font-weight:600}
.day::before,.day::after{content:"";flex:1;border-top:1px solid #3f4147}
.day span{padding:0 8px}
.msg{display:flex;gap:16px;padding:6px 8px;border-radius:4px}
.msg:hover{background:#2e3035}
.msg.ephemeral{background:rgba(88,101,242,.08);border-left:2px solid #5865f2}
.avatar{flex:none;width:40px;height:40px;border-radius:50%;background:#5865f2;color:#fff;
display:flex;align-items:center;justify-content:center;font-weight:700}
.body{min-width:0;flex:1}
.meta{display:flex;align-items:baseline;gap:8px}
.author{font-weight:600;color:#f2f3f5}
.badge{background:#5865f2;color:#fff;font-size:10px;font-weight:700;padding:1px 4px;
border-radius:3px}
time{color:#949ba4;font-size:12px}
.note{color:#949ba4;font-style:italic;font-size:13px}
.content,.text{overflow-wrap:anywhere}
.h1{font-size:22px;font-weight:700;margin:6px 0}.h2{font-size:19px;font-weight:700;margin:4px 0}
.h3{font-size:16px;font-weight:700;margin:4px 0}.subtext{font-size:12px;color:#949ba4}
.quote{border-left:4px solid #4e5058;padding-left:10px}
code{background:#2b2d31;border:1px solid #1e1f22;border-radius:3px;padding:0 3px;
font-family:Consolas,"Courier New",monospace;font-size:13px}
pre{margin:4px 0}pre code{display:block;padding:8px;white-space:pre-wrap}
.mention,.ts{background:rgba(88,101,242,.3);color:#c9cdfb;border-radius:3px;padding:0 2px}
.embed{background:#2b2d31;border-left:4px solid #1e1f22;border-radius:4px;
padding:8px 16px 12px 12px;margin:4px 0;max-width:520px}
.e-author{font-size:13px;font-weight:600}.e-title{font-weight:700;color:#f2f3f5;margin:4px 0}
.e-desc{font-size:14px}
.fields{display:flex;flex-wrap:wrap;gap:8px;margin-top:8px}
.field{flex:1 1 100%}.field.inline{flex:1 1 30%}
.f-name{font-weight:600;font-size:14px}.f-value{font-size:14px}
.e-footer{font-size:12px;color:#949ba4;margin-top:8px}
img{max-width:100%;max-height:360px;border-radius:4px;display:block;margin-top:4px}
.att{margin:4px 0}.att figcaption{font-size:12px;color:#949ba4}
.file{background:#2b2d31;border:1px solid #1e1f22;border-radius:4px;padding:8px;margin:4px 0;
overflow-wrap:anywhere}
.row{display:flex;flex-wrap:wrap;gap:8px;margin:6px 0}
.btn{display:inline-block;padding:4px 14px;border-radius:4px;color:#fff;font-size:14px;
font-weight:500;min-height:32px;line-height:24px}
.btn-1{background:#5865f2}.btn-2,.btn-5,.btn-6{background:#4e5058}.btn-3{background:#248046}
.btn-4{background:#da373c}.disabled{opacity:.5}
.select{background:#1e1f22;border-radius:4px;padding:8px;max-width:520px;margin:4px 0}
.select ul,.choices{margin:4px 0 0;padding-left:18px;font-size:14px}
.choices{list-style:none;padding-left:4px}.chosen{color:#f2f3f5;font-weight:600}
.ph{color:#b5bac1}
.modal{background:#313338;border:1px solid #1e1f22;border-radius:8px;padding:16px;
max-width:480px;margin:6px 0;box-shadow:0 8px 16px rgba(0,0,0,.24)}
.m-title{font-size:20px;font-weight:700;color:#f2f3f5;margin-bottom:8px}
.m-actions{display:flex;justify-content:flex-end;gap:8px;margin-top:12px}
.label{margin:10px 0}.i-label{font-size:12px;font-weight:700;text-transform:uppercase;
color:#b5bac1;margin:6px 0 4px}
.req{color:#f23f43}
.input{background:#1e1f22;border-radius:4px;padding:8px;min-height:38px;white-space:pre-wrap}
.input.para{min-height:80px}.modal .row{display:block}
.section{display:flex;justify-content:space-between;gap:12px;align-items:flex-start}
.container{background:#2b2d31;border-left:4px solid #4e5058;border-radius:8px;padding:12px 16px;
margin:4px 0;max-width:600px}
.gallery{display:flex;flex-wrap:wrap;gap:4px}.gallery img{max-width:48%}
.thumb img{max-width:85px;max-height:85px}
.sep{border:0;border-top:1px solid #3f4147;margin:6px 0}.sep.big{margin:14px 0}
.sep.invisible{border-color:transparent}
.eph{font-size:12px;color:#949ba4;margin-top:4px}
"""
