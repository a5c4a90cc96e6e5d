"""Checks of a `peerpulse sandbox` run's artefacts (imported by name: tests/cli is on sys.path).

Each check takes artefacts as loaded (requests.jsonl records, members.json people, the
transcript's HTML, the log's text, an open SQLite connection) and returns the problems
it found as sentences: an empty list is a pass. They are written from the design, not
from the bot's code (working hours, away, DM consent are re-derived here), so a bug in
the bot's own rule cannot hide from them.
"""

from __future__ import annotations

import html
import itertools
import json
import re
import sqlite3
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

Record = Mapping[str, Any]
Person = Mapping[str, Any]

DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
MINUTES_PER_DAY = 24 * 60
EPHEMERAL = 1 << 6
DMS_CLOSED_CODE = 50007
MESSAGE_CALLBACK_TYPES = (4, 7)  # CHANNEL_MESSAGE_WITH_SOURCE, UPDATE_MESSAGE
_CHANNEL_MESSAGES = re.compile(r"^/channels/(\d+)/messages$")
_ANY_MESSAGE_ROUTE = re.compile(
    r"^/(channels/\{channel_id\}/messages(/\{message_id\})?"
    r"|webhooks/\{webhook_id\}/\{webhook_token\}(/messages/\{message_id\})?)$"
)


def load_records(path: Path) -> list[dict[str, Any]]:
    """requests.jsonl as a list of records."""
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def load_members(path: Path) -> list[dict[str, Any]]:
    """members.json."""
    people: list[dict[str, Any]] = json.loads(path.read_text(encoding="utf-8"))
    return people


def instant(text: str) -> datetime:
    """An ISO 8601 instant with an offset."""
    parsed = datetime.fromisoformat(text)
    if parsed.tzinfo is None:
        raise ValueError(f"{text!r} has no offset")
    return parsed


def _api_path(record: Record) -> str:
    return re.sub(r"^/api/v\d+", "", str(record["path"]))


def _ok_or_closed(record: Record) -> bool:
    status = int(record["status"])
    return 200 <= status < 300 or (status == 403 and record.get("error_code") == DMS_CLOSED_CODE)


# --- DMs: hours, away, consent, membership -----------------------------------------------


@dataclass(frozen=True)
class DmKind:
    """What a bot-initiated DM is, read from its body: the opt-in it needs and whether it is
    a reminder (check-in or pulse: needs reminders on) or a consultation reminder (needs
    consultation reminders on; may come outside hours if the member allowed it)."""

    consent: str  # "checkins" | "consultations" | "pulse" | "any"
    reminder: bool = False
    consult_reminder: bool = False


def _custom_ids(body: Mapping[str, Any]) -> list[str]:
    found: list[str] = []
    stack: list[Any] = list(body.get("components") or [])
    while stack:
        component = stack.pop()
        if isinstance(component, Mapping):
            if component.get("custom_id"):
                found.append(str(component["custom_id"]))
            stack.extend(component.get("components") or [])
    return found


def dm_kind(body: Mapping[str, Any]) -> DmKind:
    """Classify a DM the bot sent by its text and buttons."""
    content = str(body.get("content") or "")
    if content.startswith("Hello from peerpulse"):
        return DmKind("any")  # the welcome after opting in to any DM kind
    if content.startswith("Reminder: the consultation"):
        return DmKind("consultations", consult_reminder=True)
    prefixes = {custom_id.split(":", 1)[0] for custom_id in _custom_ids(body)}
    reminder = "only reminder" in content.lower() or content.startswith("A gentle reminder")
    for prefix, consent in (
        ("checkin", "checkins"),
        ("pulse", "pulse"),
        ("consult", "consultations"),
    ):
        if prefix in prefixes:
            return DmKind(consent, reminder=reminder)
    if "check-in" in content.lower():
        return DmKind("checkins", reminder=reminder)
    if "pulse" in content.lower():
        return DmKind("pulse", reminder=reminder)
    if "consultation" in content.lower() or "poll" in content.lower():
        return DmKind("consultations")
    return DmKind("any")


def settings_at(person: Person, at: datetime) -> Mapping[str, Any] | None:
    """The member's settings in effect at `at`, or None (no settings: no DM of any kind)."""
    forgotten = person.get("settings_forgotten_at")
    if forgotten is not None and at >= instant(forgotten):
        return None
    current = None
    for entry in sorted(person.get("settings") or [], key=lambda e: instant(e["from"])):
        if instant(entry["from"]) <= at:
            current = entry
    return current


def _minutes(text: str) -> int:
    hours, minutes = text.split(":")
    return int(hours) * 60 + int(minutes)


def within_hours(hours: Mapping[str, Any], zone: str, at: datetime) -> bool:
    """Whether `at` falls in a working window, read in the member's wall-clock time.

    A window starts on each listed day at `start` and ends at `end` the same day, or the
    next day when `end` is at or before `start` (22:00-06:00; an end of 00:00 is midnight).
    """
    local = at.astimezone(ZoneInfo(zone)).replace(tzinfo=None)
    start = _minutes(hours["start"])
    length = (_minutes(hours["end"]) - start) % MINUTES_PER_DAY or MINUTES_PER_DAY
    for days_back in (0, 1):
        day = local.date() - timedelta(days=days_back)
        if DAY_NAMES[day.weekday()] not in hours["days"]:
            continue
        begins = datetime.combine(day, time()) + timedelta(minutes=start)
        if begins <= local < begins + timedelta(minutes=length):
            return True
    return False


def away_at(away: Mapping[str, Any] | None, zone: str, at: datetime) -> bool:
    """Whether the member's local date at `at` is within their away dates."""
    if away is None:
        return False
    local = at.astimezone(ZoneInfo(zone)).date()
    until = away.get("until")
    return date.fromisoformat(away["since"]) <= local and (
        until is None or local <= date.fromisoformat(until)
    )


def dm_channels(people: Iterable[Person]) -> dict[str, Person]:
    """Each DM channel id the sandbox opened, to its person."""
    return {str(p["dm_channel_id"]): p for p in people if p.get("dm_channel_id")}


def bot_dms(records: Iterable[Record], people: Iterable[Person]) -> list[tuple[Record, Person]]:
    """Every DM the bot tried to send (delivered, or refused as DMs closed), with its person."""
    channels = dm_channels(people)
    found = []
    for record in records:
        match = _CHANNEL_MESSAGES.match(_api_path(record))
        if match is None or record["method"] != "POST" or not _ok_or_closed(record):
            continue
        if match.group(1) in channels:
            found.append((record, channels[match.group(1)]))
    return found


def dm_boundary_violations(records: Iterable[Record], people: Sequence[Person]) -> list[str]:
    """DMs outside the member's hours, while away, without their opt-in, or not a member."""
    problems = []
    for record, person in bot_dms(records, people):
        at = instant(record["at"])
        body = record.get("body") or {}
        kind = dm_kind(body)
        who = f"{person['name']} at {record['at']} ({str(body.get('content'))[:40]!r})"
        if at < instant(person["joined_at"]) or (
            person.get("left_at") is not None and at >= instant(person["left_at"])
        ):
            problems.append(f"DM to {who} while not a member")
            continue
        settings = settings_at(person, at)
        if settings is None:
            problems.append(f"DM to {who} with no DM opt-in (no settings)")
            continue
        dms = settings["dms"]
        consented = any(dms.values()) if kind.consent == "any" else dms.get(kind.consent, False)
        if not consented:
            problems.append(f"DM to {who} before opting in to {kind.consent}")
        if kind.reminder and not settings.get("reminders", True):
            problems.append(f"reminder to {who} with reminders off")
        consult = settings.get("consult_reminders") or {}
        if kind.consult_reminder and not consult.get("on", True):
            problems.append(f"consultation reminder to {who} with them off")
        zone = settings["timezone"]
        if away_at(settings.get("away"), zone, at):
            problems.append(f"DM to {who} while away")
        outside_allowed = kind.consult_reminder and consult.get("outside_hours", False)
        if not outside_allowed and not within_hours(settings["hours"], zone, at):
            problems.append(f"DM to {who} outside working hours in {zone}")
    return problems


# --- requests the server refused ---------------------------------------------------------


def rejected_requests(records: Iterable[Record], people: Sequence[Person]) -> list[str]:
    """Every status >= 400 except Discord's closed-DMs 403 (50007) on the DM channel of a
    member whose DMs are closed, tried at most once a day per member."""
    channels = dm_channels(people)
    problems = []
    refused_at: dict[str, list[datetime]] = {}
    for record in records:
        if int(record["status"]) < 400:
            continue
        match = _CHANNEL_MESSAGES.match(_api_path(record))
        person = channels.get(match.group(1)) if match else None
        if (
            record["method"] == "POST"
            and int(record["status"]) == 403
            and record.get("error_code") == DMS_CLOSED_CODE
            and person is not None
            and person.get("dms_closed")
        ):
            refused_at.setdefault(str(person["name"]), []).append(instant(record["at"]))
            continue
        problems.append(
            f"{record['method']} {record['route']} -> {record['status']} "
            f"(code {record.get('error_code')}) at {record['at']}"
        )
    for name, times in sorted(refused_at.items()):
        times.sort()
        for before, after in itertools.pairwise(times):
            if after - before < timedelta(days=1):
                problems.append(f"DMs to {name} (closed) tried twice within a day: {after}")
    return problems


def rate_limited(records: Iterable[Record]) -> list[str]:
    """Every 429, and every response that carried a rate-limit scope."""
    return [
        f"{r['method']} {r['route']} at {r['at']}: {r['status']} scope {r.get('ratelimit_scope')}"
        for r in records
        if int(r["status"]) == 429 or r.get("ratelimit_scope")
    ]


# --- allowed_mentions ----------------------------------------------------------------------


def message_payloads(records: Iterable[Record]) -> list[tuple[Record, Mapping[str, Any]]]:
    """Every message the bot sent or edited, with its payload: channel messages and DMs,
    interaction responses that carry a message (types 4 and 7), followups and edits."""
    found: list[tuple[Record, Mapping[str, Any]]] = []
    for record in records:
        body = record.get("body")
        if not isinstance(body, Mapping) or record["method"] not in ("POST", "PATCH"):
            continue
        route = str(record["route"])
        if route.endswith("/callback"):
            if body.get("type") in MESSAGE_CALLBACK_TYPES:
                found.append((record, body.get("data") or {}))
        elif _ANY_MESSAGE_ROUTE.match(route):
            found.append((record, body))
    return found


def mention_violations(records: Iterable[Record]) -> list[str]:
    """Messages whose `allowed_mentions` is missing or allows any mention."""
    problems = []
    for record, payload in message_payloads(records):
        allowed = payload.get("allowed_mentions")
        empty = (
            isinstance(allowed, Mapping)
            and allowed.get("parse") == []
            and not allowed.get("users")
            and not allowed.get("roles")
            and not allowed.get("replied_user")
        )
        if not empty:
            problems.append(
                f"{record['method']} {record['route']} at {record['at']}: "
                f"allowed_mentions {allowed!r}"
            )
    return problems


# --- private text in channels ----------------------------------------------------------------


def _normalise(text: str) -> str:
    return " ".join(html.unescape(text).replace("\\", "").split())


def _is_ephemeral(payload: Mapping[str, Any]) -> bool:
    return bool(int(payload.get("flags") or 0) & EPHEMERAL)


def public_request_texts(records: Iterable[Record], people: Sequence[Person]) -> list[str]:
    """The JSON of every non-ephemeral message sent to a guild channel (not a DM)."""
    channels = dm_channels(people)
    texts = []
    for record, payload in message_payloads(records):
        match = re.match(r"^/channels/(\d+)/messages", _api_path(record))
        if match and match.group(1) in channels:
            continue  # a DM: private to its member
        if str(record["route"]).endswith("/callback") and record["body"].get("type") == 7:
            continue  # edits the message it is on, ephemeral or not: see the transcript
        if str(record["route"]).startswith("/webhooks/") and record["method"] == "PATCH":
            continue  # edits an earlier response: the transcript shows where it is
        if not _is_ephemeral(payload):
            texts.append(_normalise(json.dumps(payload, ensure_ascii=False)))
    return texts


def transcript_channel_messages(page: str) -> list[str]:
    """The text of every non-ephemeral message on the transcript's channel pages."""
    texts = []
    for section in re.split(r'<section class="timeline[" ]', page)[1:]:
        if not section.startswith("page channel"):
            continue
        for article in re.findall(r'<article class="msg">(.*?)</article>', section, re.S):
            texts.append(_normalise(re.sub(r"<[^>]+>", " ", article)))
    return texts


def private_text_leaks(public_texts: Iterable[str], private: Iterable[str]) -> list[str]:
    """Private sentences found in public messages."""
    wanted = [_normalise(text) for text in private if text.strip()]
    return sorted(
        {f"{text[:60]!r} is public" for public in public_texts for text in wanted if text in public}
    )


# --- the pulse round below k ---------------------------------------------------------------------


@dataclass(frozen=True)
class BelowK:
    """A pulse round that closed below k: its survey, period, window and answer count."""

    survey_id: int
    period_start: str
    opens_at: datetime
    closes_at: datetime
    answers: int


def below_k_rounds(conn: sqlite3.Connection, answers: int | None = None) -> list[BelowK]:
    """Rounds that were carried, dropped, or pooled into a later result (from the database).

    `answers` is how many answered such a round (the story's k - 1 by default).
    """
    k = conn.execute("SELECT k FROM pulse_settings").fetchone()
    count = answers if answers is not None else (int(k[0]) - 1 if k else 0)
    rows = conn.execute(
        "SELECT s.id, s.period_start, s.opens_at, s.closes_at FROM pulse_surveys s "
        "LEFT JOIN pulse_results r ON r.id = s.result_id "
        "WHERE s.outcome IN ('carried', 'dropped') "
        "OR (r.pooled = 1 AND r.last_period_start != s.period_start) ORDER BY s.id"
    ).fetchall()
    return [BelowK(int(i), str(p), instant(o), instant(c), count) for i, p, o, c in rows]


def count_patterns(n: int) -> re.Pattern[str]:
    """How a text could state a count of n answers."""
    return re.compile(
        rf"(\bn\s*=\s*{n}\b|\b{n}\s+(answers?|responses?|respondents?|people|members|"
        rf"submissions?|took|answered)\b)",
        re.IGNORECASE,
    )


def below_k_text_leaks(texts: Iterable[str], rounds: Sequence[BelowK]) -> list[str]:
    """Pulse texts (not "peerpulse") that state a below-k round's own count."""
    problems = []
    for round_ in rounds:
        pattern = count_patterns(round_.answers)
        for text in texts:
            if re.search(r"\bpulse\b", text, re.IGNORECASE) and (found := pattern.search(text)):
                problems.append(f"round {round_.period_start}: {found.group(0)!r} in {text[:80]!r}")
    return problems


def below_k_csv_leaks(csv_text: str, rounds: Sequence[BelowK]) -> list[str]:
    """Exported rows for a below-k round alone, or with its count."""
    lines = csv_text.splitlines()
    if not lines:
        return []
    header = lines[0].split(",")
    problems = []
    for line in lines[1:]:
        cells = dict(zip(header, line.split(","), strict=False))
        for round_ in rounds:
            if cells.get("rounds", "").strip() == round_.period_start:
                problems.append(f"export row for round {round_.period_start} alone: {line[:60]}")
            if round_.period_start in cells.get("rounds", "") and cells.get("n") == str(
                round_.answers
            ):
                problems.append(f"export row with the count of round {round_.period_start}")
    return problems


def below_k_database_leaks(conn: sqlite3.Connection, rounds: Sequence[BelowK]) -> list[str]:
    """A stored result of a below-k round alone, or its raw answers left to count."""
    problems = []
    keep = conn.execute("SELECT MAX(keep_raw_answers) FROM pulse_settings").fetchone()
    for round_ in rounds:
        alone = json.dumps([round_.period_start])
        for (starts,) in conn.execute("SELECT period_starts FROM pulse_results"):
            if json.loads(starts) == json.loads(alone):
                problems.append(f"pulse_results holds round {round_.period_start} alone")
        (left,) = conn.execute(
            "SELECT COUNT(*) FROM pulse_answers WHERE survey_id = ?", (round_.survey_id,)
        ).fetchone()
        if left and not (keep and keep[0]):
            problems.append(f"{left} raw answers of round {round_.period_start} are countable")
    return problems


_DUE_STEP = re.compile(r"due step \S+ at (\d{4}-\d\d-\d\dT[\d:.]+(?:Z|[+-]\d\d:\d\d))")


def below_k_log_leaks(log_text: str, rounds: Sequence[BelowK]) -> list[str]:
    """Pulse log lines written while a below-k round was open (they could be counted).

    The log's own timestamps are wall-clock; the scheduler's "due step ... at T" lines give
    the virtual time, so a line belongs to the round's window from the first due step at or
    after it opened until the first one at or after it closed.
    """
    problems = []
    for round_ in rounds:
        open_now = False
        for line in log_text.splitlines():
            if step := _DUE_STEP.search(line):
                at = instant(step.group(1))
                if round_.opens_at <= at < round_.closes_at:
                    open_now = True
                elif at >= round_.closes_at:
                    open_now = False
                continue
            if open_now and re.search(r"\b(bot|cogs)\.pulse\b", line):
                problems.append(f"round {round_.period_start} open: {line[-80:]!r}")
    return problems


# --- lists of who did not answer ---------------------------------------------------------------


def non_respondent_rows(conn: sqlite3.Connection) -> list[str]:
    """Rows that name a member as not having answered a check-in or pulse."""
    problems = []
    finished = conn.execute(
        "SELECT kind, status, COUNT(*) FROM outbox WHERE kind LIKE '%\\_reminder' ESCAPE '\\' "
        "AND status IN ('sent', 'dropped', 'failed') GROUP BY kind, status ORDER BY kind, status"
    ).fetchall()
    problems += [f"outbox keeps {n} {status} {kind} row(s)" for kind, status, n in finished]
    # Pending check-in reminders must not leave out exactly those who answered.
    refs = conn.execute(
        "SELECT DISTINCT o.group_id, o.ref FROM outbox o WHERE o.kind = 'checkin_reminder'"
    ).fetchall()
    for group_id, ref in refs:
        queued = {u for (u,) in conn.execute(
            "SELECT user_id FROM outbox WHERE group_id = ? AND kind = 'checkin_reminder' "
            "AND ref = ?", (group_id, ref))}  # fmt: skip
        opted_in = {u for (u,) in conn.execute(
            "SELECT user_id FROM member_preferences WHERE group_id = ? AND dm_checkins = 1 "
            "AND reminders = 1", (group_id,))}  # fmt: skip
        answered = {u for (u,) in conn.execute(
            "SELECT a.user_id FROM checkin_answers a JOIN checkin_rounds r ON r.id = a.round_id "
            "WHERE r.group_id = ? AND r.period = ?", (group_id, ref))}  # fmt: skip
        left_out = opted_in - queued
        if left_out and left_out <= answered:
            problems.append(f"check-in {ref}: reminder rows leave out exactly who answered")
    pulse_pending = conn.execute(
        "SELECT COUNT(*) FROM outbox o JOIN pulse_surveys s ON s.group_id = o.group_id "
        "AND o.ref = s.period_start "
        "WHERE o.kind = 'pulse_reminder' AND s.state = 'closed'"
    ).fetchone()[0]
    if pulse_pending:
        problems.append(f"{pulse_pending} pulse reminder row(s) outlived their survey")
    (participation,) = conn.execute(
        "SELECT COUNT(*) FROM pulse_participation p JOIN pulse_surveys s ON s.id = p.survey_id "
        "WHERE s.state = 'closed'"
    ).fetchone()
    if participation:
        problems.append(f"{participation} participation row(s) of closed pulse surveys")
    (pending,) = conn.execute(
        "SELECT COUNT(*) FROM checkin_pending p JOIN checkin_rounds r ON r.id = p.round_id "
        "WHERE r.status = 'closed'"
    ).fetchone()
    if pending:
        problems.append(f"{pending} held check-in answer(s) of closed rounds")
    columns = {c[1] for c in conn.execute("PRAGMA table_info(delivery_counts)")}
    if "user_id" in columns:
        problems.append("delivery_counts names members")
    return problems


# Every column that names a member, and why none of them lists who did NOT answer. A new
# one fails the audit until it is reviewed and added here.
REVIEWED_MEMBER_COLUMNS: Mapping[tuple[str, str], str] = {
    ("checkin_answers", "user_id"): "who answered",
    ("checkin_pending", "user_id"): "an answer held while its author decides (open rounds)",
    ("consult_marks", "user_id"): "who marked a slot",
    ("consult_polls", "organiser_user_id"): "who organised a poll",
    ("consult_presenter_requests", "user_id"): "whom the queue asked to present",
    ("consult_presenters", "user_id"): "who presented",
    ("consult_queue", "user_id"): "who joined the presenter queue",
    ("consult_responses", "user_id"): "who answered a poll",
    ("consult_rsvps", "user_id"): "who answered an RSVP",
    ("dm_recipients", "user_id"): "a DM channel, and whether DMs are closed",
    ("member_preferences", "user_id"): "a member's own settings",
    ("outbox", "user_id"): "DMs queued to opted-in members (reminders: checked above)",
    ("pulse_participation", "member_hmac"): "who answered an open survey, keyed (checked above)",
}


def unreviewed_member_columns(conn: sqlite3.Connection) -> list[str]:
    """Columns naming a member (user_*, *_user_id, member_*) not in the reviewed list."""
    found = []
    tables = [t for (t,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
    for table in sorted(tables):
        for column in [row[1] for row in conn.execute(f"PRAGMA table_info({table})")]:
            names_member = re.search(r"(^|_)(user|member)(_|$)", column)
            if names_member and (table, column) not in REVIEWED_MEMBER_COLUMNS:
                found.append(f"{table}.{column} names members: is it a list of who did not answer?")
    return found
