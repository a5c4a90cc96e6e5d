"""Guild scheduled events against the sandbox through the real discord.py client: Discord's
field rules, status moves, the 100-uncompleted limit, permissions, gateway events, the
scenario API and the transcript."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import discord
import pytest

from bot.clock import VirtualClock
from bot.sandbox import Overwrite, SandboxError, SandboxServer
from bot.sandbox import permissions as perm
from bot.sandbox.transcript import render_transcript

if TYPE_CHECKING:
    from tests.sandbox.conftest import BareBot, World

START = datetime(2026, 3, 4, 12, 0, tzinfo=UTC)  # two days after the world's "now"
END = START + timedelta(hours=1)
NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def _external(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": "Peer consultation",
        "privacy_level": 2,
        "entity_type": 3,
        "scheduled_start_time": START.isoformat(),
        "scheduled_end_time": END.isoformat(),
        "entity_metadata": {"location": "Video call"},
    }
    body.update(changes)
    return {k: v for k, v in body.items() if v is not _DROP}


_DROP = object()


def _bot_role(server: SandboxServer, world: World) -> int:
    guild = server.world.guild(world.guild)
    return next(r.id for r in guild.roles.values() if r.managed)


def _set_bot_permissions(server: SandboxServer, world: World, permissions: int) -> None:
    server.world.guild(world.guild).roles[_bot_role(server, world)].permissions = permissions


async def _cached(get: Callable[[], Any]) -> Any:
    """Wait for the bot's cache to show what the sandbox just announced."""
    for _ in range(200):
        found = get()
        if found is not None:
            return found
        await asyncio.sleep(0.01)
    raise AssertionError("never reached the bot's cache")


async def _voice_channel(
    server: SandboxServer, world: World, bot: BareBot, *, stage: bool = False, allow: int = 0
) -> Any:
    """A voice (or stage) channel in which the bot's role is allowed `allow` on top."""
    overwrites = [Overwrite(_bot_role(server, world), 0, allow=allow)] if allow else []
    channel_id = server.create_voice_channel(
        world.guild, "consult-room", stage=stage, overwrites=overwrites
    )
    guild = bot.client.get_guild(world.guild)
    assert guild is not None
    return await _cached(lambda: guild.get_channel(channel_id))


def _guild(bot: BareBot, world: World) -> discord.Guild:
    guild = bot.client.get_guild(world.guild)
    assert guild is not None
    return guild


async def _external_event(bot: BareBot, world: World, **kwargs: Any) -> discord.ScheduledEvent:
    options: dict[str, Any] = {
        "name": "Peer consultation",
        "start_time": START,
        "end_time": END,
        "entity_type": discord.EntityType.external,
        "location": "Video call",
        "privacy_level": discord.PrivacyLevel.guild_only,
    }
    options.update(kwargs)
    return await _guild(bot, world).create_scheduled_event(**options)


# --- creating: Discord's field rules -------------------------------------------------


async def test_voice_event_is_created_in_a_voice_channel_and_reaches_the_bot(
    server: SandboxServer, world: World, bare_bot: BareBot
) -> None:
    voice = await _voice_channel(server, world, bare_bot, allow=perm.CONNECT)
    assert isinstance(voice, discord.VoiceChannel)
    created = bare_bot.client.wait_for("scheduled_event_create", timeout=5)
    event = await _guild(bare_bot, world).create_scheduled_event(
        name="Peer consultation",
        start_time=START,
        channel=voice,
        privacy_level=discord.PrivacyLevel.guild_only,
        description="Case presenter: Dana",
    )
    seen = await created
    assert seen.id == event.id
    assert event.entity_type is discord.EntityType.voice
    assert event.channel_id == voice.id
    assert event.location is None
    assert event.status is discord.EventStatus.scheduled
    assert event.creator_id == world.bot_user
    assert event.start_time == START
    assert event.end_time is None
    (stored,) = server.scheduled_events(world.guild)
    assert stored["entity_metadata"] is None
    assert stored["privacy_level"] == 2
    assert stored["recurrence_rule"] is None
    assert stored["user_count"] == 0


async def test_external_event_keeps_its_location_and_end(
    server: SandboxServer, world: World, bare_bot: BareBot
) -> None:
    event = await _external_event(bare_bot, world)
    assert event.entity_type is discord.EntityType.external
    assert event.location == "Video call"
    assert event.end_time == END
    assert event.channel_id is None


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"name": ""}, "name", "Must be between 1 and 100 in length."),
        ({"name": "n" * 101}, "name", "Must be between 1 and 100 in length."),
        ({"name": _DROP}, "name", "This field is required"),
        ({"description": "d" * 1001}, "description", "Must be 1000 or fewer in length."),
        (
            {"entity_metadata": {"location": ""}},
            "entity_metadata.location",
            "Must be between 1 and 100 in length.",
        ),
        (
            {"entity_metadata": {"location": "l" * 101}},
            "entity_metadata.location",
            "Must be between 1 and 100 in length.",
        ),
        ({"entity_metadata": _DROP}, "entity_metadata.location", "This field is required"),
        ({"scheduled_end_time": _DROP}, "scheduled_end_time", "This field is required"),
        ({"channel_id": "{voice}"}, "channel_id", "An external event cannot have a channel."),
        (
            {"scheduled_end_time": START.isoformat()},
            "scheduled_end_time",
            "The end time must be after the start time.",
        ),
        (
            {"scheduled_end_time": (START - timedelta(minutes=5)).isoformat()},
            "scheduled_end_time",
            "The end time must be after the start time.",
        ),
        (
            {"scheduled_start_time": (NOW - timedelta(minutes=1)).isoformat()},
            "scheduled_start_time",
            "Cannot schedule event in the past.",
        ),
        (
            {"scheduled_start_time": "next thursday"},
            "scheduled_start_time",
            "Could not parse next thursday. Should be ISO8601.",
        ),
        ({"privacy_level": 1}, "privacy_level", "Value must be one of (2,)."),
        ({"entity_type": 4}, "entity_type", "Value must be one of (1, 2, 3,)."),
        (
            {"entity_type": 2, "entity_metadata": None},
            "channel_id",
            "This field is required",
        ),
        (
            {"entity_type": 2, "entity_metadata": None, "channel_id": "{text}"},
            "channel_id",
            "The channel must be a voice channel.",
        ),
        (
            {"entity_type": 1, "entity_metadata": None, "channel_id": "{voice}"},
            "channel_id",
            "The channel must be a stage channel.",
        ),
        (
            {"entity_type": 2, "channel_id": "{voice}", "scheduled_end_time": None},
            "entity_metadata",
            "Entity metadata is only supported for external events.",
        ),
    ],
)
async def test_discord_refuses_a_bad_event_body(  # noqa: PLR0917 - one row of the table
    server: SandboxServer,
    world: World,
    bare_bot: BareBot,
    changes: dict[str, Any],
    field: str,
    message: str,
) -> None:
    voice = await _voice_channel(server, world, bare_bot, allow=perm.CONNECT)
    ids = {"{voice}": str(voice.id), "{text}": str(world.channel)}
    body = _external(**{k: ids.get(v, v) if isinstance(v, str) else v for k, v in changes.items()})
    with pytest.raises(discord.HTTPException) as caught:
        await bare_bot.client.http.create_guild_scheduled_event(world.guild, **body)
    assert caught.value.status == 400
    assert caught.value.code == 50035
    assert f"In {field}: {message}" in caught.value.text
    assert server.scheduled_events(world.guild) == []
    assert not server.dispatched_events("GUILD_SCHEDULED_EVENT_CREATE")


async def test_the_limits_themselves_are_allowed(world: World, bare_bot: BareBot) -> None:
    event = await _external_event(
        bare_bot, world, name="n" * 100, description="d" * 1000, location="l" * 100
    )
    assert (len(event.name), len(event.description or ""), len(event.location or "")) == (
        100,
        1000,
        100,
    )


async def test_the_past_is_the_worlds_clock_not_the_wall_clock(
    server: SandboxServer, world: World, bare_bot: BareBot, virtual_clock: VirtualClock
) -> None:
    # The world's "now" is 2026-03-02 09:00; a start an hour later is fine then ...
    soon = NOW + timedelta(hours=1)
    await _external_event(bare_bot, world, start_time=soon, end_time=soon + timedelta(hours=1))
    # ... and in the past once the world's clock has moved on, whatever the wall clock says.
    virtual_clock.advance(timedelta(hours=2))
    with pytest.raises(discord.HTTPException) as caught:
        await _external_event(bare_bot, world, start_time=soon, end_time=soon + timedelta(hours=1))
    assert "Cannot schedule event in the past." in caught.value.text


# --- editing and status moves --------------------------------------------------------


async def test_edits_and_status_moves_reach_the_bot(
    server: SandboxServer, world: World, bare_bot: BareBot
) -> None:
    event = await _external_event(bare_bot, world)
    updated = bare_bot.client.wait_for("scheduled_event_update", timeout=5)
    later = START + timedelta(days=1)
    event = await event.edit(
        name="Peer consultation (moved)", start_time=later, end_time=later + timedelta(hours=1)
    )
    before, after = await updated
    assert (before.name, after.name) == ("Peer consultation", "Peer consultation (moved)")
    assert after.start_time == later
    event = await event.start()
    assert event.status is discord.EventStatus.active
    event = await event.end()
    assert event.status is discord.EventStatus.completed
    cached = _guild(bare_bot, world).get_scheduled_event(event.id)
    assert cached is not None
    await _cached(lambda: cached.status is discord.EventStatus.completed or None)
    kinds = [t for t, _ in server.dispatched_events() if t.startswith("GUILD_SCHEDULED_EVENT")]
    assert kinds == ["GUILD_SCHEDULED_EVENT_CREATE"] + ["GUILD_SCHEDULED_EVENT_UPDATE"] * 3


async def test_a_cancelled_event_is_cancelled_and_then_deleted(
    server: SandboxServer, world: World, bare_bot: BareBot
) -> None:
    event = await _external_event(bare_bot, world)
    event = await event.cancel()
    assert event.status is discord.EventStatus.cancelled
    deleted = bare_bot.client.wait_for("scheduled_event_delete", timeout=5)
    await event.delete()
    assert (await deleted).id == event.id
    assert server.scheduled_events(world.guild) == []


@pytest.mark.parametrize(
    ("moves", "status"),
    [
        ((), discord.EventStatus.completed),  # SCHEDULED → COMPLETED
        ((), discord.EventStatus.scheduled),  # no move at all is fine, see below
        (("start",), discord.EventStatus.cancelled),  # ACTIVE → CANCELED
        (("start",), discord.EventStatus.scheduled),  # ACTIVE → SCHEDULED
    ],
)
async def test_only_discords_status_moves_are_allowed(
    server: SandboxServer,
    world: World,
    bare_bot: BareBot,
    moves: tuple[str, ...],
    status: discord.EventStatus,
) -> None:
    event = await _external_event(bare_bot, world)
    for move in moves:
        event = await getattr(event, move)()
    if status is event.status:
        assert (await event.edit(status=status)).status is status
        return
    with pytest.raises(discord.HTTPException) as caught:
        await event.edit(status=status)
    assert caught.value.code == 50035
    assert "In status: Cannot change status" in caught.value.text


@pytest.mark.parametrize("finish", ["end", "cancel"])
async def test_a_finished_event_cannot_be_edited(
    world: World, bare_bot: BareBot, finish: str
) -> None:
    event = await _external_event(bare_bot, world)
    if finish == "end":
        event = await (await event.start()).end()
    else:
        event = await event.cancel()
    for change in (
        {"name": "Peer consultation (again)"},
        {"status": discord.EventStatus.active},
        {"description": "still on?"},
    ):
        with pytest.raises(discord.HTTPException) as caught:
            await event.edit(**change)
        assert (caught.value.status, caught.value.code) == (400, 180000)
        assert "Cannot update a finished event" in caught.value.text


async def test_a_running_event_ends_by_its_status_alone(world: World, bare_bot: BareBot) -> None:
    event = await (await _external_event(bare_bot, world)).start()
    with pytest.raises(discord.HTTPException) as caught:
        await event.edit(status=discord.EventStatus.completed, name="Renamed while ending")
    assert caught.value.code == 180000
    with pytest.raises(discord.HTTPException) as caught:
        await event.edit(start_time=START + timedelta(hours=1))
    assert caught.value.code == 50035
    assert "In scheduled_start_time:" in caught.value.text
    # Its details may still change while it runs.
    event = await event.edit(description="Running a little late")
    assert event.description == "Running a little late"
    assert (await event.end()).status is discord.EventStatus.completed


async def test_an_edit_follows_the_same_field_rules(
    server: SandboxServer, world: World, bare_bot: BareBot
) -> None:
    event = await _external_event(bare_bot, world)
    refused: list[tuple[dict[str, Any], str]] = [
        ({"name": "n" * 101}, "In name: Must be between 1 and 100 in length."),
        ({"location": "l" * 101}, "In entity_metadata.location: Must be between 1 and 100"),
        ({"end_time": START - timedelta(hours=1)}, "In scheduled_end_time: The end time"),
        ({"start_time": NOW - timedelta(hours=1)}, "In scheduled_start_time: Cannot schedule"),
        ({"description": "d" * 1001}, "In description: Must be 1000 or fewer in length."),
    ]
    for change, text in refused:
        with pytest.raises(discord.HTTPException) as caught:
            await event.edit(**change)
        assert caught.value.code == 50035, change
        assert text in caught.value.text
    (stored,) = server.scheduled_events(world.guild)
    assert stored["name"] == "Peer consultation"
    assert not server.dispatched_events("GUILD_SCHEDULED_EVENT_UPDATE")


async def test_an_external_event_can_move_into_a_voice_channel_and_back(
    server: SandboxServer, world: World, bare_bot: BareBot
) -> None:
    voice = await _voice_channel(server, world, bare_bot, allow=perm.CONNECT)
    event = await _external_event(bare_bot, world)
    event = await event.edit(channel=voice)
    assert event.entity_type is discord.EntityType.voice
    assert (event.channel_id, event.location) == (voice.id, None)
    event = await event.edit(
        entity_type=discord.EntityType.external, location="Room 4", end_time=END
    )
    assert (event.channel_id, event.location) == (None, "Room 4")


# --- the 100-uncompleted limit --------------------------------------------------------


async def test_a_guild_holds_at_most_100_uncompleted_events(
    server: SandboxServer, world: World, bare_bot: BareBot
) -> None:
    ids = [server.create_scheduled_event(world.guild, world.owner, _external()) for _ in range(99)]
    last = await _external_event(bare_bot, world)  # the 100th
    with pytest.raises(discord.HTTPException) as caught:
        await _external_event(bare_bot, world)
    assert (caught.value.status, caught.value.code) == (400, 30038)
    assert "Maximum number of uncompleted guild scheduled events reached (100)" in (
        caught.value.text
    )
    # An active event still counts; a completed or cancelled one does not.
    server.start_event(ids[0])
    with pytest.raises(discord.HTTPException):
        await _external_event(bare_bot, world)
    server.complete_event(ids[0])
    await _external_event(bare_bot, world)
    await last.cancel()
    await _external_event(bare_bot, world)
    with pytest.raises(discord.HTTPException) as caught:
        await _external_event(bare_bot, world)
    assert caught.value.code == 30038


# --- permissions ------------------------------------------------------------------------


async def test_creating_needs_create_events_or_manage_events(
    server: SandboxServer, world: World, bare_bot: BareBot
) -> None:
    # @everyone may create events by default (as on Discord); here it may not.
    server.world.guild(world.guild).roles[world.guild].permissions &= ~perm.CREATE_EVENTS
    plain = perm.DEFAULT_BOT & ~(perm.CREATE_EVENTS | perm.MANAGE_EVENTS)
    _set_bot_permissions(server, world, plain)
    with pytest.raises(discord.Forbidden) as caught:
        await _external_event(bare_bot, world)
    assert caught.value.code == 50013
    for granted in (perm.CREATE_EVENTS, perm.MANAGE_EVENTS):
        _set_bot_permissions(server, world, plain | granted)
        await _external_event(bare_bot, world)


async def test_someone_elses_event_needs_manage_events(
    server: SandboxServer, world: World, bare_bot: BareBot
) -> None:
    theirs = server.create_scheduled_event(world.guild, world.owner, _external(name="Olive's"))
    _set_bot_permissions(server, world, perm.DEFAULT_BOT & ~perm.MANAGE_EVENTS)
    guild = _guild(bare_bot, world)
    event = await _cached(lambda: guild.get_scheduled_event(theirs))
    ours = await _external_event(bare_bot, world)
    for act in (lambda: event.edit(name="Taken over"), event.cancel, event.delete):
        with pytest.raises(discord.Forbidden) as caught:
            await act()
        assert caught.value.code == 50013
    # CREATE_EVENTS is enough for one's own event.
    ours = await ours.edit(name="Ours, renamed")
    assert ours.name == "Ours, renamed"
    _set_bot_permissions(server, world, perm.DEFAULT_BOT)
    assert (await event.edit(name="Managed")).name == "Managed"
    await event.delete()


async def test_a_voice_event_needs_to_see_and_connect_to_its_channel(
    server: SandboxServer, world: World, bare_bot: BareBot
) -> None:
    # The bot's default permissions (as peerpulse's invite) lack Connect.
    voice = await _voice_channel(server, world, bare_bot)
    with pytest.raises(discord.Forbidden) as caught:
        await _guild(bare_bot, world).create_scheduled_event(
            name="Peer consultation", start_time=START, channel=voice
        )
    assert caught.value.code == 50013
    allowed = await _voice_channel(server, world, bare_bot, allow=perm.CONNECT)
    event = await _guild(bare_bot, world).create_scheduled_event(
        name="Peer consultation", start_time=START, channel=allowed
    )
    assert event.channel_id == allowed.id


async def test_a_stage_event_needs_the_stage_moderator_permissions(
    server: SandboxServer, world: World, bare_bot: BareBot
) -> None:
    stage = await _voice_channel(server, world, bare_bot, stage=True, allow=perm.CONNECT)
    assert isinstance(stage, discord.StageChannel)
    with pytest.raises(discord.Forbidden):
        await _guild(bare_bot, world).create_scheduled_event(
            name="Case conference", start_time=START, channel=stage
        )
    moderator = perm.MANAGE_CHANNELS | perm.MUTE_MEMBERS | perm.MOVE_MEMBERS
    allowed = await _voice_channel(server, world, bare_bot, stage=True, allow=moderator)
    event = await _guild(bare_bot, world).create_scheduled_event(
        name="Case conference", start_time=START, channel=allowed
    )
    assert event.entity_type is discord.EntityType.stage_instance


# --- the scenario API: what Discord and members do --------------------------------------


async def test_discord_starts_and_ends_events_and_members_mark_interest(
    server: SandboxServer, world: World, bare_bot: BareBot
) -> None:
    event = await _external_event(bare_bot, world)
    guild = _guild(bare_bot, world)
    added = bare_bot.client.wait_for("scheduled_event_user_add", timeout=5)
    server.event_interest(world.members[0], event.id)
    server.event_interest(world.members[0], event.id)  # a second click changes nothing
    assert (await added)[1].id == world.members[0]
    removed = bare_bot.client.wait_for("scheduled_event_user_remove", timeout=5)
    server.event_interest(world.members[1], event.id)
    server.event_interest(world.members[1], event.id, interested=False)
    assert (await removed)[1].id == world.members[1]
    assert server.scheduled_events(world.guild)[0]["user_count"] == 1
    fetched = await guild.fetch_scheduled_event(event.id, with_counts=True)
    assert fetched.user_count == 1
    listed = await guild.fetch_scheduled_events(with_counts=True)
    assert [e.user_count for e in listed] == [1]
    raw = await bare_bot.client.http.get_scheduled_events(world.guild, False)
    assert ["user_count" in e for e in raw] == [False]

    server.start_event(event.id)
    cached = guild.get_scheduled_event(event.id)
    assert cached is not None
    await _cached(lambda: cached.status is discord.EventStatus.active or None)
    with pytest.raises(SandboxError):
        server.start_event(event.id)
    server.complete_event(event.id)
    await _cached(lambda: cached.status is discord.EventStatus.completed or None)
    with pytest.raises(SandboxError):
        server.event_interest(world.members[2], event.id)
    statuses = [d["status"] for _, d in server.dispatched_events("GUILD_SCHEDULED_EVENT_UPDATE")]
    assert statuses == [2, 3]


async def test_a_reconnecting_bot_finds_the_events_in_guild_create(
    server: SandboxServer, world: World, bare_bot: BareBot
) -> None:
    voice = await _voice_channel(server, world, bare_bot, allow=perm.CONNECT)
    event = await _guild(bare_bot, world).create_scheduled_event(
        name="Peer consultation", start_time=START, channel=voice
    )
    server.start_event(event.id)
    await server.drop_gateway(resumable=False)
    await server.wait_for_bot(timeout=10)
    await _cached(lambda: bare_bot.ready_count == 2 or None)
    guild = await _cached(lambda: bare_bot.client.get_guild(world.guild))
    cached = await _cached(lambda: guild.get_scheduled_event(event.id))
    assert cached.status is discord.EventStatus.active
    assert cached.channel_id == voice.id
    assert cached.creator_id == world.bot_user


async def test_a_bot_without_the_scheduled_events_intent_hears_nothing(
    server: SandboxServer, world: World, bare_bot: BareBot
) -> None:
    # peerpulse identifies with the GUILDS intent only (1 << 0), not GUILD_SCHEDULED_EVENTS.
    session = server.gateway.session_for(world.app_id)
    assert session is not None
    session.intents = 1
    event = await _external_event(bare_bot, world)
    server.event_interest(world.members[0], event.id)
    await event.cancel()
    assert not [t for t, _ in server.dispatched_events() if "SCHEDULED_EVENT" in t]


# --- the transcript ---------------------------------------------------------------------


async def test_the_transcript_shows_each_change_to_an_event(
    server: SandboxServer, world: World, bare_bot: BareBot, virtual_clock: VirtualClock
) -> None:
    voice = await _voice_channel(server, world, bare_bot, allow=perm.CONNECT)
    event = await _external_event(bare_bot, world)
    virtual_clock.advance(timedelta(minutes=5))
    event = await event.edit(channel=voice)
    virtual_clock.advance(timedelta(minutes=5))
    await event.cancel()
    timelines = server.transcript_timelines({})
    (events,) = [t for t in timelines if t.kind == "events"]
    assert events.title == "Scheduled events · Consult Group"
    assert [m.note for m in events.messages] == [
        "scheduled event scheduled",
        "scheduled event edited",
        "scheduled event cancelled",
    ]
    assert [m.author for m in events.messages] == ["peerpulse"] * 3
    start = int(START.timestamp())
    created, edited, cancelled = (m.content for m in events.messages)
    assert f"<t:{start}:F>" in created
    assert "At Video call" in created
    assert "Changed: kind, channel, location" in edited
    assert f"In <#{voice.id}>" in edited
    assert cancelled.startswith("**Peer consultation**: event cancelled")
    html = render_transcript("Sandbox", timelines, generated_at=NOW, names=server.display_names())
    assert "Wednesday, 04 March 2026 12:00" in html
    assert "#consult-room" in html
    assert "scheduled events · 3 messages" in html
    # An unused voice channel gets no timeline of its own.
    assert not [t for t in timelines if t.title.startswith("#consult-room")]
