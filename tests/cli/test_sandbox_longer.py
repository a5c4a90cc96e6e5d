"""A bigger group over more weeks (`--members 11 --weeks 9 --seed 5`): the routine weeks run
check-ins, consultations and pulse rounds that the simulated members take on their own.
The audit (test_sandbox_audit.py) checks this run's artefacts as well as the default's."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path


def test_the_longer_story_has_its_members_and_weeks(longer_sandbox_out: Path) -> None:
    people = json.loads((longer_sandbox_out / "members.json").read_text(encoding="utf-8"))
    assert sum(p["role"] == "member" for p in people) == 11
    assert sum(p["left_at"] is not None for p in people) == 1
    conn = sqlite3.connect(
        f"file:{longer_sandbox_out / 'peerpulse.db'}?mode=ro&immutable=1", uri=True
    )
    try:
        rounds = conn.execute("SELECT COUNT(*) FROM checkin_rounds").fetchone()[0]
        pulses = conn.execute(
            "SELECT COUNT(*) FROM pulse_surveys WHERE opens_at > '2026-04-16'"
        ).fetchone()[0]
        published = conn.execute(
            "SELECT COUNT(*) FROM pulse_results WHERE last_period_start > '2026-04-16'"
        ).fetchone()[0]
    finally:
        conn.close()
    assert rounds >= 9
    # After the scripted rounds, Mira turns the pulse back on; members take it themselves.
    assert pulses >= 1
    assert published >= 1
