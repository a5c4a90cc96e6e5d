"""The command line, run as a real process: exit codes and messages."""

from __future__ import annotations

import argparse
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from bot.cli import build_parser
from bot.config import Settings

TOKEN = "MTIz.cli-secret.abc"


def peerpulse(
    *args: str, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.upper().startswith("PEERPULSE_")}
    return subprocess.run(  # noqa: S603 - our own interpreter and module
        [sys.executable, "-m", "bot", *args],
        cwd=cwd,
        env={**clean, **(env or {})},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


COMMANDS = ["run", "sync", "migrate", "check-config", "backup", "sandbox"]


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help_that_says_what_it_does(tmp_path: Path, command: str) -> None:
    result = peerpulse(command, "--help", cwd=tmp_path)
    assert result.returncode == 0
    assert f"usage: peerpulse {command}" in result.stdout
    # usage, then a description paragraph, then the options
    blocks = result.stdout.split("\n\n")
    assert not blocks[1].startswith(("options:", "positional arguments:")), result.stdout
    assert len(" ".join(blocks[1].split())) > 60


def test_every_command_is_covered_by_the_help_test() -> None:
    parser = build_parser()
    (subparsers,) = (a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    assert sorted(subparsers.choices) == sorted(COMMANDS)


@pytest.mark.parametrize("before", [True, False])
def test_config_option_works_before_or_after_the_command(tmp_path: Path, before: bool) -> None:
    config = tmp_path / "x.toml"
    config.write_text('[defaults]\ntimezone = "Asia/Tokyo"\n', encoding="utf-8")
    args = ["--config", str(config)]
    result = peerpulse(
        *([*args, "check-config"] if before else ["check-config", *args]), cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr
    assert f"defaults.timezone: Asia/Tokyo — from {config}" in result.stdout


def test_check_config_lists_every_key_with_its_source(tmp_path: Path) -> None:
    config = tmp_path / "c.toml"
    config.write_text('[logging]\nlevel = "WARNING"\n', encoding="utf-8")
    env = {"PEERPULSE_DELIVERY__CONCURRENCY": "4", "PEERPULSE_DISCORD__TOKEN": TOKEN}
    result = peerpulse("check-config", "--config", str(config), cwd=tmp_path, env=env)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "logging.level: WARNING — from " + str(config) in out
    assert (
        "delivery.concurrency: 4 — from environment variable PEERPULSE_DELIVERY__CONCURRENCY" in out
    )
    assert "scheduler.tick_seconds: 30.0 — default" in out
    assert "discord.token: set (hidden) — from environment variable PEERPULSE_DISCORD__TOKEN" in out
    for section, field in Settings.model_fields.items():
        for key in field.annotation.model_fields:  # type: ignore[union-attr]
            assert out.count(f"  {section}.{key}: ") == 1, f"{section}.{key} is not listed once"
    assert TOKEN not in out + result.stderr
    assert "no token" not in out.lower()


def test_check_config_says_when_no_token_is_set(tmp_path: Path) -> None:
    result = peerpulse("check-config", cwd=tmp_path)
    assert result.returncode == 0
    assert "discord.token: not set — default" in result.stdout
    assert "No Discord token is set: `peerpulse run` and `peerpulse sync` will refuse" in (
        result.stdout
    )
    assert "PEERPULSE_DISCORD__TOKEN" in result.stdout


def test_check_config_never_prints_a_token_pasted_into_another_key(tmp_path: Path) -> None:
    env = {
        "PEERPULSE_DISCORD__TOKEN": TOKEN,
        "PEERPULSE_SUPPORT__RESOURCES": f"Call us. {TOKEN} " + "x" * 80,
    }
    result = peerpulse("check-config", cwd=tmp_path, env=env)
    assert result.returncode == 0, result.stderr
    assert "support.resources: Call us. [hidden]" in result.stdout
    for start in range(len(TOKEN) - 8):
        assert TOKEN[start : start + 8] not in result.stdout


def test_config_errors_speak_plainly_and_name_the_variable(tmp_path: Path) -> None:
    config = tmp_path / "c.toml"
    config.write_text('[logging]\nlevel = "LOUD"\n[delivery]\nmax_attempts = 0\n', encoding="utf-8")
    env = {"PEERPULSE_DELIVERY__REQUESTS_PER_SECOND": "fast"}
    result = peerpulse("check-config", "--config", str(config), cwd=tmp_path, env=env)
    assert result.returncode == 2
    lines = sorted(line.strip() for line in result.stderr.strip().splitlines()[1:])
    assert lines == [
        "delivery.max_attempts: must be a whole number between 1 and 100, got 0",
        "delivery.requests_per_second (from PEERPULSE_DELIVERY__REQUESTS_PER_SECOND): "
        "must be a number between 1 and 50, got 'fast'",
        "logging.level: must be one of DEBUG, INFO, WARNING, ERROR, got 'LOUD'",
    ]
    for pydantic_words in ("Input should", "valid number", "unable to parse", "literal"):
        assert pydantic_words not in result.stderr


def test_console_script_is_installed(tmp_path: Path) -> None:
    script = Path(sys.executable).with_name("peerpulse")
    assert script.exists(), "the peerpulse console script is missing"
    result = subprocess.run(  # noqa: S603
        [str(script), "--version"], cwd=tmp_path, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0
    assert result.stdout.startswith("peerpulse ")


def test_run_without_token_explains_how_to_get_one(tmp_path: Path) -> None:
    result = peerpulse("run", cwd=tmp_path)
    assert result.returncode == 2
    assert "No Discord bot token" in result.stderr
    assert "PEERPULSE_DISCORD__TOKEN" in result.stderr
    assert "discord.com/developers/applications" in result.stderr
    assert "Traceback" not in result.stderr


def test_invalid_config_exits_2_with_one_line_per_problem(tmp_path: Path) -> None:
    config = tmp_path / "c.toml"
    config.write_text(
        f'[discord]\ntoken = "{TOKEN}"\n[defaults]\ntimezone = "Atlantis"\n'
        'retention_days = "forever"\n',
        encoding="utf-8",
    )
    result = peerpulse("--config", str(config), "run", cwd=tmp_path)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert lines[0].startswith("peerpulse: invalid configuration")
    assert sorted(line.split(":")[0].strip() for line in lines[1:]) == [
        "defaults.retention_days",
        "defaults.timezone",
    ]
    assert "'Atlantis'" in result.stderr
    assert TOKEN not in result.stderr + result.stdout
    assert "Traceback" not in result.stderr


def test_check_config_hides_the_token(tmp_path: Path) -> None:
    result = peerpulse("check-config", cwd=tmp_path, env={"PEERPULSE_DISCORD__TOKEN": TOKEN})
    assert result.returncode == 0
    assert "discord.token: set (hidden)" in result.stdout
    assert TOKEN not in result.stdout + result.stderr


def test_bad_guild_id_is_a_usage_error(tmp_path: Path) -> None:
    result = peerpulse("sync", "--guild", "my-server", cwd=tmp_path)
    assert result.returncode == 2
    assert "is not a server id" in result.stderr


def test_unknown_command_is_a_usage_error(tmp_path: Path) -> None:
    result = peerpulse("launch", cwd=tmp_path)
    assert result.returncode == 2
    assert "invalid choice" in result.stderr


def files_under(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def test_migrate_dry_run_creates_nothing_on_disk(tmp_path: Path) -> None:
    data = tmp_path / "data"
    env = {"PEERPULSE_DATABASE__PATH": str(data / "pp.db")}
    dry = peerpulse("migrate", "--dry-run", cwd=tmp_path, env=env)
    assert dry.returncode == 0, dry.stderr
    assert "does not exist yet" in dry.stdout
    assert "would apply 0001_groups" in dry.stdout
    assert not data.exists()
    assert list(tmp_path.iterdir()) == []
    # An existing database one migration behind: listed, and not a byte changes.
    assert peerpulse("migrate", cwd=tmp_path, env=env).returncode == 0
    conn = sqlite3.connect(data / "pp.db")
    latest = conn.execute("SELECT max(version), name FROM schema_migrations").fetchone()
    conn.execute("DELETE FROM schema_migrations WHERE version = ?", (latest[0],))
    conn.commit()
    conn.close()
    before = files_under(data)
    assert sorted(before) == ["pp.db"]
    dry = peerpulse("migrate", "--dry-run", cwd=tmp_path, env=env)
    assert dry.returncode == 0, dry.stderr
    assert dry.stdout.splitlines() == [f"would apply {latest[0]:04d}_{latest[1]}"]
    assert files_under(data) == before


def test_migrate_dry_run_on_a_file_that_is_not_a_database_says_so(tmp_path: Path) -> None:
    (tmp_path / "pp.db").write_text("not a database " * 100, encoding="utf-8")
    env = {"PEERPULSE_DATABASE__PATH": str(tmp_path / "pp.db")}
    result = peerpulse("migrate", "--dry-run", cwd=tmp_path, env=env)
    assert result.returncode == 1
    assert "cannot be read as a SQLite database" in result.stderr
    assert "Traceback" not in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pp.db"]


def test_migrate_apply_then_up_to_date(tmp_path: Path) -> None:
    env = {"PEERPULSE_DATABASE__PATH": str(tmp_path / "pp.db")}
    applied = peerpulse("migrate", cwd=tmp_path, env=env)
    assert applied.returncode == 0
    assert "applied 0001_groups" in applied.stdout
    again = peerpulse("migrate", cwd=tmp_path, env=env)
    assert "up to date" in again.stdout


def test_migrate_refuses_a_newer_database(tmp_path: Path) -> None:
    env = {"PEERPULSE_DATABASE__PATH": str(tmp_path / "pp.db")}
    assert peerpulse("migrate", cwd=tmp_path, env=env).returncode == 0
    conn = sqlite3.connect(tmp_path / "pp.db")
    conn.execute("INSERT INTO schema_migrations VALUES (500, 'future', 'x')")
    conn.commit()
    conn.close()
    result = peerpulse("migrate", cwd=tmp_path, env=env)
    assert result.returncode == 1
    assert "schema version 500" in result.stderr
    assert "Traceback" not in result.stderr


def test_backup_writes_a_checked_copy(tmp_path: Path) -> None:
    env = {"PEERPULSE_DATABASE__PATH": str(tmp_path / "pp.db")}
    assert peerpulse("migrate", cwd=tmp_path, env=env).returncode == 0
    result = peerpulse("backup", str(tmp_path / "copy.db"), cwd=tmp_path, env=env)
    assert result.returncode == 0, result.stderr
    assert "integrity_check: ok" in result.stdout
    conn = sqlite3.connect(tmp_path / "copy.db")
    assert conn.execute("SELECT max(version) FROM schema_migrations").fetchone()[0] >= 1
    conn.close()
    again = peerpulse("backup", str(tmp_path / "copy.db"), cwd=tmp_path, env=env)
    assert again.returncode == 1
    assert "already exists" in again.stderr


def test_backup_without_a_database_says_so(tmp_path: Path) -> None:
    env = {"PEERPULSE_DATABASE__PATH": str(tmp_path / "missing.db")}
    result = peerpulse("backup", str(tmp_path / "copy.db"), cwd=tmp_path, env=env)
    assert result.returncode == 1
    assert "no database at" in result.stderr
    assert not (tmp_path / "missing.db").exists()


@pytest.mark.parametrize("command", ["run", "check-config"])
def test_a_bad_instrument_file_is_refused_at_start_with_its_name(
    tmp_path: Path, command: str
) -> None:
    folder = tmp_path / "instruments"
    folder.mkdir()
    (folder / "ours.toml").write_text('id = "ours"\nversion = "1"\n', encoding="utf-8")
    config = tmp_path / "c.toml"
    config.write_text(
        f'[discord]\ntoken = "{TOKEN}"\n[pulse]\ninstruments_dir = "{folder}"\n', encoding="utf-8"
    )
    result = peerpulse("--config", str(config), command, cwd=tmp_path)
    assert result.returncode == 2
    [line] = result.stderr.strip().splitlines()
    assert line.startswith("peerpulse: invalid pulse instrument: ")
    assert "ours.toml" in line
    assert "Traceback" not in result.stderr
