"""The sandbox's end summary, counted from a migrated database with hand-made rows."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.clock import VirtualClock
from bot.db import Database
from bot.delivery import outbox
from bot.members.instants import to_db
from bot.migrations import migrate
from bot.sandbox.summary import (
    DeliveryTally,
    StoryFacts,
    checkin_line,
    consultation_line,
    delivered_dms,
    open_read_only,
    pulse_line,
    request_line,
    summary_lines,
)

ANA, BEN, CHEN, DEV = 101, 102, 103, 104


async def new_group(db: Database, clock: VirtualClock) -> int:
    return await db.execute(
        "INSERT INTO groups (guild_id, timezone, created_at) VALUES (?, ?, ?)",
        (555, "Europe/London", to_db(clock.now())),
    )


async def queue(db: Database, clock: VirtualClock, group: int, user: int, kind: str) -> int:
    assert await outbox.enqueue(
        db,
        group_id=group,
        user_id=user,
        kind=kind,
        ref="2026-W10",
        due_at=clock.now(),
        expires_at=None,
        payload={},
        now=clock.now(),
    )
    row = await db.fetchone(
        "SELECT id FROM outbox WHERE user_id = ? AND kind = ? AND status = 'pending'", (user, kind)
    )
    assert row is not None
    return int(row["id"])


async def send(db: Database, clock: VirtualClock, outbox_id: int) -> None:
    now = clock.now()
    async with db.transaction() as tx:
        await outbox.claim(
            tx, [outbox_id], owner="w", lease_until=now + timedelta(minutes=1), now=now
        )
    assert await outbox.mark_sent(db, outbox_id, owner="w", message_id=9, now=now)


def observe(tally: DeliveryTally, db: Database) -> None:
    conn = open_read_only(Path(db.path))
    try:
        tally.observe(conn)
    finally:
        conn.close()


async def test_dms_are_counted_though_finished_rows_are_purged_and_ids_reused(
    db: Database, clock: VirtualClock
) -> None:
    group = await new_group(db, clock)
    tally = DeliveryTally()
    ana = await queue(db, clock, group, ANA, "checkin_open")
    ben = await queue(db, clock, group, BEN, "checkin_open")
    chen = await queue(db, clock, group, CHEN, "checkin_open")
    await outbox.hold(db, chen, clock.now() + timedelta(hours=10), now=clock.now())
    observe(tally, db)
    await send(db, clock, ana)
    await outbox.drop(db, ben, "away", now=clock.now())
    clock.advance(timedelta(hours=10))
    observe(tally, db)
    await send(db, clock, chen)  # claimed: its hold is cleared, the tally remembers it
    clock.advance(timedelta(days=3))
    observe(tally, db)
    assert await outbox.purge_finished(db, clock.now()) == 3
    # An empty table gives the next row id 1 again: a new DM, not Ana's.
    dev = await queue(db, clock, group, DEV, "checkin_reminder")
    assert dev == ana
    observe(tally, db)
    # A pulse reminder goes only to those who have not answered: never counted.
    await queue(db, clock, group, ANA, "pulse_reminder")
    observe(tally, db)

    assert tally.line(delivered=2) == (
        "DMs: 2 sent, 1 held until a member's hours, 1 not sent (1 away), "
        "1 still waiting at the end"
    )


async def test_a_dm_deleted_before_it_was_sent_counts_as_no_longer_needed(
    db: Database, clock: VirtualClock
) -> None:
    group = await new_group(db, clock)
    tally = DeliveryTally()
    invite = await queue(db, clock, group, ANA, "pulse_invite")
    observe(tally, db)
    await db.execute("DELETE FROM outbox WHERE id = ?", (invite,))  # the survey closed
    observe(tally, db)
    assert tally.line(delivered=0) == (
        "DMs: 0 sent, 0 held until a member's hours, 1 not sent (1 no longer needed)"
    )


async def test_a_reminder_sent_and_deleted_within_one_tick_counts_as_sent(
    db: Database, clock: VirtualClock
) -> None:
    """Finished reminder rows go at once: whether one was sent is read from the requests."""
    group = await new_group(db, clock)
    tally = DeliveryTally()
    for member in (ANA, BEN):
        reminder = await queue(db, clock, group, member, "checkin_reminder")
        observe(tally, db)
        await db.execute("DELETE FROM outbox WHERE id = ?", (reminder,))
        observe(tally, db)
        clock.advance(timedelta(minutes=1))
    # Ana's reached her DM channel (5); Ben had answered, so his was dropped unsent.
    records = [
        {"method": "POST", "path": "/api/v10/channels/5/messages", "status": 200},
        {"method": "POST", "path": "/api/v10/channels/6/messages", "status": 200},  # a channel
        {"method": "POST", "path": "/api/v10/channels/7/messages", "status": 403},
    ]
    delivered = delivered_dms(records, {"5", "7"})
    assert delivered == 1
    assert tally.line(delivered) == (
        "DMs: 1 sent, 0 held until a member's hours, 1 not sent (1 no longer needed)"
    )


async def test_checkins_count_closed_rounds_from_their_stored_counts(
    db: Database, clock: VirtualClock
) -> None:
    group = await new_group(db, clock)
    now = clock.now()
    rounds = []
    for period, status in (("2026-W10", "closed"), ("2026-W11", "closed"), ("2026-W12", "open")):
        rounds.append(
            await db.execute(
                "INSERT INTO checkin_rounds (group_id, period, channel_id, opens_at, closes_at, "
                "reminder_due_at, status) VALUES (?, ?, 7, ?, ?, ?, ?)",
                (
                    group,
                    period,
                    to_db(now),
                    to_db(now + timedelta(days=2)),
                    to_db(now + timedelta(days=1)),
                    status,
                ),
            )
        )
    for round_id, responses in zip(rounds[:2], (4, 3), strict=True):
        await db.execute(
            "INSERT INTO checkin_round_counts (round_id, responses, energy_1, energy_2, "
            "energy_3, energy_4, energy_5, light, manageable, heavy, overwhelming) "
            "VALUES (?, ?, 0, 0, 0, 0, 0, 0, 0, 0, 0)",
            (round_id, responses),
        )
    # The first round's stored count stands although a member has since erased their answer;
    # the open round counts the answers it has.
    for user in (ANA, BEN):
        await db.execute(
            "INSERT INTO checkin_answers (round_id, group_id, user_id, energy, caseload, "
            "boundaries, wants_consult, answered_at) VALUES (?, ?, ?, 3, 'light', 'yes', 0, ?)",
            (rounds[2], group, user, to_db(now)),
        )
    conn = open_read_only(Path(db.path))
    try:
        assert checkin_line(conn) == "check-ins: 3 rounds (2 closed, 1 still open), 9 answers"
    finally:
        conn.close()


async def test_consultations_booked_cancelled_and_held(db: Database, clock: VirtualClock) -> None:
    group = await new_group(db, clock)
    now = clock.now()
    for days, status in ((-7, "scheduled"), (-3, "cancelled"), (5, "scheduled")):
        start = now + timedelta(days=days)
        await db.execute(
            "INSERT INTO consult_sessions (group_id, title, starts_at, ends_at, needs_presenter, "
            "location_kind, channel_id, status, created_at, updated_at) "
            "VALUES (?, 'Peer consultation', ?, ?, 0, 'voice', 7, ?, ?, ?)",
            (
                group,
                to_db(start),
                to_db(start + timedelta(hours=1)),
                status,
                to_db(now),
                to_db(now),
            ),
        )
    conn = open_read_only(Path(db.path))
    try:
        assert consultation_line(conn, now) == "consultations: 3 booked, 1 cancelled, 1 held"
    finally:
        conn.close()


async def test_pulse_rounds_published_and_pooled_without_their_numbers(
    db: Database, clock: VirtualClock
) -> None:
    group = await new_group(db, clock)
    now = to_db(clock.now())
    results = {}
    for last, pooled, starts in (
        ("2026-03-02", 0, ["2026-03-02"]),
        ("2026-03-30", 1, ["2026-03-16", "2026-03-30"]),
    ):
        results[last] = await db.execute(
            "INSERT INTO pulse_results (group_id, instrument_id, instrument_version, "
            "period_starts, last_period_start, pooled, n, index_median, index_q1, index_q3, "
            "shares, published_at) VALUES (?, 'default', '1', ?, ?, ?, 7, 50, 40, 60, '{}', ?)",
            (group, json.dumps(starts), last, pooled, now),
        )
    for start, outcome, result in (
        ("2026-03-02", "published", results["2026-03-02"]),
        ("2026-03-16", "published", results["2026-03-30"]),
        ("2026-03-30", "published", results["2026-03-30"]),
        ("2026-04-13", "carried", None),
    ):
        await db.execute(
            "INSERT INTO pulse_surveys (group_id, period_start, instrument_id, "
            "instrument_version, opens_at, closes_at, reminder_due_at, state, outcome, "
            "result_id) VALUES (?, ?, 'default', '1', ?, ?, ?, 'closed', ?, ?)",
            (group, start, now, to_db(clock.now() + timedelta(days=5)), now, outcome, result),
        )
    conn = open_read_only(Path(db.path))
    try:
        line = pulse_line(conn)
    finally:
        conn.close()
    assert line == (
        "pulse: 4 rounds; 2 results published, 1 pooled into the next "
        "(too few answers on its own), 1 waiting to be pooled"
    )


def test_requests_count_rejections_by_status_and_code_and_429s_apart() -> None:
    records = [
        {"status": 200},
        {"status": 200},
        {"status": 403, "error_code": 50007},
        {"status": 403, "error_code": 50007},
        {"status": 404, "error_code": None},
        {"status": 429, "error_code": None},
    ]
    assert request_line(records) == (
        "requests: 6 to the sandbox; 3 rejected (403/50007: a member's DMs are closed, 2 times; "
        "404), 1 rate-limited (429)"
    )


async def test_summary_lines_read_the_output_folder(tmp_path: Path, clock: VirtualClock) -> None:
    out = tmp_path / "out"
    out.mkdir()
    database = await Database.open(out / "peerpulse.db")
    await migrate(database, clock)
    await database.close()
    (out / "requests.jsonl").write_text('{"status": 200}\n', encoding="utf-8")
    start = datetime(2026, 3, 2, 14, 0, tzinfo=UTC)
    facts = StoryFacts(start, start + timedelta(weeks=6), weeks=6, members=8, seed=1)
    lines = summary_lines(out, facts, DeliveryTally())
    assert lines == [
        "summary over 6 weeks (2026-03-02 → 2026-04-13), 8 members, seed 1:",
        "  check-ins: 0 rounds (0 closed), 0 answers",
        "  DMs: 0 sent, 0 held until a member's hours, 0 not sent",
        "  consultations: 0 booked, 0 cancelled, 0 held",
        "  pulse: 0 rounds; 0 results published",
        "  requests: 1 to the sandbox; 0 rejected, 0 rate-limited (429)",
        f"  transcript: {(out / 'transcript.html').resolve()}",
    ]
