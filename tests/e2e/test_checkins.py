"""Weekly check-ins end to end: the real bot, the sandbox server, a virtual clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from checkin_steps import (
    TUESDAY_9,
    advance_to,
    bot_dms,
    count,
    group_id_of,
    opt_in,
    public_messages,
    set_up,
)

from bot.clock import VirtualClock
from bot.members.preferences import get_preferences
from bot.sandbox import SandboxServer
from bot.sandbox.actors import CommandNotPermitted
from bot.sandbox.chapters.checkins import (
    ANSWER,
    DMS_ON,
    answer_checkin,
    checkin_posts,
    latest_dm_with_button,
    summaries,
)
from bot.sandbox.demo import DemoGroup
from bot.sandbox.running_bot import RunningBot, sandbox_settings, start_bot

pytestmark = pytest.mark.e2e


async def test_a_full_week(server: SandboxServer, group: DemoGroup, peerpulse: RunningBot) -> None:
    ana, ben, chen, dev, eve = group.member_ids
    confirmation = await set_up(server, group)
    assert "Tuesdays at 09:00 (UTC), open for 48 hours" in confirmation
    assert f"<t:{int(TUESDAY_9.timestamp())}:F>" in confirmation
    await opt_in(peerpulse, group, ana, chen)

    await advance_to(peerpulse, TUESDAY_9 - timedelta(minutes=1))
    assert checkin_posts(server, group.home_channel_id) == []
    await advance_to(peerpulse, TUESDAY_9)
    [post] = checkin_posts(server, group.home_channel_id)
    assert "Weekly check-in · week 10 of 2026" in post.text
    assert [b["label"] for b in post.buttons()] == [ANSWER, DMS_ON]
    assert [len(bot_dms(server, m)) for m in group.member_ids] == [1, 0, 1, 0, 0]
    invitation = latest_dm_with_button(server, ana)
    assert "check-in (week 10 of 2026) is open" in invitation.content

    from_dm = await answer_checkin(
        server, ana, invitation.id, energy=2, caseload="heavy", boundaries="mostly"
    )
    assert from_dm.message is not None
    assert from_dm.message.ephemeral
    assert "your check-in is saved" in from_dm.message.content
    await answer_checkin(
        server, ben, post.id, energy=4, caseload="manageable", boundaries="yes", consult="yes_share"
    )
    await answer_checkin(
        server, dev, post.id, energy=5, caseload="light", boundaries="yes", consult="yes"
    )

    # Dev changes her answer: the form says so and shows her current answer.
    again = await server.actor(dev).click(post.id, label=ANSWER)
    assert again.modal is not None
    assert again.modal.title.startswith("Change your check-in")
    inputs = again.modal.inputs()
    assert [o["value"] for o in inputs["energy"]["options"] if o.get("default")] == ["5"]
    assert [o["value"] for o in inputs["consult"]["options"] if o.get("default")] == ["yes"]
    replaced = await server.actor(dev).submit_modal(
        again.modal, {"energy": "3", "caseload": "heavy"}
    )
    assert replaced.message is not None
    assert "replaced your earlier answer" in replaced.message.content

    # The one reminder: only to opted-in members who have not answered (Chen), once.
    await advance_to(peerpulse, TUESDAY_9 + timedelta(hours=24))
    assert [len(bot_dms(server, m)) for m in group.member_ids] == [1, 0, 2, 0, 0]
    reminder = latest_dm_with_button(server, chen)
    assert "the only reminder" in reminder.content
    await advance_to(peerpulse, TUESDAY_9 + timedelta(hours=36))
    assert len(bot_dms(server, chen)) == 2

    await advance_to(peerpulse, TUESDAY_9 + timedelta(hours=48))
    [summary] = summaries(server, group.home_channel_id)
    text = summary.text
    assert "**3 responses.**" in text
    assert "Energy (median 3 of 5)" in text
    assert f"2 would like a peer consultation. Sharing their name: <@{ben}>." in text
    assert f"<@{dev}>" not in text
    assert f"<@{eve}>" not in text
    posted = [r.body for r in server.requests_to("POST", "/channels/{channel_id}/messages")]
    assert all(body["allowed_mentions"]["parse"] == [] for body in posted)
    # Someone asked for a consultation: the summary offers to propose one.
    assert [b["label"] for b in summary.buttons()] == ["Propose a consultation"]

    late = await server.actor(eve).click(post.id, label=ANSWER)
    assert late.message is not None
    assert "has closed" in late.message.content
    await peerpulse.advance(timedelta(hours=1))
    assert len(summaries(server, group.home_channel_id)) == 1
    assert await count(peerpulse, "SELECT COUNT(*) FROM checkin_rounds") == 1
    assert await count(peerpulse, "SELECT COUNT(*) FROM checkin_answers") == 3
    assert await count(peerpulse, "SELECT energy FROM checkin_answers WHERE user_id = ?", dev) == 3


async def test_a_restart_mid_week_keeps_buttons_working(
    server: SandboxServer, group: DemoGroup, clock: VirtualClock, tmp_path: Path
) -> None:
    ana, ben, *_ = group.member_ids
    settings = sandbox_settings(server, group.credentials.token, tmp_path / "peerpulse.db")
    first = await start_bot(settings, clock)
    try:
        await set_up(server, group)
        await opt_in(first, group, ana)
        await advance_to(first, TUESDAY_9)
        [post] = checkin_posts(server, group.home_channel_id)
        await answer_checkin(server, ben, post.id, energy=3, caseload="heavy", boundaries="no")
    finally:
        await first.stop()

    clock.advance(timedelta(hours=5))
    second = await start_bot(settings, clock, sync=False)
    try:
        await second.tick()
        assert len(checkin_posts(server, group.home_channel_id)) == 1
        replaced = await answer_checkin(
            server, ben, post.id, energy=4, caseload="manageable", boundaries="yes"
        )
        assert replaced.message is not None
        assert "replaced your earlier answer" in replaced.message.content
        dm = latest_dm_with_button(server, ana)
        from_dm = await answer_checkin(
            server, ana, dm.id, energy=2, caseload="light", boundaries="yes"
        )
        assert from_dm.message is not None
        assert "saved" in from_dm.message.content
        chen = group.member_ids[2]
        opted = await server.actor(chen).click(post.id, label=DMS_ON)
        assert opted.message is not None
        assert "Done: you'll get check-ins by DM" in opted.message.content
        prefs = await get_preferences(second.db, await group_id_of(second, group), chen)
        assert prefs.wants("checkins")

        await advance_to(second, TUESDAY_9 + timedelta(hours=48))
        assert len(checkin_posts(server, group.home_channel_id)) == 1
        assert len(summaries(server, group.home_channel_id)) == 1
        assert await count(second, "SELECT COUNT(*) FROM checkin_rounds") == 1
    finally:
        await second.stop()


async def test_a_form_open_across_a_restart_is_still_saved(
    server: SandboxServer, group: DemoGroup, clock: VirtualClock, tmp_path: Path
) -> None:
    """Ben opens the form, the bot restarts while he writes, he submits: nothing is lost."""
    ben = group.member_ids[1]
    settings = sandbox_settings(server, group.credentials.token, tmp_path / "peerpulse.db")
    first = await start_bot(settings, clock)
    try:
        await set_up(server, group)
        await advance_to(first, TUESDAY_9)
        [post] = checkin_posts(server, group.home_channel_id)
        opened = await server.actor(ben).click(post.id, label=ANSWER)
        assert opened.modal is not None
    finally:
        await first.stop()

    second = await start_bot(settings, clock, sync=False)
    try:
        note = "Long week; I would value time to think about a stuck case."
        submitted = await server.actor(ben).submit_modal(
            opened.modal,
            {
                "energy": "2",
                "caseload": "heavy",
                "boundaries": "mostly",
                "consult": "no",
                "note": note,
            },
        )
        assert submitted.message is not None
        assert submitted.message.ephemeral
        assert "your check-in is saved" in submitted.message.content
        row = await second.db.fetchone(
            "SELECT energy, caseload, boundaries, note, note_visibility FROM checkin_answers"
        )
        assert row is not None
        assert tuple(row) == (2, "heavy", "mostly", note, "only_me")
    finally:
        await second.stop()


async def test_downtime_across_the_opening_time_catches_up_once(
    server: SandboxServer, group: DemoGroup, clock: VirtualClock, tmp_path: Path
) -> None:
    settings = sandbox_settings(server, group.credentials.token, tmp_path / "peerpulse.db")
    first = await start_bot(settings, clock)
    try:
        await set_up(server, group)
    finally:
        await first.stop()

    # Down from Monday until Tuesday 17:00: the round is 8 of its 48 hours late.
    clock.set(TUESDAY_9 + timedelta(hours=8))
    second = await start_bot(settings, clock, sync=False)
    try:
        await second.tick()
        await second.tick()
        [post] = checkin_posts(server, group.home_channel_id)
        closes = int((TUESDAY_9 + timedelta(hours=48)).timestamp())
        assert f"Open until <t:{closes}:F>" in post.text  # the scheduled close is kept

        # A second outage past half of next week's window skips that week, quietly.
        await advance_to(second, TUESDAY_9 + timedelta(days=7, hours=30))
        assert len(checkin_posts(server, group.home_channel_id)) == 1
        await advance_to(second, TUESDAY_9 + timedelta(days=14))
        posts = checkin_posts(server, group.home_channel_id)
        assert [p.embeds[0]["title"] for p in posts] == [
            "Weekly check-in · week 10 of 2026",
            "Weekly check-in · week 12 of 2026",
        ]
        assert await count(second, "SELECT COUNT(*) FROM checkin_rounds") == 2
    finally:
        await second.stop()


async def test_a_dst_week(server: SandboxServer, group: DemoGroup, peerpulse: RunningBot) -> None:
    mira = server.actor(group.moderator_id)
    await mira.slash(
        "peerpulse settings",
        channel_id=group.home_channel_id,
        options={"timezone": "America/New_York"},
    )
    await set_up(server, group, weekday="Monday", hours_open=168)
    before_dst = datetime(2026, 3, 2, 14, tzinfo=UTC)  # Monday 09:00 EST
    after_dst = datetime(2026, 3, 9, 13, tzinfo=UTC)  # Monday 09:00 EDT, an hour earlier in UTC

    await advance_to(peerpulse, before_dst)
    [first] = checkin_posts(server, group.home_channel_id)
    assert first.timestamp == before_dst
    assert f"Open until <t:{int(after_dst.timestamp())}:F>" in first.text  # not 168 h: no overlap
    for member in group.member_ids[:3]:
        await answer_checkin(server, member, first.id, energy=3, caseload="light", boundaries="yes")

    await advance_to(peerpulse, after_dst - timedelta(minutes=1))
    assert summaries(server, group.home_channel_id) == []
    await advance_to(peerpulse, after_dst)
    posts = checkin_posts(server, group.home_channel_id)
    assert [p.timestamp for p in posts] == [before_dst, after_dst]
    [summary] = summaries(server, group.home_channel_id)
    assert summary.timestamp == after_dst
    assert "week 10 of 2026" in summary.text
    rows = await peerpulse.db.fetchall("SELECT period, status FROM checkin_rounds ORDER BY period")
    assert [tuple(r) for r in rows] == [("2026-W10", "closed"), ("2026-W11", "open")]


async def test_fewer_than_three_answers_show_only_the_count(
    server: SandboxServer, group: DemoGroup, peerpulse: RunningBot
) -> None:
    ana, ben, *_ = group.member_ids
    await set_up(server, group)
    await advance_to(peerpulse, TUESDAY_9)
    [post] = checkin_posts(server, group.home_channel_id)
    await answer_checkin(
        server, ana, post.id, energy=1, caseload="overwhelming", boundaries="no", consult="yes"
    )
    await answer_checkin(server, ben, post.id, energy=5, caseload="light", boundaries="yes")
    await advance_to(peerpulse, TUESDAY_9 + timedelta(hours=48))
    [summary] = summaries(server, group.home_channel_id)
    assert "**2 responses.** Fewer than 3 people answered" in summary.text
    for hidden in ("Energy", "Caseload", "Boundaries", "Overwhelming", "consultation", "<@"):
        assert hidden not in summary.text


async def test_note_visibility_and_flagged_notes(
    server: SandboxServer, group: DemoGroup, peerpulse: RunningBot
) -> None:
    ana, ben, chen, dev, _ = group.member_ids
    private, for_moderators, shared = (
        "PRIVATE-NOTE: sleeping badly, keeping it to myself.",
        "MODS-NOTE: I need cover for my leave next month.",
        "GROUP-NOTE: the reflective practice session helped a lot.",
    )
    await set_up(server, group)
    await advance_to(peerpulse, TUESDAY_9)
    [post] = checkin_posts(server, group.home_channel_id)

    # A note that may identify a client is not saved; the author edits it, text kept.
    flagged = await answer_checkin(
        server,
        ana,
        post.id,
        energy=2,
        caseload="heavy",
        boundaries="no",
        note="Client Maria (maria@example.org) cancelled again.",
    )
    assert flagged.message is not None
    assert "may identify a client" in flagged.message.content
    assert "an email address" in flagged.message.content
    assert "Maria" in flagged.message.text
    assert await count(peerpulse, "SELECT COUNT(*) FROM checkin_answers") == 0
    edit = await server.actor(ana).click(flagged.message.id, label="Edit my note")
    assert edit.modal is not None
    assert edit.modal.inputs()["note"]["value"].startswith("Client Maria")
    saved = await server.actor(ana).submit_modal(edit.modal, {"note": private})
    assert saved.message is not None
    assert saved.message.id == flagged.message.id  # the warning became the confirmation
    assert "**only you" in saved.message.content  # a new note starts private

    # Ben confirms a flagged note as written, then addresses it to the moderators.
    flagged = await answer_checkin(
        server,
        ben,
        post.id,
        energy=3,
        caseload="heavy",
        boundaries="mostly",
        note=f"{for_moderators} Call me on 555-123-4567.",
    )
    assert flagged.message is not None
    confirmed = await server.actor(ben).click(
        flagged.message.id, label="It identifies no one: save as written"
    )
    assert confirmed.message is not None
    assert "your check-in is saved" in confirmed.message.content
    chosen = await server.actor(ben).click(confirmed.message.id, label="Moderators")
    assert chosen.message is not None
    assert "**the moderators" in chosen.message.content

    saved = await answer_checkin(
        server, chen, post.id, energy=4, caseload="light", boundaries="yes", note=shared
    )
    assert saved.message is not None
    await server.actor(chen).click(saved.message.id, label="The group")
    # Editing other answers keeps the note's chosen visibility.
    again = await answer_checkin(
        server, chen, post.id, energy=5, caseload="light", boundaries="yes", note=shared
    )
    assert again.message is not None
    assert "**the group" in again.message.content
    await answer_checkin(server, dev, post.id, energy=3, caseload="manageable", boundaries="yes")

    notes = await server.actor(group.moderator_id).slash(
        "checkin notes", channel_id=group.home_channel_id
    )
    assert notes.message is not None
    assert notes.message.ephemeral
    assert for_moderators in notes.message.text
    assert private not in notes.message.text
    with pytest.raises(CommandNotPermitted):  # Discord does not offer /checkin to members
        await server.actor(dev).slash("checkin notes", channel_id=group.home_channel_id)
    # A server admin may open it to everyone; peerpulse still refuses members.
    server.set_command_access(group.guild_id, "checkin", role_id=group.guild_id)
    refused = await server.actor(dev).slash("checkin notes", channel_id=group.home_channel_id)
    assert refused.message is not None
    assert "Only the group's moderators" in refused.message.content

    await advance_to(peerpulse, TUESDAY_9 + timedelta(hours=48))
    [summary] = summaries(server, group.home_channel_id)
    assert "1 shared, in the next message(s)" in summary.text
    everything = "\n".join(m.text for m in public_messages(server, group))
    assert shared in everything
    assert "PRIVATE-NOTE" not in everything
    assert "MODS-NOTE" not in everything
    for member in group.member_ids:
        assert not any("PRIVATE-NOTE" in m.text for m in bot_dms(server, member))
