"""Bad input that used to reach the incident path: each gets a plain ephemeral sentence
saying what to do, and changes nothing (issue 8, part 4)."""

# ruff: noqa: RUF001 - the bot writes day and time ranges with en dashes

from __future__ import annotations

import pytest
from checkin_steps import TUESDAY_9, advance_to, count, set_up
from modified_client import raw_modal_submit, raw_slash

from bot.sandbox import SandboxServer
from bot.sandbox.actors import InteractionResult
from bot.sandbox.chapters.checkins import ANSWER, checkin_posts
from bot.sandbox.demo import DemoGroup
from bot.sandbox.running_bot import RunningBot
from bot.sandbox.views import MessageView

pytestmark = pytest.mark.e2e

TIME_HINT = "Type it like 09:00, 17:30, 9am or 9:30 pm."


async def plain_answer(result: InteractionResult) -> MessageView:
    """The interaction's answer: ephemeral, and never the incident sentence."""
    message = await result.final()
    assert message.ephemeral
    assert "incident" not in message.text
    assert "went wrong" not in message.text
    return message


async def snapshot(
    server: SandboxServer, group: DemoGroup, running: RunningBot
) -> list[tuple[object, ...]]:
    """Every row of the tables a command could change (after the group's first use)."""
    await server.actor(group.moderator_id).slash(
        "peerpulse settings", channel_id=group.home_channel_id
    )
    rows: list[tuple[object, ...]] = []
    for table in ("groups", "member_preferences", "checkin_schedules", "checkin_answers"):
        found = await running.db.fetchall(f"SELECT * FROM {table} ORDER BY 1, 2")  # noqa: S608
        rows += [(table, *tuple(row)) for row in found]
    return rows


async def hours_row(running: RunningBot, user_id: int) -> tuple[object, ...] | None:
    row = await running.db.fetchone(
        "SELECT work_days, work_start, work_end FROM member_preferences WHERE user_id = ?",
        (user_id,),
    )
    return tuple(row) if row is not None else None


# --- times of day ---------------------------------------------------------------------


async def test_hours_ending_at_midnight_make_an_evening_window(
    server: SandboxServer, group: DemoGroup, peerpulse: RunningBot
) -> None:
    ana = server.actor(group.member_ids[0])
    for end in ("00:00", "24:00", "midnight"):
        result = await ana.slash(
            "me hours",
            channel_id=group.home_channel_id,
            options={"days": "Mon-Fri", "start": "18:00", "end": end},
        )
        saved = await plain_answer(result)
        assert "Working hours saved" in saved.embed_text()
        assert "Mon–Fri 18:00–24:00 (UTC)" in saved.embed_text()
        assert await hours_row(peerpulse, ana.user_id) == (31, 18 * 60, 24 * 60)


async def test_12_hour_times_are_read_in_hours_and_checkin_setup(
    server: SandboxServer, group: DemoGroup, peerpulse: RunningBot
) -> None:
    dev = server.actor(group.member_ids[3])
    result = await dev.slash(
        "me hours",
        channel_id=group.home_channel_id,
        options={"days": "Sun-Thu", "start": "10pm", "end": "6am"},
    )
    saved = await plain_answer(result)
    assert "Sun–Thu 22:00–06:00 (next day)" in saved.embed_text()
    text = await set_up(server, group, time="9:30 pm", hours_open=1)
    assert "Tuesdays at 21:30 (UTC), open for 1 hour" in text
    assert "1 hours" not in text
    assert await count(peerpulse, "SELECT COUNT(*) FROM checkin_schedules") == 1


async def test_an_unreadable_time_gets_one_wording_everywhere_and_changes_nothing(
    server: SandboxServer, group: DemoGroup, peerpulse: RunningBot
) -> None:
    before = await snapshot(server, group, peerpulse)
    sentence = f"I can't read 'noonish' as a time of day. {TIME_HINT}"
    hours = await server.actor(group.member_ids[0]).slash(
        "me hours",
        channel_id=group.home_channel_id,
        options={"days": "Mon-Fri", "start": "noonish", "end": "17:00"},
    )
    assert (await plain_answer(hours)).text == sentence
    setup = await server.actor(group.moderator_id).slash(
        "checkin setup",
        channel_id=group.home_channel_id,
        options={"weekday": "Tuesday", "time": "noonish"},
    )
    assert (await plain_answer(setup)).text == sentence
    assert await snapshot(server, group, peerpulse) == before


# --- the check-in form from a modified client ------------------------------------------


async def open_form(server: SandboxServer, group: DemoGroup, peerpulse: RunningBot) -> object:
    await set_up(server, group)
    await advance_to(peerpulse, TUESDAY_9)
    post = checkin_posts(server, group.home_channel_id)[-1]
    opened = await server.actor(group.member_ids[0]).click(post.id, label=ANSWER)
    assert opened.modal is not None
    return opened.modal


@pytest.mark.parametrize(
    ("field", "value", "sentence"),
    [
        ("energy", "²", "Energy is a number from 1"),
        ("energy", "9" * 5000, "Energy is a number from 1"),
        ("energy", "٣", "Energy is a number from 1"),
        ("energy", " 3", "Energy is a number from 1"),
        ("energy", "", "Energy is a number from 1"),
        ("caseload", "enormous", "Pick a caseload"),
        ("boundaries", "\u202eyes", "Pick whether you kept your boundaries"),
        ("consult", "maybe", "Pick whether you'd like a peer consultation"),
    ],
)
async def test_forged_form_values_are_refused_plainly(  # noqa: PLR0917 - parametrized
    server: SandboxServer,
    group: DemoGroup,
    peerpulse: RunningBot,
    field: str,
    value: str,
    sentence: str,
) -> None:
    modal = await open_form(server, group, peerpulse)
    values = {"energy": "3", "caseload": "heavy", "boundaries": "yes", "consult": "no"}
    values[field] = value
    result = await raw_modal_submit(server, group.member_ids[0], modal, values)  # type: ignore[arg-type]
    assert sentence in (await plain_answer(result)).text
    assert await count(peerpulse, "SELECT COUNT(*) FROM checkin_answers") == 0


async def test_a_forged_round_id_in_a_form_is_refused_plainly(
    server: SandboxServer, group: DemoGroup, peerpulse: RunningBot
) -> None:
    modal = await open_form(server, group, peerpulse)
    values = {"energy": "3", "caseload": "heavy", "boundaries": "yes", "consult": "no"}
    for forged in ("9" * 30, str(2**63), "9" * 90):
        result = await raw_modal_submit(
            server,
            group.member_ids[0],
            modal,  # type: ignore[arg-type]
            values,
            custom_id=f"checkin:form:{forged}:abcdef",
        )
        assert "That check-in no longer exists" in (await plain_answer(result)).text
    assert await count(peerpulse, "SELECT COUNT(*) FROM checkin_answers") == 0


# --- time zones -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("zone", "sentence"),
    [
        ("localtime", "I don't know the time zone 'localtime'"),
        ("Factory", "I don't know the time zone 'Factory'"),
        ("   ", "Type a time zone, for example Europe/London"),
    ],
)
async def test_members_and_moderators_cannot_choose_internal_or_blank_zones(
    server: SandboxServer, group: DemoGroup, peerpulse: RunningBot, zone: str, sentence: str
) -> None:
    ana = server.actor(group.member_ids[0])
    here = group.home_channel_id
    saved = await ana.slash("me timezone", channel_id=here, options={"zone": "Asia/Tokyo"})
    await plain_answer(saved)
    before = await snapshot(server, group, peerpulse)
    member = await ana.slash("me timezone", channel_id=here, options={"zone": zone})
    assert sentence in (await plain_answer(member)).text
    moderator = await server.actor(group.moderator_id).slash(
        "peerpulse settings", channel_id=here, options={"timezone": zone}
    )
    assert sentence in (await plain_answer(moderator)).text
    assert await snapshot(server, group, peerpulse) == before


async def test_zone_autocomplete_offers_no_internal_keys(
    server: SandboxServer, group: DemoGroup, peerpulse: RunningBot
) -> None:
    here = group.home_channel_id
    for command, option, actor in (
        ("me timezone", "zone", group.member_ids[0]),
        ("peerpulse settings", "timezone", group.moderator_id),
    ):
        for typed in ("localt", "factor", "posixr"):
            choices = await server.actor(actor).autocomplete(
                command, option, typed, channel_id=here
            )
            assert [
                c for c in choices if c["value"] in {"localtime", "Factory", "posixrules"}
            ] == []


# --- the moderator role -------------------------------------------------------------------


async def test_everyone_and_managed_roles_cannot_be_the_moderator_role(
    server: SandboxServer, group: DemoGroup, peerpulse: RunningBot
) -> None:
    roles = server.world.guild(group.guild_id).roles.values()
    bot_role = next(role.id for role in roles if role.managed)
    here = group.home_channel_id
    before = await snapshot(server, group, peerpulse)
    mira = server.actor(group.moderator_id)
    everyone = await mira.slash(
        "peerpulse settings", channel_id=here, options={"moderator_role": group.guild_id}
    )
    assert "@everyone can't be the moderator role" in (await plain_answer(everyone)).text
    managed = await mira.slash(
        "peerpulse settings", channel_id=here, options={"moderator_role": bot_role}
    )
    assert "belongs to a bot or an integration" in (await plain_answer(managed)).text
    assert await snapshot(server, group, peerpulse) == before
    # An admin lets everyone see /checkin, so the bot's own moderator check is what refuses.
    server.set_command_access(group.guild_id, "checkin", role_id=group.guild_id)
    refused = await server.actor(group.member_ids[0]).slash("checkin notes", channel_id=here)
    assert "Only the group's moderators" in (await plain_answer(refused)).text


async def test_a_moderator_role_saved_as_everyone_earlier_moderates_no_one(
    server: SandboxServer, group: DemoGroup, peerpulse: RunningBot
) -> None:
    await snapshot(server, group, peerpulse)  # the group exists
    await peerpulse.db.execute("UPDATE groups SET moderator_role_id = ?", (group.guild_id,))
    server.set_command_access(group.guild_id, "checkin", role_id=group.guild_id)
    refused = await server.actor(group.member_ids[0]).slash(
        "checkin notes", channel_id=group.home_channel_id
    )
    assert "Only the group's moderators" in (await plain_answer(refused)).text


# --- every command's options, as a modified client could send them -----------------------

OPTION_TYPES = {
    "channel": 7,
    "home_channel": 7,
    "moderator_role": 8,
    "clear_moderator_role": 5,
    "reminder": 5,
    "hours_open": 4,
    "weeks": 4,
    "zone": 3,
    "days": 3,
    "start": 3,
    "end": 3,
    "until": 3,
    "kind": 3,
    "setting": 3,
    "timezone": 3,
    "weekday": 3,
    "time": 3,
}
SETUP = {"weekday": "Monday", "time": "09:00"}
MALFORMED: list[tuple[str, dict[str, object], str]] = [
    ("me timezone", {"zone": "x" * 4000}, "zone takes at most 64 characters."),
    ("me timezone", {"zone": ""}, "zone can't be empty."),
    ("me timezone", {"zone": 5}, "I couldn't use the value sent for zone."),
    ("me hours", {"days": "Mon-Fri", "start": "9" * 4000, "end": "17:00"}, "start takes at most"),
    ("me hours", {"days": 5, "start": 9, "end": 17}, "the value sent for days"),
    ("me away", {"until": 20260320}, "the value sent for until"),
    ("me away", {"until": "\u202e" * 31}, "until takes at most 30 characters."),
    ("me dms", {"kind": "everything", "setting": "on"}, "the value sent for kind"),
    ("me reminders", {"setting": "maybe"}, "the value sent for setting"),
    ("checkin setup", {**SETUP, "hours_open": 10**30}, "hours_open takes a number from 1 to 168."),
    ("checkin setup", {**SETUP, "hours_open": -5}, "hours_open takes a number from 1 to 168."),
    ("checkin setup", {**SETUP, "hours_open": 2.5}, "hours_open takes a whole number."),
    ("checkin setup", {**SETUP, "reminder": "yes"}, "the value sent for reminder"),
    ("checkin setup", {**SETUP, "channel": "9" * 30}, "the value sent for channel"),
    ("checkin setup", {"weekday": "M" * 500, "time": "09:00"}, "weekday takes at most 20"),
    ("checkin history", {"weeks": 10**30}, "weeks takes a number from 2 to 260."),
    ("checkin history", {"weeks": -1}, "weeks takes a number from 2 to 260."),
    ("peerpulse settings", {"moderator_role": "12345"}, "the value sent for moderator_role"),
    ("peerpulse settings", {"moderator_role": "9" * 30}, "the value sent for moderator_role"),
    ("peerpulse settings", {"home_channel": "12345"}, "the value sent for home_channel"),
    ("peerpulse settings", {"clear_moderator_role": "true"}, "clear_moderator_role"),
    ("peerpulse settings", {"timezone": "x" * 4000}, "timezone takes at most 64 characters."),
    ("peerpulse settings", {"nonsense": "x"}, "has no option called that"),
    ("me hours", {"days": "Mon-Fri", "start": "09:00"}, "/me hours needs end."),
    ("checkin setup", {"weekday": "Monday"}, "/checkin setup needs time."),
]


async def test_options_past_their_declaration_are_refused_plainly_and_change_nothing(
    server: SandboxServer, group: DemoGroup, peerpulse: RunningBot
) -> None:
    here = group.home_channel_id
    await set_up(server, group)
    before = await snapshot(server, group, peerpulse)
    wrong = []
    for command, options, sentence in MALFORMED:
        result = await raw_slash(
            server,
            group.moderator_id,
            command,
            channel_id=here,
            options=options,
            option_types=OPTION_TYPES,
        )
        text = (await plain_answer(result)).text
        if sentence not in text:
            wrong.append((command, str(options)[:60], text))
    assert wrong == []
    assert await snapshot(server, group, peerpulse) == before


async def test_invisible_characters_pasted_with_a_value_are_ignored(
    server: SandboxServer, group: DemoGroup, peerpulse: RunningBot
) -> None:
    ana = server.actor(group.member_ids[0])
    here = group.home_channel_id
    zone = await ana.slash(
        "me timezone", channel_id=here, options={"zone": "\u202aEurope/London\u200b\u202c"}
    )
    assert "Time zone: Europe/London" in (await plain_answer(zone)).embed_text()
    hours = await ana.slash(
        "me hours",
        channel_id=here,
        options={"days": "\u2066Mon-Fri\u2069", "start": "0\u200b9:00", "end": "5\u200dpm"},
    )
    assert "Mon–Fri 09:00–17:00" in (await plain_answer(hours)).embed_text()
    away = await ana.slash("me away", channel_id=here, options={"until": "\u200f20 Mar"})
    assert "Away until Fri 20 Mar" in (await plain_answer(away)).embed_text()


async def test_refusals_quote_typed_text_without_its_formatting(
    server: SandboxServer, group: DemoGroup, peerpulse: RunningBot
) -> None:
    ana = server.actor(group.member_ids[0])
    result = await ana.slash(
        "me hours",
        channel_id=group.home_channel_id,
        options={"days": "**@everyone**", "start": "09:00", "end": "17:00"},
    )
    text = (await plain_answer(result)).text
    assert text.startswith("I don't know the day '\\*\\*@\u200beveryone\\*\\*'.")
    assert await hours_row(peerpulse, ana.user_id) is None


async def test_a_note_that_is_not_text_is_ignored_and_the_answer_saved(
    server: SandboxServer, group: DemoGroup, peerpulse: RunningBot
) -> None:
    modal = await open_form(server, group, peerpulse)
    values = {"energy": "3", "caseload": "heavy", "boundaries": "yes", "consult": "no", "note": 5}
    result = await raw_modal_submit(server, group.member_ids[0], modal, values)  # type: ignore[arg-type]
    assert "your check-in is saved" in (await plain_answer(result)).text
    assert await count(peerpulse, "SELECT COUNT(*) FROM checkin_answers WHERE note IS NULL") == 1


async def test_an_autocomplete_request_of_the_wrong_type_gets_no_choices(
    server: SandboxServer, group: DemoGroup, peerpulse: RunningBot
) -> None:
    for command, option in (("me timezone", "zone"), ("peerpulse settings", "timezone")):
        result = await raw_slash(
            server,
            group.moderator_id,
            command,
            channel_id=group.home_channel_id,
            options={option: 5},
            option_types={option: 3},
            focused=option,
        )
        assert result.choices == []


async def test_counts_in_answers_take_the_right_plural(
    server: SandboxServer, group: DemoGroup, peerpulse: RunningBot
) -> None:
    ana = server.actor(group.member_ids[0])
    await ana.slash("me reminders", channel_id=group.home_channel_id, options={"setting": "off"})
    exported = await ana.slash("me export", channel_id=group.home_channel_id)
    text = (await plain_answer(exported)).text
    assert text.startswith("Everything linked to you: 1 record.")
    assert "(s)" not in text
