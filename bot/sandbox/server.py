"""The sandbox server: a Discord-compatible REST API and gateway on loopback.

Point discord.py at it with ``discord.http.Route.BASE = server.api_base`` and
``discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(server.gateway_url)``.
Build the world with ``create_*``, act as members with ``server.actor(user_id)``,
and read what happened from ``server.requests`` and the timelines.
"""

from __future__ import annotations

import asyncio
import json
import socket
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from aiohttp import BodyPartReader, web

from bot.sandbox import permissions as perm
from bot.sandbox.callbacks import InteractionRoutes
from bot.sandbox.chaos import RandomFailures
from bot.sandbox.core import ApiError, Core, UploadedFile
from bot.sandbox.events import EventRoutes, ScheduledEvents
from bot.sandbox.gateway import Gateway
from bot.sandbox.payloads import channel_json
from bot.sandbox.ratelimit import InvalidRequestCounter, RateLimitCounters, RateLimiter
from bot.sandbox.records import FileRecord, RequestRecord, write_jsonl
from bot.sandbox.rest import BotRoutes
from bot.sandbox.routing import ApiReply, ApiRequest, Router, RouteSpec
from bot.sandbox.state import (
    EVENT_ACTIVE,
    EVENT_COMPLETED,
    INTENT_GUILD_MEMBERS,
    INTENT_GUILDS,
    Application,
    Message,
    SandboxError,
    ShownModal,
    World,
    utc_now,
)

if TYPE_CHECKING:
    from bot.sandbox.actors import Actor
    from bot.sandbox.transcript import TranscriptTimeline

JSON_HEADERS = {"Content-Type": "application/json"}


class BotCredentials(NamedTuple):
    """What `create_bot` returns: the ids and the token to log in with."""

    application_id: int
    bot_user_id: int
    token: str


@dataclass
class _InjectedFailure:
    route: str
    status: int
    remaining: int


_REASONS = {500: "Internal Server Error", 502: "Bad Gateway", 503: "Service Unavailable"}


class SandboxServer:
    """A Discord-compatible server for one or more bots, with actors and records."""

    def __init__(
        self,
        *,
        now: Callable[[], float] = time.monotonic,
        clock: Callable[[], datetime] = utc_now,
        host: str = "127.0.0.1",
        port: int = 0,
        rate_limiter: RateLimiter | None = None,
        interaction_timeout: float = 10.0,
    ) -> None:
        self.now = now
        self.host = host
        self.port = port
        self.interaction_timeout = interaction_timeout
        self.world = World(clock)
        self.gateway = Gateway(self.world, gateway_url=lambda: self.gateway_url)
        self.core = Core(self.world, self.gateway, base_url=lambda: self.http_base)
        self.events = ScheduledEvents(self.core)
        self.rate_limiter = rate_limiter or RateLimiter(now=now)
        self.invalid_requests = InvalidRequestCounter(now=now)
        self.requests: list[RequestRecord] = []
        self._failures: list[_InjectedFailure] = []
        self.random_failures: RandomFailures | None = None
        self._stalled_routes: set[str] = set()
        self._replies_released = asyncio.Event()
        self.stalled_replies = 0
        self._router = Router(
            [
                *BotRoutes(self.core, gateway_url=lambda: self.gateway_url).routes(),
                *InteractionRoutes(self.core, now=now).routes(),
                *EventRoutes(self.events).routes(),
            ]
        )
        self._runner: web.AppRunner | None = None

    # --- lifecycle ----------------------------------------------------------

    async def start(self) -> None:
        """Listen on host:port (port 0 picks a free one)."""
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("GET", "/gateway", self.gateway.handle)
        app.router.add_route(
            "GET", "/attachments/{channel_id}/{attachment_id}/{filename}", self._attachment
        )
        app.router.add_route("*", "/api/v10/{tail:.*}", self._handle_api)
        app.router.add_route("*", "/{tail:.*}", self._not_found)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self.host, self.port))
        self.port = int(sock.getsockname()[1])
        await web.SockSite(self._runner, sock).start()

    async def stop(self) -> None:
        """Close every connection and stop listening."""
        await self.gateway.close_all()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> SandboxServer:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    @property
    def http_base(self) -> str:
        """`http://127.0.0.1:PORT`."""
        return f"http://{self.host}:{self.port}"

    @property
    def api_base(self) -> str:
        """The value for `discord.http.Route.BASE`."""
        return f"{self.http_base}/api/v10"

    @property
    def gateway_url(self) -> str:
        """The value for `DiscordWebSocket.DEFAULT_GATEWAY` (wrap it in `yarl.URL`)."""
        return f"ws://{self.host}:{self.port}/gateway"

    # --- building the world -------------------------------------------------

    def create_bot(
        self, name: str = "peerpulse", *, permissions: int = perm.DEFAULT_BOT
    ) -> BotCredentials:
        """Register a bot application; it joins every guild with a managed role."""
        app = self.world.create_application(name, permissions=permissions)
        return BotCredentials(app.id, app.bot_user_id, app.token)

    def create_user(self, name: str) -> int:
        """Add a person; returns their user id."""
        return self.world.create_user(name).id

    def create_guild(
        self, name: str, *, owner_id: int, everyone_permissions: int = perm.DEFAULT_EVERYONE
    ) -> int:
        """Add a guild owned by `owner_id`; returns its id (= its @everyone role id)."""
        return self.world.create_guild(name, owner_id=owner_id, everyone=everyone_permissions).id

    def create_role(self, guild_id: int, name: str, *, permissions: int = 0) -> int:
        """Add a role; returns its id."""
        return self.world.create_role(guild_id, name, permissions=permissions).id

    def create_text_channel(
        self,
        guild_id: int,
        name: str,
        *,
        topic: str | None = None,
        overwrites: Iterable[perm.Overwrite] = (),
    ) -> int:
        """Add a text channel (announced to connected bots as CHANNEL_CREATE); returns its id."""
        channel = self.world.create_text_channel(guild_id, name, topic=topic, overwrites=overwrites)
        self.core.dispatch_guild_event(
            guild_id, "CHANNEL_CREATE", channel_json(self.world, channel), INTENT_GUILDS
        )
        return channel.id

    def create_voice_channel(
        self,
        guild_id: int,
        name: str,
        *,
        stage: bool = False,
        overwrites: Iterable[perm.Overwrite] = (),
    ) -> int:
        """Add a voice channel (type 2; a stage channel, type 13, with `stage`), announced
        as CHANNEL_CREATE; returns its id. Scheduled VOICE/STAGE events take place in one."""
        channel = self.world.create_voice_channel(
            guild_id, name, stage=stage, overwrites=overwrites
        )
        self.core.dispatch_guild_event(
            guild_id, "CHANNEL_CREATE", channel_json(self.world, channel), INTENT_GUILDS
        )
        return channel.id

    def add_member(self, guild_id: int, user_id: int, *, roles: Iterable[int] = ()) -> None:
        """Make a user a member of a guild with the given roles."""
        self.world.add_member(guild_id, user_id, roles=roles)

    def remove_member(self, guild_id: int, user_id: int) -> None:
        """The user leaves the guild (GUILD_MEMBER_REMOVE goes only to bots with that intent)."""
        if self.world.remove_member(guild_id, user_id) is not None:
            user = self.world.user(user_id)
            data = {
                "guild_id": str(guild_id),
                "user": {"id": str(user.id), "username": user.username},
            }
            self.core.dispatch_guild_event(
                guild_id, "GUILD_MEMBER_REMOVE", data, INTENT_GUILD_MEMBERS
            )

    def set_channel_overwrites(self, channel_id: int, overwrites: Iterable[perm.Overwrite]) -> None:
        """Replace a channel's permission overwrites (announced as CHANNEL_UPDATE)."""
        channel = self.world.channel(channel_id)
        if channel.guild_id is None:
            raise ValueError("DM channels have no overwrites")
        channel.overwrites = list(overwrites)
        self.core.dispatch_guild_event(
            channel.guild_id, "CHANNEL_UPDATE", channel_json(self.world, channel), INTENT_GUILDS
        )

    def set_command_access(
        self,
        guild_id: int,
        command: str | None,
        *,
        role_id: int | None = None,
        user_id: int | None = None,
        allow: bool = True,
    ) -> None:
        """What a server admin does in Server Settings → Integrations → the app → a command
        (or the whole app when `command` is None): let a role or a member use it, or not.

        Overrides beat the command's `default_member_permissions`. Discord lets only a user
        (OAuth2 Bearer token with Manage Server and Manage Roles) set them, never the bot;
        the sandbox models the admin's action directly. `role_id` = the guild id means
        @everyone.
        """
        if (role_id is None) == (user_id is None):
            raise SandboxError("give exactly one of role_id or user_id")
        app = self.application
        if command is None:
            target = app.id
        else:
            synced = {c["name"]: int(c["id"]) for c in app.commands_for(guild_id)}
            if command not in synced:
                raise SandboxError(f"no synced command /{command}; synced: {sorted(synced)}")
            target = synced[command]
        kind, target_id = (1, role_id) if role_id is not None else (2, user_id)
        entries = app.command_permissions.setdefault(guild_id, {}).setdefault(target, [])
        entries[:] = [e for e in entries if (e["type"], e["id"]) != (kind, target_id)]
        entries.append({"id": target_id, "type": kind, "permission": allow})

    # --- scheduled events ---------------------------------------------------

    def scheduled_events(self, guild_id: int) -> list[dict[str, Any]]:
        """A guild's scheduled events as Discord JSON (with `user_count`), in creation order."""
        guild = self.world.guild(guild_id)
        return [
            self.events.to_json(e, with_user_count=True) for e in guild.scheduled_events.values()
        ]

    def create_scheduled_event(
        self, guild_id: int, creator_id: int, body: Mapping[str, Any]
    ) -> int:
        """A member creates an event in Discord's client (same rules, permissions and
        gateway events as the REST route); returns its id. ApiError when Discord refuses."""
        return self.events.create(self.world.guild(guild_id), creator_id, body).id

    def start_event(self, event_id: int) -> None:
        """Discord starts an event (SCHEDULED→ACTIVE), as it does at the start time."""
        self.events.move(event_id, EVENT_ACTIVE)

    def complete_event(self, event_id: int) -> None:
        """Discord ends an event (ACTIVE→COMPLETED)."""
        self.events.move(event_id, EVENT_COMPLETED)

    def event_interest(self, user_id: int, event_id: int, *, interested: bool = True) -> None:
        """A member marks interest in an event ("Interested"), or takes it back; the bot
        gets GUILD_SCHEDULED_EVENT_USER_ADD / _REMOVE."""
        self.events.set_interest(event_id, user_id, interested=interested)

    def set_dms_closed(self, user_id: int, closed: bool = True) -> None:
        """Make the bot's DMs to this user fail with 50007 (or work again)."""
        self.world.user(user_id)
        if closed:
            self.world.dms_closed.add(user_id)
        else:
            self.world.dms_closed.discard(user_id)

    def actor(self, user_id: int) -> Actor:
        """Act as this user: slash commands, clicks, selects, modals, reading."""
        from bot.sandbox.actors import Actor  # noqa: PLC0415 - actors import this module

        self.world.user(user_id)
        return Actor(self, user_id)

    @property
    def application(self) -> Application:
        """The single registered bot application."""
        return self.world.only_application()

    # --- failure switches ---------------------------------------------------

    def inject_failure(self, method: str, route: str, *, status: int = 500, times: int = 1) -> None:
        """Answer the next `times` requests to `METHOD route-template` with `status`."""
        if status not in _REASONS:
            raise ValueError(f"status must be one of {sorted(_REASONS)}")
        key = route if route.startswith(f"{method.upper()} ") else f"{method.upper()} {route}"
        if key not in {r.key for r in self._router.routes}:
            raise ValueError(f"no such route: {key}")
        self._failures.append(_InjectedFailure(key, status, times))

    def inject_random_failures(self, failures: RandomFailures | None) -> None:
        """Fail a seeded share of requests to some routes with 429/5xx (None stops it)."""
        self.random_failures = failures

    def stall_replies(self, method: str, route: str) -> None:
        """Serve requests to this route but hold their answers back until `release_replies`.

        The work is done (a message is created); the client just never hears back, as
        when a process is killed with its requests in flight. `stalled_replies` counts them.
        """
        key = route if route.startswith(f"{method.upper()} ") else f"{method.upper()} {route}"
        self._stalled_routes.add(key)
        self._replies_released.clear()

    def release_replies(self) -> None:
        """Send the held answers and stop holding any."""
        self._stalled_routes.clear()
        self._replies_released.set()

    async def drop_gateway(self, *, resumable: bool = True) -> None:
        """Close the bot's websocket; it must RESUME, or re-IDENTIFY if not resumable."""
        await self.gateway.drop(self.application.id, resumable=resumable)

    async def wait_for_bot(self, timeout: float = 10.0) -> None:  # noqa: ASYNC109 - scenario API
        """Wait until the bot has an identified gateway connection."""
        await self.gateway.wait_connected(self.application.id, timeout)

    # --- records ------------------------------------------------------------

    @property
    def ratelimit_counters(self) -> RateLimitCounters:
        """429s issued so far (total, global, per route)."""
        return self.rate_limiter.counters

    @property
    def invalid_request_count(self) -> int:
        """401/403/429 answers in the last 10 minutes."""
        return self.invalid_requests.count

    def requests_to(self, method: str, route: str) -> list[RequestRecord]:
        """Records of requests that matched one route template."""
        key = route if route.startswith(f"{method.upper()} ") else f"{method.upper()} {route}"
        return [r for r in self.requests if f"{r.method} {r.route}" == key]

    def write_requests(self, path: str | Path) -> Path:
        """Write every request record as JSON lines."""
        return write_jsonl(self.requests, path)

    def channel_timeline(self, channel_id: int) -> list[Message]:
        """A channel's messages in order, ephemerals included (see `ephemeral_to`)."""
        return self.world.timeline(channel_id)

    def dm_timeline(self, user_id: int) -> list[Message]:
        """The bot's DM conversation with a user."""
        channel = self.world.find_dm_channel(user_id)
        return [] if channel is None else self.world.timeline(channel.id)

    def modals_shown(self, user_id: int | None = None) -> list[ShownModal]:
        """Modals the bot showed (to one user, or to everyone)."""
        return [m for m in self.world.modals if user_id is None or m.user_id == user_id]

    def dispatched_events(self, event: str | None = None) -> list[tuple[str, dict[str, Any]]]:
        """Gateway dispatches sent to the bot's current session."""
        session = self.gateway.session_for(self.application.id)
        if session is None:
            return []
        return [(t, d) for t, d in session.dispatched if event is None or t == event]

    def display_names(self) -> dict[int, str]:
        """Names a reader sees for user, role and channel mentions."""
        names = {user.id: user.display_name for user in self.world.users.values()}
        for guild in self.world.guilds.values():
            names.update({role.id: role.name for role in guild.roles.values()})
        names.update({c.id: c.name for c in self.world.channels.values() if c.name and c.guild_id})
        return names

    def transcript_timelines(self, zones: Mapping[int, str]) -> list[TranscriptTimeline]:
        """The world as transcript timelines: every channel, then every member's DMs."""
        from bot.sandbox.timelines import timelines  # noqa: PLC0415 - needs transcript

        return timelines(self, zones)

    # --- HTTP ---------------------------------------------------------------

    async def _not_found(self, request: web.Request) -> web.Response:
        return _json_response(404, {"message": "404: Not Found", "code": 0})

    async def _attachment(self, request: web.Request) -> web.Response:
        channel_id = request.match_info["channel_id"]
        attachment_id = request.match_info["attachment_id"]
        if channel_id.isdigit() and attachment_id.isdigit():
            for message in self.world.timeline(int(channel_id)):
                for attachment in message.attachments:
                    if attachment.id == int(attachment_id):
                        return web.Response(
                            body=attachment.data, headers={"Content-Type": attachment.content_type}
                        )
        return web.Response(status=404, text="Not Found")

    async def _handle_api(self, request: web.Request) -> web.Response:
        path = "/" + request.match_info["tail"]
        record = RequestRecord(
            time=self.now(),
            at=self.world.clock().isoformat(),
            method=request.method,
            path=request.path_qs,
            route=None,
            status=0,
        )
        headers: dict[str, str] = {}
        try:
            reply = await self._serve(request, path, record, headers)
        except ApiError as error:
            reply = ApiReply(error.status, error.body())
            record.error_code = error.code
        record.status = reply.status
        self.requests.append(record)
        self.invalid_requests.record(reply.status, scope=record.ratelimit_scope)
        if f"{record.method} {record.route}" in self._stalled_routes:
            self.stalled_replies += 1
            await self._replies_released.wait()
        if reply.body is None:
            return web.Response(status=reply.status, headers=headers)
        return _json_response(reply.status, reply.body, headers)

    async def _serve(
        self, request: web.Request, path: str, record: RequestRecord, headers: dict[str, str]
    ) -> ApiReply:
        matched = self._router.match(request.method, path)
        if matched is None:
            raise ApiError(404, 0, "404: Not Found")
        route, params = matched
        record.route = route.template
        body, files = await _read_body(request)
        record.body = body
        record.files = [FileRecord(f.field, f.filename, len(f.data), f.content_type) for f in files]
        app = self._authenticate(request, route, params)
        failure = self._take_failure(route)
        if failure is not None:
            record.injected = True
            return ApiReply(failure, {"message": f"{failure}: {_REASONS[failure]}", "code": 0})
        chaos = self.random_failures.pick(route.key) if self.random_failures else None
        if chaos is not None and not chaos.after_effect:
            record.injected = True
            return self._injected_reply(chaos.status, headers)
        decision = self.rate_limiter.check(
            bot_token=app.token if app else f"anonymous:{route.major(params)}",
            method=route.method,
            route=route.key,
            major=route.major(params),
            exempt_global=route.exempt_global,
        )
        if not decision.allowed:
            record.ratelimit_scope = decision.scope
            headers.update(self.rate_limiter.response_headers_for_429(decision))
            return ApiReply(429, self.rate_limiter.rate_limited_body(decision))
        headers.update(decision.headers)
        api_request = ApiRequest(
            method=request.method,
            path=path,
            params=params,
            query=request.query,
            body=body,
            files=files,
            application=app,
        )
        reply = await route.handler(api_request)
        if chaos is not None:  # the work is done; the answer is "lost" as a 5xx
            record.injected = True
            return self._injected_reply(chaos.status, headers)
        return reply

    def _injected_reply(self, status: int, headers: dict[str, str]) -> ApiReply:
        if status == 429:
            retry_after = self.random_failures.retry_after if self.random_failures else 1.0
            headers.update(
                {
                    "Retry-After": str(max(1, round(retry_after))),
                    "X-RateLimit-Scope": "user",
                    "Via": "1.1 google",
                }
            )
            body = {
                "message": "You are being rate limited.",
                "retry_after": retry_after,
                "global": False,
                "code": 0,
            }
            return ApiReply(429, body)
        return ApiReply(status, {"message": f"{status}: {_REASONS[status]}", "code": 0})

    def _authenticate(
        self, request: web.Request, route: RouteSpec, params: Mapping[str, str]
    ) -> Application | None:
        if route.auth == "token":
            # The token is in the path; the application only selects rate-limit buckets.
            if "webhook_id" in params and params["webhook_id"].isdigit():
                return self.world.applications.get(int(params["webhook_id"]))
            interaction_id = params.get("interaction_id", "")
            if interaction_id.isdigit() and int(interaction_id) in self.world.interactions:
                app_id = self.world.interactions[int(interaction_id)].application_id
                return self.world.applications.get(app_id)
            return None
        header = request.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        app = self.world.application_by_token(token) if scheme == "Bot" else None
        if app is None:
            raise ApiError(401, 0, "401: Unauthorized")
        return app

    def _take_failure(self, route: RouteSpec) -> int | None:
        for failure in self._failures:
            if failure.route == route.key and failure.remaining > 0:
                failure.remaining -= 1
                return failure.status
        return None


def _json_response(
    status: int, body: object, headers: Mapping[str, str] | None = None
) -> web.Response:
    # Exactly `application/json`: with a charset discord.py treats the body as text.
    return web.Response(
        status=status,
        body=json.dumps(body, separators=(",", ":")).encode(),
        headers={**(headers or {}), **JSON_HEADERS},
    )


async def _read_body(request: web.Request) -> tuple[Any, list[UploadedFile]]:
    """JSON, or multipart with `payload_json` and `files[n]`; None when empty."""
    if request.content_type.startswith("multipart/"):
        return await _read_multipart(request)
    raw = await request.read()
    if not raw:
        return None, []
    try:
        return json.loads(raw), []
    except ValueError:
        raise ApiError(400, 50109, "The request body contains invalid JSON.") from None


async def _read_multipart(request: web.Request) -> tuple[Any, list[UploadedFile]]:
    reader = await request.multipart()
    body: Any = None
    fields: dict[str, str] = {}
    files: list[UploadedFile] = []
    while True:
        part = await reader.next()
        if part is None:
            break
        if not isinstance(part, BodyPartReader):
            continue
        name = part.name or ""
        if part.filename is not None:
            data = await part.read(decode=False)
            content_type = part.headers.get("Content-Type", "application/octet-stream")
            files.append(UploadedFile(name, part.filename, content_type, bytes(data)))
        elif name == "payload_json":
            try:
                body = json.loads(await part.text())
            except ValueError:
                raise ApiError(400, 50109, "The request body contains invalid JSON.") from None
        else:
            fields[name] = await part.text()
    if body is None and fields:
        body = dict(fields)
    return body, files
