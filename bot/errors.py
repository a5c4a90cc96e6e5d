"""Errors meant for people, and incident ids for the ones that are not."""

from __future__ import annotations

import secrets


class UserError(Exception):
    """Something the person can fix; `message` is a short sentence saying how."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotPermittedError(UserError):
    """The person may not do this."""


def new_incident_id() -> str:
    """A short random id that a person can quote and an operator can find in the log."""
    return secrets.token_hex(4)


def incident_message(incident_id: str) -> str:
    """What a person sees when something unexpected went wrong."""
    return (
        "Something went wrong on my side, so I can't tell whether that was saved. Please "
        "check, then try again in a minute; if it keeps happening, tell the bot's host "
        f"incident `{incident_id}`."
    )
