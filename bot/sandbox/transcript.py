"""A self-contained HTML transcript of what people saw in the sandbox.

``render_transcript`` turns plain data (timelines of messages with Discord embed and
component JSON) into one HTML file with a page per timeline: inline CSS, no JavaScript,
no external resources (images are ``data:`` URIs). Python prepares view data
(``transcript_view``); Jinja2 templates in ``templates/`` write the HTML with autoescaping
on, so user text cannot inject markup. Markdown is rendered in ``transcript_markdown``
after escaping.

A modal is passed as one entry of ``TranscriptMessage.components``: the modal's
``data`` object (``title``, ``custom_id``, ``components``), which has no ``type``.

A message is shown as it read at ``timestamp``: relative Discord timestamps
(``<t:N:R>``) are rendered relative to that moment, not to when the transcript was
made. An edited message is passed once per version, each with its own ``timestamp``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from typing import Any, Literal

import jinja2

from bot.sandbox.transcript_view import Page, page

Json = Mapping[str, Any]

TEMPLATE = "transcript.html.j2"


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
    reader: str | None = None  # whose DMs or private replies these are


@cache
def environment() -> jinja2.Environment:
    """The one Jinja2 environment: package templates, autoescaping everywhere, strict."""
    return jinja2.Environment(
        loader=jinja2.PackageLoader("bot.sandbox", "templates"),
        autoescape=True,  # every template, whatever its extension
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


@dataclass(frozen=True)
class _NavGroup:
    label: str
    pages: tuple[Page, ...]


_GROUP = {
    "channel": "What everyone saw",
    "events": "What everyone saw",
    "dm": "What one member saw",
    "ephemeral": "What one member saw",
}


def _groups(pages: Sequence[Page]) -> list[_NavGroup]:
    """Consecutive pages under one heading: shared channels first, then each member's."""
    groups: list[_NavGroup] = []
    for shown in pages:
        label = _GROUP[shown.kind]
        if groups and groups[-1].label == label:
            groups[-1] = _NavGroup(label, (*groups[-1].pages, shown))
        else:
            groups.append(_NavGroup(label, (shown,)))
    return groups


def render_transcript(
    title: str,
    timelines: Sequence[TranscriptTimeline],
    *,
    generated_at: datetime,
    names: Mapping[int, str] | None = None,
) -> str:
    """Render every timeline into one self-contained HTML file, a page per timeline.

    `names` maps user, role and channel ids to the names a reader would see in mentions.
    """
    known = dict(names or {})
    pages = [page(f"t{i}", t, known) for i, t in enumerate(timelines)]
    return (
        environment()
        .get_template(TEMPLATE)
        .render(
            title=title,
            generated=generated_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC"),
            pages=pages,
            groups=_groups(pages),
        )
    )
