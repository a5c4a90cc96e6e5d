"""Member text made plain before the bot repeats it (notes now; titles, locations later).

The bot never lends its voice to a member's formatting: whatever a member typed is shown
as the characters they typed, never as a heading, list, quote, code block, spoiler,
masked link, mention or link preview. `plain` is the one function every piece of member
text passes through on its way into a message or an embed (exports are files: raw).
"""

from __future__ import annotations

import re

ZERO_WIDTH_SPACE = "\u200b"

# Discord's markdown: characters that format wherever they stand. A backslash before any
# ASCII punctuation shows that character as itself (and the backslash not at all).
_INLINE_ACTIVE = frozenset("\\*_~|`<>[]")
# Only at the start of a line (after optional spaces): headings "#", subtext "-#",
# lists "-", "+", "*" and "1.", block quotes ">".
_LINE_START = re.compile(r"^([ \t]*)(?:([#+-])|([0-9]+)\.)", re.MULTILINE)
# Links Discord would turn into a preview: shown wrapped in <...>, which keeps them
# clickable but previewless, and visible as the address they are (never masked).
_URL = re.compile(r"https?://[^\s<>]+", re.IGNORECASE)
# Mass mentions that need no angle brackets; user, role and channel mentions, slash
# commands, timestamps and custom emoji all start with "<", which is escaped.
_MASS_MENTION = re.compile(r"@(everyone|here)", re.IGNORECASE)


def plain(text: str) -> str:
    """`text` escaped so Discord shows it as typed: no markdown, mentions or previews."""
    parts: list[str] = []
    position = 0
    for url in _URL.finditer(text):
        parts.append(_escape(text[position : url.start()], line_start=position == 0))
        parts.append(f"<{url.group()}>")
        position = url.end()
    # A URL never ends a line (it holds no whitespace), so only the first stretch can
    # start at a line's beginning without a newline of its own.
    parts.append(_escape(text[position:], line_start=position == 0))
    # Also inside links: an address is no place for a mass mention either.
    return _MASS_MENTION.sub(lambda m: f"@{ZERO_WIDTH_SPACE}{m.group(1)}", "".join(parts))


def _escape(segment: str, *, line_start: bool) -> str:
    """Escape one stretch of text that holds no URL (`line_start`: it begins a line)."""
    escaped = "".join(f"\\{char}" if char in _INLINE_ACTIVE else char for char in segment)

    def mark(match: re.Match[str]) -> str:
        if match.start() == 0 and not line_start:
            return match.group()
        indent, symbol, digits = match.group(1), match.group(2), match.group(3)
        return f"{indent}\\{symbol}" if symbol else f"{indent}{digits}\\."

    return _LINE_START.sub(mark, escaped)
