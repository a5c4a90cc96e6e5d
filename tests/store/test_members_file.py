"""members.json's writer on a migrated temp db: roles, DM channels, membership, settings history."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

from bot.clock import VirtualClock
from bot.config import GroupDefaults
from bot.db import Database
from bot.groups import ensure_group
from bot.members.personal_data import forget_member
from bot.members.preferences import set_away, set_dm_opt_in, set_hours, set_timezone
from bot.sandbox import SandboxServer
from bot.sandbox.demo import DemoMember, build_demo_group
from bot.sandbox.members_file import SettingsHistory, write_members


async def test_members_json_has_everyone_who_was_a_member_and_their_settings_history(
    db: Database, clock: VirtualClock, tmp_path: Path
) -> None:
    server = SandboxServer(clock=clock.now)
    group = build_demo_group(
        server, (DemoMember("Ana", "America/New_York"), DemoMember("Ben", "Europe/London"))
    )
    ana, ben = group.member_ids
    server.set_dms_closed(ben)
    channel = server.world.dm_channel(ana).id
    found = await ensure_group(
        db, clock, group.guild_id, group.home_channel_id, GroupDefaults(timezone="Europe/London")
    )
    history = SettingsHistory(db, group.guild_id)
    await history.snapshot(clock.now())  # nothing stored yet: nothing recorded

    clock.advance(timedelta(hours=1))
    await set_timezone(db, found.id, ana, "America/New_York", now=clock.now())
    await set_hours(db, found.id, ana, days="Sun-Thu", start="22:00", end="00:00", now=clock.now())
    await set_dm_opt_in(db, found.id, ben, "checkins", True, now=clock.now())
    await history.snapshot(clock.now())
    await history.snapshot(clock.now() + timedelta(minutes=1))  # unchanged: no new entry
    clock.advance(timedelta(days=1))
    await set_away(
        db, found.id, ana, date(2026, 3, 10), now=clock.now(), group_zone="Europe/London"
    )
    late = server.create_user("Finn")  # joins late, then leaves
    server.add_member(group.guild_id, late)
    await history.snapshot(clock.now())
    clock.advance(timedelta(days=1))
    await forget_member(db, ben)
    server.remove_member(group.guild_id, ben)
    await history.snapshot(clock.now())

    path = write_members(tmp_path / "members.json", server.world, group, history)
    people = {p["name"]: p for p in json.loads(path.read_text(encoding="utf-8"))}
    assert list(people) == ["Olive", "Mira", "Theo", "Ana", "Ben", "Finn"]  # by id
    assert [people[n]["role"] for n in people] == [
        "owner", "moderator", "co-facilitator", "member", "member", "member",
    ]  # fmt: skip
    assert people["Ana"]["dm_channel_id"] == str(channel)
    assert people["Ben"]["dm_channel_id"] is None
    assert (people["Ben"]["dms_closed"], people["Ana"]["dms_closed"]) == (True, False)
    assert people["Finn"]["joined_at"] == "2026-03-03T10:00:00+00:00"
    assert people["Ben"]["left_at"] == "2026-03-04T10:00:00+00:00"
    assert people["Ana"]["left_at"] is None
    assert people["Ben"]["settings_forgotten_at"] == "2026-03-04T10:00:00+00:00"
    assert len(people["Ben"]["settings"]) == 1
    assert people["Ben"]["settings"][0]["timezone"] == "Europe/London"  # the group's zone
    first, second = people["Ana"]["settings"]
    assert first["from"] == "2026-03-02T10:00:00+00:00"
    assert first["hours"] == {"days": ["Monday", "Tuesday", "Wednesday", "Thursday", "Sunday"],
                              "start": "22:00", "end": "00:00"}  # fmt: skip
    assert (first["away"], first["timezone"]) == (None, "America/New_York")
    assert first["dms"] == {"checkins": False, "consultations": False, "pulse": False}
    assert first["consult_reminders"] == {"on": True, "outside_hours": False}
    assert second["from"] == "2026-03-03T10:00:00+00:00"
    assert second["away"] == {"since": "2026-03-03", "until": "2026-03-10"}
    assert people["Olive"]["settings"] == []
    assert (
        path.read_text(encoding="utf-8")
        == json.dumps(json.loads(path.read_text(encoding="utf-8")), indent=2, sort_keys=True) + "\n"
    )
