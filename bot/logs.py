"""Logging, configured once in main(): ids and counts only, at every level.

Two guards keep what the design says is never logged out of every log line, whichever
handler receives it:

- Library loggers that write request payloads or SQL parameters (message text, notes,
  answers) are capped at a level where they do not (`QUIETED`).
- Every record is redacted as it is created: the known secrets (the bot token),
  token-shaped strings, and interaction tokens in webhook and interaction URLs.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable, Iterable, Mapping
from typing import Final

from bot.redaction import redact

_FORMAT = "%(asctime)s %(levelname)-7s %(name)s: %(message)s"
LOG_REDACTED: Final = "[redacted]"

# The lowest level each library logger may log at, and what it would leak below it.
QUIETED: Final[Mapping[str, int]] = {
    "aiosqlite": logging.WARNING,  # DEBUG: every statement with its parameters (notes, answers)
    "discord.http": logging.WARNING,  # DEBUG: request payloads and responses (message text)
    "discord.webhook": logging.INFO,  # DEBUG: interaction follow-up URLs and payloads
    "discord.gateway": logging.INFO,  # DEBUG: every event payload (modal answers, tokens)
}


class RedactSecrets(logging.Filter):
    """Replaces every secret and token-shaped string wherever it appears in a log line."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        self._secrets = [s for s in secrets if s]

    def filter(self, record: logging.LogRecord) -> bool:
        """Rewrite the record's message (and traceback) redacted; never drop a record."""
        redact_record(record, self._secrets)
        return True


def redact_record(record: logging.LogRecord, secrets: Iterable[str]) -> None:
    """Replace the record's message and formatted traceback with redacted text, in place."""
    try:
        message = record.getMessage()
    except Exception:  # noqa: BLE001 - a broken format string must not bypass redaction
        message = f"{record.msg} (log arguments could not be formatted)"
    if record.exc_info and not record.exc_text:
        record.exc_text = logging.Formatter().formatException(record.exc_info)
    record.msg, record.args = redact(message, secrets, LOG_REDACTED), None
    if record.exc_text:
        record.exc_text = redact(record.exc_text, secrets, LOG_REDACTED)
    if record.stack_info:
        record.stack_info = redact(record.stack_info, secrets, LOG_REDACTED)


class DropVoiceWarnings(logging.Filter):
    """peerpulse never uses voice; discord.py's 'voice will NOT be supported' lines are noise."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Keep every record except the voice-support warnings."""
        return "voice will NOT be supported" not in record.getMessage()


RecordFactory = Callable[..., logging.LogRecord]


class _RedactingFactory:
    """A log record factory that redacts each record as it is made (every handler sees it so)."""

    def __init__(self, inner: RecordFactory, secrets: Iterable[str]) -> None:
        self.inner = inner
        self.secrets = [s for s in secrets if s]

    def __call__(self, *args: object, **kwargs: object) -> logging.LogRecord:
        record = self.inner(*args, **kwargs)
        redact_record(record, self.secrets)
        return record


def install_redaction(secrets: Iterable[str] = ()) -> None:
    """Redact every log record from now on; idempotent, adding `secrets` to those known."""
    current = logging.getLogRecordFactory()
    if isinstance(current, _RedactingFactory):
        current.secrets += [s for s in secrets if s and s not in current.secrets]
    else:
        logging.setLogRecordFactory(_RedactingFactory(current, secrets))


def uninstall_redaction() -> None:
    """Restore the record factory that `install_redaction` wrapped (for tests)."""
    current = logging.getLogRecordFactory()
    if isinstance(current, _RedactingFactory):
        logging.setLogRecordFactory(current.inner)


def quiet_libraries(level: str | int) -> None:
    """Cap the library loggers in `QUIETED` at their safe level (or higher, with `level`)."""
    wanted = logging.getLevelName(level) if isinstance(level, str) else level
    for name, floor in QUIETED.items():
        logging.getLogger(name).setLevel(max(floor, wanted))


def configure_logging(level: str, secrets: Iterable[str] = ()) -> None:
    """Send logs to stderr at `level`, redacted, with payload-logging libraries quieted."""
    secrets = list(secrets)
    install_redaction(secrets)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter(_FORMAT))
    handler.addFilter(RedactSecrets(secrets))
    handler.addFilter(DropVoiceWarnings())
    root = logging.getLogger()
    for existing in list(root.handlers):
        root.removeHandler(existing)
    root.addHandler(handler)
    root.setLevel(level)
    quiet_libraries(level)
