"""The sandbox story passes from any start instant, and the same start gives the same run.

The story once failed when started on a weekday evening (UTC): it waited for an instant
instead of for the state it needed. These runs cover an evening, a weekend, midnight UTC
and a DST-change night in members' zones, whatever the wall clock says.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

STARTS = {
    "default": None,
    "default-again": None,
    "weekday-evening": "2026-11-23T19:30Z",  # Monday 19:30 UTC: Ben's hours are over
    "weekend": "2026-11-28T11:00Z",  # Saturday: no member is in their working hours
    "midnight-utc": "2026-12-01T00:00Z",
    "dst-night-new-york": "2026-03-08T06:30Z",  # 30 minutes before New York springs forward
    "dst-night-london": "2026-10-25T00:30Z",  # 30 minutes before London falls back
}
# Random parts of a request: interaction tokens, in-memory custom ids, message nonces.
VOLATILE = (
    (re.compile(r'"nonce": "\d+"'), '"nonce": "<nonce>"'),
    # A form's random suffix (token_hex(6)) is all digits about once in 280 forms.
    (re.compile(r"(checkin:form:\d+:)[0-9a-f]{12}\b"), r"\1<random>"),
    (re.compile(r"(pulse:(?:one|two):[0-9a-f]+:)[0-9a-f]{12}\b"), r"\1<random>"),
    (re.compile(r"(pulse:(?:continue|two):)[0-9a-f]{32}\b"), r"\1<random>"),
    (re.compile(r"aW50ZXJhY3Rpb24\.[A-Za-z0-9_-]+"), "<token>"),
    (re.compile(r"\b(?=[0-9a-f]*[a-f])[0-9a-f]{12,32}\b"), "<random>"),
    # Snowflakes: two DM channels opened at one instant by the parallel openers take their
    # ids in whichever order the openers ran.
    (re.compile(r"\b\d{17,20}\b"), "<id>"),
)


def _run(out: Path, start: str | None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.upper().startswith("PEERPULSE_")}
    argv = [sys.executable, "-m", "bot", "sandbox", "--out", str(out)]
    if start is not None:
        argv += ["--start", start]
    return subprocess.run(  # noqa: S603 - our own interpreter and module
        argv, cwd=out.parent, env=env, capture_output=True, text=True, timeout=300, check=False
    )


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, str, int]]:
    base = tmp_path_factory.mktemp("starts")
    with ThreadPoolExecutor(max_workers=len(STARTS)) as pool:
        futures = {name: pool.submit(_run, base / name, start) for name, start in STARTS.items()}
        done = {name: future.result() for name, future in futures.items()}
    return {name: (base / name, r.stdout + r.stderr, r.returncode) for name, r in done.items()}


def _requests(out: Path) -> list[dict[str, Any]]:
    lines = (out / "requests.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines]


def _normalized(record: dict[str, Any]) -> str:
    kept = {k: v for k, v in record.items() if k != "time"}  # monotonic wall-clock seconds
    text = json.dumps(kept, sort_keys=True)
    for pattern, replacement in VOLATILE:
        text = pattern.sub(replacement, text)
    return text


@pytest.mark.parametrize("name", list(STARTS))
def test_the_story_passes_from_this_start(
    runs: dict[str, tuple[Path, str, int]], name: str
) -> None:
    out, output, code = runs[name]
    assert code == 0, output[-3000:]
    assert (out / "transcript.html").stat().st_size > 0
    rejected = [(r["status"], r["error_code"]) for r in _requests(out) if r["status"] >= 400]
    assert rejected == [(403, 50007)]  # Ben's closed DMs, tried once


def test_the_default_start_is_fixed_and_the_run_repeats(
    runs: dict[str, tuple[Path, str, int]],
) -> None:
    first, second = _requests(runs["default"][0]), _requests(runs["default-again"][0])
    assert first[0]["at"] == "2026-03-02T14:00:00+00:00"
    assert _by_instant(first) == _by_instant(second)


def _by_instant(records: list[dict[str, Any]]) -> list[tuple[str, list[str]]]:
    """The requests instant by instant (virtual time), in order; within one instant as a
    sorted list: the DM fan-out's parallel senders and openers interleave as they run."""
    grouped: list[tuple[str, list[str]]] = []
    for record in records:
        if not grouped or grouped[-1][0] != record["at"]:
            grouped.append((record["at"], []))
        grouped[-1][1].append(_normalized(record))
    return [(at, sorted(texts)) for at, texts in grouped]


def test_only_the_order_within_one_instant_is_free() -> None:
    a = {"at": "2026-03-02T14:00:00+00:00", "method": "POST", "path": "/a", "time": 1.0}
    b = {"at": "2026-03-02T14:00:00+00:00", "method": "POST", "path": "/b", "time": 2.0}
    later = {"at": "2026-03-02T15:00:00+00:00", "method": "POST", "path": "/a", "time": 3.0}
    assert _by_instant([a, b, later]) == _by_instant([b, a, later])
    assert _by_instant([a, later, b]) != _by_instant([a, b, later])
    assert _by_instant([a, b]) != _by_instant([a, {**b, "path": "/c"}])


def test_a_start_without_a_zone_is_refused(tmp_path: Path) -> None:
    result = _run(tmp_path / "out", "2026-03-02 14:00")
    assert result.returncode == 2
    assert "not an instant with a zone" in result.stderr
    assert not (tmp_path / "out").exists()
