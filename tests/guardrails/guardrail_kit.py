"""What every guard-rail test shares: one long-lived bot and server, and the checks.

The bot and the sandbox server run on an event loop in a background thread for a whole
test module (starting them per hypothesis example would take minutes); tests hand it
coroutines with `LoopThread.run`. The checks read the commands, buttons and forms from
what the bot synced and emitted, so a new command or form is covered without editing
a test.
"""

from __future__ import annotations

import asyncio
import io
import logging
import re
import sys
import threading
from collections.abc import Awaitable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from bot.clock import VirtualClock
from bot.db import Database
from bot.logs import configure_logging
from bot.sandbox import InteractionResult, MessageView, RequestRecord, SandboxServer
from bot.sandbox.demo import DemoGroup, build_demo_group
from bot.sandbox.running_bot import RunningBot, sandbox_settings, start_bot
from bot.sandbox.scenario import PlayedStory

T = TypeVar("T")
Json = dict[str, Any]

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # the suite's fixed Monday
DMS_CLOSED = 50007  # the one rejection the sandbox story provokes on purpose
INCIDENT = re.compile(r"incident\s+`?[0-9a-f]{8}`?", re.IGNORECASE)
SUBCOMMAND, GROUP = 1, 2
CONTEXT_BOT_DM = 1
PLAIN_LIMIT = 400  # a refusal is a sentence or two, not a report
ANSWER_TIMEOUT = 5.0
# Loggers whose levels `configure_logging` sets (restored after a test configured it).
QUIETED_LOGGERS = ("discord.http", "discord.gateway", "aiosqlite", "discord.webhook")


# --- a loop in a thread ------------------------------------------------------------------


class LoopThread:
    """An event loop running in a daemon thread; `run` waits for a coroutine's result."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self._thread.start()

    def run(self, coro: Awaitable[T], timeout: float = 300.0) -> T:
        async def wrapped() -> T:
            return await coro

        return asyncio.run_coroutine_threadsafe(wrapped(), self.loop).result(timeout)

    def close(self) -> None:
        async def drain() -> None:
            tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            await self.loop.shutdown_asyncgens()

        self.run(drain())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(10)
        self.loop.close()


# --- logs --------------------------------------------------------------------------------


class LogRecords(logging.Handler):
    """Every record from every logger, formatted with its traceback."""

    def __init__(self, level: int = logging.DEBUG) -> None:
        super().__init__(level)
        self.records: list[logging.LogRecord] = []
        self.lines: list[str] = []
        self._guard = threading.Lock()
        self.setFormatter(logging.Formatter("%(levelname)s %(name)s %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        text = self.format(record)
        with self._guard:
            self.records.append(record)
            self.lines.append(text)

    @property
    def mark(self) -> int:
        """A position to read newer records from."""
        return len(self.records)

    def errors_since(self, mark: int) -> list[str]:
        """ERROR (and worse) lines logged after `mark`."""
        with self._guard:
            pairs = list(zip(self.records[mark:], self.lines[mark:], strict=True))
        return [line[:2000] for record, line in pairs if record.levelno >= logging.ERROR]


@contextmanager
def capture_logs(level: int = logging.WARNING) -> Iterator[LogRecords]:
    """Attach a handler to the root logger (lowering the root level to `level`) while in use."""
    handler = LogRecords(level)
    root = logging.getLogger()
    previous = root.level
    root.addHandler(handler)
    root.setLevel(min(previous, level))
    try:
        yield handler
    finally:
        root.removeHandler(handler)
        root.setLevel(previous)


@contextmanager
def operator_log(level: str, secrets: list[str]) -> Iterator[io.StringIO]:
    """Logging exactly as `peerpulse run` configures it, written to a string, then undone."""
    stream = io.StringIO()
    root = logging.getLogger()
    handlers, root_level = list(root.handlers), root.level
    quieted = {name: logging.getLogger(name).level for name in QUIETED_LOGGERS}
    real_stderr = sys.stderr
    sys.stderr = stream  # configure_logging's handler writes to the stderr it finds
    try:
        configure_logging(level, secrets)
    finally:
        sys.stderr = real_stderr
    try:
        yield stream
    finally:
        for handler in list(root.handlers):
            root.removeHandler(handler)
        for handler in handlers:
            root.addHandler(handler)
        root.setLevel(root_level)
        for name, previous in quieted.items():
            logging.getLogger(name).setLevel(previous)


# --- the world the tests act in -----------------------------------------------------------


@dataclass
class BotWorld:
    """A sandbox server with the demo group, a foreign server, and the real bot connected."""

    server: SandboxServer
    group: DemoGroup
    clock: VirtualClock
    running: RunningBot
    db_path: Path
    foreign_guild_id: int
    foreign_channel_id: int
    foreign_role_id: int
    outsider_id: int  # a user in the foreign server only

    @property
    def db(self) -> Database:
        return self.running.db

    async def stop(self) -> None:
        await self.running.stop()
        await self.server.stop()


async def start_world(folder: Path, *, clock: VirtualClock | None = None) -> BotWorld:
    """Start the server, build the demo group and a foreign server, connect and sync the bot."""
    clock = clock or VirtualClock(START)
    server = SandboxServer(clock=clock.now, interaction_timeout=ANSWER_TIMEOUT)
    await server.start()
    group = build_demo_group(server)
    outsider = server.create_user("Omar")
    foreign = server.create_guild("Another Server", owner_id=outsider)
    foreign_role = server.create_role(foreign, "Elsewhere")
    foreign_channel = server.create_text_channel(foreign, "elsewhere")
    db_path = folder / "peerpulse.db"
    settings = sandbox_settings(server, group.credentials.token, db_path)
    running = await start_bot(settings, clock)
    return BotWorld(
        server=server,
        group=group,
        clock=clock,
        running=running,
        db_path=db_path,
        foreign_guild_id=foreign,
        foreign_channel_id=foreign_channel,
        foreign_role_id=foreign_role,
        outsider_id=outsider,
    )


@dataclass
class StoryRun:
    """The full sandbox story, played once per session at DEBUG; its server still runs."""

    loop: LoopThread
    server: SandboxServer
    played: PlayedStory
    clock: VirtualClock
    log_text: str  # everything the operator's log handler wrote


# --- the synced command tree --------------------------------------------------------------


@dataclass(frozen=True)
class SyncedCommand:
    """One invocable slash command (a leaf) of the synced tree."""

    path: str  # e.g. "me hours"
    root: Json  # the top-level command as synced
    options: list[Json]  # the leaf's own options

    @property
    def in_dms(self) -> bool:
        """Whether Discord offers the command in DMs with the bot."""
        contexts = self.root.get("contexts")
        if contexts is not None:
            return CONTEXT_BOT_DM in contexts
        return self.root.get("dm_permission", True) is not False


def synced_commands(server: SandboxServer, guild_id: int | None = None) -> list[SyncedCommand]:
    """Every slash command leaf the bot synced (global, plus the guild's), in name order."""
    found: list[SyncedCommand] = []
    for root in server.application.commands_for(guild_id):
        if int(root.get("type", 1)) != 1:
            continue
        stack: list[tuple[str, Json]] = [(root["name"], root)]
        while stack:
            path, node = stack.pop()
            children = [
                o for o in node.get("options") or [] if o.get("type") in (SUBCOMMAND, GROUP)
            ]
            if not children:
                found.append(SyncedCommand(path, root, list(node.get("options") or [])))
            stack.extend((f"{path} {c['name']}", c) for c in children)
    return sorted(found, key=lambda c: c.path)


# --- what a person saw --------------------------------------------------------------------


def answer_messages(result: InteractionResult) -> list[MessageView]:
    """The response message (if any) and every follow-up."""
    found = [m for m in [result.message] if m is not None]
    return [*found, *result.followups]


def message_text(message: MessageView) -> str:
    return "\n".join([message.content, message.embed_text(), *message.text_displays()])


def problems_with_answer(result: InteractionResult) -> list[str]:
    """What is wrong with how the bot answered: incidents, public or unplain refusals."""
    problems: list[str] = []
    if result.type == 0:
        return ["no answer"]
    for message in answer_messages(result):
        text = message_text(message)
        if INCIDENT.search(text):
            problems.append(f"incident in the answer: {text[:200]!r}")
        if not message.ephemeral and result.interaction.type == 2:
            problems.append(f"a command's answer is public: {text[:120]!r}")
    return problems


def is_plain_refusal(message: MessageView) -> bool:
    """An ephemeral short sentence, no embed, no buttons, no file, no incident id."""
    text = message.content.strip()
    return (
        message.ephemeral
        and bool(text)
        and len(text) <= PLAIN_LIMIT
        and not message.embeds
        and not message.components
        and not message.attachments
        and not INCIDENT.search(text)
        and "Traceback" not in text
    )


# --- what the bot sent ---------------------------------------------------------------------


def rejected(records: list[RequestRecord]) -> list[str]:
    """Requests the sandbox rejected (status >= 400), except DMs to closed DMs (50007)."""
    return [
        f"{r.method} {r.route} -> {r.status} {r.error_code}"
        for r in records
        if r.status >= 400 and r.error_code != DMS_CLOSED
    ]


def message_bodies(record: RequestRecord) -> list[Json]:
    """The message payloads in a request: a create or edit, or an interaction reply (4, 7)."""
    body = record.body
    if not isinstance(body, dict):
        return []
    if record.route and record.route.endswith("/callback"):
        data = body.get("data")
        return [data] if body.get("type") in (4, 7) and isinstance(data, dict) else []
    if record.method in ("POST", "PATCH") and (
        "/messages" in (record.route or "") or (record.route or "").startswith("/webhooks")
    ):
        return [body]
    return []


def mention_problems(records: list[RequestRecord]) -> list[str]:
    """Message payloads whose `allowed_mentions` is not exactly "mention no one"."""
    problems = []
    for record in records:
        for body in message_bodies(record):
            mentions = body.get("allowed_mentions")
            if (
                not isinstance(mentions, dict)
                or mentions.get("parse") != []
                or any(mentions.get(key) for key in ("users", "roles", "replied_user"))
            ):
                problems.append(f"{record.method} {record.route}: allowed_mentions={mentions!r}")
    return problems


# --- the database --------------------------------------------------------------------------

# Rows that record that an interaction happened, not a change a person made (none yet).
TECHNICAL_TABLES: frozenset[str] = frozenset({"schema_migrations"})


async def snapshot(db: Database) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table (sorted), except purely technical tables."""
    tables = await db.fetchall(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
    )
    found: dict[str, list[tuple[Any, ...]]] = {}
    for (name,) in tables:
        if name in TECHNICAL_TABLES:
            continue
        rows = await db.fetchall(f'SELECT * FROM "{name}"')  # noqa: S608 - names from sqlite_master
        found[name] = sorted((tuple(r) for r in rows), key=repr)
    return found


def changed_tables(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    return sorted(
        name for name in before.keys() | after.keys() if before.get(name) != after.get(name)
    )


# --- one interaction, judged --------------------------------------------------------------


async def settle(server: SandboxServer, *, quiet: float = 0.004, limit: float = 1.0) -> None:
    """Wait until the bot has made no request for `quiet` seconds (follow-ups, edits)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + limit
    seen = -1
    while loop.time() < deadline:
        count = len(server.requests)
        if count == seen:
            return
        seen = count
        await asyncio.sleep(quiet)


async def judged(
    server: SandboxServer, logs: LogRecords, act: Awaitable[InteractionResult]
) -> tuple[InteractionResult | None, list[str]]:
    """Run one interaction and list every guard-rail problem it caused."""
    mark_requests, mark_logs = len(server.requests), logs.mark
    problems: list[str] = []
    result: InteractionResult | None = None
    try:
        result = await act
        if result.type in (5, 6) and result.interaction.type != 3:
            await result.final(ANSWER_TIMEOUT)
    except TimeoutError as error:
        problems.append(f"no answer: {error}")
    await settle(server)
    if result is not None:
        problems += problems_with_answer(result)
        for message in answer_messages(result):
            plain_only = not (message.embeds or message.components or message.attachments)
            if plain_only and len(message.content) > PLAIN_LIMIT:
                problems.append(f"an overlong sentence: {message.content[:120]!r}…")
            if plain_only and not message.ephemeral and result.type == 4:
                problems.append(f"a public sentence (refusal?): {message.content[:120]!r}")
    records = server.requests[mark_requests:]
    problems += [f"rejected request: {r}" for r in rejected(records)]
    problems += [f"mentions allowed: {m}" for m in mention_problems(records)]
    problems += [f"error logged: {line}" for line in logs.errors_since(mark_logs)]
    return result, problems


def shorten(value: object, limit: int = 120) -> str:
    text = repr(value)
    return text if len(text) <= limit else f"{text[:limit]}… ({len(text)} chars)"


class Findings:
    """Problems found by fuzzing, each kind once with its first example."""

    def __init__(self) -> None:
        self.first: dict[str, str] = {}
        self.counts: dict[str, int] = {}
        self.examples = 0

    def add(self, where: str, problems: list[str], example: object) -> None:
        self.examples += 1
        for problem in problems:
            lines = problem.strip().splitlines()
            # The first line says what kind of problem, the last the exception (if any).
            shape = INCIDENT.sub("incident X", f"{lines[0][:100]} | {lines[-1][:100]}")
            shape = re.sub(r"\b(guild|interaction) (None|[0-9]+)", r"\1 N", shape)
            key = f"{where}: {re.sub(r'[0-9]{3,}', 'N', shape)}"
            self.counts[key] = self.counts.get(key, 0) + 1
            text = problem if len(lines) <= 4 else "\n".join([lines[0], "  …", *lines[-2:]])
            self.first.setdefault(
                key, f"{where}: {text[:1200]}\n      example: {shorten(example, 300)}"
            )

    def report(self) -> str:
        lines = [f"{len(self.first)} kind(s) of problem in {self.examples} example(s):"]
        for key, first in self.first.items():
            lines.append(f"- [{self.counts[key]}x] {first}")
        return "\n".join(lines)
