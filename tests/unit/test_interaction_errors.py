"""The one error path's sentences are honest about what happened."""

from __future__ import annotations

import discord

from bot.app.interaction_errors import DATABASE_BUSY, expired, message_for
from bot.db import DatabaseBusyError
from bot.errors import incident_message


class _Response:
    status = 404
    reason = "Not Found"


def not_found(code: int) -> discord.NotFound:
    return discord.NotFound(_Response(), {"code": code, "message": "Unknown"})  # type: ignore[arg-type]


def test_a_busy_database_says_not_saved_without_an_incident() -> None:
    assert message_for(DatabaseBusyError("database is locked")) == (DATABASE_BUSY, None)
    assert "not saved" in DATABASE_BUSY
    assert "try it again" in DATABASE_BUSY


def test_an_unexpected_error_never_claims_that_nothing_changed() -> None:
    # It may have failed after saving (e.g. while answering): it cannot know.
    text = incident_message("abcd1234")
    assert "nothing was changed" not in text
    assert "abcd1234" in text


def test_only_unknown_interaction_counts_as_expired() -> None:
    assert expired(not_found(10062))
    assert not expired(not_found(10008))
    assert not expired(RuntimeError("boom"))
