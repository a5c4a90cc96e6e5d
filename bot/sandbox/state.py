"""The sandbox's in-memory world: users, guilds, channels, messages, interactions.

Plain data plus the bookkeeping Discord does (snowflakes, DM channels, member
permissions). No HTTP and no websockets here; `payloads` turns these objects into
Discord JSON and `server` exposes them over REST and the gateway.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from bot.clock import SystemClock
from bot.sandbox import permissions as perm

DISCORD_EPOCH_MS = 1_420_070_400_000

# Channel types.
GUILD_TEXT = 0
DM = 1
GUILD_VOICE = 2
GUILD_STAGE_VOICE = 13

# Message flags.
EPHEMERAL = 1 << 6
LOADING = 1 << 7

# Interaction types.
PING, APPLICATION_COMMAND, MESSAGE_COMPONENT, AUTOCOMPLETE, MODAL_SUBMIT = 1, 2, 3, 4, 5

# Interaction callback types.
PONG = 1
CHANNEL_MESSAGE = 4
DEFERRED_CHANNEL_MESSAGE = 5
DEFERRED_UPDATE_MESSAGE = 6
UPDATE_MESSAGE = 7
AUTOCOMPLETE_RESULT = 8
MODAL = 9

# Gateway intents the sandbox looks at.
INTENT_GUILDS = 1 << 0
INTENT_GUILD_MEMBERS = 1 << 1
INTENT_GUILD_MESSAGES = 1 << 9
INTENT_DIRECT_MESSAGES = 1 << 12
INTENT_MESSAGE_CONTENT = 1 << 15
INTENT_GUILD_SCHEDULED_EVENTS = 1 << 16

# Guild scheduled event statuses and entity types.
EVENT_SCHEDULED, EVENT_ACTIVE, EVENT_COMPLETED, EVENT_CANCELED = 1, 2, 3, 4
ENTITY_STAGE_INSTANCE, ENTITY_VOICE, ENTITY_EXTERNAL = 1, 2, 3

# How long a message nonce is remembered for `enforce_nonce` ("the past few minutes").
NONCE_WINDOW = timedelta(minutes=5)


class SandboxError(Exception):
    """Misuse of the sandbox's world-building or actor API."""


class SnowflakeFactory:
    """Discord-style ids: milliseconds since 2015 in the top bits, a counter below."""

    def __init__(self, clock: Callable[[], datetime]) -> None:
        self._clock = clock
        self._last = 0

    def next(self) -> int:
        """A new id, strictly greater than every id handed out before."""
        ms = int(self._clock().timestamp() * 1000) - DISCORD_EPOCH_MS
        candidate = max(ms, 0) << 22
        self._last = max(candidate, self._last + 1)
        return self._last

    @property
    def last(self) -> int:
        """The latest id handed out (0 before any): orders events without taking an id."""
        return self._last


@dataclass
class User:
    """A Discord user (a person or a bot)."""

    id: int
    username: str
    global_name: str | None = None
    bot: bool = False

    @property
    def display_name(self) -> str:
        """The name Discord shows: the global name if set."""
        return self.global_name or self.username


@dataclass
class Role:
    """A guild role; the @everyone role's id equals the guild id."""

    id: int
    guild_id: int
    name: str
    permissions: int
    position: int = 0
    managed: bool = False
    color: int = 0
    hoist: bool = False
    mentionable: bool = False


@dataclass
class Channel:
    """A guild text channel or a DM channel (then `recipient_id` is the person)."""

    id: int
    type: int
    name: str | None = None
    guild_id: int | None = None
    position: int = 0
    topic: str | None = None
    parent_id: int | None = None
    recipient_id: int | None = None
    overwrites: list[perm.Overwrite] = field(default_factory=list)
    last_message_id: int | None = None


@dataclass
class Member:
    """A user's membership of a guild."""

    guild_id: int
    user_id: int
    roles: list[int]
    joined_at: datetime
    nick: str | None = None


@dataclass(frozen=True)
class MembershipChange:
    """A user joined or left a guild at a (virtual) instant; `member` as it was then."""

    guild_id: int
    user_id: int
    joined: bool
    at: datetime
    member: Member


@dataclass
class ScheduledEvent:
    """A guild scheduled event, kept as the Discord JSON object."""

    id: int
    guild_id: int
    data: dict[str, Any]
    subscribers: list[int] = field(default_factory=list)

    @property
    def status(self) -> int:
        """1 scheduled, 2 active, 3 completed, 4 canceled."""
        return int(self.data["status"])

    @property
    def creator_id(self) -> int:
        """Who created the event."""
        return int(self.data["creator_id"])


@dataclass(frozen=True)
class EventChange:
    """One change to a scheduled event, for the transcript: `kind` is created, edited,
    started, completed, cancelled or deleted; `by` None means Discord itself moved it;
    `data` is the event as it stood after the change; `fields` what an edit changed."""

    guild_id: int
    event_id: int
    kind: str
    at: datetime
    order: int
    by: int | None
    data: dict[str, Any]
    fields: tuple[str, ...] = ()


@dataclass
class Guild:
    """A server with its roles, channels, members and scheduled events."""

    id: int
    name: str
    owner_id: int
    created_at: datetime
    roles: dict[int, Role] = field(default_factory=dict)
    channel_ids: list[int] = field(default_factory=list)
    members: dict[int, Member] = field(default_factory=dict)
    scheduled_events: dict[int, ScheduledEvent] = field(default_factory=dict)


@dataclass
class StoredAttachment:
    """A file uploaded with a message; its bytes are served by the server."""

    id: int
    filename: str
    content_type: str
    data: bytes
    description: str | None = None

    @property
    def size(self) -> int:
        """Size in bytes."""
        return len(self.data)


@dataclass(frozen=True)
class MessageVersion:
    """What a message said before an edit replaced it, and from when (`shown_at`; `order`
    sorts events of the same instant: (snowflake, 0) for a creation, (latest snowflake, 1)
    for an edit)."""

    content: str
    embeds: list[dict[str, Any]]
    components: list[dict[str, Any]]
    attachments: list[StoredAttachment]
    shown_at: datetime
    order: tuple[int, int]


@dataclass
class Message:
    """A message in a channel. `ephemeral_to` names the only user who can see it.

    `versions` keeps what earlier versions said (not the "thinking…" placeholder of a
    deferred reply), so a transcript can show each as it was read; `shown_order` orders
    the current version among events of the same instant (None: as the message's id).
    """

    id: int
    channel_id: int
    author_id: int
    content: str
    timestamp: datetime
    embeds: list[dict[str, Any]] = field(default_factory=list)
    components: list[dict[str, Any]] = field(default_factory=list)
    attachments: list[StoredAttachment] = field(default_factory=list)
    flags: int = 0
    type: int = 0
    edited_timestamp: datetime | None = None
    webhook_id: int | None = None
    application_id: int | None = None
    interaction_id: int | None = None
    ephemeral_to: int | None = None
    deleted: bool = False
    poll: dict[str, Any] | None = None
    nonce: str | int | None = None
    versions: list[MessageVersion] = field(default_factory=list)
    shown_order: tuple[int, int] | None = None

    @property
    def ephemeral(self) -> bool:
        """Whether only one user can see this message."""
        return self.ephemeral_to is not None


@dataclass
class Application:
    """A bot application with its registered commands."""

    id: int
    name: str
    bot_user_id: int
    token: str
    owner_id: int
    verify_key: str
    permissions: int
    global_commands: list[dict[str, Any]] = field(default_factory=list)
    guild_commands: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    # Command permission overrides a server admin set in Server Settings → Integrations:
    # guild id → command id (or the application id, for all its commands) → Discord's
    # permission objects ({"id", "type": 1 role / 2 user, "permission": bool}).
    command_permissions: dict[int, dict[int, list[dict[str, Any]]]] = field(default_factory=dict)

    def commands_for(self, guild_id: int | None) -> list[dict[str, Any]]:
        """Commands usable in a guild (guild commands first) or in DMs (global only)."""
        found = list(self.guild_commands.get(guild_id, [])) if guild_id is not None else []
        names = {c["name"] for c in found}
        found.extend(c for c in self.global_commands if c["name"] not in names)
        return found


@dataclass
class ShownModal:
    """A modal the bot showed to a user in answer to an interaction."""

    interaction_id: int
    user_id: int
    channel_id: int
    guild_id: int | None
    data: dict[str, Any]
    shown_at: datetime
    source_message_id: int | None = None
    submitted: bool = False


@dataclass
class Interaction:
    """One interaction and everything that happened in answer to it."""

    id: int
    token: str
    type: int
    application_id: int
    user_id: int
    guild_id: int | None
    channel_id: int
    data: dict[str, Any]
    created_at: float
    description: str
    source_message_id: int | None = None
    payload: dict[str, Any] = field(default_factory=dict)
    response_type: int | None = None
    response_body: dict[str, Any] | None = None
    original_message_id: int | None = None
    original_edits: int = 0
    followup_ids: list[int] = field(default_factory=list)
    modal: ShownModal | None = None
    choices: list[dict[str, Any]] | None = None
    changed: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def ephemeral_context(self) -> bool:
        """Whether the original response is ephemeral (decided by the first response)."""
        return bool(self.response_body and _flags_of(self.response_body) & EPHEMERAL)

    def notify(self) -> None:
        """Wake everyone waiting for a change to this interaction."""
        old = self.changed
        self.changed = asyncio.Event()
        old.set()


def _flags_of(body: dict[str, Any]) -> int:
    data = body.get("data") or {}
    return int(data.get("flags") or 0)


def utc_now() -> datetime:
    """The real wall clock (aware UTC), read through peerpulse's one clock object."""
    return SystemClock().now()


class World:
    """Everything the sandbox server knows, with Discord's bookkeeping rules."""

    def __init__(self, clock: Callable[[], datetime] = utc_now) -> None:
        self.clock = clock
        self.ids = SnowflakeFactory(clock)
        self.users: dict[int, User] = {}
        self.guilds: dict[int, Guild] = {}
        self.channels: dict[int, Channel] = {}
        self.messages: dict[int, Message] = {}
        self.channel_messages: dict[int, list[int]] = {}
        self.applications: dict[int, Application] = {}
        self.interactions: dict[int, Interaction] = {}
        self._interaction_by_token: dict[str, int] = {}
        self.modals: list[ShownModal] = []
        self.dms_closed: set[int] = set()
        self._dm_by_user: dict[int, int] = {}
        self.nonce_window = NONCE_WINDOW
        self._by_nonce: dict[tuple[int, str], int] = {}
        # Every change to every guild scheduled event, deleted ones included.
        self.event_log: list[EventChange] = []
        # Every join and leave of every guild, in order (who was a member when).
        self.membership_log: list[MembershipChange] = []
        # (message id, component) for every interactive component ever put on a message,
        # including those later edited away: what a client may still press.
        self.emitted_components: list[tuple[int, dict[str, Any]]] = []

    # --- building ---------------------------------------------------------

    def create_user(self, name: str, *, bot: bool = False, global_name: str | None = None) -> User:
        """Add a user; `name` becomes the username (lower-cased, no spaces)."""
        username = name.lower().replace(" ", "_")
        user = User(self.ids.next(), username, global_name or name, bot=bot)
        self.users[user.id] = user
        return user

    def create_application(self, name: str, *, permissions: int) -> Application:
        """Add a bot application with its bot user; the bot joins every guild."""
        owner = self.create_user(f"{name} owner")
        bot_user = self.create_user(name, bot=True)
        app = Application(
            id=self.ids.next(),
            name=name,
            bot_user_id=bot_user.id,
            token=f"sandbox.{secrets.token_urlsafe(24)}",
            owner_id=owner.id,
            verify_key=secrets.token_hex(32),
            permissions=permissions,
        )
        self.applications[app.id] = app
        for guild in self.guilds.values():
            self._add_bot_member(guild, app)
        return app

    def create_guild(self, name: str, *, owner_id: int, everyone: int) -> Guild:
        """Add a guild with its @everyone role; the owner and every bot join it."""
        self.user(owner_id)
        guild = Guild(self.ids.next(), name, owner_id, created_at=self.clock())
        guild.roles[guild.id] = Role(guild.id, guild.id, "@everyone", everyone)
        self.guilds[guild.id] = guild
        self.add_member(guild.id, owner_id)
        for app in self.applications.values():
            self._add_bot_member(guild, app)
        return guild

    def _add_bot_member(self, guild: Guild, app: Application) -> None:
        role = self.create_role(guild.id, app.name, permissions=app.permissions, managed=True)
        self.add_member(guild.id, app.bot_user_id, roles=[role.id])

    def create_role(
        self, guild_id: int, name: str, *, permissions: int, managed: bool = False
    ) -> Role:
        """Add a role above the existing ones."""
        guild = self.guild(guild_id)
        role = Role(self.ids.next(), guild_id, name, permissions, position=len(guild.roles))
        role.managed = managed
        guild.roles[role.id] = role
        return role

    def create_text_channel(
        self,
        guild_id: int,
        name: str,
        *,
        topic: str | None = None,
        overwrites: Iterable[perm.Overwrite] = (),
    ) -> Channel:
        """Add a text channel at the end of the guild's list."""
        guild = self.guild(guild_id)
        channel = Channel(
            self.ids.next(),
            GUILD_TEXT,
            name=name,
            guild_id=guild_id,
            position=len(guild.channel_ids),
            topic=topic,
            overwrites=list(overwrites),
        )
        self.channels[channel.id] = channel
        self.channel_messages[channel.id] = []
        guild.channel_ids.append(channel.id)
        return channel

    def create_voice_channel(
        self,
        guild_id: int,
        name: str,
        *,
        stage: bool = False,
        overwrites: Iterable[perm.Overwrite] = (),
    ) -> Channel:
        """Add a voice (or stage) channel at the end of the guild's list."""
        guild = self.guild(guild_id)
        channel = Channel(
            self.ids.next(),
            GUILD_STAGE_VOICE if stage else GUILD_VOICE,
            name=name,
            guild_id=guild_id,
            position=len(guild.channel_ids),
            overwrites=list(overwrites),
        )
        self.channels[channel.id] = channel
        self.channel_messages[channel.id] = []
        guild.channel_ids.append(channel.id)
        return channel

    def find_event(self, event_id: int) -> tuple[Guild, ScheduledEvent]:
        """The guild and the scheduled event with this id, or SandboxError."""
        for guild in self.guilds.values():
            event = guild.scheduled_events.get(event_id)
            if event is not None:
                return guild, event
        raise SandboxError(f"unknown scheduled event {event_id}")

    def add_member(self, guild_id: int, user_id: int, *, roles: Iterable[int] = ()) -> Member:
        """Make a user a member of a guild (idempotent; roles are added)."""
        guild = self.guild(guild_id)
        self.user(user_id)
        role_ids = list(roles)
        for role_id in role_ids:
            if role_id not in guild.roles or role_id == guild_id:
                raise SandboxError(f"role {role_id} is not an assignable role of guild {guild_id}")
        member = guild.members.get(user_id)
        if member is None:
            member = Member(guild_id, user_id, role_ids, joined_at=self.clock())
            guild.members[user_id] = member
            self.membership_log.append(
                MembershipChange(guild_id, user_id, True, member.joined_at, member)
            )
        else:
            member.roles.extend(r for r in role_ids if r not in member.roles)
        return member

    def remove_member(self, guild_id: int, user_id: int) -> Member | None:
        """The user leaves the guild; their membership as it was, or None if they were not in."""
        member = self.guild(guild_id).members.pop(user_id, None)
        if member is not None:
            self.membership_log.append(
                MembershipChange(guild_id, user_id, False, self.clock(), member)
            )
        return member

    def dm_channel(self, user_id: int) -> Channel:
        """The DM channel between the bot and a user (the same one every time)."""
        self.user(user_id)
        existing = self._dm_by_user.get(user_id)
        if existing is not None:
            return self.channels[existing]
        channel = Channel(self.ids.next(), DM, recipient_id=user_id)
        self.channels[channel.id] = channel
        self.channel_messages[channel.id] = []
        self._dm_by_user[user_id] = channel.id
        return channel

    def find_dm_channel(self, user_id: int) -> Channel | None:
        """The user's DM channel if it exists."""
        channel_id = self._dm_by_user.get(user_id)
        return self.channels[channel_id] if channel_id is not None else None

    # --- lookups ----------------------------------------------------------

    def user(self, user_id: int) -> User:
        """The user with this id, or SandboxError."""
        try:
            return self.users[user_id]
        except KeyError:
            raise SandboxError(f"unknown user {user_id}") from None

    def guild(self, guild_id: int) -> Guild:
        """The guild with this id, or SandboxError."""
        try:
            return self.guilds[guild_id]
        except KeyError:
            raise SandboxError(f"unknown guild {guild_id}") from None

    def channel(self, channel_id: int) -> Channel:
        """The channel with this id, or SandboxError."""
        try:
            return self.channels[channel_id]
        except KeyError:
            raise SandboxError(f"unknown channel {channel_id}") from None

    def only_application(self) -> Application:
        """The single registered bot application."""
        if len(self.applications) != 1:
            raise SandboxError(f"expected exactly one bot, found {len(self.applications)}")
        return next(iter(self.applications.values()))

    def application_by_token(self, token: str) -> Application | None:
        """The application whose bot token this is."""
        for app in self.applications.values():
            if secrets.compare_digest(app.token, token):
                return app
        return None

    def guilds_of(self, user_id: int) -> list[Guild]:
        """Guilds the user is a member of, in creation order."""
        return [g for g in self.guilds.values() if user_id in g.members]

    # --- permissions ------------------------------------------------------

    def guild_permissions(self, guild_id: int, user_id: int) -> int:
        """A member's guild-wide permissions."""
        guild = self.guild(guild_id)
        member = guild.members.get(user_id)
        if member is None:
            return 0
        return perm.base_permissions(
            guild_id=guild_id,
            owner_id=guild.owner_id,
            user_id=user_id,
            role_permissions={r.id: r.permissions for r in guild.roles.values()},
            member_role_ids=member.roles,
        )

    def channel_permissions(self, channel_id: int, user_id: int) -> int:
        """A member's permissions in a channel (overwrites applied); DMs allow talking."""
        channel = self.channel(channel_id)
        if channel.guild_id is None:
            return (
                perm.VIEW_CHANNEL
                | perm.SEND_MESSAGES
                | perm.EMBED_LINKS
                | perm.ATTACH_FILES
                | perm.READ_MESSAGE_HISTORY
                | perm.USE_APPLICATION_COMMANDS
            )
        member = self.guild(channel.guild_id).members.get(user_id)
        if member is None:
            return 0
        return perm.channel_permissions(
            self.guild_permissions(channel.guild_id, user_id),
            guild_id=channel.guild_id,
            user_id=user_id,
            member_role_ids=member.roles,
            overwrites=channel.overwrites,
        )

    def can_see(self, user_id: int, message: Message) -> bool:
        """Whether a user can see a message (channel access and ephemerality)."""
        if message.deleted:
            return False
        if message.ephemeral_to is not None:
            return message.ephemeral_to == user_id
        channel = self.channel(message.channel_id)
        if channel.guild_id is None:
            return user_id == channel.recipient_id
        return bool(self.channel_permissions(channel.id, user_id) & perm.VIEW_CHANNEL)

    # --- messages ---------------------------------------------------------

    def add_message(self, message: Message) -> Message:
        """Store a new message at the end of its channel."""
        self.messages[message.id] = message
        self.channel_messages.setdefault(message.channel_id, []).append(message.id)
        if message.ephemeral_to is None:
            self.channel(message.channel_id).last_message_id = message.id
        return message

    def record_components(self, message: Message) -> None:
        """Remember the message's interactive components (those with a custom_id)."""
        stack: list[Any] = list(message.components)
        while stack:
            component = stack.pop(0)
            if not isinstance(component, dict):
                continue
            if component.get("custom_id"):
                self.emitted_components.append((message.id, component))
            stack.extend(component.get("components") or [])
            for key in ("accessory", "component"):
                if isinstance(component.get(key), dict):
                    stack.append(component[key])

    def remember_nonce(self, message: Message) -> None:
        """Index a new message by (author, nonce) for `enforce_nonce`."""
        if message.nonce is not None:
            self._by_nonce[(message.author_id, str(message.nonce))] = message.id

    def message_by_nonce(self, author_id: int, nonce: str | int) -> Message | None:
        """The author's message with this nonce created within `nonce_window`, if any.

        Discord checks a nonce "for uniqueness in the past few minutes" when a create
        asks for `enforce_nonce`, and returns that message instead of creating one.
        """
        message_id = self._by_nonce.get((author_id, str(nonce)))
        message = self.messages.get(message_id) if message_id is not None else None
        if message is None or message.timestamp <= self.clock() - self.nonce_window:
            return None
        return message

    def timeline(self, channel_id: int) -> list[Message]:
        """Every undeleted message of a channel in order, ephemerals included."""
        ids = self.channel_messages.get(channel_id, [])
        return [self.messages[i] for i in ids if not self.messages[i].deleted]

    def visible_timeline(self, channel_id: int, user_id: int) -> list[Message]:
        """What one user sees in a channel: public messages plus their ephemerals."""
        return [m for m in self.timeline(channel_id) if self.can_see(user_id, m)]

    def add_interaction(self, interaction: Interaction) -> Interaction:
        """Store a new interaction, findable by id and by token."""
        self.interactions[interaction.id] = interaction
        self._interaction_by_token[interaction.token] = interaction.id
        return interaction

    def interaction_by_token(self, token: str) -> Interaction | None:
        """The interaction with this token."""
        interaction_id = self._interaction_by_token.get(token)
        return self.interactions.get(interaction_id) if interaction_id is not None else None
