"""Bot-authenticated REST routes: users, application, commands, channels, guilds.

Scheduled events have their own module, `events`.
"""

from __future__ import annotations

import re
from collections.abc import Callable

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
from bot.sandbox.state import DM, Application, Channel, Guild, Member, Message

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
