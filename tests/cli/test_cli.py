"""The command line, run as a real process: exit codes and messages."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

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


@pytest.mark.parametrize("command", ["run", "sync", "migrate", "check-config", "backup"])
def test_every_command_has_help(tmp_path: Path, command: str) -> None:
    result = peerpulse(command, "--help", cwd=tmp_path)
    assert result.returncode == 0
    assert f"usage: peerpulse {command}" in result.stdout


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


def test_migrate_dry_run_then_apply_then_up_to_date(tmp_path: Path) -> None:
    env = {"PEERPULSE_DATABASE__PATH": str(tmp_path / "pp.db")}
    dry = peerpulse("migrate", "--dry-run", cwd=tmp_path, env=env)
    assert dry.returncode == 0
    assert "would apply 0001_groups" in dry.stdout
    conn = sqlite3.connect(tmp_path / "pp.db")
    assert conn.execute("SELECT count(*) FROM schema_migrations").fetchone() == (0,)
    conn.close()
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
