"""The few lines `peerpulse sandbox` prints at the end: what happened in the story, in counts.

Read from the output folder's artefacts (the database, read-only, and `requests.jsonl`),
except the DM figures: the bot deletes finished outbox rows after two days and their
anonymous counts after eight, so a six-week story's DMs are tallied while it runs
(`DeliveryTally`, at every move of the virtual clock) from the same database.

Counts only: no line names a member, and none counts who did not answer. Pulse
reminders are left out, as `/peerpulse status` leaves them out: they go only to members
who have not answered.
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections import Counter
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from bot.delivery.outbox import UNCOUNTED_KIND
from bot.delivery.policy import (
    AWAY,
    DMS_CLOSED,
    GAVE_UP,
    NO_ACCESS,
    OPTED_OUT,
    REJECTED,
    STALE,
)
from bot.members.instants import to_db

DATABASE = "peerpulse.db"
REQUESTS = "requests.jsonl"
TOO_MANY_REQUESTS = 429
UNFINISHED = ("pending", "sending")
WITHDRAWN = "withdrawn"
# Why a DM was not sent, in the order the summary lists them.
NOT_SENT_LABELS: Mapping[str, str] = {
    AWAY: "away",
    OPTED_OUT: "opted out",
    DMS_CLOSED: "DMs closed",
    NO_ACCESS: "left the channel",
    STALE: "too late",
    REJECTED: "refused by Discord",
    GAVE_UP: "Discord kept failing",
    WITHDRAWN: "no longer needed",  # answered already, or the round closed
}
_MESSAGE_POST = re.compile(r"/api/v\d+/channels/(\d+)/messages$")
# Discord error codes a reader may not know by number.
ERROR_CODES: Mapping[int, str] = {50007: "a member's DMs are closed"}


def open_read_only(path: Path, *, settled: bool = False) -> sqlite3.Connection:
    """A read-only connection to the bot's database (it must exist).

    `settled`: the bot has closed it. With no write-ahead log left, it is opened as
    immutable, so reading it leaves no `-wal` and `-shm` files beside it in the output.
    """
    settled = settled and not path.with_name(f"{path.name}-wal").exists()
    mode = "mode=ro&immutable=1" if settled else "mode=ro"
    conn = sqlite3.connect(f"{path.resolve().as_uri()}?{mode}", uri=True)
    conn.row_factory = sqlite3.Row
    return conn


@dataclass
class DeliveryTally:
    """Every bot-initiated DM seen in the outbox: its latest status and outcome, and whether
    it was ever held for the member's working hours. In memory only, for counts."""

    # (outbox id, created_at) -> outcome, or status while unfinished. The id alone is not
    # enough: once every row is purged, SQLite gives a new row an old row's id.
    outcomes: dict[tuple[int, str], str] = field(default_factory=dict)
    held: set[tuple[int, str]] = field(default_factory=set)

    def observe(self, conn: sqlite3.Connection) -> None:
        """Look at the outbox now."""
        rows = conn.execute(
            "SELECT id, created_at, status, outcome, hold_reason FROM outbox WHERE kind != ?",
            (UNCOUNTED_KIND,),
        ).fetchall()
        seen = set()
        for outbox_id, created_at, status, outcome, hold_reason in rows:
            key = (int(outbox_id), str(created_at))
            seen.add(key)
            self.outcomes[key] = outcome or status
            if hold_reason == "hours":
                self.held.add(key)
        # Gone before it finished: deleted unsent (a pulse's invitations when it closes).
        for key, outcome in self.outcomes.items():
            if outcome in UNFINISHED and key not in seen:
                self.outcomes[key] = WITHDRAWN

    def observe_file(self, path: Path, *, settled: bool = False) -> None:
        """Look at the outbox of the database at `path`, if it is there yet (`settled`: the
        bot has closed it)."""
        if not path.is_file():
            return
        conn = open_read_only(path, settled=settled)
        try:
            self.observe(conn)
        except sqlite3.OperationalError:  # not migrated yet: no outbox to look at
            return
        finally:
            conn.close()

    def line(self, delivered: int) -> str:
        """DMs sent (`delivered`: those Discord accepted, from requests.jsonl), held until a
        member's hours, not sent and why, still waiting.

        A finished reminder row is deleted at once, so a row that vanished was sent or found
        no longer needed (answered, or its round closed); the requests tell which.
        """
        counts = Counter(self.outcomes.values())
        waiting = sum(counts[status] for status in UNFINISHED)
        finished = len(self.outcomes) - waiting
        known = {o: counts[o] for o in NOT_SENT_LABELS if o != WITHDRAWN and counts[o]}
        not_sent = max(0, finished - delivered)
        reasons = [f"{n} {NOT_SENT_LABELS[o]}" for o, n in known.items()]
        other = not_sent - sum(known.values())
        if other > 0:
            reasons.append(f"{other} {NOT_SENT_LABELS[WITHDRAWN]}")
        parts = [
            f"{delivered} sent",
            f"{len(self.held)} held until a member's hours",
            f"{not_sent} not sent ({', '.join(reasons)})" if reasons else "0 not sent",
        ]
        if waiting:
            parts.append(f"{waiting} still waiting at the end")
        return "DMs: " + ", ".join(parts)


def delivered_dms(records: Iterable[Mapping[str, Any]], dm_channels: Collection[str]) -> int:
    """Messages the bot posted in members' DM channels that Discord accepted."""
    delivered = 0
    for record in records:
        posted = _MESSAGE_POST.match(str(record.get("path", "")).split("?")[0])
        if (
            posted is not None
            and record.get("method") == "POST"
            and 200 <= int(record.get("status", 0)) < 300
            and posted[1] in dm_channels
        ):
            delivered += 1
    return delivered


def dm_channels(members_file: Path) -> set[str]:
    """The DM channel of each person in members.json (none before it is written)."""
    if not members_file.is_file():
        return set()
    people = json.loads(members_file.read_text(encoding="utf-8"))
    return {str(p["dm_channel_id"]) for p in people if p.get("dm_channel_id")}


def checkin_line(conn: sqlite3.Connection) -> str:
    """Check-in rounds (closed, open) and answers; a closed round counts its stored figures."""
    row = conn.execute(
        "SELECT COUNT(*) AS rounds, COALESCE(SUM(r.status = 'closed'), 0) AS closed, "
        "COALESCE(SUM(COALESCE(c.responses, "
        "(SELECT COUNT(*) FROM checkin_answers a WHERE a.round_id = r.id))), 0) AS answers "
        "FROM checkin_rounds r LEFT JOIN checkin_round_counts c ON c.round_id = r.id"
    ).fetchone()
    rounds, closed, answers = int(row["rounds"]), int(row["closed"]), int(row["answers"])
    still_open = f", {rounds - closed} still open" if rounds > closed else ""
    return (
        f"check-ins: {_n(rounds, 'round')} ({closed} closed{still_open}), {_n(answers, 'answer')}"
    )


def consultation_line(conn: sqlite3.Connection, now: datetime) -> str:
    """Consultations booked (from a poll, from the recurring slot), cancelled, held by `now`."""
    row = conn.execute(
        "SELECT COUNT(*) AS booked, COALESCE(SUM(poll_id IS NOT NULL), 0) AS polled, "
        "COALESCE(SUM(rule_id IS NOT NULL), 0) AS recurring, "
        "COALESCE(SUM(status = 'cancelled'), 0) AS cancelled, "
        "COALESCE(SUM(status = 'scheduled' AND ends_at <= ?), 0) AS held "
        "FROM consult_sessions",
        (to_db(now),),
    ).fetchone()
    origins = [
        f"{row['polled']} from a poll" if row["polled"] else "",
        f"{row['recurring']} from the recurring slot" if row["recurring"] else "",
    ]
    origin = f" ({', '.join(o for o in origins if o)})" if any(origins) else ""
    return (
        f"consultations: {row['booked']} booked{origin}, {row['cancelled']} cancelled, "
        f"{row['held']} held"
    )


def pulse_line(conn: sqlite3.Connection) -> str:
    """Pulse rounds, results published, rounds pooled into a later result (never their n)."""
    row = conn.execute(
        "SELECT COUNT(*) AS rounds, COALESCE(SUM(s.state = 'open'), 0) AS open, "
        "COALESCE(SUM(s.outcome = 'carried'), 0) AS carried, "
        "COALESCE(SUM(s.outcome = 'dropped'), 0) AS dropped, "
        "COALESCE(SUM(r.pooled = 1 AND s.period_start != r.last_period_start), 0) AS pooled "
        "FROM pulse_surveys s LEFT JOIN pulse_results r ON r.id = s.result_id"
    ).fetchone()
    published = int(conn.execute("SELECT COUNT(*) FROM pulse_results").fetchone()[0])
    parts = [f"{_n(published, 'result')} published"]
    if row["pooled"]:
        parts.append(f"{row['pooled']} pooled into the next (too few answers on its own)")
    if row["carried"]:
        parts.append(f"{row['carried']} waiting to be pooled")
    if row["dropped"]:
        parts.append(f"{row['dropped']} never published")
    if row["open"]:
        parts.append(f"{row['open']} still open")
    return f"pulse: {_n(int(row['rounds']), 'round')}; " + ", ".join(parts)


def read_requests(path: Path) -> list[dict[str, Any]]:
    """The records of `requests.jsonl`."""
    with path.open(encoding="utf-8") as lines:
        return [json.loads(line) for line in lines if line.strip()]


def request_line(records: Iterable[Mapping[str, Any]]) -> str:
    """Requests made, those the server rejected (by status and Discord code), and 429s."""
    total, limited = 0, 0
    rejected: Counter[tuple[int, int | None]] = Counter()
    for record in records:
        total += 1
        status = int(record["status"])
        if status == TOO_MANY_REQUESTS:
            limited += 1
        elif status >= 400:
            rejected[(status, record.get("error_code"))] += 1
    details = [
        _rejection(status, code, n)
        for (status, code), n in sorted(rejected.items(), key=lambda kv: (kv[0][0], kv[0][1] or 0))
    ]
    shown = f" ({'; '.join(details)})" if details else ""
    return (
        f"requests: {total} to the sandbox; {sum(rejected.values())} rejected{shown}, "
        f"{limited} rate-limited (429)"
    )


@dataclass(frozen=True)
class StoryFacts:
    """What the summary's first line says about the run."""

    start: datetime
    end: datetime
    weeks: int
    members: int
    seed: int


def summary_lines(out_dir: Path, facts: StoryFacts, deliveries: DeliveryTally) -> list[str]:
    """The end summary of the finished run whose artefacts are in `out_dir`."""
    conn = open_read_only(out_dir / DATABASE, settled=True)
    try:
        records = read_requests(out_dir / REQUESTS)
        delivered = delivered_dms(records, dm_channels(out_dir / "members.json"))
        body = [
            checkin_line(conn),
            deliveries.line(delivered),
            consultation_line(conn, facts.end),
            pulse_line(conn),
        ]
    finally:
        conn.close()
    body.append(request_line(records))
    body.append(f"transcript: {(out_dir / 'transcript.html').resolve()}")
    head = (
        f"summary over {facts.weeks} weeks ({facts.start:%Y-%m-%d} → {facts.end:%Y-%m-%d}), "
        f"{facts.members} members, seed {facts.seed}:"
    )
    return [head, *(f"  {line}" for line in body)]


def _rejection(status: int, code: int | None, times: int) -> str:
    """ "403/50007: a member's DMs are closed", with ", 2 times" when it happened more than once."""
    text = f"{status}/{code}" if code is not None else str(status)
    if code is not None and code in ERROR_CODES:
        text += f": {ERROR_CODES[code]}"
    return text + (f", {times} times" if times > 1 else "")


def _n(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"
