"""The small subset of Discord's Markdown the transcript shows, as ``Markup``.

Every character of the text is escaped before any pattern runs; the patterns then only
add constant tags around escaped text, or swap in pieces built with ``Markup.format`` from
constant templates (timestamps, mentions, links, code). So a message cannot inject markup,
and the templates can print the result without ``|safe``.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from markupsafe import Markup, escape

Timestamp = Callable[[int, str], Markup]
Mention = Callable[[str, int], Markup]

_PLACEHOLDER = re.compile("\x00(\\d+)\x00")
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
MENTION_PREFIX = {"@": "@user-", "@!": "@user-", "@&amp;": "@role-", "#": "#channel-"}


def _plain_mention(kind: str, snowflake: int) -> Markup:
    return Markup('<span class="mention">{}{}</span>').format(MENTION_PREFIX[kind], snowflake)


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


def render_markdown(text: str, timestamp: Timestamp, mention: Mention | None = None) -> Markup:
    """Escape ``text``, then render bold, italic, code, quotes, headings, line breaks."""
    stash: list[Markup] = []

    def keep(fragment: Markup) -> str:
        stash.append(fragment)
        return f"\x00{len(stash) - 1}\x00"

    def escaped(match_text: str) -> Markup:
        # A group of already-escaped text: it holds no markup, only entities.
        return Markup(match_text)  # noqa: S704 - the text went through escape() above

    text = text.replace("\x00", "")
    # As in Discord, a backslash shows the next punctuation character as itself.
    text = _ESCAPED.sub(lambda m: keep(escape(m[1])), text)
    code_block = Markup("<pre><code>{}</code></pre>")
    text = _CODE_BLOCK.sub(lambda m: keep(code_block.format(m[1])), text)
    text = _INLINE_CODE.sub(lambda m: keep(Markup("<code>{}</code>").format(m[1])), text)
    text = str(escape(text))
    text = _TIMESTAMP.sub(lambda m: keep(timestamp(int(m[1]), m[2] or "f")), text)
    show = mention or _plain_mention
    text = _MENTION.sub(lambda m: keep(show(m[1], int(m[2]))), text)
    link = Markup('<a href="{}">{}</a>')

    def linked(match: re.Match[str], url: str, label: str) -> str:
        if "\x00" in url:  # a URL holding code or a mention is shown as text, not linked
            return match[0]
        return keep(link.format(escaped(url), escaped(label)))

    text = _AUTOLINK.sub(lambda m: linked(m, m[1], m[1]), text)
    text = _LINK.sub(lambda m: linked(m, m[2], m[1]), text)
    rendered = "".join(_line(line) for line in text.split("\n"))
    # Only escaped text, constant tags and placeholders are left; the placeholders take
    # back their Markup pieces (a link's label may hold earlier ones: code, a mention).
    for _ in stash:  # each piece refers only to earlier ones: this many passes suffice
        if "\x00" not in rendered:
            break
        rendered = _PLACEHOLDER.sub(lambda m: stash[int(m[1])], rendered)
    return Markup(rendered)  # noqa: S704 - escape() output, constant tags, Markup pieces
