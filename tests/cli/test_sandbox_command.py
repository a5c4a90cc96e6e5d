"""`peerpulse sandbox` through the real CLI in a separate process: the artefacts and summary."""

from __future__ import annotations

import json
import re
import sqlite3
import subprocess
from datetime import datetime
from html import unescape
from pathlib import Path

import headless
import icalendar

from bot.sandbox.scenario import ARTEFACTS, clear_output

# `sandbox_run` and `sandbox_out` (one run per session) are in tests/cli/conftest.py.


def test_progress_output_is_the_story_without_log_lines(
    sandbox_run: tuple[subprocess.CompletedProcess[str], Path],
) -> None:
    result, out = sandbox_run
    assert result.stderr == ""
    for line in result.stdout.splitlines():
        assert line.startswith(
            ("sandbox: ", "summary over ", "  ", "done. ", "The bot's own log")
        ), line
    # The warning Ben's closed DMs cause is in the bot's log file instead.
    log = (out / "peerpulse.log").read_text(encoding="utf-8")
    assert "WARNING bot.delivery.dispatcher: DM not delivered" in log
    assert f"The bot's own log is in {out / 'peerpulse.log'}" in result.stdout


def test_sandbox_writes_the_four_artefacts(sandbox_out: Path) -> None:
    for name in ARTEFACTS:
        assert (sandbox_out / name).stat().st_size > 0, name
    # The database is whole on its own: the bot checkpointed it, and the summary read it
    # without leaving a write-ahead log beside it.
    assert not list(sandbox_out.glob("peerpulse.db-*"))


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
    conn = sqlite3.connect(f"file:{sandbox_out / 'peerpulse.db'}?mode=ro&immutable=1", uri=True)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        zone = conn.execute("SELECT timezone FROM groups").fetchone()
    finally:
        conn.close()
    assert zone == ("Europe/London",)


def test_transcript_shows_what_people_saw(sandbox_out: Path) -> None:
    html = (sandbox_out / "transcript.html").read_text(encoding="utf-8")
    assert "What peerpulse keeps" in html
    assert "Only the group's moderators" in unescape(html)  # whichever entity escapes '
    assert "<script" not in html


def test_transcript_renders_in_chromium(sandbox_out: Path, tmp_path: Path, chromium: str) -> None:
    png = tmp_path / "transcript.png"
    result = headless.run(
        chromium,
        (sandbox_out / "transcript.html").as_uri(),
        tmp_path / "profile",
        f"--screenshot={png}",
        "--window-size=1200,2000",
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert png.stat().st_size > 20_000
    assert headless.console_errors(result.stderr) == []


def test_the_run_ends_with_a_summary_of_the_story(
    sandbox_run: tuple[subprocess.CompletedProcess[str], Path],
) -> None:
    result, out = sandbox_run
    lines = result.stdout.splitlines()
    head = next(i for i, line in enumerate(lines) if line.startswith("summary over "))
    assert re.fullmatch(
        r"summary over 6 weeks \(2026-03-02 → \d{4}-\d\d-\d\d\), 8 members, seed 1:", lines[head]
    )
    summary = lines[head + 1 : head + 7]
    assert [line.split(":")[0] for line in summary] == [
        "  check-ins",
        "  DMs",
        "  consultations",
        "  pulse",
        "  requests",
        "  transcript",
    ]
    records = [
        json.loads(line)
        for line in (out / "requests.jsonl").read_text(encoding="utf-8").splitlines()
    ]
    rejected = sum(1 for r in records if r["status"] >= 400 and r["status"] != 429)
    limited = sum(1 for r in records if r["status"] == 429)
    assert summary[4].startswith(f"  requests: {len(records)} to the sandbox; {rejected} rejected")
    assert summary[4].endswith(f", {limited} rate-limited (429)")
    assert summary[5] == f"  transcript: {out / 'transcript.html'}"
    assert lines[head + 7].startswith("done. Open the transcript: ")
    # DMs are counted over the whole story: more than the database still shows at the end,
    # since the bot deletes finished rows after two days and their counts after eight.
    sent = int(summary[1].removeprefix("  DMs: ").split(" ")[0])
    conn = sqlite3.connect(out / "peerpulse.db")
    try:
        kept = conn.execute(
            "SELECT (SELECT COUNT(*) FROM outbox WHERE status = 'sent') + "
            "(SELECT COALESCE(SUM(count), 0) FROM delivery_counts WHERE outcome = 'sent')"
        ).fetchone()[0]
    finally:
        conn.close()
    assert sent > kept


def test_the_calendar_files_the_bot_sent_are_saved(sandbox_out: Path) -> None:
    files = sorted(sandbox_out.glob("*.ics"))
    assert [f.name for f in files][:1] == ["consultation-1.ics"]
    conn = sqlite3.connect(f"file:{sandbox_out / 'peerpulse.db'}?mode=ro&immutable=1", uri=True)
    try:
        starts = {
            datetime.fromisoformat(row[0])
            for row in conn.execute("SELECT starts_at FROM consult_sessions")
        }
    finally:
        conn.close()
    for path in files:
        calendar = icalendar.Calendar.from_ical(path.read_bytes())
        events = list(calendar.walk("VEVENT"))
        assert len(events) == 1
        assert events[0].decoded("dtstart") in starts


def test_a_new_run_clears_the_old_calendar_files(tmp_path: Path) -> None:
    (tmp_path / "consultation-7.ics").write_bytes(b"BEGIN:VCALENDAR")
    (tmp_path / "notes.txt").write_text("mine", encoding="utf-8")
    clear_output(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]


def test_the_readme_shows_the_summary_the_default_run_prints(
    sandbox_run: tuple[subprocess.CompletedProcess[str], Path],
) -> None:
    readme = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")
    shown = readme.split("```text\nsummary over ", 1)[1].split("```", 1)[0].splitlines()
    lines = sandbox_run[0].stdout.splitlines()
    head = next(i for i, line in enumerate(lines) if line.startswith("summary over "))
    assert shown[:6] == [lines[head].removeprefix("summary over "), *lines[head + 1 : head + 6]]
