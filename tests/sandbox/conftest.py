"""Fixtures for the sandbox server tests: a running server, a small world, a bare bot."""

from __future__ import annotations

import asyncio
import contextlib
import io
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import aiohttp
import discord
import pytest
import yarl
from discord import app_commands
from discord.ext import commands

from bot.clock import VirtualClock
from bot.sandbox import SandboxServer
from bot.sandbox import permissions as perm

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # a Monday, as in the other tests


class FakeClock:
    """Monotonic time that tests can push forward instead of sleeping."""

    def __init__(self) -> None:
        self.offset = 0.0

    def __call__(self) -> float:
        return time.monotonic() + self.offset

    def advance(self, seconds: float) -> None:
        self.offset += seconds


@dataclass
class World:
    """Ids of the standard test world."""

    guild: int
    channel: int
    other_channel: int
    owner: int
    moderator: int
    members: list[int]
    moderator_role: int
    member_role: int
    app_id: int
    bot_user: int
    token: str


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def virtual_clock() -> VirtualClock:
    """The sandbox world's date and time: a fixed instant, never the wall clock."""
    return VirtualClock(START)


@pytest.fixture
async def server(clock: FakeClock, virtual_clock: VirtualClock) -> AsyncIterator[SandboxServer]:
    sandbox = SandboxServer(now=clock, clock=virtual_clock.now)
    await sandbox.start()
    try:
        yield sandbox
    finally:
        await sandbox.stop()


def build_world(server: SandboxServer) -> World:
    """A guild with an owner, a moderator and three members, two channels and a bot."""
    app_id, bot_user, token = server.create_bot("peerpulse")
    owner = server.create_user("Olive")
    guild = server.create_guild("Consult Group", owner_id=owner)
    moderator_role = server.create_role(guild, "Facilitator", permissions=perm.MANAGE_GUILD)
    member_role = server.create_role(guild, "Member")
    channel = server.create_text_channel(guild, "peer-consult")
    other = server.create_text_channel(guild, "general")
    moderator = server.create_user("Mo")
    server.add_member(guild, moderator, roles=[moderator_role, member_role])
    members = []
    for name in ("Dana", "Eli", "Fay"):
        user = server.create_user(name)
        server.add_member(guild, user, roles=[member_role])
        members.append(user)
    return World(
        guild=guild,
        channel=channel,
        other_channel=other,
        owner=owner,
        moderator=moderator,
        members=members,
        moderator_role=moderator_role,
        member_role=member_role,
        app_id=app_id,
        bot_user=bot_user,
        token=token,
    )


@pytest.fixture
def world(server: SandboxServer) -> World:
    return build_world(server)


@pytest.fixture
def discord_endpoints(server: SandboxServer) -> Iterator[None]:
    """Point discord.py at the sandbox, and restore its defaults afterwards."""
    old_base = discord.http.Route.BASE
    old_gateway = discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY
    discord.http.Route.BASE = server.api_base
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(server.gateway_url)
    try:
        yield
    finally:
        discord.http.Route.BASE = old_base
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = old_gateway


@pytest.fixture
async def http(server: SandboxServer, world: World) -> AsyncIterator[aiohttp.ClientSession]:
    """A plain aiohttp client authenticated as the bot, rooted at the API base."""
    headers = {"Authorization": f"Bot {world.token}"}
    async with aiohttp.ClientSession(base_url=server.api_base + "/", headers=headers) as session:
        yield session


# --- the bare discord.py bot -------------------------------------------------------


class CheckinModal(discord.ui.Modal, title="Check-in"):
    """Label + TextInput, Label + RadioGroup and an optional note."""

    energy: discord.ui.Label[Any] = discord.ui.Label(
        text="Energy (1-5)", component=discord.ui.TextInput(custom_id="energy", max_length=1)
    )
    caseload: discord.ui.Label[Any] = discord.ui.Label(
        text="Caseload",
        component=discord.ui.RadioGroup(
            custom_id="caseload",
            options=[
                discord.RadioGroupOption(label="Light", value="light"),
                discord.RadioGroupOption(label="Heavy", value="heavy"),
            ],
        ),
    )
    note: discord.ui.Label[Any] = discord.ui.Label(
        text="Note (no client-identifying details)",
        component=discord.ui.TextInput(
            custom_id="note", style=discord.TextStyle.long, required=False
        ),
    )

    async def on_submit(self, interaction: discord.Interaction) -> None:
        energy = self.energy.component.value  # type: ignore[attr-defined]
        caseload = self.caseload.component.value  # type: ignore[attr-defined]
        note = self.note.component.value  # type: ignore[attr-defined]
        await interaction.response.send_message(
            f"saved energy={energy} caseload={caseload} note={note!r}", ephemeral=True
        )


class PulseModal(discord.ui.Modal, title="Pulse"):
    """Label-wrapped checkbox group, string select and checkbox."""

    drivers: discord.ui.Label[Any] = discord.ui.Label(
        text="What weighed on you?",
        component=discord.ui.CheckboxGroup(
            custom_id="drivers",
            required=False,
            options=[
                discord.CheckboxGroupOption(label="Caseload", value="caseload"),
                discord.CheckboxGroupOption(label="Admin", value="admin"),
                discord.CheckboxGroupOption(label="Supervision", value="supervision"),
            ],
        ),
    )
    exhaustion: discord.ui.Label[Any] = discord.ui.Label(
        text="Emotionally drained?",
        component=discord.ui.Select(
            custom_id="exhaustion",
            options=[discord.SelectOption(label=str(i), value=str(i)) for i in range(5)],
        ),
    )
    share: discord.ui.Label[Any] = discord.ui.Label(
        text="Share with the group", component=discord.ui.Checkbox(custom_id="share")
    )

    async def on_submit(self, interaction: discord.Interaction) -> None:
        drivers = self.drivers.component.values  # type: ignore[attr-defined]
        exhaustion = self.exhaustion.component.values  # type: ignore[attr-defined]
        share = self.share.component.value  # type: ignore[attr-defined]
        await interaction.response.send_message(
            f"drivers={drivers} exhaustion={exhaustion} share={share}", ephemeral=True
        )


class Panel(discord.ui.View):
    """A button that opens the modal, a select, an update button and a defer-update button."""

    def __init__(self) -> None:
        super().__init__(timeout=None)

    @discord.ui.button(label="Answer", custom_id="panel:answer")
    async def answer(self, interaction: discord.Interaction, _: discord.ui.Button[Any]) -> None:
        await interaction.response.send_modal(CheckinModal())

    @discord.ui.select(
        custom_id="panel:load",
        placeholder="Caseload",
        options=[
            discord.SelectOption(label="Light", value="light"),
            discord.SelectOption(label="Heavy", value="heavy"),
        ],
    )
    async def load(self, interaction: discord.Interaction, select: discord.ui.Select[Any]) -> None:
        await interaction.response.send_message(f"chose {select.values}", ephemeral=True)

    @discord.ui.button(label="Count", custom_id="panel:count")
    async def count(self, interaction: discord.Interaction, _: discord.ui.Button[Any]) -> None:
        await interaction.response.edit_message(content="counted once")

    @discord.ui.button(label="Later", custom_id="panel:later")
    async def later(self, interaction: discord.Interaction, _: discord.ui.Button[Any]) -> None:
        await interaction.response.defer()
        await interaction.edit_original_response(content="edited later")


@dataclass
class BareBot:
    """A running bare discord.py bot and what it observed."""

    client: commands.Bot
    task: asyncio.Task[None]
    errors: list[BaseException] = field(default_factory=list)
    events: list[tuple[str, Any]] = field(default_factory=list)
    gate: asyncio.Event = field(default_factory=asyncio.Event)
    entered: asyncio.Event = field(default_factory=asyncio.Event)
    ready_count: int = 0


class SandboxBot(commands.Bot):
    async def before_identify_hook(self, shard_id: int | None, *, initial: bool = False) -> None:
        """discord.py sleeps 5 s before every re-IDENTIFY; the sandbox has no such limit."""


def make_bot(world: World) -> tuple[commands.Bot, BareBot]:
    intents = discord.Intents.default()
    intents.members = True
    client = SandboxBot(command_prefix="!", intents=intents, guild_ready_timeout=0.1)
    state = BareBot(client=client, task=None)  # type: ignore[arg-type]
    tree = client.tree
    guild = discord.Object(world.guild)

    @tree.command(name="ping", description="Answer pong")
    async def ping(interaction: discord.Interaction) -> None:
        await interaction.response.send_message("pong")

    @tree.command(name="echo", description="Echo typed options", guild=guild)
    async def echo(  # noqa: PLR0917 - one parameter per command option
        interaction: discord.Interaction,
        text: str,
        count: int = 1,
        loud: bool = False,
        who: discord.Member | None = None,
        where: discord.TextChannel | None = None,
        role: discord.Role | None = None,
        ratio: float = 0.5,
    ) -> None:
        parts = [
            f"text={text}",
            f"count={count}",
            f"loud={loud}",
            f"who={who.display_name if who else None}",
            f"where={where.name if where else None}",
            f"role={role.name if role else None}",
            f"ratio={ratio}",
            f"perms={interaction.permissions.value}",
        ]
        await interaction.response.send_message(" ".join(parts))

    @tree.command(name="secret", description="An ephemeral reply", guild=guild)
    async def secret(interaction: discord.Interaction) -> None:
        await interaction.response.send_message("only you", ephemeral=True, view=Panel())

    @tree.command(name="slow", description="Defer, then follow up with a file", guild=guild)
    async def slow(interaction: discord.Interaction) -> None:
        await interaction.response.defer(thinking=True)
        report = discord.File(io.BytesIO(b"week,energy\n1,3\n"), filename="report.csv")
        await interaction.followup.send("here is the report", file=report)
        await interaction.followup.send("and a second note", ephemeral=True)

    @tree.command(name="pulse", description="Open the pulse modal", guild=guild)
    async def pulse(interaction: discord.Interaction) -> None:
        await interaction.response.send_modal(PulseModal())

    @tree.command(name="panel", description="Post the check-in panel", guild=guild)
    async def panel(interaction: discord.Interaction) -> None:
        await interaction.response.send_message("Weekly check-in", view=Panel())

    @tree.command(name="dm", description="DM me a file", guild=guild)
    async def dm(interaction: discord.Interaction) -> None:
        await interaction.response.defer(ephemeral=True)
        try:
            await interaction.user.send(
                "your export", file=discord.File(io.BytesIO(b'{"a": 1}'), filename="export.json")
            )
        except discord.Forbidden as error:
            state.errors.append(error)
            await interaction.followup.send(f"could not DM you ({error.code})", ephemeral=True)
        else:
            await interaction.followup.send("sent", ephemeral=True)

    @tree.command(name="gated", description="Waits for the test before answering", guild=guild)
    async def gated(interaction: discord.Interaction) -> None:
        state.entered.set()
        await state.gate.wait()
        try:
            await interaction.response.send_message("late")
        except discord.HTTPException as error:
            state.errors.append(error)

    @tree.command(name="silent", description="Never answers", guild=guild)
    async def silent(interaction: discord.Interaction) -> None:
        state.entered.set()

    @tree.command(name="modonly", description="Moderators only", guild=guild)
    @app_commands.default_permissions(manage_guild=True)
    async def modonly(interaction: discord.Interaction) -> None:
        await interaction.response.send_message("moderator tools", ephemeral=True)

    group = app_commands.Group(name="peerpulse", description="PeerPulse", guild_ids=[world.guild])

    @group.command(name="settings", description="Your settings")
    async def settings(interaction: discord.Interaction, timezone: str) -> None:
        await interaction.response.send_message(f"timezone set to {timezone}", ephemeral=True)

    @settings.autocomplete("timezone")
    async def timezone_choices(
        interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        zones = ["Europe/London", "Europe/Lisbon", "America/New_York"]
        return [app_commands.Choice(name=z, value=z) for z in zones if current.lower() in z.lower()]

    tree.add_command(group)

    @client.event
    async def on_ready() -> None:
        state.ready_count += 1

    @client.event
    async def on_scheduled_event_create(event: discord.ScheduledEvent) -> None:
        state.events.append(("create", event))

    @client.event
    async def on_scheduled_event_user_add(event: discord.ScheduledEvent, user: Any) -> None:
        state.events.append(("user_add", user))

    @client.event
    async def on_message(message: discord.Message) -> None:
        state.events.append(("message", message))

    return client, state


async def start_bot(world: World) -> BareBot:
    """Start the bare bot, wait for on_ready and sync its commands."""
    client, state = make_bot(world)
    # login() first: wait_until_ready() raises if called before the client is set up.
    await client.login(world.token)
    state.task = asyncio.create_task(client.connect(), name="bare-bot")
    await asyncio.wait_for(client.wait_until_ready(), 10)
    await client.tree.sync()
    await client.tree.sync(guild=discord.Object(world.guild))
    return state


async def stop_bot(state: BareBot) -> None:
    await state.client.close()
    with contextlib.suppress(asyncio.CancelledError):
        await asyncio.wait_for(state.task, 10)


@pytest.fixture
def bot_runner(server: SandboxServer, world: World, discord_endpoints: None) -> Any:
    """`start()` / `stop(state)` for tests that run the bare bot more than once."""

    class Runner:
        async def start(self) -> BareBot:
            return await start_bot(world)

        async def stop(self, state: BareBot) -> None:
            state.gate.set()
            await stop_bot(state)

    return Runner()


@pytest.fixture
async def bare_bot(
    server: SandboxServer, world: World, discord_endpoints: None
) -> AsyncIterator[BareBot]:
    state = await start_bot(world)
    try:
        yield state
    finally:
        state.gate.set()
        await stop_bot(state)
