"""The audit of a full `peerpulse sandbox` story: its artefacts keep the product's promises.

The story runs once per session (tests/cli/conftest.py). Each check lives in
`sandbox_audit` and is also run on a small hand-made bad artefact here, so a check that
could never fail would show.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sandbox_audit import (
    BelowK,
    below_k_csv_leaks,
    below_k_database_leaks,
    below_k_log_leaks,
    below_k_rounds,
    below_k_text_leaks,
    bot_dms,
    dm_boundary_violations,
    load_members,
    load_records,
    mention_violations,
    message_payloads,
    non_respondent_rows,
    private_text_leaks,
    public_request_texts,
    rate_limited,
    rejected_requests,
    transcript_channel_messages,
    unreviewed_member_columns,
    within_hours,
)

from bot.clock import VirtualClock
from bot.db import Database
from bot.sandbox.transcript import TranscriptMessage, TranscriptTimeline, render_transcript

# The story's notes that must never reach a channel: Dev's note to the moderators, Ben's
# note before he edited out the client's name (bot/sandbox/chapters/checkins.py), and the
# pulse's private note (each taker's own index, in their ephemeral reply).
STORY_PRIVATE_TEXTS = (
    "Could we talk about cover for my leave next month?",
    "Client Maria cancelled twice",
    "Your own burnout index",
)

# --- the full story ------------------------------------------------------------------------


@pytest.fixture(scope="module", params=["default", "longer"])
def story(request: pytest.FixtureRequest) -> Path:
    """The output folder of a full story: the default run, and a bigger, longer one."""
    name = "sandbox_out" if request.param == "default" else "longer_sandbox_out"
    out: Path = request.getfixturevalue(name)
    return out


@pytest.fixture(scope="module")
def records(story: Path) -> list[dict[str, Any]]:
    return load_records(story / "requests.jsonl")


@pytest.fixture(scope="module")
def people(story: Path) -> list[dict[str, Any]]:
    return load_members(story / "members.json")


@pytest.fixture
def story_db(story: Path) -> Iterator[sqlite3.Connection]:
    conn = sqlite3.connect(f"file:{story / 'peerpulse.db'}?mode=ro&immutable=1", uri=True)
    try:
        yield conn
    finally:
        conn.close()


def test_members_json_describes_the_group(people: list[dict[str, Any]]) -> None:
    roles = {p["role"] for p in people}
    assert {"owner", "moderator", "co-facilitator", "member"} <= roles
    assert any(p["dms_closed"] for p in people)
    assert any(p["settings"] for p in people)
    assert all(p["joined_at"] for p in people)


def test_no_dm_outside_hours_while_away_before_opting_in_or_when_not_a_member(
    records: list[dict[str, Any]], people: list[dict[str, Any]]
) -> None:
    assert len(bot_dms(records, people)) >= 10  # the audit sees the story's DMs
    assert dm_boundary_violations(records, people) == []


def test_no_request_rejected_but_closed_dms_tried_at_most_once_a_day(
    records: list[dict[str, Any]], people: list[dict[str, Any]]
) -> None:
    assert rejected_requests(records, people) == []
    closed = [r for r in records if r["status"] == 403 and r["error_code"] == 50007]
    assert closed  # the story's member with closed DMs was tried


def test_no_429(records: list[dict[str, Any]]) -> None:
    assert rate_limited(records) == []


def test_allowed_mentions_empty_on_every_message(records: list[dict[str, Any]]) -> None:
    assert len(message_payloads(records)) >= 100
    assert mention_violations(records) == []


def test_no_private_note_in_any_channel_message(
    story: Path,
    records: list[dict[str, Any]],
    people: list[dict[str, Any]],
    story_db: sqlite3.Connection,
) -> None:
    stored = [
        note
        for (note,) in story_db.execute(
            "SELECT note FROM checkin_answers WHERE note IS NOT NULL "
            "AND note_visibility IS NOT 'group'"
        )
    ]
    private = [*STORY_PRIVATE_TEXTS, *stored]
    transcript = (story / "transcript.html").read_text(encoding="utf-8")
    channel_pages = transcript_channel_messages(transcript)
    public = public_request_texts(records, people)
    assert channel_pages
    assert public
    assert any("A client cancelled twice" in text for text in channel_pages)  # Ben's shared note
    assert private_text_leaks([*public, *channel_pages], private) == []


def test_nothing_about_the_pulse_round_below_k_anywhere(
    story: Path, records: list[dict[str, Any]], story_db: sqlite3.Connection
) -> None:
    rounds = below_k_rounds(story_db)
    assert rounds  # the story's second round
    bodies = [str(r["body"]) for r in records if r.get("body") is not None]
    transcript = (story / "transcript.html").read_text(encoding="utf-8")
    csv_text = (story / "pulse-results.csv").read_text(encoding="utf-8")
    log_text = (story / "peerpulse.log").read_text(encoding="utf-8")
    problems = [
        *below_k_text_leaks([*bodies, *transcript.split("<article")], rounds),
        *below_k_csv_leaks(csv_text, rounds),
        *below_k_database_leaks(story_db, rounds),
        *below_k_log_leaks(log_text, rounds),
    ]
    assert problems == []


def test_no_list_of_non_respondents_in_the_database(story_db: sqlite3.Connection) -> None:
    assert non_respondent_rows(story_db) == []
    assert unreviewed_member_columns(story_db) == []


# --- each check catches a hand-made bad artefact ---------------------------------------------

ANA_CHANNEL = "900"


def ana(**changes: Any) -> dict[str, Any]:
    """A member in New York, Mon-Fri 09:00-17:00, opted in to check-in DMs."""
    settings = {
        "from": "2026-03-01T00:00:00+00:00",
        "timezone": "America/New_York",
        "hours": {
            "days": ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday"],
            "start": "09:00",
            "end": "17:00",
        },
        "away": None,
        "dms": {"checkins": True, "consultations": True, "pulse": False},
        "reminders": True,
        "consult_reminders": {"on": True, "outside_hours": False},
    }
    settings.update(changes.pop("settings", {}))
    person = {
        "id": "1", "name": "Ana", "role": "member", "dm_channel_id": ANA_CHANNEL,
        "dms_closed": False, "joined_at": "2026-03-01T00:00:00+00:00", "left_at": None,
        "settings": [settings], "settings_forgotten_at": None,
    }  # fmt: skip
    person.update(changes)
    return person


def dm(at: str, content: str = "This week's check-in is open", **fields: Any) -> dict[str, Any]:
    body = {
        "content": content,
        "components": [{"type": 1, "components": [{"type": 2, "custom_id": "checkin:answer:1"}]}],
        "allowed_mentions": {"parse": []},
    }
    record = {
        "at": at, "method": "POST", "path": f"/api/v10/channels/{ANA_CHANNEL}/messages",
        "route": "/channels/{channel_id}/messages", "status": 200, "body": body,
        "error_code": None, "ratelimit_scope": None,
    }  # fmt: skip
    record.update(fields)
    return record


def test_a_dm_at_three_in_the_morning_local_is_caught() -> None:
    assert dm_boundary_violations([dm("2026-03-04T15:00:00+00:00")], [ana()]) == []
    problems = dm_boundary_violations([dm("2026-03-04T08:00:00+00:00")], [ana()])  # 03:00 EST
    assert ["outside working hours" in p for p in problems] == [True]


def test_hours_are_read_in_the_members_zone_across_dst_overnight_and_midnight() -> None:
    week = {"days": ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday"]}
    day = {**week, "start": "09:00", "end": "17:00"}
    # 13:30 UTC is 08:30 in New York on Friday 6 March (EST), 09:30 on Monday 9 (EDT).
    assert not within_hours(day, "America/New_York", datetime(2026, 3, 6, 13, 30, tzinfo=UTC))
    assert within_hours(day, "America/New_York", datetime(2026, 3, 9, 13, 30, tzinfo=UTC))
    night = {"days": ["Sunday"], "start": "22:00", "end": "06:00"}
    assert within_hours(night, "UTC", datetime(2026, 3, 9, 5, 59, tzinfo=UTC))  # Monday 05:59
    assert not within_hours(night, "UTC", datetime(2026, 3, 9, 6, 0, tzinfo=UTC))
    assert not within_hours(night, "UTC", datetime(2026, 3, 9, 23, 0, tzinfo=UTC))  # Monday
    late = {"days": ["Monday"], "start": "18:00", "end": "00:00"}  # until midnight
    assert within_hours(late, "UTC", datetime(2026, 3, 9, 23, 59, tzinfo=UTC))
    assert not within_hours(late, "UTC", datetime(2026, 3, 10, 0, 0, tzinfo=UTC))


def test_a_dm_while_away_before_opting_in_or_after_leaving_is_caught() -> None:
    at = "2026-03-04T15:00:00+00:00"
    away = ana(settings={"away": {"since": "2026-03-03", "until": "2026-03-04"}})
    assert ["while away" in p for p in dm_boundary_violations([dm(at)], [away])] == [True]
    not_yet = ana(settings={"dms": {"checkins": False, "consultations": True, "pulse": False}})
    assert ["opting in" in p for p in dm_boundary_violations([dm(at)], [not_yet])] == [True]
    gone = ana(left_at="2026-03-04T12:00:00+00:00")
    assert ["not a member" in p for p in dm_boundary_violations([dm(at)], [gone])] == [True]
    forgot = ana(settings_forgotten_at="2026-03-04T12:00:00+00:00")
    assert ["no DM opt-in" in p for p in dm_boundary_violations([dm(at)], [forgot])] == [True]


def test_a_consultation_reminder_outside_hours_needs_the_members_leave() -> None:
    reminder = dm("2026-03-04T23:00:00+00:00", "Reminder: the consultation “Peer” starts")
    reminder["body"]["components"] = []
    assert len(dm_boundary_violations([reminder], [ana()])) == 1
    allowed = ana(settings={"consult_reminders": {"on": True, "outside_hours": True}})
    assert dm_boundary_violations([reminder], [allowed]) == []


def test_a_rejected_request_and_closed_dms_tried_twice_a_day_are_caught() -> None:
    closed = dm("2026-03-04T15:00:00+00:00", status=403, error_code=50007)
    assert rejected_requests([closed], [ana(dms_closed=True)]) == []
    assert len(rejected_requests([closed], [ana()])) == 1  # DMs not closed: a real refusal
    again = dm("2026-03-04T20:00:00+00:00", status=403, error_code=50007)
    twice = rejected_requests([closed, again], [ana(dms_closed=True)])
    assert ["within a day" in p for p in twice] == [True]
    missing = dm("2026-03-04T15:00:00+00:00", status=404, error_code=10003)
    assert len(rejected_requests([missing], [ana()])) == 1


def test_a_429_or_a_rate_limit_scope_is_caught() -> None:
    assert rate_limited([dm("2026-03-04T15:00:00+00:00")]) == []
    assert len(rate_limited([dm("2026-03-04T15:00:00+00:00", status=429)])) == 1
    assert len(rate_limited([dm("2026-03-04T15:00:00+00:00", ratelimit_scope="user")])) == 1


@pytest.mark.parametrize(
    "allowed",
    [
        None,
        {"parse": ["users"]},
        {"parse": [], "users": ["1"]},
        {"parse": [], "replied_user": True},
    ],
)
def test_a_message_that_may_mention_is_caught(allowed: dict[str, Any] | None) -> None:
    message = dm("2026-03-04T15:00:00+00:00")
    callback = {
        **dm("2026-03-04T15:00:00+00:00"),
        "route": "/interactions/{interaction_id}/{interaction_token}/callback",
        "path": "/api/v10/interactions/1/t/callback",
        "body": {"type": 4, "data": {"content": "hi", "allowed_mentions": {"parse": []}}},
    }
    assert mention_violations([message, callback]) == []
    message["body"]["allowed_mentions"] = allowed
    callback["body"]["data"]["allowed_mentions"] = allowed
    assert len(mention_violations([message, callback])) == 2


def test_a_private_note_in_a_channel_is_caught() -> None:
    note = STORY_PRIVATE_TEXTS[0]
    post = {
        **dm("2026-03-04T15:00:00+00:00", f"Notes: {note}"),
        "path": "/api/v10/channels/555/messages",
    }
    public = public_request_texts([post], [ana()])
    assert len(private_text_leaks(public, [note])) == 1
    post["body"]["flags"] = 64  # ephemeral: fine
    assert private_text_leaks(public_request_texts([post], [ana()]), [note]) == []
    when = datetime(2026, 3, 4, 15, 0, tzinfo=UTC)
    page = render_transcript(
        "audit",
        [
            TranscriptTimeline(
                "#peer-consult", "channel", None, [TranscriptMessage("peerpulse", True, when, note)]
            ),
            TranscriptTimeline(
                "Only Mira could see",
                "ephemeral",
                "Europe/London",
                [TranscriptMessage("peerpulse", True, when, note, ephemeral_to="Mira")],
            ),
        ],
        generated_at=when,
    )
    assert len(transcript_channel_messages(page)) == 1
    assert len(private_text_leaks(transcript_channel_messages(page), [note])) == 1


ROUND = BelowK(
    2,
    "2026-04-01",
    datetime(2026, 4, 1, 9, tzinfo=UTC),
    datetime(2026, 4, 5, 9, tzinfo=UTC),
    answers=4,
)


def test_a_count_of_the_round_below_k_is_caught_in_text_export_and_log() -> None:
    assert below_k_text_leaks(["Group pulse: **n = 7**, pooled from 2 rounds"], [ROUND]) == []
    assert below_k_text_leaks(["peerpulse: check-in summary, 4 responses"], [ROUND]) == []
    assert len(below_k_text_leaks(["The pulse of 1 Apr: 4 answers so far"], [ROUND])) == 1
    header = "rounds,pooled,n,index_median\n"
    assert below_k_csv_leaks(header + "2026-04-01 + 2026-04-15,yes,7,50\n", [ROUND]) == []
    assert len(below_k_csv_leaks(header + "2026-04-01,no,4,50\n", [ROUND])) == 2
    log = "\n".join(
        [
            "x INFO bot.scheduling: due step pulse.open at 2026-04-01T09:00:00+00:00: 1 effect(s)",
            "x INFO bot.pulse.store: pulse answer stored",
            "x INFO bot.scheduling: due step pulse.close at 2026-04-05T09:00:00+00:00: 1 effect(s)",
            "x INFO bot.pulse.store: something after the close",
        ]
    )
    assert len(below_k_log_leaks(log, [ROUND])) == 1


async def _group_with_a_round(db: Database) -> None:
    await db.execute(
        "INSERT INTO groups (id, guild_id, timezone, created_at) VALUES (1, 5, 'UTC', 'x')"
    )
    await db.execute(
        "INSERT INTO checkin_rounds (id, group_id, period, channel_id, opens_at, closes_at, "
        "reminder_due_at) VALUES (1, 1, '2026-W10', 7, '2026-03-03', '2026-03-05', '2026-03-04')"
    )
    for user in (11, 12):
        await db.execute(
            "INSERT INTO member_preferences (group_id, user_id, dm_checkins, created_at, "
            "updated_at) VALUES (1, ?, 1, 'x', 'x')",
            (user,),
        )
    await db.execute(
        "INSERT INTO checkin_answers (round_id, group_id, user_id, energy, caseload, "
        "boundaries, wants_consult, answered_at) VALUES (1, 1, 11, 3, 'light', 'yes', 0, 'x')"
    )


async def _reminder(db: Database, user: int, status: str = "pending") -> None:
    await db.execute(
        "INSERT INTO outbox (group_id, user_id, kind, ref, due_at, next_attempt_at, status, "
        "created_at, updated_at, finished_at) VALUES (1, ?, 'checkin_reminder', '2026-W10', "
        "'x', 'x', ?, 'x', 'x', ?)",
        (user, status, None if status == "pending" else "2026-03-04"),
    )


async def test_stored_non_respondents_are_caught(
    db: Database, clock: VirtualClock, tmp_path: Path
) -> None:
    del clock
    await _group_with_a_round(db)
    await _reminder(db, 11)
    await _reminder(db, 12)  # queued to both opted-in members: lists no one
    audit = sqlite3.connect(tmp_path / "test.db")
    try:
        assert non_respondent_rows(audit) == []
        await db.execute("DELETE FROM outbox WHERE user_id = 11")  # only who had not answered
        assert len(non_respondent_rows(audit)) == 1
        await db.execute("UPDATE outbox SET status = 'sent', finished_at = 'x'")
        assert len(non_respondent_rows(audit)) == 2
        await db.execute("DELETE FROM outbox")
        await db.execute(
            "INSERT INTO checkin_pending (id, round_id, user_id, answer, created_at) "
            "VALUES ('p1', 1, 12, '{}', 'x')"
        )
        await db.execute("UPDATE checkin_rounds SET status = 'closed', closed_at = 'x'")
        assert len(non_respondent_rows(audit)) == 1
        assert unreviewed_member_columns(audit) == []
        await db.execute("CREATE TABLE checkin_missing (round_id INTEGER, user_id INTEGER)")
        assert len(unreviewed_member_columns(audit)) == 1
    finally:
        audit.close()


async def test_a_result_of_the_round_below_k_alone_is_caught_in_the_database(
    db: Database, tmp_path: Path
) -> None:
    await db.execute(
        "INSERT INTO groups (id, guild_id, timezone, created_at) VALUES (1, 5, 'UTC', 'x')"
    )
    await db.execute(
        "INSERT INTO pulse_results (group_id, instrument_id, instrument_version, period_starts, "
        "last_period_start, pooled, n, index_median, index_q1, index_q3, shares, published_at) "
        "VALUES (1, 'i', '1', '[\"2026-04-01\"]', '2026-04-01', 0, 4, 50, 40, 60, '{}', 'x')"
    )
    audit = sqlite3.connect(tmp_path / "test.db")
    try:
        assert len(below_k_database_leaks(audit, [ROUND])) == 1
    finally:
        audit.close()
