"""Member text is shown as typed: `plain` leaves no markdown, mention or preview active."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.checkins.answers import NoteMayIdentifyClientError
from bot.confidentiality import IdentifierFlag
from bot.text import ZERO_WIDTH_SPACE, plain

# Characters Discord formats wherever they stand, and those it formats at a line's start.
INLINE_ACTIVE = set("\\*_~|`<>[]")
LINE_START_ACTIVE = re.compile(r"[ \t]*(?:[#>+*-]|[0-9]+\.)")
URL_WRAPPER = re.compile(r"<https?://[^\s<>]+>", re.IGNORECASE)
BARE_URL = re.compile(r"https?://", re.IGNORECASE)
MASS_MENTION = re.compile(r"@(everyone|here)", re.IGNORECASE)


def read_as_discord(rendered: str) -> tuple[str, list[str]]:
    """What a reader sees of `rendered` (escapes and link wrappers removed), and every
    piece of syntax Discord would still act on.

    A small model of Discord's markdown: a backslash shows the next character as itself;
    `<https://…>` is a link without a preview; everything else listed above is active.
    """
    shown: list[str] = []
    active: list[str] = []
    i = 0
    at_line_start = True
    while i < len(rendered):
        if at_line_start:
            start = LINE_START_ACTIVE.match(rendered, i)
            if start:
                active.append(f"line start {start.group()!r}")
        char = rendered[i]
        wrapper = URL_WRAPPER.match(rendered, i) if char == "<" else None
        if char == "\\" and i + 1 < len(rendered):
            shown.append(rendered[i + 1])
            i += 2
        elif wrapper:
            shown.append(wrapper.group()[1:-1])
            i = wrapper.end()
        else:
            if char in INLINE_ACTIVE:
                active.append(f"{char!r} at {i}")
            if BARE_URL.match(rendered, i):
                active.append(f"previewed link at {i}")
            shown.append(char)
            i += 1
        at_line_start = shown[-1] == "\n" if shown else True
    text = "".join(shown)
    active += [f"mass mention {m.group()!r}" for m in MASS_MENTION.finditer(text)]
    return text, active


HOSTILE = st.lists(
    st.sampled_from(
        [
            "# ",
            "## Moderator notice",
            "-# ",
            "- ",
            "+ ",
            "* ",
            "1. ",
            "> ",
            ">>> ",
            "```",
            "`",
            "**",
            "__",
            "~~",
            "||",
            "\\",
            "[Verify your account](https://evil.example/login)",
            "[x](<https://evil.example>)",
            "https://evil.example/a_b*c",
            "HTTP://x.example",
            "<@123456789012345678>",
            "<@&123456789012345678>",
            "<#123456789012345678>",
            "</checkin notes:1>",
            "<t:1:R>",
            "<:emoji:1>",
            "@everyone",
            "@HERE",
            "\n",
            "  ",
            "\t",
            "a",
            "é",
            "\u202e",
            ZERO_WIDTH_SPACE,
        ]
    )
    | st.text(max_size=5),
    max_size=40,
).map("".join)


@settings(max_examples=400)
@given(HOSTILE)
def test_plain_text_leaves_no_active_syntax(text: str) -> None:
    rendered = plain(text)
    shown, active = read_as_discord(rendered)
    assert active == [], (text, rendered)
    # Nothing is lost: the reader sees what the member typed (bar invisible spaces).
    assert shown.replace(ZERO_WIDTH_SPACE, "") == text.replace(ZERO_WIDTH_SPACE, "")


def test_a_phishing_note_is_shown_as_typed() -> None:
    note = "# Moderator notice\n[Verify your account](https://evil.example/login)\n```"
    assert plain(note) == (
        "\\# Moderator notice\n\\[Verify your account\\](<https://evil.example/login)>\n\\`\\`\\`"
    )


def test_mentions_are_neutral() -> None:
    assert plain("<@1> <@&2> @everyone @here") == (
        f"\\<@1\\> \\<@&2\\> @{ZERO_WIDTH_SPACE}everyone @{ZERO_WIDTH_SPACE}here"
    )


def test_ordinary_text_is_unchanged() -> None:
    note = "Long week: 3 cancellations, but the group session (Tuesday) helped. Thanks!"
    assert plain(note) == note


def test_a_flagged_note_quotes_its_spans_as_plain_text() -> None:
    flag = IdentifierFlag(0, 17, "**a_b@example.org**", "an email address")
    message = str(NoteMayIdentifyClientError([flag]))
    assert "“\\*\\*a\\_b@example.org\\*\\*”" in message
