"""The `peerpulse` command line: run, sync, migrate, check-config, backup, sandbox."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Callable, Coroutine, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from bot import __version__

if TYPE_CHECKING:
    from bot.config import Settings

# Each command imports what it uses inside its handler, so `peerpulse --help` loads only
# argparse: discord.py, aiohttp and pydantic cost most of a second (tests/cli/test_light_start.py).

_T = TypeVar("_T")
EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
# The story's default start: a Monday afternoon a week before North America's DST change,
# so the same run reads the same at any hour it is started.
SANDBOX_START = datetime(2026, 3, 2, 14, 0, tzinfo=UTC)
SANDBOX_LOG = "peerpulse.log"

MISSING_TOKEN_HELP = (
    "No Discord bot token is configured.\n"  # noqa: S105 - help text, not a secret
    "  Set PEERPULSE_DISCORD__TOKEN, or token under [discord] in config.toml.\n"
    "  Get one at https://discord.com/developers/applications -> your application -> Bot -> "
    "Reset Token (see README, 'Create the Discord application').\n"
    "  To try peerpulse without a token: peerpulse sandbox"
)


def _snowflake(text: str) -> int:
    if not text.isdigit() or not 0 < int(text) < 2**64:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a server id; copy it with Developer Mode on (right-click the server)"
        )
    return int(text)


_CONFIG_HELP = "TOML configuration file (default: $PEERPULSE_CONFIG, else ./config.toml if present)"


def build_parser() -> argparse.ArgumentParser:
    """The argument parser, with one sub-command per action.

    `--config` is accepted before or after the sub-command; given after, it wins.
    """
    parser = argparse.ArgumentParser(
        prog="peerpulse",
        description="A Discord bot for therapists' peer-consultation groups.",
    )
    parser.add_argument("--version", action="version", version=f"peerpulse {__version__}")
    parser.add_argument("--config", type=Path, metavar="PATH", help=_CONFIG_HELP)
    # The sub-commands' copy leaves the value alone unless given (SUPPRESS), so a
    # `--config` before the sub-command is not reset to None by the sub-parser.
    config_option = argparse.ArgumentParser(add_help=False)
    config_option.add_argument(
        "--config", type=Path, metavar="PATH", default=argparse.SUPPRESS, help=_CONFIG_HELP
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    def command(name: str, summary: str, description: str) -> argparse.ArgumentParser:
        return commands.add_parser(
            name, help=summary, description=description, parents=[config_option]
        )

    command(
        "run",
        "connect to Discord and run the bot",
        "Connect to Discord and run the bot until it is stopped (Ctrl+C). Pending database "
        "migrations are applied first. Needs the bot token in PEERPULSE_DISCORD__TOKEN (or "
        "token under [discord] in the configuration file).",
    )
    sync = command(
        "sync",
        "publish the slash commands to Discord (after installing or upgrading)",
        "Publish peerpulse's slash commands to Discord. Run it once after installing and again "
        "after each upgrade; the bot never does it on its own. With --guild the commands appear "
        "in that one server at once; without it, in every server within about an hour.",
    )
    sync.add_argument(
        "--guild", type=_snowflake, metavar="ID", help="sync to one server only (instant)"
    )
    migrate_cmd = command(
        "migrate",
        "bring the database schema up to date",
        "Bring the database schema up to date by applying, in order, the numbered migrations "
        "it has not had yet. `peerpulse run` does this too. With --dry-run, only list them: "
        "nothing is created or changed on disk.",
    )
    migrate_cmd.add_argument(
        "--dry-run",
        action="store_true",
        help="list pending migrations without applying them or creating anything",
    )
    command(
        "check-config",
        "validate the configuration and show it",
        "Validate the configuration (the TOML file and PEERPULSE_* environment variables) and "
        "show every setting with where its value comes from: the default, the file, or an "
        "environment variable. The token is never shown, only whether it is set.",
    )
    backup = command(
        "backup",
        "copy the live database safely to PATH",
        "Copy the database to a new file with SQLite's online backup, safe while the bot is "
        "running, then check the copy's integrity.",
    )
    backup.add_argument("path", type=Path, metavar="PATH", help="the new backup file")
    sandbox = command(
        "sandbox",
        "watch peerpulse work without a Discord token: the real bot against a local "
        "Discord-compatible server, a scripted group, and a transcript",
        "Run the real bot against a Discord-compatible server on this machine (loopback only), "
        "play a scripted story of a small consultation group on a virtual clock, and write a "
        "transcript you can open in a browser. Needs no token; nothing reaches Discord.",
    )
    sandbox.add_argument(
        "--out",
        type=Path,
        default=Path("sandbox-out"),
        metavar="DIR",
        help="where to write transcript.html, commands.json, requests.jsonl, peerpulse.db, "
        "members.json, the calendar files sent (consultation-1.ics, ...), the charts "
        "(checkin-history.png, pulse-trend.png) and pulse-results.csv; a run replaces these "
        "(default: sandbox-out)",
    )
    sandbox.add_argument(
        "--start",
        type=_instant,
        default=SANDBOX_START,
        metavar="INSTANT",
        help="the virtual instant the story starts at, ISO 8601 with a zone, e.g. "
        f"2026-03-02T14:00Z (default: {SANDBOX_START:%Y-%m-%dT%H:%MZ}); never the wall clock",
    )
    sandbox.add_argument(
        "--members",
        type=_bounded("a number of members", 7, 30),
        default=8,
        metavar="N",
        help="members in the simulated group, 7-30 (default: 8), beside its moderator and "
        "co-facilitator",
    )
    sandbox.add_argument(
        "--weeks",
        type=_bounded("a number of weeks", 6, 26),
        default=6,
        metavar="W",
        help="weeks the story runs, 6-26 (default: 6)",
    )
    sandbox.add_argument(
        "--seed",
        type=_bounded("a seed (a whole number)", 0, 2**32 - 1),
        default=1,
        metavar="S",
        help="the seed of the members' choices; the same seed and start replay the same story "
        "(default: 1)",
    )
    return parser


def _bounded(what: str, low: int, high: int) -> Callable[[str], int]:
    """An argparse type: a whole number from `low` to `high`, or a sentence saying so."""

    def parse(text: str) -> int:
        stripped = text.strip()
        if not stripped.isdigit() or not low <= int(stripped) <= high:
            raise argparse.ArgumentTypeError(
                f"{text[:40]!r} is not {what} from {low} to {high}; write e.g. {low}"
            )
        return int(stripped)

    return parse


def _instant(text: str) -> datetime:
    try:
        instant = datetime.fromisoformat(text.strip())
    except ValueError:
        instant = None
    if instant is None or instant.tzinfo is None:
        raise argparse.ArgumentTypeError(
            f"{text[:40]!r} is not an instant with a zone; write e.g. 2026-03-02T14:00Z"
        )
    return instant.astimezone(UTC)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of `peerpulse` and `python -m bot`; returns the exit code."""
    args = build_parser().parse_args(argv)
    from bot.config import ConfigError, load_settings  # noqa: PLC0415 - see the imports
    from bot.logs import configure_logging  # noqa: PLC0415

    try:
        settings = load_settings(args.config)
    except ConfigError as error:
        _err(f"peerpulse: invalid configuration ({error.source}):")
        for problem in error.problems:
            _err(f"  {problem}")
        return EXIT_USAGE
    if args.command in {"run", "check-config", "sandbox"}:
        wrong = _instrument_problem(settings)
        if wrong is not None:
            _err(f"peerpulse: invalid pulse instrument: {wrong}")
            return EXIT_USAGE
    token = settings.discord.token.get_secret_value() if settings.discord.token else None
    configure_logging(settings.logging.level, [token] if token else [])
    handlers = {
        "run": _run,
        "sync": _sync,
        "migrate": _migrate,
        "check-config": _check_config,
        "backup": _backup,
        "sandbox": _sandbox,
    }
    try:
        return handlers[args.command](settings, args)
    except KeyboardInterrupt:
        return EXIT_OK


def _run(settings: Settings, args: argparse.Namespace) -> int:
    from bot.app.runner import run_bot  # noqa: PLC0415 - keeps `peerpulse --help` fast

    if settings.discord.token is None:
        _err(MISSING_TOKEN_HELP)
        return EXIT_USAGE
    token = settings.discord.token.get_secret_value()
    return _with_discord_errors(lambda: _run_async(run_bot(settings, token)))


def _sync(settings: Settings, args: argparse.Namespace) -> int:
    from bot.app.runner import sync_commands  # noqa: PLC0415

    if settings.discord.token is None:
        _err(MISSING_TOKEN_HELP)
        return EXIT_USAGE
    token = settings.discord.token.get_secret_value()

    def sync() -> None:
        count = _run_async(sync_commands(settings, token, args.guild))
        where = f"server {args.guild}" if args.guild else "every server (may take up to an hour)"
        _out(f"synced {count} command(s) to {where}")

    return _with_discord_errors(sync)


def _with_discord_errors(action: Callable[[], object]) -> int:
    import discord  # noqa: PLC0415 - only run and sync talk to Discord

    from bot.migrations import MigrationError  # noqa: PLC0415

    try:
        action()
    except discord.LoginFailure:
        _err(
            "peerpulse: Discord rejected the token. Reset it in the Developer Portal and try again."
        )
        return EXIT_FAILED
    except discord.HTTPException as error:
        _err(f"peerpulse: Discord answered {error.status}: {error.text[:200]}")
        return EXIT_FAILED
    except MigrationError as error:
        _err(f"peerpulse: {error}")
        return EXIT_FAILED
    return EXIT_OK


def _migrate(settings: Settings, args: argparse.Namespace) -> int:
    from bot.clock import SystemClock  # noqa: PLC0415
    from bot.db import Database  # noqa: PLC0415
    from bot.migrations import MigrationError, migrate, pending_in_file  # noqa: PLC0415

    path = settings.database.path
    if args.dry_run:
        try:
            todo = pending_in_file(path)
        except MigrationError as error:
            _err(f"peerpulse: {error}")
            return EXIT_FAILED
        if not path.exists() and todo:
            _out(f"{path} does not exist yet; `peerpulse migrate` would create it")
        return _list_migrations("would apply", path, [f"{m.version:04d}_{m.name}" for m in todo])

    async def go() -> list[str]:
        db = await Database.open(path, busy_timeout_ms=settings.database.busy_timeout_ms)
        try:
            todo = await migrate(db, SystemClock())
        finally:
            await db.close()
        return [f"{m.version:04d}_{m.name}" for m in todo]

    try:
        names = _run_async(go())
    except MigrationError as error:
        _err(f"peerpulse: {error}")
        return EXIT_FAILED
    return _list_migrations("applied", path, names)


def _list_migrations(verb: str, path: Path, names: list[str]) -> int:
    if not names:
        _out(f"{path}: up to date, nothing to apply")
    for name in names:
        _out(f"{verb} {name}")
    return EXIT_OK


def _instrument_problem(settings: Settings) -> str | None:
    """What is wrong with the pulse instrument files (built in and the operator's), if anything."""
    from bot.pulse.instrument import InstrumentError, InstrumentLibrary  # noqa: PLC0415

    try:
        InstrumentLibrary(settings.pulse.instruments_path)
    except InstrumentError as error:
        return str(error)
    return None


def _check_config(settings: Settings, args: argparse.Namespace) -> int:
    from bot.config import (  # noqa: PLC0415
        CONFIG_ENV,
        DEFAULT_CONFIG_FILE,
        ENV_PREFIX,
        choose_config_file,
        describe,
        key_sources,
    )

    path = choose_config_file(args.config, os.environ)
    if path is None:
        _out(
            f"configuration file: none (no --config, no ${CONFIG_ENV}, no ./{DEFAULT_CONFIG_FILE})"
        )
    else:
        _out(f"configuration file: {path}")
    _out(f"environment variables {ENV_PREFIX}<SECTION>__<KEY> override the file")
    for line in describe(settings, key_sources(args.config, os.environ)):
        _out(f"  {line}")
    if settings.discord.token is None:
        _out(
            "No Discord token is set: `peerpulse run` and `peerpulse sync` will refuse to start "
            "until PEERPULSE_DISCORD__TOKEN (or token under [discord]) is set. "
            "`peerpulse sandbox` needs none."
        )
        _out("configuration OK, except that no token is set")
    else:
        _out("configuration OK")
    return EXIT_OK


def _backup(settings: Settings, args: argparse.Namespace) -> int:
    from bot.backup import BackupError, backup_database, check_target  # noqa: PLC0415
    from bot.db import Database  # noqa: PLC0415

    target: Path = args.path
    if not settings.database.path.is_file():
        _err(f"peerpulse: there is no database at {settings.database.path} to back up")
        return EXIT_FAILED

    async def go() -> None:
        db = await Database.open(
            settings.database.path, busy_timeout_ms=settings.database.busy_timeout_ms
        )
        try:
            await backup_database(db, target)
        finally:
            await db.close()

    try:
        check_target(target)
        _run_async(go())
    except BackupError as error:
        _err(f"peerpulse: backup failed: {error}")
        return EXIT_FAILED
    _out(f"backup written to {target} (integrity_check: ok)")
    return EXIT_OK


def _sandbox(settings: Settings, args: argparse.Namespace) -> int:
    # The sandbox loads aiohttp's server and tqdm: imported here, not at `peerpulse --help`.
    from bot.sandbox import summary  # noqa: PLC0415
    from bot.sandbox.progress_bar import StoryBar, WatchedClock  # noqa: PLC0415
    from bot.sandbox.scenario import run_sandbox  # noqa: PLC0415
    from bot.sandbox.story_options import StoryOptions  # noqa: PLC0415

    out: Path = args.out
    if out.exists() and not out.is_dir():
        _err(f"peerpulse: {out} is a file; choose a folder for the sandbox output")
        return EXIT_USAGE
    out.mkdir(parents=True, exist_ok=True)
    log_file = out / SANDBOX_LOG
    _log_to_file(log_file, settings.logging.level)
    options = StoryOptions(members=args.members, weeks=args.weeks, seed=args.seed)
    clock = WatchedClock(args.start)
    deliveries = summary.DeliveryTally()
    # Finished DMs leave the database within days: count them as the story goes.
    clock.listen(lambda _now: deliveries.observe_file(out / summary.DATABASE))
    with StoryBar(args.start, options.weeks) as bar:
        clock.listen(bar.moved)
        transcript = _run_async(
            run_sandbox(out, clock, lambda line: bar.write(f"sandbox: {line}"), options)
        )
    deliveries.observe_file(out / summary.DATABASE, settled=True)
    facts = summary.StoryFacts(
        args.start, clock.now(), options.weeks, options.members, options.seed
    )
    for line in summary.summary_lines(out, facts, deliveries):
        _out(line)
    _out(f"done. Open the transcript: {transcript.resolve()}")
    _out(f"The bot's own log is in {log_file}")
    return EXIT_OK


def _log_to_file(path: Path, level: str) -> None:
    """Send the bot's log to `path`; the console keeps only errors (everything at DEBUG).

    The progress lines are the sandbox's story: the warnings its scripted events cause
    (Ben's closed DMs) belong in the log file, not between them.
    """
    root = logging.getLogger()
    handler = logging.FileHandler(path, mode="w", encoding="utf-8")
    for console in root.handlers:
        handler.formatter = handler.formatter or console.formatter
        for log_filter in console.filters:  # the same redaction as the console
            handler.addFilter(log_filter)
        if level != "DEBUG":
            console.setLevel(logging.ERROR)
    root.addHandler(handler)


def _run_async(coroutine: Coroutine[Any, Any, _T]) -> _T:
    import asyncio  # noqa: PLC0415 - see the imports

    return asyncio.run(coroutine)


def _out(line: str) -> None:
    sys.stdout.write(line + "\n")


def _err(line: str) -> None:
    sys.stderr.write(line + "\n")
