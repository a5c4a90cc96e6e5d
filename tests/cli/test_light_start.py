"""What each command imports: `--help` and `check-config` stay light, `run` loads no charts.

Each check runs in a fresh interpreter, the only place where "what gets imported" is
true: the test process itself has imported everything long ago.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

HEAVY_FOR_HELP = ("discord", "aiohttp", "pydantic", "pydantic_settings", "aiosqlite", "asyncio")
NEVER_AT_RUN = ("matplotlib", "numpy", "PIL", "hypothesis", "aiohttp.web", "bot.sandbox")

_LOADED = """
import json, sys
{body}
print(json.dumps(sorted(sys.modules)))
"""

RUN_IMPORTS = """
import importlib
import bot.cli, bot.config, bot.app.runner
from bot.app.client import cog_extensions
for extension in cog_extensions():
    importlib.import_module(extension)
"""


def loaded_after(body: str, cwd: Path) -> set[str]:
    """The modules a fresh interpreter holds after running `body`."""
    clean = {k: v for k, v in os.environ.items() if not k.upper().startswith("PEERPULSE_")}
    done = subprocess.run(  # noqa: S603 - our own interpreter and code
        [sys.executable, "-c", _LOADED.format(body=body)],
        cwd=cwd,
        env=clean,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return set(json.loads(done.stdout.splitlines()[-1]))


def packages(modules: set[str], names: tuple[str, ...]) -> list[str]:
    return sorted(m for m in modules if any(m == n or m.startswith(f"{n}.") for n in names))


def command(*argv: str) -> str:
    return f"""
import contextlib, io, bot.cli
with contextlib.redirect_stdout(io.StringIO()), contextlib.suppress(SystemExit):
    bot.cli.main({list(argv)!r})
"""


@pytest.mark.parametrize("argv", [("--help",), ("check-config", "--help"), ("--version",)])
def test_help_imports_neither_discord_nor_pydantic(tmp_path: Path, argv: tuple[str, ...]) -> None:
    assert packages(loaded_after(command(*argv), tmp_path), HEAVY_FOR_HELP) == []


def test_check_config_imports_no_discord(tmp_path: Path) -> None:
    loaded = loaded_after(command("check-config"), tmp_path)
    assert "bot.config" in loaded  # it did validate the configuration
    assert packages(loaded, ("discord", "aiohttp", "aiosqlite")) == []


def test_what_run_imports_at_start_has_no_charts_and_no_sandbox(tmp_path: Path) -> None:
    loaded = loaded_after(RUN_IMPORTS, tmp_path)
    assert "cogs.checkins" in loaded
    assert packages(loaded, NEVER_AT_RUN) == []
