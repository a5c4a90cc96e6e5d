"""The HTML transcript: escaping, inline images, Discord timestamps in the reader's zone,
every component kind, size, and (when Chromium is installed) a real render."""

from __future__ import annotations

import base64
import os
import re
import shutil
import struct
import zlib
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path
from typing import Any, Literal

import headless
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.clock import VirtualClock
from bot.sandbox import SandboxServer
from bot.sandbox.transcript import (
    TranscriptAttachment,
    TranscriptMessage,
    TranscriptTimeline,
    render_transcript,
)
from bot.text import plain

NOW = datetime(2025, 3, 29, 12, 0, tzinfo=UTC)
EVIL = '<script>alert("x")</script>'


def png(width: int = 4, height: int = 3) -> bytes:
    """A small valid PNG (solid blurple) built with the stdlib."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    rows = b"".join(b"\x00" + b"\x58\x65\xf2" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def msg(content: str = "", **kwargs: Any) -> TranscriptMessage:
    fields: dict[str, Any] = {
        "author": "peerpulse",
        "author_is_bot": True,
        "timestamp": NOW,
        "content": content,
        "embeds": [],
        "components": [],
        "attachments": [],
    }
    fields.update(kwargs)
    return TranscriptMessage(**fields)


Kind = Literal["channel", "dm", "ephemeral"]


def render(*messages: TranscriptMessage, kind: Kind = "channel", zone: str | None = None) -> str:
    timeline = TranscriptTimeline(
        title="#check-ins", kind=kind, viewer_zone=zone, messages=list(messages)
    )
    return render_transcript("Sandbox", [timeline], generated_at=NOW)


def button(label: str, style: int = 1, **extra: Any) -> dict[str, Any]:
    return {"type": 2, "style": style, "label": label, "custom_id": label, **extra}


def checkin_modal() -> dict[str, Any]:
    """The ``data`` of a modal response, as discord.py sends it."""
    options = [{"label": x, "value": x, "default": x == "Steady"} for x in ("Low", "Steady")]
    return {
        "title": "Weekly check-in",
        "custom_id": "checkin",
        "components": [
            {"type": 10, "content": "No client-identifying details, please."},
            {
                "type": 18,
                "label": "Energy",
                "component": {"type": 21, "custom_id": "e", "options": options},
            },
            {
                "type": 18,
                "label": "What helped",
                "description": "Pick any",
                "component": {"type": 22, "custom_id": "h", "options": options, "required": False},
            },
            {"type": 18, "label": "Want a consult?", "component": {"type": 23, "custom_id": "c"}},
            {
                "type": 18,
                "label": "Caseload",
                "component": {
                    "type": 3,
                    "custom_id": "load",
                    "placeholder": "How was it?",
                    "options": [{"label": "Manageable", "value": "ok"}],
                },
            },
            {
                "type": 18,
                "label": "Note",
                "component": {
                    "type": 4,
                    "custom_id": "n",
                    "style": 2,
                    "label": None,
                    "placeholder": "Optional",
                },
            },
            {"type": 18, "label": "Files", "component": {"type": 19, "custom_id": "f"}},
            {
                "type": 1,
                "components": [
                    {"type": 4, "custom_id": "old", "style": 1, "label": "Legacy input"}
                ],
            },
        ],
    }


def sample_timelines(n_filler: int = 0) -> list[TranscriptTimeline]:
    chart = TranscriptAttachment("chart.png", "image/png", png(40, 20))
    csv = TranscriptAttachment("summary.csv", "text/csv", b"a,b\n" * 256)
    channel = [
        msg(
            "# Weekly check-in\nCloses <t:1743436800:F> (**2 days**), _be kind_.\n"
            "> quoted\n- bullet\n`code` and ```\nblock **not bold**\n```",
            embeds=[
                {
                    "title": "Group summary",
                    "description": "Participation: **7**",
                    "color": 0x5865F2,
                    "fields": [
                        {"name": "Energy", "value": "mostly steady", "inline": True},
                        {"name": "Caseload", "value": "manageable", "inline": True},
                        {"name": "Notes", "value": "shared notes only"},
                    ],
                    "image": {"url": "attachment://chart.png"},
                    "footer": {"text": "Group pulse, not a diagnosis"},
                    "timestamp": "2025-03-29T12:00:00+00:00",
                }
            ],
            components=[
                {
                    "type": 1,
                    "components": [
                        button("Answer", 1, emoji={"name": "📝"}),
                        button("Later", 2),
                        button("Yes", 3),
                        button("Skip", 4, disabled=True),
                        {"type": 2, "style": 5, "label": "Privacy", "url": "https://example.org"},
                    ],
                },
                {
                    "type": 1,
                    "components": [
                        {
                            "type": 3,
                            "custom_id": "energy",
                            "placeholder": "Energy this week",
                            "options": [
                                {"label": "Low", "value": "1", "description": "running on empty"},
                                {"label": "Good", "value": "3", "default": True},
                            ],
                        }
                    ],
                },
                {
                    "type": 1,
                    "components": [{"type": 5, "custom_id": "who", "placeholder": "Pick a peer"}],
                },
            ],
            attachments=[chart, csv],
        ),
        msg("clicked", author="Dana", author_is_bot=False, note="clicked 'Answer'"),
        msg(
            components=[checkin_modal()],
            note="opened a modal",
            ephemeral_to="Dana",
        ),
        msg(
            components=[
                {
                    "type": 17,
                    "accent_color": 0x248046,
                    "components": [
                        {"type": 10, "content": "## Consultation"},
                        {"type": 14, "divider": True, "spacing": 2},
                        {
                            "type": 9,
                            "components": [{"type": 10, "content": "Thursday 18:00"}],
                            "accessory": {"type": 11, "media": {"url": "attachment://chart.png"}},
                        },
                        {
                            "type": 9,
                            "components": [{"type": 10, "content": "RSVP"}],
                            "accessory": button("Going", 3),
                        },
                        {"type": 12, "items": [{"media": {"url": "attachment://chart.png"}}]},
                        {"type": 13, "file": {"url": "attachment://summary.csv"}},
                    ],
                }
            ],
            attachments=[chart, csv],
        ),
    ]
    channel += [msg(f"filler {i}", timestamp=NOW + timedelta(minutes=i)) for i in range(n_filler)]
    dm = [msg("Your check-in is open until <t:1743436800:t>.", timestamp=NOW)]
    return [
        TranscriptTimeline("#check-ins", "channel", None, channel),
        TranscriptTimeline("DMs with Dana", "dm", "America/New_York", dm),
        TranscriptTimeline("Ephemeral replies to Dana", "ephemeral", "America/New_York", []),
    ]


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))


def tags_of(page: str) -> list[tuple[str, list[tuple[str, str | None]]]]:
    parser = _Tags()
    parser.feed(page)
    return parser.tags


# --- escaping ---------------------------------------------------------------------------


def test_user_text_never_becomes_markup() -> None:
    modal = checkin_modal()
    modal["title"] = EVIL
    modal["components"][1]["label"] = EVIL
    evil_message = msg(
        f'{EVIL} **{EVIL}** [{EVIL}](https://e.org/"onmouseover="alert(1)) <t:{EVIL}>',
        author=EVIL,
        note=EVIL,
        ephemeral_to=EVIL,
        embeds=[
            {
                "title": EVIL,
                "description": EVIL,
                "author": {"name": EVIL},
                "fields": [{"name": EVIL, "value": EVIL}],
                "footer": {"text": EVIL},
                "image": {"url": 'attachment://"><img src=x onerror=alert(1)>'},
                "timestamp": EVIL,
                "color": "red;background:url(x)",
            }
        ],
        components=[
            {"type": 1, "components": [button(EVIL, emoji={"name": EVIL})]},
            {
                "type": 1,
                "components": [
                    {
                        "type": 3,
                        "placeholder": EVIL,
                        "options": [{"label": EVIL, "description": EVIL}],
                    }
                ],
            },
            {"type": 17, "components": [{"type": 10, "content": EVIL}], "accent_color": EVIL},
            {"type": EVIL},
            modal,
        ],
        attachments=[
            TranscriptAttachment('"><img src=x onerror=alert(1)>.txt', EVIL, b"x"),
            TranscriptAttachment("a.png", 'image/png"><script>', b"x"),
        ],
    )
    timeline = TranscriptTimeline(EVIL, "dm", EVIL, [evil_message])
    page = render_transcript(EVIL, [timeline], generated_at=NOW)

    tags = tags_of(page)
    allowed = {
        "html", "head", "meta", "title", "style", "body", "header", "h1", "h2", "p", "nav",
        "ol", "ul", "li", "a", "span", "main", "section", "div", "article", "time", "strong",
        "em", "u", "s", "code", "pre", "img", "figure", "figcaption", "hr",
    }  # fmt: skip
    assert {tag for tag, _ in tags} <= allowed
    assert "script" not in {tag for tag, _ in tags}
    for tag, attrs in tags:
        for name, value in attrs:
            assert not name.startswith("on"), (tag, name)
            if name == "href" and tag == "a":
                assert value is not None
                assert value.startswith(("#", "https://", "http://")), value
            if name == "src":
                assert value is not None
                assert value.startswith("data:image/"), value
            if name == "style":
                assert value is not None
                assert re.fullmatch(r"border-left-color:#[0-9a-f]{6}", value), value
    assert "&lt;script&gt;" in page
    assert page.lower().count("<script") == 0


def test_markdown_is_applied_after_escaping() -> None:
    page = render(msg("**<b>bold</b>** *it* __u__ ~~s~~ `<i>` line1\nline2"))
    assert "<strong>&lt;b&gt;bold&lt;/b&gt;</strong>" in page
    assert "<em>it</em>" in page
    assert "<u>u</u>" in page
    assert "<s>s</s>" in page
    assert "<code>&lt;i&gt;</code>" in page
    assert re.search(r"line1</div><div[^>]*>line2", page)


def test_escaped_member_text_reads_as_typed() -> None:
    """A note made plain shows as its author typed it: no heading, masked link or code."""
    note = "# Moderator notice\n[Verify your account](https://evil.example/login)\n```"
    page = render(msg(plain(note)))
    assert 'class="h1"' not in page
    assert "<pre>" not in page
    assert "\\" not in page
    assert "# Moderator notice" in page
    assert '[Verify your account](<a href="https://evil.example/login)">' in page
    assert "```" in page


def test_code_blocks_keep_their_text_literal() -> None:
    page = render(msg("```py\nx = **not bold** <t:0:F>\n```"))
    assert "<pre><code>x = **not bold** &lt;t:0:F&gt;\n</code></pre>" in page


def test_snake_case_is_not_italic() -> None:
    page = render(msg("custom_id_value and 2*3*4"))
    assert "<em>" not in page


# --- images and files --------------------------------------------------------------------


def test_image_attachment_is_inlined_as_data_uri() -> None:
    data = png()
    page = render(msg("chart", attachments=[TranscriptAttachment("c.png", "image/png", data)]))
    assert f'src="data:image/png;base64,{base64.b64encode(data).decode()}"' in page
    assert "c.png" in page


def test_other_files_are_listed_with_name_and_size() -> None:
    page = render(msg(attachments=[TranscriptAttachment("s.csv", "text/csv", b"x" * 2048)]))
    assert "s.csv" in page
    assert "2.0 KB" in page
    assert "data:text/csv" not in page


def test_embed_image_refers_to_attachment_and_is_not_listed_twice() -> None:
    data = png(8, 8)
    encoded = base64.b64encode(data).decode()
    page = render(
        msg(
            embeds=[{"title": "t", "image": {"url": "attachment://chart.png"}}],
            attachments=[TranscriptAttachment("chart.png", "image/png", data)],
        )
    )
    assert page.count(encoded) == 1
    assert re.search(r'class="e-image"><img src="data:image/png;base64,', page)


def test_no_external_resources() -> None:
    page = render_transcript("Sandbox", sample_timelines(), generated_at=NOW)
    for tag, attrs in tags_of(page):
        assert tag not in {"script", "link", "iframe", "object", "embed"}
        for name, value in attrs:
            if name == "src":
                assert value is not None
                assert value.startswith("data:")
    assert "@import" not in page
    assert "url(" not in page


# --- time ------------------------------------------------------------------------------


def test_discord_timestamps_use_viewer_zone_across_dst() -> None:
    before = int(datetime(2025, 3, 28, 8, 0, tzinfo=UTC).timestamp())  # 09:00 CET
    after = int(datetime(2025, 3, 31, 7, 0, tzinfo=UTC).timestamp())  # 09:00 CEST
    content = f"<t:{before}:t> / <t:{after}:t> / <t:{after}:F> / <t:{after}>"
    dm = render(msg(content), kind="dm", zone="Europe/Berlin")
    shown = re.findall(r'class="ts"[^>]*>([^<]*)<', dm)
    assert shown == ["09:00", "09:00", "Monday, 31 March 2025 09:00", "31 March 2025 09:00"]
    assert "CEST" in dm  # in the hover title
    channel = render(msg(content))
    assert re.findall(r'class="ts"[^>]*>([^<]*)<', channel)[:2] == ["08:00", "07:00"]


@pytest.mark.parametrize(
    ("style", "expected"),
    [
        ("t", "09:00"),
        ("T", "09:00:00"),
        ("d", "2025-03-31"),
        ("D", "31 March 2025"),
        ("f", "31 March 2025 09:00"),
        ("F", "Monday, 31 March 2025 09:00"),
        ("R", "in 2 days"),
    ],
)
def test_timestamp_styles(style: str, expected: str) -> None:
    after = int(datetime(2025, 3, 31, 7, 0, tzinfo=UTC).timestamp())
    page = render(msg(f"<t:{after}:{style}>"), kind="dm", zone="Europe/Berlin")
    assert re.findall(r'class="ts"[^>]*>([^<]*)<', page) == [expected]


def test_relative_past() -> None:
    page = render(msg(f"<t:{int((NOW - timedelta(hours=3)).timestamp())}:R>"))
    assert ">3 hours ago<" in page


def test_message_times_in_member_zone_for_dms_and_utc_for_channels() -> None:
    sent = datetime(2025, 3, 31, 13, 0, tzinfo=UTC)
    dm = render(msg("hi", timestamp=sent), kind="dm", zone="America/New_York")
    assert "Mon 31 Mar 2025 09:00 EDT" in dm
    assert "times in America/New_York" in dm
    channel = render(msg("hi", timestamp=sent), zone="America/New_York")
    assert "Mon 31 Mar 2025 13:00 UTC" in channel
    assert "times in UTC" in channel


def test_unknown_zone_falls_back_to_utc() -> None:
    page = render(msg("hi"), kind="dm", zone="Mars/Olympus")
    assert "times in UTC" in page


# --- structure -------------------------------------------------------------------------


def test_every_component_kind_appears() -> None:
    page = render_transcript("Sandbox", sample_timelines(), generated_at=NOW)
    expected = [
        # buttons: styles, disabled, emoji, link
        'class="btn btn-1">📝 Answer',
        'class="btn btn-2">Later',
        'class="btn btn-3">Yes',
        'class="btn btn-4 disabled">Skip',
        'class="btn btn-5">Privacy ↗',
        # selects
        "Energy this week ▾",
        "running on empty",
        'class="chosen">Good',
        "Pick a peer ▾",
        "(users)",
        # embed
        "Group summary",
        'class="field inline"',
        "Group pulse, not a diagnosis",
        "border-left-color:#5865f2",
        # Components V2
        'class="container" style="border-left-color:#248046"',
        'class="h2">Consultation',
        'class="sep big"',
        'class="section"',
        'class="thumb"><img',
        'class="gallery"><img',
        "summary.csv",
        # modal
        'class="m-title">Weekly check-in',
        "No client-identifying details, please.",
        "◉ Steady",
        "○ Low",
        "☑ Steady",
        "☐ Low",
        "Want a consult?",
        "How was it? ▾",
        'class="input para muted">Optional',
        "Upload files",
        "Legacy input",
        "Submit",
        # ephemeral + notes
        "Only you can see this",
        "shown only to Dana",
        "clicked &#39;Answer&#39;",  # markupsafe's entity for '
        "opened a modal",
        # bot badge and markdown from the first message
        'class="badge">APP',
        'class="h1">Weekly check-in',
        'class="quote">quoted',
        "• bullet",
    ]
    missing = [snippet for snippet in expected if snippet not in page]
    assert not missing


def test_table_of_contents_links_every_timeline() -> None:
    timelines = sample_timelines()
    page = render_transcript("Sandbox", timelines, generated_at=NOW)
    for i, timeline in enumerate(timelines):
        assert f'<a href="#t{i}">{timeline.title}</a>' in page
        assert f'id="t{i}"' in page
    assert "No messages." in page  # the empty ephemeral timeline


def test_big_transcript_renders() -> None:
    page = render_transcript("Sandbox", sample_timelines(n_filler=500), generated_at=NOW)
    assert page.count("<article") == 505
    assert "filler 499" in page
    assert page.endswith("</html>\n")


# --- a real browser ----------------------------------------------------------------------


def test_transcript_renders_in_chromium(tmp_path: Path, chromium: str) -> None:
    page = tmp_path / "transcript.html"
    page.write_text(
        render_transcript("Sandbox", sample_timelines(n_filler=20), generated_at=NOW),
        encoding="utf-8",
    )
    shot = tmp_path / "t.png"
    result = headless.run(
        chromium,
        page.as_uri(),
        tmp_path / "profile",
        f"--screenshot={shot}",
        "--window-size=1200,2000",
    )
    assert shot.exists(), result.stderr[-2000:]
    assert shot.stat().st_size > 20_000, "screenshot is suspiciously small"
    assert not headless.console_errors(result.stderr)
    if os.environ.get("TRANSCRIPT_SCREENSHOT"):  # handy when eyeballing the layout
        shutil.copy(shot, os.environ["TRANSCRIPT_SCREENSHOT"])


_KEYS = st.sampled_from(
    ["type", "components", "component", "accessory", "content", "fields", "name", "value",
     "title", "description", "footer", "author", "text", "style", "label", "url", "options",
     "items", "media", "file", "placeholder", "spacing", "accent_color", "color", "emoji",
     "default", "inline", "image", "timestamp", "disabled"]
)  # fmt: skip
_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-5, 2**40),
    st.sampled_from([1, 2, 3, 4, 5, 9, 10, 11, 12, 13, 14, 17, 18, 19, 21, 22, 23]),
    st.sampled_from(["attachment://a.png", "attachment://b.txt", "<t:1:R>", EVIL]),
    st.text(max_size=8),
)
_OBJ = st.dictionaries(
    _KEYS,
    st.recursive(
        _SCALARS,
        lambda inner: st.one_of(
            st.lists(inner, max_size=3), st.dictionaries(_KEYS, inner, max_size=4)
        ),
        max_leaves=25,
    ),
    max_size=5,
)


@settings(max_examples=200, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.lists(_OBJ, max_size=2), st.lists(_OBJ, max_size=2), st.text(max_size=40))
def test_odd_embed_and_component_json_still_renders_safely(
    embeds: list[dict[str, Any]], components: list[dict[str, Any]], content: str
) -> None:
    files = [
        TranscriptAttachment("a.png", "image/png", png()),
        TranscriptAttachment("b.txt", "text/plain", b"x"),
    ]
    message = msg(content, embeds=embeds, components=components, attachments=files)
    page = render(message, kind="dm", zone="Europe/Berlin")
    assert "script" not in {tag for tag, _ in tags_of(page)}


def test_mentions_show_the_names_a_reader_sees() -> None:
    page = render_transcript(
        "t",
        [
            TranscriptTimeline(
                "#c", "channel", None, [msg("Home: <#11>, moderators: <@&22>, hi <@33>, <@44>")]
            )
        ],
        generated_at=NOW,
        names={11: "peer-consult", 22: "Facilitators", 33: "Ana <b>"},
    )
    assert "#peer-consult" in page
    assert "@Facilitators" in page
    assert "@Ana &lt;b&gt;" in page
    assert "@user-44" in page


# --- time as it was read -----------------------------------------------------------------


def test_relative_times_count_from_when_the_message_was_shown() -> None:
    posted = NOW - timedelta(days=14)
    closes = int((posted + timedelta(days=7)).timestamp())
    page = render(msg(f"Open; closes <t:{closes}:R>.", timestamp=posted))
    # The story ended a week after the close, but the reader saw the post while it was open.
    assert re.findall(r'class="ts"[^>]*>([^<]*)<', page) == ["in 7 days"]
    assert "ago" not in page


def test_embed_and_text_display_times_count_from_the_message_too() -> None:
    shown = NOW - timedelta(days=30)
    later = int((shown + timedelta(hours=9)).timestamp())
    embed = {
        "description": f"Next window <t:{later}:R>",
        "fields": [{"name": "f", "value": f"<t:{later}:R>"}],
    }
    display = {"type": 10, "content": f"opens <t:{later}:R>"}
    page = render(msg("", embeds=[embed], components=[display], timestamp=shown))
    assert re.findall(r'class="ts"[^>]*>([^<]*)<', page) == ["in 9 hours"] * 3


def test_each_version_of_an_edited_message_is_marked() -> None:
    first = NOW - timedelta(minutes=2)
    page = render(
        msg("Your note may identify a client.", timestamp=first, replaced_at=NOW),
        msg("Saved.", timestamp=NOW, edited=True),
        kind="ephemeral",
        zone="Europe/London",
    )
    assert page.index("Your note may identify a client.") < page.index("Saved.")
    assert "replaced by an edit at 12:00" in page
    assert page.count("(edited)") == 1


async def test_the_timelines_keep_every_version_in_the_order_it_was_shown(
    server: SandboxServer, world: Any, virtual_clock: VirtualClock
) -> None:
    dana = world.members[0]
    flagged = server.core.create_message(
        channel_id=world.channel,
        author_id=world.bot_user,
        payload={"content": "Your note may identify a client. Nothing was saved yet."},
        ephemeral_to=dana,
    )
    virtual_clock.advance(timedelta(minutes=2))
    server.core.edit_message(flagged, {"content": "Saved."})
    later = server.core.create_message(
        channel_id=world.channel,
        author_id=world.bot_user,
        payload={"content": "Thank you."},
        ephemeral_to=dana,
    )
    server.core.edit_message(later, {"content": "Thank you, edited."})
    (private,) = [
        t for t in server.transcript_timelines({dana: "Europe/London"}) if t.kind == "ephemeral"
    ]
    assert [(m.content, m.edited, m.replaced_at is not None) for m in private.messages] == [
        ("Your note may identify a client. Nothing was saved yet.", False, True),
        ("Saved.", True, False),
        ("Thank you.", False, True),
        ("Thank you, edited.", True, False),
    ]
    start = private.messages[0].timestamp
    assert private.messages[1].timestamp == start + timedelta(minutes=2)
