"""Small wording helpers: counts with the right plural, and typed text quoted back safely."""

from __future__ import annotations

import re
import unicodedata

_MARKDOWN = re.compile(r"([\\*_~`|>#\[\]()<])")
_ZERO_WIDTH_SPACE = "\N{ZERO WIDTH SPACE}"
_INVISIBLE = frozenset({"Cc", "Cf", "Cs", "Co", "Cn"})


def plural(count: int, word: str, many: str | None = None) -> str:
    """ "1 hour", "48 hours", "1 DM", "2 DMs" (`many` for irregular plurals)."""
    return f"{count} {word if count == 1 else many or word + 's'}"


def visible(typed: str) -> str:
    """`typed` without invisible characters (zero-width, direction marks, controls).

    Pasted text often carries them; "Europe/London" wrapped in direction marks still
    means Europe/London. Whitespace is kept (as a space) for the parser to judge.
    """
    return "".join(
        " " if char.isspace() else char
        for char in typed
        if char.isspace() or unicodedata.category(char) not in _INVISIBLE
    )


def echo(typed: str, limit: int = 30) -> str:
    """What a person typed, fit to quote in a refusal: one line, at most `limit` characters.

    Control and invisible formatting characters (zero-width, right-to-left overrides) are
    dropped, markdown is escaped and mentions cannot ping, so the sentence reads as written.
    """
    text = " ".join(visible(typed).split())
    if len(text) > limit:
        text = text[: limit - 1] + "\N{HORIZONTAL ELLIPSIS}"
    return _MARKDOWN.sub(r"\\\1", text).replace("@", "@" + _ZERO_WIDTH_SPACE)
