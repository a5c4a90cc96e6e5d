"""Where discord.py connects: Discord itself, or (sandbox and tests) a server on loopback."""

from __future__ import annotations

import discord.gateway
import discord.http
import yarl

from bot.config import DiscordSettings

DISCORD_API_BASE = "https://discord.com/api/v10"
DISCORD_GATEWAY = yarl.URL("wss://gateway.discord.gg/")


def apply_endpoints(settings: DiscordSettings) -> None:
    """Point discord.py at the configured API base and gateway, or back at Discord when unset.

    These are the two documented class attributes discord.py reads for every request
    and connection; production leaves both settings unset.
    """
    discord.http.Route.BASE = settings.api_base_url or DISCORD_API_BASE
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = (
        yarl.URL(settings.gateway_url) if settings.gateway_url else DISCORD_GATEWAY
    )
