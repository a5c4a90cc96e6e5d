"""The calendar files the bot sent in the story ("Add to calendar"), saved beside the transcript.

Each `.ics` attachment of a bot message (ephemeral replies included) is written once,
under its own name with any folder part stripped and a number added, in the order the
bot sent them: `consultation-1.ics`, `consultation-2.ics`, ...
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path, PurePosixPath, PureWindowsPath

from bot.sandbox.server import SandboxServer
from bot.sandbox.state import StoredAttachment

SUFFIX = ".ics"
CONTENT_TYPE = "text/calendar"
PATTERN = f"*{SUFFIX}"  # what `clear_output` removes before a run
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def is_calendar(attachment: StoredAttachment) -> bool:
    """Whether an attachment is a calendar file."""
    return attachment.filename.lower().endswith(SUFFIX) or attachment.content_type.startswith(
        CONTENT_TYPE
    )


def safe_stem(filename: str) -> str:
    """The file name's stem without folders or unusual characters ("consultation" by default)."""
    base = PureWindowsPath(PurePosixPath(filename).name).name
    stem = base[: -len(SUFFIX)] if base.lower().endswith(SUFFIX) else base
    cleaned = _UNSAFE.sub("-", stem).strip(".-")
    return cleaned or "consultation"


def sent_calendars(server: SandboxServer) -> Iterator[StoredAttachment]:
    """Every calendar file the bot attached to a message, oldest first (each version's)."""
    bot_id = server.application.bot_user_id
    for message_id in sorted(server.world.messages):
        message = server.world.messages[message_id]
        if message.author_id != bot_id:
            continue
        for attachments in [*(v.attachments for v in message.versions), message.attachments]:
            yield from (a for a in attachments if is_calendar(a))


def write_calendar_files(server: SandboxServer, out_dir: Path) -> list[Path]:
    """Write each distinct calendar file the bot sent into `out_dir`; the paths written."""
    written: list[Path] = []
    seen: set[bytes] = set()
    numbers: dict[str, int] = {}
    for attachment in sent_calendars(server):
        if attachment.data in seen:
            continue
        seen.add(attachment.data)
        stem = safe_stem(attachment.filename)
        numbers[stem] = numbers.get(stem, 0) + 1
        path = out_dir / f"{stem}-{numbers[stem]}{SUFFIX}"
        path.write_bytes(attachment.data)
        written.append(path)
    return written
