"""The same seed and start replay the same story: requests.jsonl matches apart from ids,
tokens and wall-clock fields (that another seed draws another group is in
tests/sandbox/test_simulated_group.py)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

# Snowflakes, interaction and webhook tokens, and the random nonces in custom ids are ids;
# `time` is the server's monotonic clock.
_SNOWFLAKE = re.compile(r"\d{17,20}")
_TOKEN = re.compile(r"/(interactions|webhooks)/<id>/[^/\"?]+")
_NONCE = re.compile(r"\b[0-9a-f]{12,}\b")


def comparable(requests: Path) -> list[str]:
    """Each request as JSON text without what legitimately differs between two runs."""
    lines = []
    for line in requests.read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        record.pop("time", None)
        text = _SNOWFLAKE.sub("<id>", json.dumps(record, sort_keys=True))
        text = _TOKEN.sub(r"/\1/<id>/<token>", text)
        lines.append(_NONCE.sub("<nonce>", text))
    return lines


def sandbox(out: Path, *args: str) -> Path:
    env = {k: v for k, v in os.environ.items() if not k.upper().startswith("PEERPULSE_")}
    result = subprocess.run(  # noqa: S603 - our own interpreter and module
        [sys.executable, "-m", "bot", "sandbox", "--out", str(out), *args],
        cwd=out.parent,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return out / "requests.jsonl"


def test_comparable_keeps_what_a_story_decides_and_drops_ids(tmp_path: Path) -> None:
    one, two = tmp_path / "one.jsonl", tmp_path / "two.jsonl"
    row = {
        "time": 1.5,
        "at": "2026-03-03T09:00:00+00:00",
        "path": "/api/v10/interactions/1478029108838400013/aW50Zx.abc/callback",
        "body": {"custom_id": "checkin:form:1:221e868a3131", "energy": "3"},
    }
    one.write_text(json.dumps(row) + "\n", encoding="utf-8")
    other = {
        **row,
        "time": 9.0,
        "path": "/api/v10/interactions/1478029108838499999/eHl6.def/callback",
        "body": {"custom_id": "checkin:form:1:9a78cafea13a", "energy": "3"},
    }
    two.write_text(json.dumps(other) + "\n", encoding="utf-8")
    assert comparable(one) == comparable(two)
    two.write_text(json.dumps({**other, "body": {**other["body"], "energy": "4"}}) + "\n")
    assert comparable(one) != comparable(two)


@pytest.mark.e2e
def test_the_same_seed_replays_the_same_requests(sandbox_out: Path, tmp_path: Path) -> None:
    again = sandbox(tmp_path / "again")
    assert comparable(again) == comparable(sandbox_out / "requests.jsonl")
