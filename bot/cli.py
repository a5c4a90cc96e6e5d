"""The `peerpulse` command line: run, sync, migrate, check-config, backup, sandbox."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path

import discord

from bot import __version__
from bot.backup import BackupError, backup_database, check_target
from bot.clock import SystemClock
from bot.config import ConfigError, Settings, describe, load_settings
from bot.db import Database
from bot.logs import configure_logging
from bot.migrations import MigrationError, migrate, pending

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
# The story's default start: a Monday afternoon a week before North America's DST change,
# so the same run reads the same at any hour it is started.
SANDBOX_START = datetime(2026, 3, 2, 14, 0, tzinfo=UTC)

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


def build_parser() -> argparse.ArgumentParser:
    """The argument parser, with one sub-command per action."""
    parser = argparse.ArgumentParser(
        prog="peerpulse",
        description="A Discord bot for therapists' peer-consultation groups.",
    )
    parser.add_argument("--version", action="version", version=f"peerpulse {__version__}")
    parser.add_argument(
        "--config",
        type=Path,
        metavar="PATH",
        help="TOML configuration file (default: $PEERPULSE_CONFIG, else ./config.toml if present)",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    commands.add_parser("run", help="connect to Discord and run the bot")
    sync = commands.add_parser(
        "sync", help="publish the slash commands to Discord (after installing or upgrading)"
    )
    sync.add_argument(
        "--guild", type=_snowflake, metavar="ID", help="sync to one server only (instant)"
    )
    migrate_cmd = commands.add_parser("migrate", help="bring the database schema up to date")
    migrate_cmd.add_argument(
        "--dry-run", action="store_true", help="list pending migrations without applying them"
    )
    commands.add_parser("check-config", help="validate the configuration and show it")
    backup = commands.add_parser("backup", help="copy the live database safely to PATH")
    backup.add_argument("path", type=Path, metavar="PATH", help="the new backup file")
    sandbox = commands.add_parser(
        "sandbox",
        help="watch peerpulse work without a Discord token: the real bot against a local "
        "Discord-compatible server, a scripted group, and a transcript",
    )
    sandbox.add_argument(
        "--out",
        type=Path,
        default=Path("sandbox-out"),
        metavar="DIR",
        help="where to write transcript.html, commands.json, requests.jsonl and peerpulse.db "
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
    return parser


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
    try:
        settings = load_settings(args.config)
    except ConfigError as error:
        _err(f"peerpulse: invalid configuration ({error.source}):")
        for problem in error.problems:
            _err(f"  {problem}")
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
    return _with_discord_errors(lambda: asyncio.run(run_bot(settings, token)))


def _sync(settings: Settings, args: argparse.Namespace) -> int:
    from bot.app.runner import sync_commands  # noqa: PLC0415

    if settings.discord.token is None:
        _err(MISSING_TOKEN_HELP)
        return EXIT_USAGE
    token = settings.discord.token.get_secret_value()

    def sync() -> None:
        count = asyncio.run(sync_commands(settings, token, args.guild))
        where = f"server {args.guild}" if args.guild else "every server (may take up to an hour)"
        _out(f"synced {count} command(s) to {where}")

    return _with_discord_errors(sync)


def _with_discord_errors(action: Callable[[], object]) -> int:
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
    async def go() -> list[str]:
        db = await Database.open(
            settings.database.path, busy_timeout_ms=settings.database.busy_timeout_ms
        )
        try:
            todo = await pending(db) if args.dry_run else await migrate(db, SystemClock())
        finally:
            await db.close()
        return [f"{m.version:04d}_{m.name}" for m in todo]

    try:
        names = asyncio.run(go())
    except MigrationError as error:
        _err(f"peerpulse: {error}")
        return EXIT_FAILED
    verb = "would apply" if args.dry_run else "applied"
    if not names:
        _out(f"{settings.database.path}: up to date, nothing to apply")
    for name in names:
        _out(f"{verb} {name}")
    return EXIT_OK


def _check_config(settings: Settings, args: argparse.Namespace) -> int:
    for line in describe(settings):
        _out(line)
    _out("configuration OK")
    return EXIT_OK


def _backup(settings: Settings, args: argparse.Namespace) -> int:
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
        asyncio.run(go())
    except BackupError as error:
        _err(f"peerpulse: backup failed: {error}")
        return EXIT_FAILED
    _out(f"backup written to {target} (integrity_check: ok)")
    return EXIT_OK


def _sandbox(settings: Settings, args: argparse.Namespace) -> int:
    from bot.clock import VirtualClock  # noqa: PLC0415 - the sandbox loads aiohttp's server
    from bot.sandbox.scenario import run_sandbox  # noqa: PLC0415

    out: Path = args.out
    if out.exists() and not out.is_dir():
        _err(f"peerpulse: {out} is a file; choose a folder for the sandbox output")
        return EXIT_USAGE
    if settings.logging.level != "DEBUG":
        # The progress lines are the sandbox's story; the bot's own log only when debugging.
        configure_logging("WARNING")
    transcript = asyncio.run(
        run_sandbox(out, VirtualClock(args.start), lambda line: _out(f"sandbox: {line}"))
    )
    _out(f"done. Open the transcript: {transcript.resolve()}")
    return EXIT_OK


def _out(line: str) -> None:
    sys.stdout.write(line + "\n")


def _err(line: str) -> None:
    sys.stderr.write(line + "\n")
