"""The operator guide and the systemd unit it describes: the unit passes `systemd-analyze
verify`, and every command and configuration key the guide shows exists."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import sqlite3
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from bot.cli import build_parser
from bot.config import Settings

ROOT = Path(__file__).resolve().parents[2]
GUIDE = ROOT / "docs" / "operator-guide.md"
UNIT = ROOT / "docs" / "peerpulse.service"
SYSTEMD_ANALYZE = shutil.which("systemd-analyze")

# `peerpulse CMD`, `…/bin/peerpulse CMD`, `peerpulse --config PATH CMD`; never `/peerpulse CMD`
# (a slash command) or `/etc/peerpulse/…` (a path).
_CLI_COMMAND = re.compile(
    r"(?:(?<![\w/.-])|(?<=/bin/))peerpulse(?: --config \S+)? ([a-z][a-z-]*)(?![\w.])"
)
_ENV_NAME = re.compile(r"\bPEERPULSE_[A-Z0-9_]+")
_DOTTED = re.compile(r"^([a-z_]+)\.([a-z_]+)$")
_UNDER_SECTION = re.compile(r"`([a-z_]+)` under `\[([a-z_]+)\]`")
_FILE_SUFFIXES = {"toml", "conf", "db", "md", "py", "service", "timer", "env", "log", "png", "html"}
_NOT_KEYS = {"applications.commands"}  # an OAuth2 scope


def settings_keys() -> set[tuple[str, str]]:
    """Every (section, key) the Settings model has."""
    keys = set()
    for section, field in Settings.model_fields.items():
        model = field.annotation
        assert isinstance(model, type)
        keys |= {(section, key) for key in model.model_fields}  # type: ignore[attr-defined]
    return keys


def subcommands() -> set[str]:
    """The real `peerpulse` sub-commands, from the CLI's own parser."""
    parser = build_parser()
    actions = [a for a in parser._actions if a.dest == "command"]
    assert len(actions) == 1
    choices = actions[0].choices
    assert isinstance(choices, dict)
    return set(choices)


def code_of(markdown: str) -> list[str]:
    """The text of every fenced block and every inline code span."""
    fenced = re.findall(r"^```[^\n]*\n(.*?)^```", markdown, flags=re.MULTILINE | re.DOTALL)
    prose = re.sub(r"^```[^\n]*\n.*?^```", "", markdown, flags=re.MULTILINE | re.DOTALL)
    return fenced + re.findall(r"`([^`\n]+)`", prose)


def toml_blocks(markdown: str) -> list[str]:
    return re.findall(r"^```toml\n(.*?)^```", markdown, flags=re.MULTILINE | re.DOTALL)


def cli_commands_in(text: str) -> set[str]:
    return {m[1] for chunk in code_of(text) for m in _CLI_COMMAND.finditer(chunk)}


def config_keys_in(text: str) -> set[tuple[str, str]]:
    """Every configuration key the text names: as `section.key`, as `key` under `[section]`,
    as an environment variable, or in a TOML example."""
    found: set[tuple[str, str]] = set()
    for chunk in code_of(text):
        dotted = _DOTTED.match(chunk)
        if dotted and dotted[2] not in _FILE_SUFFIXES and chunk not in _NOT_KEYS:
            found.add((dotted[1], dotted[2]))
    found |= {(section, key) for key, section in _UNDER_SECTION.findall(text)}
    for block in toml_blocks(text):
        for section, table in tomllib.loads(block).items():
            found |= {(section, key) for key in table}
    return found


def env_names_in(text: str) -> set[str]:
    return set(_ENV_NAME.findall(text))


def unknown_env_names(names: set[str]) -> set[str]:
    known = {"PEERPULSE_CONFIG"} | {
        f"PEERPULSE_{section}__{key}".upper() for section, key in settings_keys()
    }
    return names - known


# --- the unit file ---------------------------------------------------------------------


INSTALLED = "/opt/peerpulse/venv/bin/peerpulse"  # where the guide installs peerpulse
UNIT_FILES = ("peerpulse.service", "peerpulse-backup.service", "peerpulse-backup.timer")


def verify_units(
    tmp_path: Path, edit: tuple[str, str] = ("", "")
) -> subprocess.CompletedProcess[str]:
    """`systemd-analyze verify` on every unit file in docs/, with `peerpulse run` started by
    this interpreter (verify checks that ExecStart's program exists, and the installed path
    does not exist here). `edit` replaces one string in every file first."""
    assert SYSTEMD_ANALYZE is not None
    paths = []
    for name in UNIT_FILES:
        text = (ROOT / "docs" / name).read_text(encoding="utf-8").replace(*edit)
        text = text.replace(f"ExecStart={INSTALLED} run", f"ExecStart={sys.executable} -m bot run")
        (tmp_path / name).write_text(text, encoding="utf-8")
        paths.append(str(tmp_path / name))
    return subprocess.run(  # noqa: S603 - a fixed tool on files we wrote
        [SYSTEMD_ANALYZE, "verify", "--man=no", *paths],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )


needs_systemd = pytest.mark.skipif(SYSTEMD_ANALYZE is None, reason="systemd-analyze is absent")


@needs_systemd
def test_unit_files_pass_systemd_analyze_verify(tmp_path: Path) -> None:
    result = verify_units(tmp_path)
    ours = [line for line in result.stderr.splitlines() if "peerpulse" in line]
    assert result.returncode == 0, result.stderr
    assert not ours, "\n".join(ours)


@needs_systemd
def test_verify_catches_a_broken_unit(tmp_path: Path) -> None:
    # The check above is meaningful: the same verify reports a bad value in a unit...
    result = verify_units(tmp_path, ("Restart=on-failure", "Restart=sometimes"))
    reported = [line for line in result.stderr.splitlines() if "peerpulse.service:" in line]
    assert any("sometimes" in line for line in reported), result.stderr
    # ...and a program that does not exist (why the copy runs this interpreter).
    result = verify_units(tmp_path, (f"{INSTALLED} run", "/nonexistent/peerpulse run"))
    assert result.returncode != 0 or "nonexistent" in result.stderr, result.stderr


def test_backup_unit_command_makes_a_checked_backup(tmp_path: Path) -> None:
    """The backup unit's ExecStart, as systemd would run it (%% and $$ unescaped), with
    the installed program and the state directory replaced: a new backup file appears."""
    unit = (ROOT / "docs" / "peerpulse-backup.service").read_text(encoding="utf-8")
    exec_start = re.search(r"^ExecStart=(.*)$", unit, flags=re.MULTILINE)
    assert exec_start is not None
    state = tmp_path / "state"
    (state / "backups").mkdir(parents=True)
    database = state / "peerpulse.db"
    conn = sqlite3.connect(database)
    conn.execute("CREATE TABLE t (x)")
    conn.commit()
    conn.close()
    args = shlex.split(exec_start[1].replace("%%", "%").replace("$$", "$"))
    assert args[:2] == ["/bin/sh", "-c"]
    script = args[2].replace(INSTALLED, f"{sys.executable} -m bot")
    script = script.replace("/var/lib/peerpulse", str(state))
    env = {**os.environ, "PEERPULSE_DATABASE__PATH": str(database)}
    env.pop("PEERPULSE_CONFIG", None)
    result = subprocess.run(  # noqa: S603 - the unit's own command line
        ["/bin/sh", "-c", script], capture_output=True, text=True, env=env, check=False, timeout=60
    )
    assert result.returncode == 0, result.stderr
    made = sorted((state / "backups").glob("peerpulse-*.db"))
    assert len(made) == 1, result.stdout
    assert re.fullmatch(r"peerpulse-\d{8}T\d{6}Z\.db", made[0].name)


def test_unit_file_runs_peerpulse_with_a_state_directory_and_hardening() -> None:
    directives = {}
    for line in UNIT.read_text(encoding="utf-8").splitlines():
        if "=" in line and not line.startswith("#"):
            name, _, value = line.partition("=")
            directives.setdefault(name, []).append(value)
    exec_start = directives["ExecStart"][0].split()
    assert exec_start[0].endswith("/peerpulse")
    assert exec_start[1:] == ["run"]
    assert exec_start[1] in subcommands()
    assert directives["StateDirectory"] == ["peerpulse"]
    assert "/var/lib/peerpulse" in directives["ReadWritePaths"][0].split()
    for name, value in {
        "NoNewPrivileges": "yes",
        "ProtectSystem": "strict",
        "ProtectHome": "yes",
        "PrivateTmp": "yes",
        "Restart": "on-failure",
    }.items():
        assert directives[name] == [value], name
    assert "RestartSec" in directives
    assert "EnvironmentFile" in directives  # the token: never in the unit or config.toml
    assert not any("TOKEN" in value for value in directives.get("Environment", []))
    assert unknown_env_names(env_names_in(UNIT.read_text(encoding="utf-8"))) == set()


def test_operator_guide_describes_the_unit_in_the_repo() -> None:
    guide = GUIDE.read_text(encoding="utf-8")
    assert "docs/peerpulse.service" in guide
    unit_text = UNIT.read_text(encoding="utf-8")
    for line in unit_text.splitlines():
        if line.startswith(("StateDirectory=", "ExecStart=", "EnvironmentFile=")):
            assert line in guide, f"the guide does not show {line!r}"


# --- the guide ---------------------------------------------------------------------------


def test_every_command_in_the_guide_exists() -> None:
    named = cli_commands_in(GUIDE.read_text(encoding="utf-8"))
    assert {"run", "sync", "check-config", "backup", "migrate"} <= named
    assert named <= subcommands(), f"not a peerpulse command: {sorted(named - subcommands())}"


def test_every_configuration_key_in_the_guide_exists() -> None:
    guide = GUIDE.read_text(encoding="utf-8")
    keys = config_keys_in(guide)
    assert ("database", "path") in keys
    assert keys <= settings_keys(), f"not a setting: {sorted(keys - settings_keys())}"
    names = env_names_in(guide)
    assert "PEERPULSE_DISCORD__TOKEN" in names
    assert unknown_env_names(names) == set()


def test_the_checks_find_what_does_not_exist() -> None:
    text = (
        "Run `peerpulse restore old.db` or `/opt/x/bin/peerpulse --config c.toml serve`, "
        "never `/peerpulse status` or `/etc/peerpulse/config.toml`.\n"
        "Set `delivery.burst` and `speed` under `[charts]`, or PEERPULSE_DELIVERY__BURST.\n"
        "```toml\n[scheduler]\ntick = 1\n```\n"
    )
    assert cli_commands_in(text) == {"restore", "serve"}
    assert config_keys_in(text) == {
        ("delivery", "burst"),
        ("charts", "speed"),
        ("scheduler", "tick"),
    }
    assert unknown_env_names(env_names_in(text)) == {"PEERPULSE_DELIVERY__BURST"}
