"""peerpulse and a truly bare `discord.Client` on ONE sandbox server, for fair comparisons.

The sandbox's scenario API acts on "the" application; `TwoBotServer.active` chooses which
one an actor's next interaction goes to. Both clients run in this process against the
same server (discord.py's endpoints are process-wide, and both use the same ones).
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import discord
from discord import app_commands

from bot.sandbox import SandboxServer
from bot.sandbox.callbacks import InteractionRoutes
from bot.sandbox.chapters.checkins import ANSWER, checkin_posts
from bot.sandbox.state import Application

MONDAY_9 = datetime(2026, 3, 2, 9, tzinfo=UTC)
TUESDAY_9 = MONDAY_9 + timedelta(days=1)

# When each interaction's initial callback reached the server (perf_counter), by id.
CALLBACK_AT: dict[int, float] = {}
_original_callback = InteractionRoutes.callback


async def _timed_callback(self: InteractionRoutes, request: Any) -> Any:
    CALLBACK_AT[int(request.params["interaction_id"])] = time.perf_counter()
    return await _original_callback(self, request)


InteractionRoutes.callback = _timed_callback  # type: ignore[method-assign]


class TwoBotServer(SandboxServer):
    """A sandbox server whose scenario API targets `active` (None: the only application)."""

    active: int | None = None

    @property
    def application(self) -> Application:
        if self.active is not None:
            return self.world.applications[self.active]
        return super().application


class _RawModal:
    """A modal sent exactly as given (what a bare bot answering with a fixed modal does)."""

    def __init__(self, data: dict[str, Any]) -> None:
        self._data = data

    def to_dict(self) -> dict[str, Any]:
        return self._data

    def is_finished(self) -> bool:
        return True


@dataclass
class Payloads:
    """What peerpulse answered, so the bare bot answers with the same payloads."""

    privacy_embeds: list[dict[str, Any]] = field(default_factory=list)
    modal: dict[str, Any] = field(default_factory=dict)
    saved: str = "Thanks, your check-in is saved."


class BareBot(discord.Client):
    """A bare discord.py client: the same command names and a button, trivial handlers."""

    def __init__(self, payloads: Payloads) -> None:
        super().__init__(intents=discord.Intents(guilds=True))
        self.tree = app_commands.CommandTree(self)
        self.payloads = payloads

        @self.tree.command(name="privacy", description="What peerpulse stores")
        async def privacy(interaction: discord.Interaction) -> None:
            embeds = [discord.Embed.from_dict(e) for e in payloads.privacy_embeds]
            await interaction.response.send_message(embeds=embeds, ephemeral=True)

        me = app_commands.Group(name="me", description="Your settings")

        @me.command(name="show", description="Your settings")
        async def show(interaction: discord.Interaction) -> None:
            await interaction.response.send_message(payloads.saved, ephemeral=True)

        self.tree.add_command(me)

    async def on_interaction(self, interaction: discord.Interaction) -> None:
        custom_id = (interaction.data or {}).get("custom_id")
        if interaction.type is discord.InteractionType.component and custom_id == "bare:answer":
            await interaction.response.send_modal(_RawModal(self.payloads.modal))  # type: ignore[arg-type]
        elif interaction.type is discord.InteractionType.modal_submit and custom_id == "bare:form":
            await interaction.response.send_message(self.payloads.saved, ephemeral=True)

    async def post_checkin(self, channel_id: int, text: str) -> int:
        """A message with an answer button, as peerpulse's check-in post has."""
        view = discord.ui.View(timeout=None)
        view.add_item(discord.ui.Button(label=ANSWER, custom_id="bare:answer"))
        view.stop()  # handled in on_interaction, not by a stored view
        channel = self.get_channel(channel_id) or await self.fetch_channel(channel_id)
        message = await channel.send(text, view=view)  # type: ignore[union-attr]
        return message.id


async def start_bare(
    server: TwoBotServer, token: str, payloads: Payloads
) -> tuple[BareBot, asyncio.Task[None]]:
    """Connect a bare client with `token` and sync its commands."""
    client = BareBot(payloads)
    await client.login(token)
    task = asyncio.create_task(client.connect(reconnect=True), name="bare-gateway")
    await asyncio.wait_for(client.wait_until_ready(), 15)
    await client.tree.sync()
    return client, task


def peerpulse_post(server: SandboxServer, channel_id: int) -> int:
    """The id of the open check-in post peerpulse made."""
    return checkin_posts(server, channel_id)[-1].id
