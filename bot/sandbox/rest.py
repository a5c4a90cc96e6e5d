"""Bot-authenticated REST routes: users, application, commands, channels, guilds, events."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime

from bot.sandbox import payloads
from bot.sandbox import permissions as perm
from bot.sandbox.core import ApiError, Core, Json, not_found
from bot.sandbox.routing import (
    ApiReply,
    ApiRequest,
    RouteSpec,
    check_message_payload,
    field_error,
    json_list,
    json_object,
    query_int,
    query_snowflake,
    snowflake,
)
from bot.sandbox.state import (
    DM,
    INTENT_GUILD_SCHEDULED_EVENTS,
    Application,
    Channel,
    Guild,
    Member,
    Message,
    ScheduledEvent,
)

_COMMAND_NAME = re.compile(r"^[-_\w]{1,32}$")


def _app(request: ApiRequest) -> Application:
    if request.application is None:  # the pipeline authenticates bot routes first
        raise ApiError(401, 0, "401: Unauthorized")
    return request.application


class BotRoutes:
    """Handlers for the routes a bot calls with `Authorization: Bot <token>`."""

    def __init__(self, core: Core, *, gateway_url: Callable[[], str]) -> None:
        self.core = core
        self.world = core.world
        self._gateway_url = gateway_url

    def routes(self) -> list[RouteSpec]:
        """Every route this class serves."""
        r = RouteSpec
        return [
            r("GET", "/users/@me", self.get_me),
            r("POST", "/users/@me/channels", self.create_dm),
            r("GET", "/users/{user_id}", self.get_user),
            r("GET", "/oauth2/applications/@me", self.get_application),
            r("GET", "/applications/@me", self.get_application),
            r("GET", "/gateway", self.get_gateway),
            r("GET", "/gateway/bot", self.get_gateway_bot),
            r("GET", "/applications/{application_id}/commands", self.get_commands),
            r("PUT", "/applications/{application_id}/commands", self.put_commands),
            r(
                "GET",
                "/applications/{application_id}/guilds/{guild_id}/commands",
                self.get_commands,
            ),
            r(
                "PUT",
                "/applications/{application_id}/guilds/{guild_id}/commands",
                self.put_commands,
            ),
            r("GET", "/channels/{channel_id}", self.get_channel),
            r("GET", "/channels/{channel_id}/messages", self.list_messages),
            r("POST", "/channels/{channel_id}/messages", self.create_message),
            r("GET", "/channels/{channel_id}/messages/{message_id}", self.get_message),
            r("PATCH", "/channels/{channel_id}/messages/{message_id}", self.edit_message),
            r("DELETE", "/channels/{channel_id}/messages/{message_id}", self.delete_message),
            r("POST", "/channels/{channel_id}/typing", self.typing),
            r("GET", "/guilds/{guild_id}", self.get_guild),
            r("GET", "/guilds/{guild_id}/channels", self.get_guild_channels),
            r("GET", "/guilds/{guild_id}/roles", self.get_roles),
            r("GET", "/guilds/{guild_id}/members", self.list_members),
            r("GET", "/guilds/{guild_id}/members/{user_id}", self.get_member),
            r("GET", "/guilds/{guild_id}/scheduled-events", self.list_events),
            r("POST", "/guilds/{guild_id}/scheduled-events", self.create_event),
            r("GET", "/guilds/{guild_id}/scheduled-events/{event_id}", self.get_event),
            r("PATCH", "/guilds/{guild_id}/scheduled-events/{event_id}", self.edit_event),
            r("DELETE", "/guilds/{guild_id}/scheduled-events/{event_id}", self.delete_event),
            r("GET", "/guilds/{guild_id}/scheduled-events/{event_id}/users", self.event_users),
        ]

    # --- users and application ----------------------------------------------

    async def get_me(self, request: ApiRequest) -> ApiReply:
        """GET /users/@me."""
        bot = self.world.user(_app(request).bot_user_id)
        return ApiReply(body=payloads.user_json(bot) | {"verified": True, "mfa_enabled": False})

    async def get_user(self, request: ApiRequest) -> ApiReply:
        """GET /users/{user_id}."""
        user = self.world.users.get(snowflake(request.params, "user_id"))
        if user is None:
            raise not_found(10013, "User")
        return ApiReply(body=payloads.user_json(user))

    async def get_application(self, request: ApiRequest) -> ApiReply:
        """GET /oauth2/applications/@me."""
        return ApiReply(body=payloads.application_json(self.world, _app(request)))

    async def get_gateway(self, request: ApiRequest) -> ApiReply:
        """GET /gateway."""
        return ApiReply(body={"url": self._gateway_url()})

    async def get_gateway_bot(self, request: ApiRequest) -> ApiReply:
        """GET /gateway/bot (AutoShardedBot reads shards and session_start_limit)."""
        return ApiReply(
            body={
                "url": self._gateway_url(),
                "shards": 1,
                "session_start_limit": {
                    "total": 1000,
                    "remaining": 1000,
                    "reset_after": 86_400_000,
                    "max_concurrency": 1,
                },
            }
        )

    async def create_dm(self, request: ApiRequest) -> ApiReply:
        """POST /users/@me/channels with `recipient_id` (integer or string)."""
        body = json_object(request)
        raw = body.get("recipient_id")
        if not isinstance(raw, int | str) or not str(raw).isdigit():
            raise field_error(["recipient_id"], "BASE_TYPE_REQUIRED", "This field is required")
        if int(raw) not in self.world.users:
            raise ApiError(400, 50033, "Invalid Recipient(s)")
        channel = self.world.dm_channel(int(raw))
        return ApiReply(body=payloads.channel_json(self.world, channel))

    # --- commands -----------------------------------------------------------

    def _command_scope(self, request: ApiRequest) -> tuple[Application, int | None]:
        app = _app(request)
        if snowflake(request.params, "application_id") != app.id:
            raise ApiError(403, 50001, "Missing Access")
        guild_id = None
        if "guild_id" in request.params:
            guild_id = snowflake(request.params, "guild_id")
            guild = self.world.guilds.get(guild_id)
            if guild is None or app.bot_user_id not in guild.members:
                raise ApiError(403, 50001, "Missing Access")
        return app, guild_id

    async def get_commands(self, request: ApiRequest) -> ApiReply:
        """GET the global or a guild's commands."""
        app, guild_id = self._command_scope(request)
        if guild_id is None:
            return ApiReply(body=app.global_commands)
        return ApiReply(body=app.guild_commands.get(guild_id, []))

    async def put_commands(self, request: ApiRequest) -> ApiReply:
        """PUT (bulk overwrite) the global or a guild's commands."""
        app, guild_id = self._command_scope(request)
        given = json_list(request)
        if len(given) > 100:
            raise field_error(["_root"], "BASE_TYPE_MAX_LENGTH", "Must be 100 or fewer in length.")
        existing = app.global_commands if guild_id is None else app.guild_commands.get(guild_id, [])
        by_key = {(c["name"], c.get("type", 1)): c for c in existing}
        stored = []
        for index, command in enumerate(given):
            if not isinstance(command, dict):
                raise field_error(
                    [str(index)], "DICT_TYPE_CONVERT", "Only dictionaries may be used"
                )
            _check_command(index, command)
            kind = int(command.get("type", 1))
            previous = by_key.get((command["name"], kind))
            stored.append(self._stored_command(app, guild_id, command, kind, previous))
        if guild_id is None:
            app.global_commands = stored
        else:
            app.guild_commands[guild_id] = stored
        return ApiReply(body=stored)

    def _stored_command(
        self,
        app: Application,
        guild_id: int | None,
        command: Json,
        kind: int,
        previous: Json | None,
    ) -> Json:
        dmp = command.get("default_member_permissions")
        data: Json = {
            "id": previous["id"] if previous else str(self.world.ids.next()),
            "application_id": str(app.id),
            "version": str(self.world.ids.next()),
            "type": kind,
            "name": command["name"],
            "description": command.get("description", ""),
            "default_member_permissions": None if dmp is None else str(dmp),
            "dm_permission": command.get("dm_permission", True),
            "contexts": command.get("contexts"),
            "integration_types": command.get("integration_types", [0]),
            "nsfw": bool(command.get("nsfw", False)),
            "name_localizations": command.get("name_localizations"),
            "description_localizations": command.get("description_localizations"),
        }
        if command.get("options"):
            data["options"] = command["options"]
        if guild_id is not None:
            data["guild_id"] = str(guild_id)
        return data

    # --- channels and messages ----------------------------------------------

    def _visible_channel(self, request: ApiRequest) -> Channel:
        channel = self.world.channels.get(snowflake(request.params, "channel_id"))
        if channel is None:
            raise not_found(10003, "Channel")
        bot_id = _app(request).bot_user_id
        visible = self.world.channel_permissions(channel.id, bot_id) & perm.VIEW_CHANNEL
        if channel.type != DM and not visible:
            raise ApiError(403, 50001, "Missing Access")
        return channel

    def _message(self, request: ApiRequest, channel: Channel) -> Message:
        message = self.world.messages.get(snowflake(request.params, "message_id"))
        if (
            message is None
            or message.deleted
            or message.channel_id != channel.id
            or message.ephemeral
        ):
            raise not_found(10008, "Message")
        return message

    async def get_channel(self, request: ApiRequest) -> ApiReply:
        """GET /channels/{channel_id}."""
        channel = self._visible_channel(request)
        return ApiReply(body=payloads.channel_json(self.world, channel))

    async def list_messages(self, request: ApiRequest) -> ApiReply:
        """GET /channels/{channel_id}/messages, newest first (limit/before/after/around)."""
        channel = self._visible_channel(request)
        limit = query_int(request.query, "limit", 50, 1, 100)
        found = [m for m in self.world.timeline(channel.id) if not m.ephemeral]
        before = query_snowflake(request.query, "before")
        after = query_snowflake(request.query, "after")
        around = query_snowflake(request.query, "around")
        if before is not None:
            found = [m for m in found if m.id < before][-limit:]
        elif after is not None:
            found = [m for m in found if m.id > after][:limit]
        elif around is not None:
            older = [m for m in found if m.id < around][-(limit // 2) :] if limit > 1 else []
            newer = [m for m in found if m.id >= around][: limit - len(older)]
            found = older + newer
        else:
            found = found[-limit:]
        return ApiReply(body=[self.core.message_json(m) for m in reversed(found)])

    async def create_message(self, request: ApiRequest) -> ApiReply:
        """POST /channels/{channel_id}/messages (JSON or multipart with files)."""
        channel = self._visible_channel(request)
        app = _app(request)
        payload = json_object(request)
        check_message_payload(payload, has_files=bool(request.files), edit=False)
        nonce = payload.get("nonce")
        if payload.get("enforce_nonce") is True and nonce is not None:
            # Discord: the same author's message with this nonce from the past few minutes
            # is returned and no new message is created (a retried send is not doubled).
            earlier = self.world.message_by_nonce(app.bot_user_id, nonce)
            if earlier is not None:
                return ApiReply(body=self.core.message_json(earlier))
        if channel.type == DM:
            self._check_dm_open(app, channel)
        else:
            perms = self.world.channel_permissions(channel.id, app.bot_user_id)
            if not perm.has_all(perms, perm.SEND_MESSAGES):
                raise ApiError(403, 50013, "Missing Permissions")
            if request.files and not perm.has_all(perms, perm.ATTACH_FILES):
                raise ApiError(403, 50013, "Missing Permissions")
        message = self.core.create_message(
            channel_id=channel.id,
            author_id=app.bot_user_id,
            payload=payload,
            files=request.files,
        )
        return ApiReply(body=self.core.message_json(message))

    def _check_dm_open(self, app: Application, channel: Channel) -> None:
        recipient = channel.recipient_id
        shares_guild = any(
            app.bot_user_id in g.members for g in self.world.guilds_of(recipient or 0)
        )
        if recipient is None or recipient in self.world.dms_closed or not shares_guild:
            raise ApiError(403, 50007, "Cannot send messages to this user")

    async def get_message(self, request: ApiRequest) -> ApiReply:
        """GET /channels/{channel_id}/messages/{message_id}."""
        channel = self._visible_channel(request)
        return ApiReply(body=self.core.message_json(self._message(request, channel)))

    async def edit_message(self, request: ApiRequest) -> ApiReply:
        """PATCH a message the bot sent."""
        channel = self._visible_channel(request)
        message = self._message(request, channel)
        if message.author_id != _app(request).bot_user_id:
            raise ApiError(403, 50005, "Cannot edit a message authored by another user")
        payload = json_object(request)
        check_message_payload(payload, has_files=bool(request.files), edit=True)
        self.core.edit_message(message, payload, request.files)
        return ApiReply(body=self.core.message_json(message))

    async def delete_message(self, request: ApiRequest) -> ApiReply:
        """DELETE a message (the bot's own, or any with Manage Messages)."""
        channel = self._visible_channel(request)
        message = self._message(request, channel)
        bot_id = _app(request).bot_user_id
        if message.author_id != bot_id and not (
            channel.type != DM
            and perm.has_all(
                self.world.channel_permissions(channel.id, bot_id), perm.MANAGE_MESSAGES
            )
        ):
            raise ApiError(403, 50013, "Missing Permissions")
        self.core.delete_message(message)
        return ApiReply(status=204)

    async def typing(self, request: ApiRequest) -> ApiReply:
        """POST /channels/{channel_id}/typing."""
        self._visible_channel(request)
        return ApiReply(status=204)

    # --- guilds -------------------------------------------------------------

    def _guild(self, request: ApiRequest) -> Guild:
        guild = self.world.guilds.get(snowflake(request.params, "guild_id"))
        if guild is None or _app(request).bot_user_id not in guild.members:
            raise not_found(10004, "Guild")
        return guild

    async def get_guild(self, request: ApiRequest) -> ApiReply:
        """GET /guilds/{guild_id}."""
        guild = self._guild(request)
        body = payloads.guild_json(self.world, guild)
        if request.query.get("with_counts", "").lower() in {"true", "1"}:
            body["approximate_member_count"] = len(guild.members)
            body["approximate_presence_count"] = 0
        return ApiReply(body=body)

    async def get_guild_channels(self, request: ApiRequest) -> ApiReply:
        """GET /guilds/{guild_id}/channels."""
        guild = self._guild(request)
        channels = [self.world.channel(c) for c in guild.channel_ids]
        return ApiReply(body=[payloads.channel_json(self.world, c) for c in channels])

    async def get_roles(self, request: ApiRequest) -> ApiReply:
        """GET /guilds/{guild_id}/roles."""
        return ApiReply(body=payloads.guild_roles_json(self.world, self._guild(request)))

    async def list_members(self, request: ApiRequest) -> ApiReply:
        """GET /guilds/{guild_id}/members (limit, after)."""
        guild = self._guild(request)
        limit = query_int(request.query, "limit", 1, 1, 1000)
        after = query_snowflake(request.query, "after") or 0
        members = sorted((m for m in guild.members.values() if m.user_id > after), key=_uid)
        return ApiReply(body=[payloads.member_json(self.world, m) for m in members[:limit]])

    async def get_member(self, request: ApiRequest) -> ApiReply:
        """GET /guilds/{guild_id}/members/{user_id}."""
        guild = self._guild(request)
        member = guild.members.get(snowflake(request.params, "user_id"))
        if member is None:
            raise not_found(10007, "Member")
        return ApiReply(body=payloads.member_json(self.world, member))

    # --- scheduled events ---------------------------------------------------

    def _event(self, request: ApiRequest, guild: Guild) -> ScheduledEvent:
        event = guild.scheduled_events.get(snowflake(request.params, "event_id"))
        if event is None:
            raise not_found(10070, "Guild Scheduled Event")
        return event

    def _event_json(self, event: ScheduledEvent, request: ApiRequest) -> Json:
        data = dict(event.data)
        data["user_count"] = len(event.subscribers)
        if request.query.get("with_user_count", "").lower() not in {"true", "1"}:
            data.pop("user_count")
        return data

    async def list_events(self, request: ApiRequest) -> ApiReply:
        """GET /guilds/{guild_id}/scheduled-events."""
        guild = self._guild(request)
        events = [self._event_json(e, request) for e in guild.scheduled_events.values()]
        return ApiReply(body=events)

    async def get_event(self, request: ApiRequest) -> ApiReply:
        """GET /guilds/{guild_id}/scheduled-events/{event_id}."""
        guild = self._guild(request)
        return ApiReply(body=self._event_json(self._event(request, guild), request))

    def _require_event_permission(self, app: Application, guild: Guild) -> None:
        perms = self.world.guild_permissions(guild.id, app.bot_user_id)
        if not (perm.has_all(perms, perm.MANAGE_EVENTS) or perm.has_all(perms, perm.CREATE_EVENTS)):
            raise ApiError(403, 50013, "Missing Permissions")

    async def create_event(self, request: ApiRequest) -> ApiReply:
        """POST /guilds/{guild_id}/scheduled-events."""
        guild = self._guild(request)
        app = _app(request)
        self._require_event_permission(app, guild)
        body = json_object(request)
        data = self._validated_event(body, partial=False, guild=guild)
        event_id = self.world.ids.next()
        event_data: Json = {
            "id": str(event_id),
            "guild_id": str(guild.id),
            "channel_id": None,
            "creator_id": str(app.bot_user_id),
            "creator": payloads.user_json(self.world.user(app.bot_user_id)),
            "name": data["name"],
            "description": data.get("description"),
            "scheduled_start_time": data["scheduled_start_time"],
            "scheduled_end_time": data.get("scheduled_end_time"),
            "privacy_level": data.get("privacy_level", 2),
            "status": 1,
            "entity_type": data["entity_type"],
            "entity_id": None,
            "entity_metadata": data.get("entity_metadata"),
            "image": None,
            "recurrence_rule": data.get("recurrence_rule"),
        }
        if data.get("channel_id") is not None:
            event_data["channel_id"] = str(data["channel_id"])
        event = ScheduledEvent(event_id, guild.id, event_data)
        guild.scheduled_events[event_id] = event
        self.core.dispatch_guild_event(
            guild.id, "GUILD_SCHEDULED_EVENT_CREATE", event_data, INTENT_GUILD_SCHEDULED_EVENTS
        )
        return ApiReply(body=self._event_json(event, request))

    async def edit_event(self, request: ApiRequest) -> ApiReply:
        """PATCH /guilds/{guild_id}/scheduled-events/{event_id} (fields and status)."""
        guild = self._guild(request)
        self._require_event_permission(_app(request), guild)
        event = self._event(request, guild)
        changes = self._validated_event(json_object(request), partial=True, guild=guild)
        if "status" in changes:
            _check_status_change(int(event.data["status"]), int(changes["status"]))
        for key, value in changes.items():
            if key == "channel_id":
                event.data[key] = None if value is None else str(value)
            else:
                event.data[key] = value
        self.core.dispatch_guild_event(
            guild.id, "GUILD_SCHEDULED_EVENT_UPDATE", event.data, INTENT_GUILD_SCHEDULED_EVENTS
        )
        return ApiReply(body=self._event_json(event, request))

    async def delete_event(self, request: ApiRequest) -> ApiReply:
        """DELETE /guilds/{guild_id}/scheduled-events/{event_id}."""
        guild = self._guild(request)
        self._require_event_permission(_app(request), guild)
        event = self._event(request, guild)
        del guild.scheduled_events[event.id]
        self.core.dispatch_guild_event(
            guild.id, "GUILD_SCHEDULED_EVENT_DELETE", event.data, INTENT_GUILD_SCHEDULED_EVENTS
        )
        return ApiReply(status=204)

    async def event_users(self, request: ApiRequest) -> ApiReply:
        """GET .../scheduled-events/{event_id}/users (RSVPs)."""
        guild = self._guild(request)
        event = self._event(request, guild)
        users = []
        for user_id in event.subscribers:
            entry: Json = {
                "guild_scheduled_event_id": str(event.id),
                "user": payloads.user_json(self.world.user(user_id)),
            }
            member = guild.members.get(user_id)
            if request.query.get("with_member", "").lower() in {"true", "1"} and member:
                entry["member"] = payloads.member_json(self.world, member, with_user=False)
            users.append(entry)
        return ApiReply(body=users)

    def _validated_event(self, body: Json, *, partial: bool, guild: Guild) -> Json:
        """Check an event create/edit body the way Discord does (the parts that matter)."""
        allowed = {
            "name",
            "description",
            "scheduled_start_time",
            "scheduled_end_time",
            "privacy_level",
            "entity_type",
            "channel_id",
            "entity_metadata",
            "status",
            "image",
            "recurrence_rule",
        }
        data = {k: v for k, v in body.items() if k in allowed}
        required = ("name", "scheduled_start_time", "entity_type", "privacy_level")
        for key in required:
            if not partial and key not in data:
                raise field_error([key], "BASE_TYPE_REQUIRED", "This field is required")
        name = data.get("name")
        if name is not None and (not isinstance(name, str) or not 1 <= len(name) <= 100):
            raise field_error(
                ["name"], "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 100 in length."
            )
        description = data.get("description")
        if isinstance(description, str) and len(description) > 1000:
            raise field_error(
                ["description"], "BASE_TYPE_MAX_LENGTH", "Must be 1000 or fewer in length."
            )
        for key in ("scheduled_start_time", "scheduled_end_time"):
            if data.get(key) is not None:
                _check_event_time(key, data[key], self.world.clock().timestamp(), partial)
        entity_type = data.get("entity_type")
        if entity_type == 3:
            metadata = data.get("entity_metadata") or {}
            if not partial and not metadata.get("location"):
                raise field_error(
                    ["entity_metadata", "location"], "BASE_TYPE_REQUIRED", "This field is required"
                )
            if not partial and data.get("scheduled_end_time") is None:
                raise field_error(
                    ["scheduled_end_time"], "BASE_TYPE_REQUIRED", "This field is required"
                )
        elif entity_type in (1, 2):
            channel_id = data.get("channel_id")
            if channel_id is None or int(channel_id) not in guild.channel_ids:
                raise field_error(["channel_id"], "BASE_TYPE_REQUIRED", "This field is required")
        elif entity_type is not None:
            raise field_error(
                ["entity_type"], "BASE_TYPE_CHOICES", "Value must be one of (1, 2, 3)."
            )
        return data


def _uid(member: Member) -> int:
    return member.user_id


def _check_command(index: int, command: Json) -> None:
    name = command.get("name")
    if not isinstance(name, str) or not _COMMAND_NAME.match(name):
        raise field_error(
            [str(index), "name"], "APPLICATION_COMMAND_INVALID_NAME", "Command name is invalid"
        )
    if int(command.get("type", 1)) == 1:
        if command.get("name") != str(name).lower():
            raise field_error(
                [str(index), "name"], "APPLICATION_COMMAND_INVALID_NAME", "Command name is invalid"
            )
        description = command.get("description")
        if not isinstance(description, str) or not 1 <= len(description) <= 100:
            raise field_error(
                [str(index), "description"],
                "BASE_TYPE_BAD_LENGTH",
                "Must be between 1 and 100 in length.",
            )
    if len(command.get("options") or []) > 25:
        raise field_error(
            [str(index), "options"], "BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length."
        )


def _check_event_time(key: str, value: object, now: float, partial: bool) -> None:
    try:
        when = datetime.fromisoformat(str(value))
    except ValueError:
        raise field_error(
            [key], "DATE_TYPE_PARSE", f"Could not parse {value}. Should be ISO8601."
        ) from None
    if when.tzinfo is None:
        raise field_error([key], "DATE_TYPE_PARSE", f"Could not parse {value}. Should be ISO8601.")
    if key == "scheduled_start_time" and not partial and when.timestamp() < now:
        raise field_error(
            [key],
            "GUILD_SCHEDULED_EVENT_SCHEDULE_PAST",
            "Cannot schedule event in the past.",
        )


def _check_status_change(old: int, new: int) -> None:
    allowed = {1: {2, 4}, 2: {3}}
    if new != old and new not in allowed.get(old, set()):
        raise field_error(
            ["status"],
            "GUILD_SCHEDULED_EVENT_INVALID_STATUS_TRANSITION",
            f"Cannot change status from {old} to {new}.",
        )
