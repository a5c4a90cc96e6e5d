"""Check-in answers and rounds in SQLite: one per key, replace until close, retention, privacy."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime, time, timedelta
from pathlib import Path

import pytest
from sql_trace import counting

from bot.checkins import pending, store
from bot.checkins.answers import AnswerInput
from bot.checkins.schedule import CheckinSchedule, window_for_week
from bot.clock import VirtualClock
from bot.config import GroupDefaults
from bot.db import Database
from bot.errors import UserError
from bot.groups import ensure_group
from bot.members.personal_data import export_member, forget_member, unregistered_columns
from bot.members.retention import purge_expired_text
from bot.migrations import default_migrations_dir, migrate

GUILD, CHANNEL = 111, 222
WEEKLY = CheckinSchedule("America/New_York", 0, time(9, 0), 48)
OPENS = datetime(2026, 3, 2, 14, tzinfo=UTC)


async def make_round(db: Database, clock: VirtualClock) -> tuple[int, store.Round]:
    group = await ensure_group(db, clock, GUILD, CHANNEL, GroupDefaults(retention_days=30))
    checkin = await store.insert_round(db, group.id, CHANNEL, window_for_week(WEEKLY, 2026, 10))
    assert checkin is not None
    return group.id, checkin


def form(energy: int = 3, note: str | None = None, visibility: str = "group") -> AnswerInput:
    return AnswerInput(energy, "heavy", "mostly", True, True, note, visibility)  # type: ignore[arg-type]


async def test_one_round_per_group_per_week(db: Database, clock: VirtualClock) -> None:
    group_id, checkin = await make_round(db, clock)
    again = await store.insert_round(db, group_id, CHANNEL, window_for_week(WEEKLY, 2026, 10))
    assert again is None
    assert checkin.period == "2026-W10"
    assert checkin.status == "open"
    assert await store.round_for_period(db, group_id, "2026-W10") == checkin
    assert await store.current_round(db, group_id, OPENS + timedelta(hours=1)) == checkin
    assert await store.current_round(db, group_id, OPENS + timedelta(hours=48)) is None


async def test_answering_again_replaces_until_close(db: Database, clock: VirtualClock) -> None:
    _, checkin = await make_round(db, clock)
    first = await store.save_answer(db, checkin.id, 7, form(2, "first"), OPENS + timedelta(hours=1))
    second = await store.save_answer(db, checkin.id, 7, form(4), OPENS + timedelta(hours=2))
    assert (first.replaced, second.replaced) == (False, True)
    answers = await store.round_answers(db, checkin.id)
    assert len(answers) == 1
    assert answers[0].energy == 4
    assert answers[0].note is None
    assert await store.member_answer(db, checkin.id, 7) == answers[0]

    with pytest.raises(UserError, match="has closed"):
        await store.save_answer(db, checkin.id, 7, form(1), checkin.closes_at)
    assert await store.close_round(db, checkin.id, checkin.closes_at)
    assert not await store.close_round(db, checkin.id, checkin.closes_at)
    with pytest.raises(UserError, match="has closed"):
        await store.save_answer(db, checkin.id, 8, form(1), OPENS + timedelta(hours=3))
    with pytest.raises(UserError, match="no longer exists"):
        await store.save_answer(db, 999, 8, form(1), OPENS)


async def test_an_unchanged_note_keeps_its_age(db: Database, clock: VirtualClock) -> None:
    _, checkin = await make_round(db, clock)
    await store.save_answer(db, checkin.id, 7, form(2, "same"), OPENS)
    await store.save_answer(db, checkin.id, 7, form(5, "same"), OPENS + timedelta(hours=5))
    row = await db.fetchone("SELECT note_created_at FROM checkin_answers WHERE user_id = 7")
    assert row is not None
    assert row["note_created_at"] == store.timestamp(OPENS)


async def test_notes_expire_after_the_group_retention(db: Database, clock: VirtualClock) -> None:
    _, checkin = await make_round(db, clock)
    await store.save_answer(db, checkin.id, 7, form(2, "a private thought"), OPENS)
    await store.save_answer(db, checkin.id, 8, form(3), OPENS)
    assert await purge_expired_text(db, OPENS + timedelta(days=29)) == 0
    assert await purge_expired_text(db, OPENS + timedelta(days=31)) == 1
    answers = await store.round_answers(db, checkin.id)
    assert [a.note for a in answers] == [None, None]
    assert [a.energy for a in answers] == [2, 3]  # the answers themselves stay for the counts


async def test_export_and_forget_cover_answers(db: Database, clock: VirtualClock) -> None:
    _, checkin = await make_round(db, clock)
    await store.save_answer(db, checkin.id, 7, form(2, "mine"), OPENS)
    await store.save_answer(db, checkin.id, 8, form(3), OPENS)
    assert ("checkin_answers", "user_id") not in await unregistered_columns(db)
    exported = await export_member(db, 7)
    assert [row["note"] for row in exported["checkin_answers"]] == ["mine"]
    assert (await forget_member(db, 7))["checkin_answers"] == 1
    assert [a.user_id for a in await store.round_answers(db, checkin.id)] == [8]


async def test_nothing_stores_who_did_not_answer(db: Database) -> None:
    rows = await db.fetchall(
        "SELECT m.name AS tbl, p.name AS col FROM sqlite_master m, pragma_table_info(m.name) p "
        "WHERE m.type = 'table' AND m.name LIKE 'checkin_%'"
    )
    names = " ".join(f"{row['tbl']}.{row['col']}" for row in rows)
    for word in ("missing", "unanswered", "not_answered", "nonrespon", "streak", "skipped"):
        assert word not in names


async def test_history_counts_closed_rounds_oldest_first(db: Database, clock: VirtualClock) -> None:
    group = await ensure_group(db, clock, GUILD, CHANNEL, GroupDefaults())
    for week, energies in ((9, (1, 2, 2)), (10, (4, 5)), (11, (3,))):
        window = window_for_week(WEEKLY, 2026, week)
        checkin = await store.insert_round(db, group.id, CHANNEL, window)
        assert checkin is not None
        for user_id, energy in enumerate(energies):
            await store.save_answer(db, checkin.id, user_id, form(energy), window.opens_at)
        if week < 11:
            await store.close_round(db, checkin.id, window.closes_at)
    weeks = await store.history(db, group.id, 12)
    assert [w.period for w in weeks] == ["2026-W09", "2026-W10"]  # the open round is left out
    assert weeks[0].energy_counts == (1, 2, 0, 0, 0)
    assert weeks[1].responses == 2
    assert weeks[1].caseload_counts == (0, 0, 2, 0)
    assert [w.period for w in await store.history(db, group.id, 1)] == ["2026-W10"]


async def test_the_author_chooses_who_sees_the_note(db: Database, clock: VirtualClock) -> None:
    group_id, checkin = await make_round(db, clock)
    await store.save_answer(db, checkin.id, 7, form(3, "mine", "only_me"), OPENS)
    await store.save_answer(db, checkin.id, 8, form(3), OPENS)
    chosen = await store.set_note_visibility(db, checkin.id, 7, "moderators", OPENS)
    assert (chosen.note, chosen.note_visibility) == ("mine", "moderators")
    with pytest.raises(UserError, match="no note"):
        await store.set_note_visibility(db, checkin.id, 8, "group", OPENS)
    with pytest.raises(UserError, match="has closed"):
        await store.set_note_visibility(db, checkin.id, 7, "group", checkin.closes_at)
    assert await store.latest_round(db, group_id) == checkin
    assert await store.latest_round(db, group_id + 1) is None


def test_a_new_or_edited_note_starts_private() -> None:
    from bot.checkins.answers import Answer, carried_visibility

    earlier = Answer(1, 7, 3, "heavy", "yes", False, False, "same", "group", OPENS)
    assert carried_visibility(earlier, " same ") == "group"
    assert carried_visibility(earlier, "edited") == "only_me"
    assert carried_visibility(None, "new") == "only_me"
    assert carried_visibility(earlier, None) == "only_me"


async def test_rounds_closed_before_the_boundaries_counts_get_them_from_their_answers(
    tmp_path: Path, clock: VirtualClock
) -> None:
    """The migration that stores boundaries counts fills them in for rounds already closed."""
    folder = tmp_path / "migrations"
    shutil.copytree(default_migrations_dir(), folder)
    adding = next(folder.glob("*_checkin_privacy.sql"))
    later = sorted(p for p in folder.glob("*.sql") if p.name >= adding.name)
    held = {p: p.read_text(encoding="utf-8") for p in later}
    for path in later:
        path.unlink()
    db = await Database.open(tmp_path / "old.db")
    try:
        await migrate(db, clock, folder)
        await db.execute("INSERT INTO groups (id, guild_id, created_at) VALUES (1, 1, 'x')")
        await db.execute(
            "INSERT INTO checkin_rounds (id, group_id, period, channel_id, opens_at, closes_at, "
            "reminder_due_at, status) VALUES (1, 1, '2026-W10', 5, 'a', 'b', 'a', 'closed')"
        )
        for user_id, boundaries in enumerate(("yes", "mostly", "mostly", "no")):
            await db.execute(
                "INSERT INTO checkin_answers (round_id, group_id, user_id, energy, caseload, "
                "boundaries, wants_consult, answered_at) VALUES (1, 1, ?, 3, 'light', ?, 0, 'a')",
                (user_id, boundaries),
            )
        await db.execute(
            "INSERT INTO checkin_round_counts VALUES (1, 4, 0, 0, 4, 0, 0, 4, 0, 0, 0)"
        )
        for path, text in held.items():
            path.write_text(text, encoding="utf-8")
        await migrate(db, clock, folder)
        counts = await store.round_counts(db, 1)
        assert counts is not None
        assert counts.boundaries == (1, 2, 1)
        assert counts.responses == 4
    finally:
        await db.close()


@pytest.mark.parametrize("forged", [2**63, 2**64 + 1, 10**29, 0, -1])
async def test_a_round_id_no_round_can_have_finds_nothing(
    db: Database, clock: VirtualClock, forged: int
) -> None:
    _, checkin = await make_round(db, clock)
    assert await store.get_round(db, forged) is None
    with pytest.raises(UserError):
        await store.set_note_visibility(db, forged, 7, "group", OPENS)
    assert await store.get_round(db, checkin.id) == checkin


async def test_the_form_reads_its_round_and_the_earlier_answer_in_one_statement(
    db: Database, clock: VirtualClock
) -> None:
    _, checkin = await make_round(db, clock)
    await store.save_answer(db, checkin.id, 7, form(2, "mine"), OPENS)
    async with counting(db) as statements:
        found, earlier = await store.round_and_answer(db, checkin.id, 7)
    assert len(statements) == 1
    assert found == checkin
    assert earlier == await store.member_answer(db, checkin.id, 7)
    assert earlier is not None
    assert earlier.note == "mine"
    assert await store.round_and_answer(db, checkin.id, 8) == (checkin, None)
    assert await store.round_and_answer(db, 999, 7) == (None, None)
    assert await store.round_and_answer(db, 2**70, 7) == (None, None)  # a forged custom_id


async def test_saving_is_one_statement_and_releases_what_was_held(
    db: Database, clock: VirtualClock
) -> None:
    """The confirmation waits for one statement (two for a replacement), held answer released."""
    _, checkin = await make_round(db, clock)
    await pending.hold(db, checkin.id, 7, form(2, "call Maria"), OPENS)
    async with counting(db) as first:
        saved = await store.save_answer(db, checkin.id, 7, form(2, "a thought"), OPENS)
    assert not saved.replaced
    assert len(trips(first)) == 1
    assert await db.fetchone("SELECT 1 FROM checkin_pending") is None
    await pending.hold(db, checkin.id, 7, form(2, "call Maria again"), OPENS)
    async with counting(db) as second:
        again = await store.save_answer(db, checkin.id, 7, form(3, "a thought"), OPENS)
    assert again.replaced
    assert len(trips(second)) == 2  # tried as a first answer, then replaced
    async with counting(db) as hinted:
        edited = await store.save_answer(
            db, checkin.id, 7, form(3, "a thought"), OPENS, replacing=True
        )
    assert edited.replaced
    assert len(trips(hinted)) == 1  # the form knew of the earlier answer
    async with counting(db) as wrong_hint:
        other = await store.save_answer(db, checkin.id, 8, form(4), OPENS, replacing=True)
    assert not other.replaced  # a wrong hint costs a statement, never the answer
    assert len(trips(wrong_hint)) == 2
    assert len(await store.round_answers(db, checkin.id)) == 2
    assert await db.fetchone("SELECT 1 FROM checkin_pending") is None
    visible = await store.set_note_visibility(db, checkin.id, 7, "moderators", OPENS)
    assert visible.energy == 3


def trips(statements: list[str]) -> list[str]:
    """Distinct statements sent (SQLite traces a statement again for each trigger it fires)."""
    return list(dict.fromkeys(s for s in statements if not s.startswith("--")))
