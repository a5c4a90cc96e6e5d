"""The gateway websocket: HELLO, IDENTIFY/READY, RESUME, heartbeats and dispatches.

A `GatewaySession` outlives its websocket: events dispatched while the bot is
disconnected are kept in the session's log and replayed when it RESUMEs. When a
session is dropped as not resumable, RESUME gets op 9 (invalid session) and the
client must IDENTIFY again.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import secrets
import zlib
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web

from bot.sandbox import payloads
from bot.sandbox.state import Application, World

_log = logging.getLogger(__name__)

DISPATCH, HEARTBEAT, IDENTIFY, PRESENCE, RESUME = 0, 1, 2, 3, 6
REQUEST_MEMBERS, INVALID_SESSION, HELLO, HEARTBEAT_ACK = 8, 9, 10, 11

HEARTBEAT_INTERVAL_MS = 41_250
REPLAY_LOG_SIZE = 5_000
CLOSE_UNKNOWN_ERROR = 4000
CLOSE_DECODE_ERROR = 4002
CLOSE_NOT_AUTHENTICATED = 4003
CLOSE_AUTHENTICATION_FAILED = 4004
CLOSE_ALREADY_AUTHENTICATED = 4005


@dataclass
class GatewaySession:
    """One identified gateway session of a bot."""

    session_id: str
    application: Application
    intents: int
    shard: list[int] | None
    seq: int = 0
    resumable: bool = True
    log: deque[tuple[int, dict[str, Any]]] = field(
        default_factory=lambda: deque(maxlen=REPLAY_LOG_SIZE)
    )
    connection: GatewayConnection | None = None
    dispatched: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    def next_frame(self, event: str, data: dict[str, Any]) -> dict[str, Any]:
        """Number a dispatch and remember it for replay."""
        self.seq += 1
        frame = {"op": DISPATCH, "t": event, "s": self.seq, "d": data}
        self.log.append((self.seq, frame))
        self.dispatched.append((event, data))
        return frame


class GatewayConnection:
    """One websocket; frames go out in order through a single writer task."""

    def __init__(self, ws: web.WebSocketResponse, *, zlib_stream: bool) -> None:
        self.ws = ws
        self.session: GatewaySession | None = None
        self._queue: asyncio.Queue[dict[str, Any] | None] = asyncio.Queue()
        self._compressor = zlib.compressobj() if zlib_stream else None
        self._writer = asyncio.create_task(self._write_loop(), name="sandbox-gateway-writer")

    def send(self, frame: dict[str, Any]) -> None:
        """Queue a frame for sending."""
        self._queue.put_nowait(frame)

    async def _write_loop(self) -> None:
        while True:
            frame = await self._queue.get()
            if frame is None or self.ws.closed:
                return
            text = json.dumps(frame, separators=(",", ":"))
            try:
                if self._compressor is not None:
                    raw = self._compressor.compress(text.encode())
                    raw += self._compressor.flush(zlib.Z_SYNC_FLUSH)
                    await self.ws.send_bytes(raw)
                else:
                    await self.ws.send_str(text)
            except ConnectionError:
                _log.debug("gateway connection went away while sending")
                return

    async def close(self, code: int, message: str = "") -> None:
        """Stop the writer and close the websocket with `code`."""
        self._queue.put_nowait(None)
        with contextlib.suppress(asyncio.CancelledError):
            await self._writer
        if not self.ws.closed:
            await self.ws.close(code=code, message=message.encode())

    async def stop_writer(self) -> None:
        """Stop the writer without closing (the socket is already closed)."""
        self._queue.put_nowait(None)
        with contextlib.suppress(asyncio.CancelledError):
            await self._writer


class Gateway:
    """All gateway sessions of the sandbox, keyed by session id and by application."""

    def __init__(self, world: World, *, gateway_url: Callable[[], str]) -> None:
        self._world = world
        self._gateway_url = gateway_url
        self.sessions: dict[str, GatewaySession] = {}
        self.current: dict[int, GatewaySession] = {}
        self.connections: set[GatewayConnection] = set()
        self.identify_count = 0
        self.resume_count = 0
        self.invalid_session_count = 0
        self._changed = asyncio.Event()

    # --- public API ---------------------------------------------------------

    def session_for(self, app_id: int) -> GatewaySession | None:
        """The application's current session (connected or waiting to resume)."""
        return self.current.get(app_id)

    def is_connected(self, app_id: int) -> bool:
        """Whether the application has a live websocket with an identified session."""
        session = self.current.get(app_id)
        return session is not None and session.connection is not None

    def dispatch(self, app_id: int, event: str, data: dict[str, Any]) -> bool:
        """Send a dispatch to the application's session; False if it has none."""
        session = self.current.get(app_id)
        if session is None:
            return False
        frame = session.next_frame(event, data)
        if session.connection is not None:
            session.connection.send(frame)
        return True

    async def wait_connected(self, app_id: int, limit: float) -> None:
        """Wait up to `limit` seconds for the application's live, identified connection."""
        async with asyncio.timeout(limit):
            while not self.is_connected(app_id):
                changed = self._changed
                await changed.wait()

    async def drop(self, app_id: int, *, resumable: bool) -> None:
        """Close the application's websocket as a network failure would."""
        session = self.current.get(app_id)
        if session is None or session.connection is None:
            raise RuntimeError("the bot has no gateway connection to drop")
        session.resumable = resumable
        connection = session.connection
        session.connection = None
        self._notify()
        await connection.close(CLOSE_UNKNOWN_ERROR, "sandbox dropped the connection")

    async def close_all(self) -> None:
        """Close every websocket (server shutdown)."""
        for connection in list(self.connections):
            await connection.close(1001, "sandbox shutting down")

    # --- websocket handling -------------------------------------------------

    async def handle(self, request: web.Request) -> web.WebSocketResponse:
        """The `/gateway` websocket endpoint."""
        ws = web.WebSocketResponse(autoping=True, max_msg_size=16 * 1024 * 1024)
        await ws.prepare(request)
        connection = GatewayConnection(
            ws, zlib_stream=request.query.get("compress") == "zlib-stream"
        )
        self.connections.add(connection)
        connection.send(
            {"op": HELLO, "d": {"heartbeat_interval": HEARTBEAT_INTERVAL_MS}, "s": None, "t": None}
        )
        try:
            async for msg in ws:
                if msg.type is not WSMsgType.TEXT:
                    continue
                try:
                    frame = json.loads(msg.data)
                except ValueError:
                    await connection.close(CLOSE_DECODE_ERROR, "Error while decoding payload.")
                    break
                await self._on_frame(connection, frame)
        finally:
            self.connections.discard(connection)
            session = connection.session
            if session is not None and session.connection is connection:
                session.connection = None
                self._notify()
            await connection.stop_writer()
        return ws

    async def _on_frame(self, connection: GatewayConnection, frame: dict[str, Any]) -> None:
        op = frame.get("op")
        data = frame.get("d")
        if op == HEARTBEAT:
            connection.send({"op": HEARTBEAT_ACK, "d": None, "s": None, "t": None})
        elif op == IDENTIFY and isinstance(data, dict):
            await self._identify(connection, data)
        elif op == RESUME and isinstance(data, dict):
            await self._resume(connection, data)
        elif op == REQUEST_MEMBERS and isinstance(data, dict):
            self._request_members(connection, data)
        elif op == PRESENCE:
            return
        else:
            _log.debug("sandbox gateway ignoring op %s", op)

    async def _identify(self, connection: GatewayConnection, data: dict[str, Any]) -> None:
        if connection.session is not None:
            await connection.close(CLOSE_ALREADY_AUTHENTICATED, "Already authenticated.")
            return
        app = self._world.application_by_token(str(data.get("token", "")))
        if app is None:
            await connection.close(CLOSE_AUTHENTICATION_FAILED, "Authentication failed.")
            return
        intents = data.get("intents")
        if not isinstance(intents, int):
            await connection.close(4013, "Invalid intent(s).")
            return
        shard = data.get("shard")
        session = GatewaySession(
            session_id=secrets.token_hex(16),
            application=app,
            intents=intents,
            shard=list(shard) if isinstance(shard, list) else None,
        )
        old = self.current.get(app.id)
        if old is not None:
            old.resumable = False
        self.sessions[session.session_id] = session
        self.current[app.id] = session
        session.connection = connection
        connection.session = session
        self.identify_count += 1
        connection.send(session.next_frame("READY", self._ready_payload(session)))
        bot_id = app.bot_user_id
        for guild in self._world.guilds_of(bot_id):
            payload = payloads.guild_create_json(self._world, guild, bot_user_id=bot_id)
            connection.send(session.next_frame("GUILD_CREATE", payload))
        self._notify()

    def _ready_payload(self, session: GatewaySession) -> dict[str, Any]:
        app = session.application
        bot = self._world.user(app.bot_user_id)
        data: dict[str, Any] = {
            "v": 10,
            "user": payloads.user_json(bot) | {"verified": True, "mfa_enabled": False},
            "session_id": session.session_id,
            "session_type": "normal",
            "resume_gateway_url": self._gateway_url(),
            "guilds": [
                {"id": str(g.id), "unavailable": True} for g in self._world.guilds_of(bot.id)
            ],
            "private_channels": [],
            "relationships": [],
            "presences": [],
            "guild_join_requests": [],
            "geo_ordered_rtc_regions": [],
            "user_settings": {},
            "auth": {},
            "application": {"id": str(app.id), "flags": 0},
            "_trace": ['["sandbox-gateway",{"micros":0}]'],
        }
        if session.shard is not None:
            data["shard"] = session.shard
        return data

    async def _resume(self, connection: GatewayConnection, data: dict[str, Any]) -> None:
        session = self.sessions.get(str(data.get("session_id")))
        token_ok = session is not None and secrets.compare_digest(
            session.application.token, str(data.get("token", ""))
        )
        if session is None or not token_ok or not session.resumable:
            self.invalid_session_count += 1
            connection.send({"op": INVALID_SESSION, "d": False, "s": None, "t": None})
            return
        if session.connection is not None and session.connection is not connection:
            await session.connection.close(CLOSE_UNKNOWN_ERROR, "session resumed elsewhere")
        session.connection = connection
        connection.session = session
        after = data.get("seq") or 0
        for seq, frame in session.log:
            if seq > after:
                connection.send(frame)
        connection.send(session.next_frame("RESUMED", {"_trace": ['["sandbox-gateway"]']}))
        self.resume_count += 1
        self._notify()

    def _request_members(self, connection: GatewayConnection, data: dict[str, Any]) -> None:
        session = connection.session
        if session is None:
            return
        guild = self._world.guilds.get(int(data.get("guild_id", 0)))
        if guild is None:
            return
        chunk: dict[str, Any] = {
            "guild_id": str(guild.id),
            "members": [payloads.member_json(self._world, m) for m in guild.members.values()],
            "chunk_index": 0,
            "chunk_count": 1,
        }
        if "nonce" in data:
            chunk["nonce"] = data["nonce"]
        connection.send(session.next_frame("GUILD_MEMBERS_CHUNK", chunk))

    def _notify(self) -> None:
        old = self._changed
        self._changed = asyncio.Event()
        old.set()
