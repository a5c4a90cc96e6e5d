"""A Discord-compatible server on loopback for testing the real discord.py client.

Start a `SandboxServer`, build a world (guilds, roles, channels, members), point
discord.py at `server.api_base` / `server.gateway_url`, and act as members with
`server.actor(user_id)`.
"""

from bot.sandbox.actors import (
    Actor,
    BotNotConnectedError,
    CommandNotPermitted,
    InteractionResult,
    InteractionTimeoutError,
)
from bot.sandbox.permissions import Overwrite
from bot.sandbox.records import RequestRecord
from bot.sandbox.server import BotCredentials, SandboxServer
from bot.sandbox.state import SandboxError
from bot.sandbox.views import AttachmentView, MessageView, ModalView

__all__ = [
    "Actor",
    "AttachmentView",
    "BotCredentials",
    "BotNotConnectedError",
    "CommandNotPermitted",
    "InteractionResult",
    "InteractionTimeoutError",
    "MessageView",
    "ModalView",
    "Overwrite",
    "RequestRecord",
    "SandboxError",
    "SandboxServer",
]
