"""The database file the bot used, opened after an end-to-end pulse with the bot stopped.

The anonymity promise holds against whoever opens the SQLite file: no answer row holds
or can be joined to a member, an interaction, a message or a time finer than the survey;
the survey's secret and who-answered rows are gone; the WAL holds nothing; the answers'
physical order does not follow the order they were given in; and no page of a pulse
table holds any member's id, as text or as an 8-byte integer.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from pulse_steps import everyone, open_round, pulse, set_home

from bot.pulse import store
from bot.sandbox import SandboxServer
from bot.sandbox.chapters.pulse import take_pulse
from bot.sandbox.demo import DemoGroup
from bot.sandbox.running_bot import RunningBot

pytestmark = pytest.mark.e2e

# Eight answers, each different, in the order they are given.
GIVEN = tuple((i % 5, i // 5, 2, 1, 3, 0, 4, i % 3) for i in range(8))
PULSE_OBJECTS = "name LIKE 'pulse%' OR name LIKE 'sqlite_autoindex_pulse%'"


def id_forms(member: int) -> list[bytes]:
    return [str(member).encode(), member.to_bytes(8, "big"), member.to_bytes(8, "little")]


def pulse_pages(path: Path) -> bytes:
    """The bytes of every page that belongs to a pulse table or index."""
    with sqlite3.connect(path) as conn:
        size = conn.execute("PRAGMA page_size").fetchone()[0]
        pages = {
            row[0]
            for row in conn.execute(f"SELECT pageno FROM dbstat WHERE {PULSE_OBJECTS}")  # noqa: S608
        }
    raw = path.read_bytes()
    return b"".join(raw[(page - 1) * size : page * size] for page in sorted(pages))


async def test_the_file_the_bot_used_links_no_answer_to_anyone(
    server: SandboxServer, group: DemoGroup, peerpulse: RunningBot, tmp_path: Path
) -> None:
    await set_home(server, group)
    await pulse(server, group, group.moderator_id, "settings", keep_raw_answers=True)
    post = await open_round(server, group, peerpulse)
    people = everyone(group)
    interaction_ids: list[int] = []
    for who, values in zip(people, GIVEN, strict=True):
        result = await take_pulse(server, who, post, values)
        assert result.message is not None
        assert "Your own burnout index" in result.message.text
        interaction_ids.append(result.interaction.id)
    closed = await pulse(server, group, group.moderator_id, "close")
    assert "published" in closed
    await peerpulse.stop()  # the bot stopped: the file is all that is left

    path = Path(peerpulse.bot.settings.database.path)
    wal = path.with_name(path.name + "-wal")
    assert not wal.exists() or wal.stat().st_size == 0
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT COUNT(*) FROM pulse_participation").fetchone() == (0,)
        assert conn.execute("SELECT secret FROM pulse_surveys").fetchall() == [(None,)]
        columns = [r[1] for r in conn.execute("PRAGMA table_info(pulse_answers)")]
        assert columns == ["id", "survey_id", "instrument_version", "item_values"]
        kinds = (store.INVITE_KIND, store.REMINDER_KIND)
        assert conn.execute(
            "SELECT COUNT(*) FROM outbox WHERE kind IN (?, ?)", kinds
        ).fetchone() == (0,)
        stored = [r[0] for r in conn.execute("SELECT item_values FROM pulse_answers")]
    assert sorted(stored) == sorted(store.encode_values(v) for v in GIVEN)  # all kept
    assert stored != [store.encode_values(v) for v in GIVEN]  # not in the order given

    pages = pulse_pages(path)
    assert pages  # the pulse tables have pages to search
    leaks = [(m, f) for m in people for f in id_forms(m) if f in pages]
    leaks += [(i, f) for i in interaction_ids for f in id_forms(i) if f in pages]
    assert leaks == []
