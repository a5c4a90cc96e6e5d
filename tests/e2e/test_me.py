"""/me through the real client and the sandbox server: every subcommand, bad input, DMs."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from bot.clock import VirtualClock
from bot.delivery.recipients import DMS_CLOSED_HINT
from bot.members.preferences import get_preferences
from bot.sandbox import SandboxServer
from bot.sandbox.actors import Actor, InteractionResult
from bot.sandbox.demo import DemoGroup
from bot.sandbox.running_bot import RunningBot
from bot.sandbox.views import MessageView

pytestmark = pytest.mark.e2e

# The clock starts on Monday 2 March 2026 at 09:00 UTC; the demo group's zone is UTC.


async def me(actor: Actor, group: DemoGroup, sub: str, **options: object) -> MessageView:
    """Use `/me <sub>` in the group's channel; the (ephemeral) answer."""
    result = await actor.slash(f"me {sub}", channel_id=group.home_channel_id, options=options)
    assert result.message is not None
    assert result.message.ephemeral
    return result.message


async def prefs_row(peerpulse: RunningBot, user_id: int) -> tuple[object, ...] | None:
    row = await peerpulse.db.fetchone(
        "SELECT timezone, work_days, work_start, work_end, away_since, away_until, "
        "dm_checkins, dm_consultations, dm_pulse, reminders FROM member_preferences "
        "WHERE user_id = ?",
        (user_id,),
    )
    return tuple(row) if row is not None else None


async def test_show_gives_the_defaults_only_to_the_member(
    server: SandboxServer, group: DemoGroup, peerpulse: RunningBot
) -> None:
    ana, ben = (server.actor(u) for u in group.member_ids[:2])
    shown = await me(ana, group, "show")
    text = shown.embed_text()
    assert "Your settings" in text
    assert "Time zone: UTC, the group's" in text
    assert "Working hours: Mon\N{EN DASH}Fri 09:00\N{EN DASH}17:00 (UTC)" in text
    assert "Within your working hours now." in text
    assert "DMs: none (opt in with /me dms)" in text
    assert "Reminders: on" in text
    assert "Riverside Peer Consultation" in text
    assert not [m for m in ben.sees(group.home_channel_id) if "Your settings" in m.text]
    assert await prefs_row(peerpulse, ana.user_id) is None  # showing stores nothing


async def test_timezone_autocompletes_saves_resets_and_refuses_unknown_zones(
    server: SandboxServer, group: DemoGroup, peerpulse: RunningBot
) -> None:
    ana = server.actor(group.member_ids[0])
    choices = await ana.autocomplete(
        "me timezone", "zone", "new yo", channel_id=group.home_channel_id
    )
    assert choices[0]["value"] == "America/New_York"
    group_choice = await ana.autocomplete(
        "me timezone", "zone", "gr", channel_id=group.home_channel_id
    )
    assert group_choice[0] == {"name": "The group's zone", "value": "group"}

    saved = await me(ana, group, "timezone", zone="america/new_york")
    assert "Time zone saved" in saved.embed_text()
    assert "Time zone: America/New_York" in saved.embed_text()
    assert "(America/New_York)" in saved.embed_text()

    refused = await me(ana, group, "timezone", zone="Mars/Olympus")
    assert "I don't know the time zone 'Mars/Olympus'" in refused.content
    assert "for example Europe/London" in refused.content
    prefs = await get_preferences(peerpulse.db, 1, ana.user_id)
    assert prefs.timezone == "America/New_York"

    reset = await me(ana, group, "timezone", zone="group")
    assert "Time zone: UTC, the group's" in reset.embed_text()


async def test_hours_save_a_night_window_and_bad_input_changes_nothing(
    server: SandboxServer, group: DemoGroup, peerpulse: RunningBot
) -> None:
    ben = server.actor(group.member_ids[1])
    saved = await me(ben, group, "hours", days="Sun-Thu", start="22:00", end="06:00")
    text = saved.embed_text()
    assert "Working hours saved" in text
    assert "Sun\N{EN DASH}Thu 22:00\N{EN DASH}06:00 (next day)" in text
    assert "Next working window: <t:" in text  # Monday 09:00 UTC is outside 22:00-06:00
    before = await prefs_row(peerpulse, ben.user_id)

    bad_day = await me(ben, group, "hours", days="Funday", start="09:00", end="17:00")
    assert "I don't know the day 'funday'" in bad_day.content
    assert "Mon-Fri" in bad_day.content
    bad_time = await me(ben, group, "hours", days="Mon-Fri", start="25:00", end="17:00")
    assert bad_time.content == (
        "I can't read '25:00' as a time of day. Type it like 09:00, 17:30, 9am or 9:30 pm."
    )
    empty = await me(ben, group, "hours", days="Mon-Fri", start="09:00", end="09:00")
    assert "Start and end must differ" in empty.content
    assert await prefs_row(peerpulse, ben.user_id) == before


async def test_away_until_a_date_or_indefinitely_then_back(
    server: SandboxServer, group: DemoGroup, peerpulse: RunningBot
) -> None:
    chen = server.actor(group.member_ids[2])
    away = await me(chen, group, "away", until="20 Mar")
    assert "Away until Fri 20 Mar" in away.embed_text()
    assert "no DMs until that day ends" in away.embed_text()
    prefs = await get_preferences(peerpulse.db, 1, chen.user_id)
    assert prefs.away is not None
    assert prefs.away.until is not None
    assert prefs.away.until.isoformat() == "2026-03-20"

    garbled = await me(chen, group, "away", until="someday")
    assert garbled.content == "Write the date like 2026-03-03 or 3 Mar."
    past = await me(chen, group, "away", until="2026-03-01")
    assert "That date has passed" in past.content
    far = await me(chen, group, "away", until="2027-06-01")
    assert "within the next year" in far.content
    kept = await get_preferences(peerpulse.db, 1, chen.user_id)
    assert kept.away == prefs.away

    forever = await me(chen, group, "away")
    assert "Away until you use /me back: no DMs meanwhile." in forever.embed_text()
    back = await me(chen, group, "back")
    assert "Welcome back" in back.embed_text()
    assert "Away" not in back.embed_text().replace("Welcome back", "")
    assert (await get_preferences(peerpulse.db, 1, chen.user_id)).away is None


async def test_dms_opt_in_queues_one_welcome_dm_delivered_within_hours(
    server: SandboxServer, group: DemoGroup, peerpulse: RunningBot, clock: VirtualClock
) -> None:
    dev = server.actor(group.member_ids[3])
    await me(dev, group, "hours", days="Mon-Fri", start="10:30", end="18:00")
    opted = await me(dev, group, "dms", kind="checkins", setting="on")
    assert "DMs: check-in prompts" in opted.embed_text()
    assert "one short DM within your working hours" in opted.embed_text()

    await peerpulse.tick()  # 09:00 UTC: before Dev's 10:30, so the DM waits
    assert dev.dms() == []
    await peerpulse.advance(timedelta(hours=1, minutes=29))
    assert dev.dms() == []
    await peerpulse.advance(timedelta(minutes=1))
    dms = dev.dms()
    assert len(dms) == 1
    assert dms[0].timestamp == clock.now()
    assert "Hello from peerpulse, for **Riverside Peer Consultation**" in dms[0].content
    assert "check-in prompts" in dms[0].content
    assert "Mon\N{EN DASH}Fri 10:30\N{EN DASH}18:00, UTC" in dms[0].content

    again = await me(dev, group, "dms", kind="pulse", setting="on")
    assert "DMs: check-in prompts, pulse invitations" in again.embed_text()
    assert "one short DM" not in again.embed_text()  # one welcome per member, ever
    off = await me(dev, group, "dms", kind="checkins", setting="off")
    assert "DMs: pulse invitations" in off.embed_text()
    await peerpulse.advance(timedelta(hours=1))
    assert len(dev.dms()) == 1


async def test_reminders_off_and_on(
    server: SandboxServer, group: DemoGroup, peerpulse: RunningBot
) -> None:
    eve = server.actor(group.member_ids[4])
    off = await me(eve, group, "reminders", setting="off")
    assert "Reminders: off" in off.embed_text()
    assert not (await get_preferences(peerpulse.db, 1, eve.user_id)).reminders
    on = await me(eve, group, "reminders", setting="on")
    assert "Reminders: on" in on.embed_text()


async def test_export_is_an_ephemeral_json_file_of_only_the_members_data(
    server: SandboxServer, group: DemoGroup, peerpulse: RunningBot
) -> None:
    ana, ben = (server.actor(u) for u in group.member_ids[:2])
    await me(ana, group, "timezone", zone="Europe/Lisbon")
    await me(ana, group, "dms", kind="consultations", setting="on")
    await me(ben, group, "timezone", zone="Asia/Tokyo")
    await peerpulse.tick()  # Ana's welcome DM goes out: an outbox row and a DM channel

    exported = await me(ana, group, "export")
    assert "Only you can see this file" in exported.content
    [attachment] = exported.attachments
    assert attachment.filename == "peerpulse-my-data.json"
    document = json.loads(attachment.data)
    assert document["user_id"] == ana.user_id
    tables = document["tables"]
    assert tables["member_preferences"][0]["timezone"] == "Europe/Lisbon"
    assert tables["member_preferences"][0]["dm_consultations"] == 1
    assert tables["outbox"][0]["kind"] == "dms_welcome"
    assert tables["outbox"][0]["status"] == "sent"
    assert tables["dm_recipients"][0]["channel_id"] == ana.dm_channel_id()
    assert "Asia/Tokyo" not in attachment.data.decode()
    assert str(ben.user_id) not in attachment.data.decode()
    assert "cannot be exported, because they are linked to no one" in document["about"]
    assert "Pulse answers cannot be exported" in exported.content


async def all_rows_mentioning(peerpulse: RunningBot, user_id: int) -> list[tuple[str, str]]:
    """Every (table, column) holding the user id, as a number or inside text, in any table."""
    found: list[tuple[str, str]] = []
    tables = await peerpulse.db.fetchall(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
    )
    for table in tables:
        rows = await peerpulse.db.fetchall(f'SELECT * FROM "{table["name"]}"')  # noqa: S608
        for row in rows:
            for column in row.keys():  # noqa: SIM118 - sqlite3.Row
                value = row[column]
                if value == user_id or (isinstance(value, str) and str(user_id) in value):
                    found.append((table["name"], column))
    return found


async def give_a_checkin_answer(peerpulse: RunningBot, group: DemoGroup, user_id: int) -> None:
    """A round with one answer and a note, written as the check-ins capability stores them."""
    db = peerpulse.db
    round_id = await db.execute(
        "INSERT INTO checkin_rounds (group_id, period, channel_id, opens_at, closes_at, "
        "reminder_due_at) VALUES (1, '2026-W10', ?, '2026-03-02T09:00:00.000000+00:00', "
        "'2026-03-04T09:00:00.000000+00:00', '2026-03-03T09:00:00.000000+00:00')",
        (group.home_channel_id,),
    )
    await db.execute(
        "INSERT INTO checkin_answers (round_id, group_id, user_id, energy, caseload, "
        "boundaries, wants_consult, note, note_visibility, answered_at, note_created_at) "
        "VALUES (?, 1, ?, 3, 'heavy', 'mostly', 1, 'long week', 'group', ?, ?)",
        (round_id, user_id, "2026-03-02T09:00:00.000000+00:00", "2026-03-02T09:00:00.000000+00:00"),
    )


async def test_forget_asks_first_then_leaves_no_row_referencing_the_member(
    server: SandboxServer, group: DemoGroup, peerpulse: RunningBot
) -> None:
    ana, ben = (server.actor(u) for u in group.member_ids[:2])
    for member in (ana, ben):
        await me(member, group, "timezone", zone="Europe/London")
        await me(member, group, "hours", days="every day", start="00:00", end="24:00")
        await me(member, group, "dms", kind="checkins", setting="on")
        await me(member, group, "away", until="2026-03-10")
    await give_a_checkin_answer(peerpulse, group, ana.user_id)
    await me(ben, group, "back")
    await peerpulse.tick()  # Ben's welcome DM is sent; Ana's is skipped while she is away
    assert len(ben.dms()) == 1
    before = await all_rows_mentioning(peerpulse, ana.user_id)
    assert {table for table, _ in before} >= {
        "member_preferences",
        "outbox",
        "checkin_answers",
    }

    asked = await me(ana, group, "forget")
    assert "cannot be undone" in asked.content
    assert "neither found nor erased" in asked.content
    kept = await ana.click(asked.id, label="Keep my data")
    assert kept.message is not None
    assert kept.message.content == "Nothing was erased."
    assert await all_rows_mentioning(peerpulse, ana.user_id) == before

    asked = await me(ana, group, "forget")
    erased = await ana.click(asked.id, label="Erase everything")
    assert erased.message is not None
    assert "Erased: your settings" in erased.message.content
    assert "Anonymous pulse answers were never linked to you" in erased.message.content
    assert erased.message.buttons() == []
    assert await all_rows_mentioning(peerpulse, ana.user_id) == []
    assert {table for table, _ in await all_rows_mentioning(peerpulse, ben.user_id)} >= {
        "member_preferences",
        "outbox",
        "dm_recipients",
    }
    shown = await me(ana, group, "show")
    assert "DMs: none" in shown.embed_text()


async def test_in_dms_me_applies_to_the_members_only_group(
    server: SandboxServer, group: DemoGroup, peerpulse: RunningBot
) -> None:
    ana, ben = (server.actor(u) for u in group.member_ids[:2])
    lost = await ana.slash("me show", channel_id=ana.dm_channel_id())
    assert lost.message is not None
    assert lost.message.ephemeral
    assert "Use /me in a channel of your group's server" in lost.message.content

    await me(ana, group, "timezone", zone="America/New_York")
    in_dms = await ana.slash(
        "me reminders", channel_id=ana.dm_channel_id(), options={"setting": "off"}
    )
    assert in_dms.message is not None
    assert "Reminders: off" in in_dms.message.embed_text()
    assert "Riverside Peer Consultation" in in_dms.message.embed_text()
    assert not (await get_preferences(peerpulse.db, 1, ana.user_id)).reminders

    exported = await ben.slash("me export", channel_id=ben.dm_channel_id())
    assert exported.message is not None
    assert exported.message.attachments[0].filename == "peerpulse-my-data.json"


async def test_closed_dms_are_tried_once_and_the_member_is_told_once(
    server: SandboxServer, group: DemoGroup, peerpulse: RunningBot
) -> None:
    eve = server.actor(group.member_ids[4])
    server.set_dms_closed(eve.user_id)
    await me(eve, group, "dms", kind="checkins", setting="on")
    await peerpulse.tick()
    await peerpulse.advance(timedelta(hours=1))
    sends = server.requests_to("POST", "/channels/{channel_id}/messages")
    assert [(r.status, r.error_code) for r in sends] == [(403, 50007)]

    result: InteractionResult = await eve.slash("me show", channel_id=group.home_channel_id)
    assert result.message is not None
    assert "Your settings" in result.message.embed_text()  # the command's own answer first
    [hint] = await result.wait_followups(1)
    assert hint.ephemeral
    assert hint.content == DMS_CLOSED_HINT
    row = await peerpulse.db.fetchone(
        "SELECT dms_closed_at FROM dm_recipients WHERE user_id = ?", (eve.user_id,)
    )
    assert row is not None
    assert row["dms_closed_at"] is None  # the dispatcher may try her DMs again
    again = await eve.slash("me show", channel_id=group.home_channel_id)
    await peerpulse.advance(timedelta(minutes=1))
    assert again.followups == []


async def test_privacy_explains_settings_dms_export_and_forget(
    server: SandboxServer, group: DemoGroup, peerpulse: RunningBot
) -> None:
    result = await server.actor(group.member_ids[0]).slash(
        "privacy", channel_id=group.home_channel_id
    )
    assert result.message is not None
    text = result.message.embed_text()
    assert "Your settings and DMs" in text
    assert "No DM is sent outside your working hours or while you are away" in text
    assert "/me export gives you everything linked to you as a file" in text
    assert "/me forget erases it now" in text
    assert "ask a moderator" not in text
    embed = result.message.embeds[0]
    size = len(embed.get("title", "")) + len(embed.get("description", ""))
    size += sum(len(f["name"]) + len(f["value"]) for f in embed["fields"])
    assert size <= 6000
