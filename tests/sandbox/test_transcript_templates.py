"""The transcript's templates: shipped in the package, autoescaped, strict; user text never
becomes markup anywhere; each timeline is a page of its own, one shown at a time."""

from __future__ import annotations

import importlib.resources
import re
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import headless
import jinja2
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.sandbox.state import EventChange
from bot.sandbox.timelines import event_text
from bot.sandbox.transcript import (
    TranscriptAttachment,
    TranscriptMessage,
    TranscriptTimeline,
    environment,
    render_transcript,
)
from bot.sandbox.transcript_components import Media

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
TEMPLATES = ("transcript.html.j2", "_message.html.j2", "_style.css.j2")


# --- the templates and their environment -------------------------------------------------


@pytest.mark.parametrize("name", TEMPLATES)
def test_templates_ship_inside_the_package(name: str) -> None:
    assert (importlib.resources.files("bot.sandbox") / "templates" / name).is_file()
    assert name in environment().list_templates()


def test_environment_autoescapes_and_is_strict() -> None:
    env = environment()
    assert env is environment()  # built once
    assert env.from_string("{{ x }}").render(x="<b>") == "&lt;b&gt;"
    with pytest.raises(jinja2.UndefinedError):
        env.from_string("{{ missing }}").render()


def test_the_template_files_themselves_are_autoescaped() -> None:
    """Autoescaping decided by file extension would miss ``.j2``: check the real files."""
    for name in TEMPLATES:
        autoescape = environment().autoescape
        assert autoescape(name) if callable(autoescape) else autoescape, name
    macros = environment().get_template("_message.html.j2").module
    shown = str(macros.media([Media("file", name="<b>x</b>", content_type="<i>", size="1 B")]))
    assert "&lt;b&gt;x&lt;/b&gt;" in shown
    assert "<b>" not in shown
    assert "<i>" not in shown


def test_a_zone_that_is_a_folder_falls_back_to_utc() -> None:
    """``ZoneInfo("Europe")`` raises IsADirectoryError, not ZoneInfoNotFoundError."""
    timeline = TranscriptTimeline("DMs with Ana", "dm", "Europe", [message("hi")])
    assert "times in UTC" in render_transcript("t", [timeline], generated_at=NOW)


# --- user text never becomes markup ----------------------------------------------------

HARMLESS = "plain words"
NASTY = [
    "<script>alert(1)</script>", '"', "'", "&", "&amp;", "&lt;", "{{ 7*7 }}",
    "{% if 1 %}x{% endif %}", "{# c #}", "**b**", "_i_", "~~s~~", "__u__", "`c`", "```\nx\n```",
    "<@1>", "<#2>", "<@&3>", "[`c`](https://x.org)", "[\\*](https://x.org/<@1>)",
    "<t:0:R>", "<t:99999999999999:F>", '[a](https://x.org/"onclick="alert(1))', "<https://e.org>",
    "\\*", "# h", "> q", "-# s", "- b", "\n", " ", "<img src=x onerror=alert(1)>", "-->", "<!--",
    "]]>", "\x00", "\\", "<style>", "</div>", "javascript:alert(1)", "=", "`", "<",
]  # fmt: skip
USER_TEXT = st.one_of(
    st.text(min_size=1, max_size=40),
    st.lists(st.sampled_from(NASTY), min_size=1, max_size=6).map("".join),
    st.lists(st.one_of(st.sampled_from(NASTY), st.text(max_size=5)), min_size=1, max_size=6)
    .map("".join)
    .filter(bool),
)


def message(content: str = "", **kwargs: Any) -> TranscriptMessage:
    fields: dict[str, Any] = {
        "author": "peerpulse",
        "author_is_bot": True,
        "timestamp": NOW,
        "content": content,
    }
    fields.update(kwargs)
    return TranscriptMessage(**fields)


def document(plain: str, markdown: str) -> str:
    """A transcript with `plain` in every field shown as typed and `markdown` in every
    field rendered as Discord Markdown (message text, embed descriptions and field values,
    text displays, scheduled event names and descriptions)."""
    options = [{"label": plain, "value": "v", "description": plain, "default": True}]
    modal = {
        "title": plain,
        "custom_id": "m",
        "components": [
            {"type": 10, "content": markdown},
            {
                "type": 18,
                "label": plain,
                "description": plain,
                "component": {"type": 4, "custom_id": "n", "style": 2, "value": plain},
            },
            {"type": 18, "label": plain, "component": {"type": 21, "options": options}},
            {"type": 18, "label": plain, "component": {"type": 22, "options": options}},
            {"type": 18, "label": plain, "component": {"type": 3, "options": options}},
            {"type": 1, "components": [{"type": 4, "label": plain, "placeholder": plain}]},
        ],
    }
    embed = {
        "title": plain,
        "description": markdown,
        "author": {"name": plain},
        "fields": [{"name": plain, "value": markdown, "inline": True}],
        "footer": {"text": plain},
    }
    components = [
        {"type": 1, "components": [{"type": 2, "style": 1, "label": plain, "custom_id": "b"}]},
        {"type": 1, "components": [{"type": 3, "placeholder": plain, "options": options}]},
        {"type": 17, "accent_color": 0x248046, "components": [{"type": 10, "content": markdown}]},
        modal,
    ]
    files = [
        TranscriptAttachment(plain, "text/plain", b"x"),
        TranscriptAttachment(plain, "image/png", b"\x89PNG"),
    ]
    channel = [
        message(markdown, author=plain, note=plain, embeds=[embed], components=components),
        message(markdown, author=plain, ephemeral_to=plain, attachments=files),
    ]
    change = EventChange(
        guild_id=1,
        event_id=2,
        kind="created",
        at=NOW,
        order=1,
        by=None,
        data={
            "name": markdown,
            "description": markdown,
            "scheduled_start_time": (NOW + timedelta(days=2)).isoformat(),
            "entity_metadata": {"location": markdown},
        },
    )
    events = [message(event_text(change), note="scheduled event scheduled")]
    timelines = [
        TranscriptTimeline(plain, "channel", None, channel),
        TranscriptTimeline(plain, "events", None, events),
        TranscriptTimeline(plain, "dm", "Europe/Berlin", [message(markdown, author=plain)]),
    ]
    return render_transcript(plain, timelines, generated_at=NOW, names={1: plain, 2: plain})


class _Parsed(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, tuple[str, ...]]] = []
        self.attrs: list[tuple[str, str, str]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, tuple(name for name, _ in attrs)))
        self.attrs += [(tag, name, value or "") for name, value in attrs]

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def parsed(page: str) -> _Parsed:
    parser = _Parsed()
    parser.feed(page)
    parser.close()
    return parser


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(USER_TEXT)
def test_text_shown_as_typed_never_adds_a_tag_or_attribute(text: str) -> None:
    """Names, titles, labels, options, form values, file names: the same tags and
    attributes whatever they say, and the text reads back as typed."""
    page = parsed(document(text, HARMLESS))
    assert page.tags == parsed(document(HARMLESS, HARMLESS)).tags
    assert text in "".join(page.text)


# What Discord Markdown may add inside rendered text, and with which attributes.
_MARKDOWN_TAGS = {"div", "strong", "em", "u", "s", "code", "pre", "span", "a"}
_MARKDOWN_CLASSES = {
    "line", "bullet", "subtext", "h1", "h2", "h3", "quote", "mention", "ts", "text", "content",
    "e-desc", "f-value",
}  # fmt: skip


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(USER_TEXT)
def test_markdown_text_adds_only_the_markdown_subset(text: str) -> None:
    """Message text, embed descriptions and values, text displays and scheduled events
    may become bold, code, links...; never a script, an event handler or a style."""
    page = parsed(document(HARMLESS, text))
    baseline = parsed(document(HARMLESS, HARMLESS))
    added = set(page.tags) - set(baseline.tags)
    assert {tag for tag, _ in added} <= _MARKDOWN_TAGS, added
    known = set(baseline.attrs)
    for tag, name, value in page.attrs:
        if (tag, name, value) in known:
            continue
        assert name in {"class", "href", "title"}, (tag, name, value)
        if name == "class":
            assert value in _MARKDOWN_CLASSES, value
        if name == "href":
            assert tag == "a"
            assert value.startswith(("https://", "http://")), value
    assert "\x00" not in document(HARMLESS, text)  # no placeholder of the renderer is left
    # The page's own structure (head, nav, page headers) does not move.
    head = [t for t in page.tags if t[0] in {"head", "style", "nav", "section", "h2"}]
    assert head == [t for t in baseline.tags if t[0] in {"head", "style", "nav", "section", "h2"}]


def test_a_link_label_keeps_its_code_and_a_url_with_a_mention_is_not_linked() -> None:
    page = render_transcript(
        "t",
        [
            TranscriptTimeline(
                "#c",
                "channel",
                None,
                [
                    message(
                        "[`run`](https://x.org) and <https://x.org/<@1>> and [\\*](https://y.org)"
                    )
                ],
            )
        ],
        generated_at=NOW,
    )
    assert '<a href="https://x.org"><code>run</code></a>' in page
    assert '&lt;https://x.org/<span class="mention">@user-1</span>&gt;' in page
    assert '<a href="https://y.org">*</a>' in page
    assert "\x00" not in page


# --- a page per timeline ------------------------------------------------------------------


def four_timelines() -> list[TranscriptTimeline]:
    return [
        TranscriptTimeline("#check-ins · Group", "channel", None, [message("channel post")]),
        TranscriptTimeline("Scheduled events · Group", "events", None, [message("event post")]),
        TranscriptTimeline(
            "DMs with Ana", "dm", "America/New_York", [message("dm post", timestamp=NOW)]
        ),
        TranscriptTimeline(
            "Only Ana could see",
            "ephemeral",
            "Asia/Tokyo",
            [message("private post", ephemeral_to="Ana")],
        ),
    ]


def test_each_timeline_is_a_page_named_in_the_nav_with_its_reader_and_zone() -> None:
    page = render_transcript("Sandbox", four_timelines(), generated_at=NOW)
    nav = page[page.index("<nav") : page.index("</nav>")]
    sections = page.split('<section class="timeline page ')[1:]
    assert len(sections) == 4
    expected = [
        ("t0", "What every member who can read this channel saw.", "UTC"),
        ("t1", "What every member of the server saw", "UTC"),
        ("t2", "their direct messages", "America/New_York"),
        ("t3", "What only Ana saw", "Asia/Tokyo"),
    ]
    for section, (anchor, reader, zone) in zip(sections, expected, strict=True):
        assert f'id="{anchor}"' in section.split(">", 1)[0]
        assert f'href="#{anchor}"' in nav
        assert reader in section
        assert f"times in {zone}" in section
    # Only the named page is shown; with no name, the first: nothing else may say display.
    css = page[page.index("<style>") : page.index("</style>")]
    assert ".page{display:none}" in css
    assert ".page:first-child,.page:target{display:block}" in css


def _visible_pages(tmp_path: Path, page: str, fragment: str, chromium: str) -> list[str]:
    """The ids of the pages a real browser shows (a probe script is added to a copy)."""
    probe = (
        "<script>addEventListener('load',()=>{document.body.dataset.visible=[...document"
        ".querySelectorAll('section.page')].filter(s=>getComputedStyle(s).display!=='none')"
        ".map(s=>s.id).join(' ')})</script></body>"
    )
    path = tmp_path / "probe.html"
    path.write_text(page.replace("</body>", probe), encoding="utf-8")
    result = headless.run(
        chromium,
        path.as_uri() + fragment,
        tmp_path / "profile",
        "--virtual-time-budget=2000",
        "--dump-dom",
    )
    found = re.search(r'<body data-visible="([^"]*)"', result.stdout)
    assert found, result.stderr[-2000:]
    return found[1].split()


@pytest.mark.parametrize(("fragment", "shown"), [("", ["t0"]), ("#t2", ["t2"]), ("#t3", ["t3"])])
def test_a_browser_shows_one_page_at_a_time(
    tmp_path: Path, fragment: str, shown: list[str], chromium: str
) -> None:
    page = render_transcript("Sandbox", four_timelines(), generated_at=NOW)
    assert _visible_pages(tmp_path, page, fragment, chromium) == shown
