"""Redaction: known secrets, token-shaped strings and interaction tokens in URLs."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

from bot.logs import install_redaction, uninstall_redaction
from bot.redaction import redact

BOT_TOKEN = "MTE5ODc2NTQzMjEwOTg3NjU0MzI.GhXyZa.k9Q2v7LmN4pR8sT1uW3xY6zA0bC5dE7fG9hJ2kL"
INTERACTION_TOKEN = "aW50ZXJhY3Rpb246MTIzNDU2Nzg5OmFiY2RlZmdoaWprbG1ub3BxcnN0dXZ3eHl6"


@pytest.mark.parametrize(
    ("text", "kept"),
    [
        (f"Authorization: Bot {BOT_TOKEN}", "Authorization: Bot [hidden]"),
        (f"POST /api/v10/webhooks/123/{INTERACTION_TOKEN}?wait=true", "/webhooks/123/[hidden]?"),
        ("POST /api/v10/interactions/456/opaque-token-x/callback", "/interactions/456/[hidden]/"),
        (f"token {INTERACTION_TOKEN} expired", "token [hidden] expired"),
    ],
)
def test_token_shapes_are_hidden(text: str, kept: str) -> None:
    shown = redact(text)
    assert kept in shown
    assert BOT_TOKEN[:10] not in shown
    assert "opaque-token-x" not in shown
    assert INTERACTION_TOKEN[16:] not in shown


def test_ids_times_and_counts_are_kept() -> None:
    text = "DM not delivered: outbox=12 kind=checkin_open user=123456789012345678 at 2026-03-02"
    assert redact(text) == text


@pytest.fixture
def redacting() -> Iterator[None]:
    install_redaction(["plain-secret"])
    try:
        yield
    finally:
        uninstall_redaction()


@pytest.mark.usefixtures("redacting")
def test_every_handler_gets_redacted_records(caplog: pytest.LogCaptureFixture) -> None:
    """Redaction happens when the record is made, so any handler (here pytest's) sees it so."""
    logger = logging.getLogger("discord.webhook.async_")
    with caplog.at_level(logging.WARNING, logger=logger.name):
        logger.warning("rate limited: POST /webhooks/1/%s with plain-secret", INTERACTION_TOKEN)
    assert (
        caplog.records[0].getMessage()
        == "rate limited: POST /webhooks/1/[redacted] with [redacted]"
    )


@pytest.mark.usefixtures("redacting")
def test_secrets_added_later_are_redacted_too(caplog: pytest.LogCaptureFixture) -> None:
    install_redaction(["sandbox.issued-token"])
    logger = logging.getLogger("peerpulse.test.redaction")
    with caplog.at_level(logging.INFO, logger=logger.name):
        logger.info("a=%s b=%s", "plain-secret", "sandbox.issued-token")
    assert caplog.records[0].getMessage() == "a=[redacted] b=[redacted]"
