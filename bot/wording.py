"""Small wording helpers: counts with the right plural, and typed text quoted back safely."""

from __future__ import annotations

import re
import unicodedata

_MARKDOWN = re.compile(r"([\\*_~`|>#\[\]()<])")
_ZERO_WIDTH_SPACE = "\N{ZERO WIDTH SPACE}"


def plural(count: int, word: str, many: str | None = None) -> str:
    """ "1 hour", "48 hours", "1 DM", "2 DMs" (`many` for irregular plurals)."""
    return f"{count} {word if count == 1 else many or word + 's'}"


def echo(typed: str, limit: int = 30) -> str:
    """What a person typed, fit to quote in a refusal: one line, at most `limit` characters.

    Control and invisible formatting characters (zero-width, right-to-left overrides) are
    dropped, markdown is escaped and mentions cannot ping, so the sentence reads as written.
    """
    visible = "".join(
        char for char in typed if unicodedata.category(char) not in {"Cc", "Cf", "Cs", "Co", "Cn"}
    )
    text = " ".join(visible.split())
    if len(text) > limit:
        text = text[: limit - 1] + "\N{HORIZONTAL ELLIPSIS}"
    return _MARKDOWN.sub(r"\\\1", text).replace("@", "@" + _ZERO_WIDTH_SPACE)
