"""Redaction of secrets in text that is shown or logged: known values and token-shaped strings.

Used wherever peerpulse echoes a value (configuration errors, check-config, log lines):
redact first, shorten after, so that no part of a secret survives truncation.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Final

REDACTED: Final = "[hidden]"

# A Discord bot token: three base64url parts separated by dots (user id, timestamp, HMAC).
BOT_TOKEN: Final = re.compile(r"[A-Za-z0-9_-]{18,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{20,}")
# An interaction token: Discord's start with base64("interaction"); any token in an
# interaction callback or webhook URL path is one too.
INTERACTION_TOKEN: Final = re.compile(r"aW50ZXJhY3Rpb24[A-Za-z0-9_.:=-]*")
TOKEN_IN_URL: Final = re.compile(
    r"(?P<prefix>/(?:webhooks/\d+|interactions/\d+)/)(?P<token>[^/?#\s'\"]+)"
)


def redact(text: str, secrets: Iterable[str] = (), replacement: str = REDACTED) -> str:
    """`text` with every known secret and every token-shaped string replaced."""
    for secret in sorted((s for s in secrets if s), key=len, reverse=True):
        text = text.replace(secret, replacement)
    text = TOKEN_IN_URL.sub(lambda match: match["prefix"] + replacement, text)
    text = INTERACTION_TOKEN.sub(replacement, text)
    return BOT_TOKEN.sub(replacement, text)
