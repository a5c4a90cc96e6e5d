"""`peerpulse sandbox` through the real CLI in a separate process: the four artefacts."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

import pytest

from bot.sandbox.scenario import ARTEFACTS

CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--enable-logging=stderr",
    "--v=0",
)


# `sandbox_run` and `sandbox_out` (one run per session) are in tests/cli/conftest.py.


def test_progress_output_is_the_story_without_log_lines(
    sandbox_run: tuple[subprocess.CompletedProcess[str], Path],
) -> None:
    result, out = sandbox_run
    assert result.stderr == ""
    for line in result.stdout.splitlines():
        assert line.startswith(("sandbox: ", "done. ", "The bot's own log is in ")), line
    # The warning Ben's closed DMs cause is in the bot's log file instead.
    log = (out / "peerpulse.log").read_text(encoding="utf-8")
    assert "WARNING bot.delivery.dispatcher: DM not delivered" in log
    assert f"The bot's own log is in {out / 'peerpulse.log'}" in result.stdout


def test_sandbox_writes_the_four_artefacts(sandbox_out: Path) -> None:
    for name in ARTEFACTS:
        assert (sandbox_out / name).stat().st_size > 0, name


def test_commands_json_is_the_synced_tree(sandbox_out: Path) -> None:
    commands = json.loads((sandbox_out / "commands.json").read_text(encoding="utf-8"))
    assert {"privacy", "peerpulse"} <= {c["name"] for c in commands}
    assert all(c["id"] for c in commands)


def test_requests_jsonl_holds_no_rejected_request(sandbox_out: Path) -> None:
    records = [
        json.loads(line)
        for line in (sandbox_out / "requests.jsonl").read_text(encoding="utf-8").splitlines()
    ]
    assert len(records) >= 5
    assert any(r["route"].endswith("/callback") for r in records)
    rejected = [r for r in records if r["status"] >= 400]
    # The one refusal the story sets up: Ben's closed DMs, tried once (Discord code 50007).
    assert [(r["status"], r["error_code"]) for r in rejected] == [(403, 50007)]


def test_database_has_the_group_the_story_configured(sandbox_out: Path) -> None:
    conn = sqlite3.connect(sandbox_out / "peerpulse.db")
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        zone = conn.execute("SELECT timezone FROM groups").fetchone()
    finally:
        conn.close()
    assert zone == ("Europe/London",)


def test_transcript_shows_what_people_saw(sandbox_out: Path) -> None:
    html = (sandbox_out / "transcript.html").read_text(encoding="utf-8")
    assert "What peerpulse keeps" in html
    assert "Only the group&#x27;s moderators" in html or "Only the group's moderators" in html
    assert "<script" not in html


def test_transcript_renders_in_chromium(sandbox_out: Path, tmp_path: Path) -> None:
    chromium = shutil.which("chromium")
    if chromium is None:
        if os.environ.get("CI"):
            pytest.fail("CI must install Debian's chromium to render the transcript")
        pytest.skip("chromium is not installed (CI installs it)")
    png = tmp_path / "transcript.png"
    result = subprocess.run(  # noqa: S603 - a fixed local binary
        [
            chromium,
            *CHROMIUM_FLAGS,
            f"--user-data-dir={tmp_path / 'profile'}",
            f"--screenshot={png}",
            "--window-size=1200,2000",
            (sandbox_out / "transcript.html").as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert png.stat().st_size > 20_000
    console_errors = [
        line for line in result.stderr.splitlines() if ":CONSOLE(" in line or "Uncaught" in line
    ]
    assert console_errors == []
