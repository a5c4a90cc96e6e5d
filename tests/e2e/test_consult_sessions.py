"""Booked consultations end to end: reminders, presenters, reschedule, cancel, recurring."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import icalendar
import pytest
from checkin_steps import advance_to, bot_dms, group_id_of

from bot.members.preferences import set_dm_opt_in
from bot.sandbox import MessageView, SandboxServer
from bot.sandbox.chapters.consultations import (
    ACCEPT,
    CALENDAR,
    CANT,
    DECLINE,
    FINALIZE,
    GOING,
    MAYBE,
    announcements,
    mark,
    propose_and_post,
    shows,
)
from bot.sandbox.demo import DemoGroup
from bot.sandbox.running_bot import RunningBot

pytestmark = pytest.mark.e2e


@pytest.fixture(autouse=True)
def no_request_rejected(server: SandboxServer) -> Iterator[None]:
    """Every request of the test passed the sandbox's validation (events included)."""
    yield
    rejected = [f"{r.method} {r.route} -> {r.status}" for r in server.requests if r.status >= 400]
    assert rejected == []


PLACE = "Room 3, Riverside clinic"
TUE = datetime(2026, 3, 3, tzinfo=UTC)  # the fixture clock starts Monday 09:00 UTC
WED = datetime(2026, 3, 4, tzinfo=UTC)


def stamp(instant: datetime) -> str:
    return f"<t:{int(instant.timestamp())}:F>"


def events(server: SandboxServer, group: DemoGroup) -> list[dict[str, object]]:
    return [e.data for e in server.world.guild(group.guild_id).scheduled_events.values()]


async def opt_in(running: RunningBot, group: DemoGroup, *members: int) -> None:
    group_id = await group_id_of(running, group)
    for member in members:
        await set_dm_opt_in(
            running.db, group_id, member, "consultations", True, now=running.clock.now()
        )


async def book(
    server: SandboxServer, group: DemoGroup, times: str, **options: object
) -> MessageView:
    """Ana proposes, Ben, Chen and Dev can make the first time, Ana finalizes: the announcement."""
    ana, ben, chen, dev = group.member_ids[:4]
    poll = await propose_and_post(server, ana, group.home_channel_id, times, place=PLACE, **options)
    for member in (ben, chen, dev):
        await mark(server, member, poll.id, works=[0])
    booked = await (await server.actor(ana).click(poll.id, label=FINALIZE)).final()
    assert "Booked for" in booked.content
    [announcement] = announcements(server, group.home_channel_id)
    return announcement


def dms_about(server: SandboxServer, user_id: int, text: str) -> list[MessageView]:
    return [m for m in bot_dms(server, user_id) if text in m.content]


async def test_reminders_go_inside_hours_unless_allowed_outside(
    server: SandboxServer, group: DemoGroup, peerpulse: RunningBot
) -> None:
    _, ben, chen, dev = group.member_ids[:4]
    start = WED + timedelta(hours=18)  # after the default working day (09:00-17:00)
    announcement = await book(server, group, "wed 18:00, thu 18:00")
    await opt_in(peerpulse, group, ben, chen, dev)
    allowed = await server.actor(chen).slash(
        "me consult-reminders",
        channel_id=group.home_channel_id,
        options={"setting": "on", "outside_hours": "on"},
    )
    assert allowed.message is not None
    assert "on, also outside your hours" in allowed.message.text
    await server.actor(ben).click(announcement.id, label=GOING)
    await server.actor(chen).click(announcement.id, label=MAYBE)
    await server.actor(dev).click(announcement.id, label=CANT)

    await advance_to(peerpulse, start - timedelta(hours=24) + timedelta(minutes=1))
    [first] = dms_about(server, chen, "Reminder")
    assert "starts in about 24 hours" in first.content
    assert stamp(start) in first.content
    assert dms_about(server, ben, "Reminder") == []  # held for his working hours
    await advance_to(peerpulse, WED + timedelta(hours=9, minutes=1))
    assert len(dms_about(server, ben, "Reminder")) == 1
    await advance_to(peerpulse, start - timedelta(minutes=59))
    assert len(dms_about(server, chen, "Reminder")) == 2
    await advance_to(peerpulse, start + timedelta(minutes=30))
    assert len(dms_about(server, ben, "Reminder")) == 1  # the 1 h one could not arrive in time
    assert dms_about(server, dev, "Reminder") == []
    [event] = events(server, group)
    assert event["status"] == 2  # the session is on: its event started with it

    await advance_to(peerpulse, start + timedelta(hours=2))
    [event] = events(server, group)
    assert event["status"] == 3  # and ended with it


async def test_reschedule_then_cancel_tell_those_going_once_each(
    server: SandboxServer, group: DemoGroup, peerpulse: RunningBot
) -> None:
    ana, ben, chen, dev = group.member_ids[:4]
    announcement = await book(server, group, "wed 12:00, thu 12:00")
    await opt_in(peerpulse, group, ben, chen, dev)
    await server.actor(ben).click(announcement.id, label=GOING)
    await server.actor(chen).click(announcement.id, label=MAYBE)
    await server.actor(dev).click(announcement.id, label=CANT)

    listed = await server.actor(ana).autocomplete(
        "consult cancel", "session", "peer", channel_id=group.home_channel_id
    )
    assert [c["name"] for c in listed] == ["Peer consultation · Wed 04 Mar 12:00"]
    refused = await server.actor(ben).slash(
        "consult reschedule", channel_id=group.home_channel_id, options={"time": "thu 15:00"}
    )
    assert refused.message is not None
    assert "Only the organiser or a moderator" in refused.message.content

    moved = await (
        await server.actor(ana).slash(
            "consult reschedule", channel_id=group.home_channel_id, options={"time": "thu 15:00"}
        )
    ).final()
    new_start = datetime(2026, 3, 5, 15, tzinfo=UTC)
    assert f"Moved: Peer consultation is now {stamp(new_start)}" in moved.content
    [event] = events(server, group)
    assert event["scheduled_start_time"] == new_start.isoformat()
    await shows(server, group.home_channel_id, announcement.id, stamp(new_start))
    await peerpulse.tick()
    for member in (ben, chen):
        [notice] = dms_about(server, member, "has moved")
        assert stamp(new_start) in notice.content
    assert bot_dms(server, dev) == []

    cancelled = await (
        await server.actor(group.moderator_id).slash(
            "consult cancel", channel_id=group.home_channel_id
        )
    ).final()
    assert "Cancelled" in cancelled.content
    [event] = events(server, group)
    assert event["status"] == 4
    await shows(server, group.home_channel_id, announcement.id, "Cancelled: Peer consultation")
    await peerpulse.tick()
    await peerpulse.tick()
    for member in (ben, chen):
        assert len(dms_about(server, member, "was cancelled")) == 1
        assert len(bot_dms(server, member)) == 2
    assert bot_dms(server, dev) == []

    ics = await server.actor(dev).click(announcement.id, label=CALENDAR)
    assert ics.message is not None
    [attachment] = ics.message.attachments
    [vevent] = icalendar.Calendar.from_ical(attachment.data).walk("VEVENT")
    assert str(vevent["status"]) == "CANCELLED"
    assert vevent.decoded("dtstart") == new_start


async def test_a_presenter_chain_with_an_away_member_a_pass_and_a_timeout(
    server: SandboxServer, group: DemoGroup, peerpulse: RunningBot
) -> None:
    ana, ben, chen, dev, eve = group.member_ids
    home = group.home_channel_id
    # Eve joins the queue first but is away on the day; then Ben, Chen and Dev.
    for member in (eve, ben, chen, dev):
        joined = await server.actor(member).slash("consult queue join", channel_id=home)
        assert joined.message is not None
        assert "presenter queue" in joined.message.content
    away = await server.actor(eve).slash(
        "me away", channel_id=home, options={"until": "2026-03-06"}
    )
    assert away.message is not None
    poll = await propose_and_post(
        server, ana, home, "wed 12:00, thu 12:00", place=PLACE, presenter=True
    )
    await opt_in(peerpulse, group, ben, chen, dev, eve)
    for member in (ben, chen, dev, eve):
        await mark(server, member, poll.id, works=[0])
    await (await server.actor(ana).click(poll.id, label=FINALIZE)).final()
    [announcement] = announcements(server, home)

    await peerpulse.tick()
    [ask_ben] = dms_about(server, ben, "presenter queue")
    assert dms_about(server, eve, "presenter queue") == []
    passed = await server.actor(ben).click(ask_ben.id, label=DECLINE)
    assert passed.message is not None
    assert "next member in the queue is asked" in passed.message.content
    await peerpulse.tick()
    [ask_chen] = dms_about(server, chen, "presenter queue")
    assert [b["label"] for b in ask_chen.buttons()] == [ACCEPT, DECLINE]

    # Chen does not answer: a day later (and still more than 24 h before) Dev is asked.
    await advance_to(peerpulse, TUE + timedelta(hours=10))
    await peerpulse.tick()
    [ask_dev] = dms_about(server, dev, "presenter queue")
    late = await server.actor(chen).click(ask_chen.id, label=ACCEPT)
    assert late.message is not None
    assert "timed out" in late.message.content or "no longer open" in late.message.content
    accepted = await server.actor(dev).click(ask_dev.id, label=ACCEPT)
    assert accepted.message is not None
    assert "you present the case" in accepted.message.content
    await shows(server, home, announcement.id, "Case presenter: Dev")
    assert dms_about(server, eve, "presenter queue") == []

    shown = await server.actor(ana).slash("consult queue show", channel_id=home)
    assert shown.message is not None
    assert "Dev, Peer consultation" in shown.message.text
    assert "<@" not in shown.message.text


async def test_a_recurring_consultation_across_a_dst_change_with_a_skipped_date(
    server: SandboxServer, group: DemoGroup, peerpulse: RunningBot
) -> None:
    mira = server.actor(group.moderator_id)
    home = group.home_channel_id
    zone = await mira.slash(
        "peerpulse settings", channel_id=home, options={"timezone": "Europe/London"}
    )
    assert zone.message is not None
    refused = await server.actor(group.member_ids[0]).slash(
        "consult recurring set",
        channel_id=home,
        options={"weekday": "Thursday", "time": "12:00", "place": PLACE},
    )
    assert refused.message is not None
    assert "moderator" in refused.message.content.lower()

    set_up = await mira.slash(
        "consult recurring set",
        channel_id=home,
        options={"weekday": "Thursday", "time": "12:00", "every": 2, "place": PLACE},
    )
    assert set_up.message is not None
    assert "every other Thu at 12:00 (Europe/London)" in set_up.message.content
    await peerpulse.tick()
    [first] = events(server, group)
    assert first["scheduled_start_time"] == datetime(2026, 3, 5, 12, tzinfo=UTC).isoformat()

    skipped = await mira.slash(
        "consult recurring skip", channel_id=home, options={"date": "2026-03-19"}
    )
    assert skipped.message is not None
    assert "Skipped Thu 19 Mar 2026" in skipped.message.content

    await advance_to(peerpulse, datetime(2026, 3, 6, 9, tzinfo=UTC))
    starts = sorted(str(e["scheduled_start_time"]) for e in events(server, group))
    # 19 March is skipped; on 2 April London is on summer time (BST, UTC+1).
    assert starts == [
        datetime(2026, 3, 5, 12, tzinfo=UTC).isoformat(),
        datetime(2026, 4, 2, 11, tzinfo=UTC).isoformat(),
    ]
    assert len(announcements(server, home)) == 2

    off = await mira.slash("consult recurring off", channel_id=home)
    assert off.message is not None
    assert "is off" in off.message.content


async def test_a_presenter_hears_back_at_once_while_the_announcement_waits(
    server: SandboxServer, group: DemoGroup, peerpulse: RunningBot
) -> None:
    """The answer comes first; the announcement's redraw, however slow, comes after."""
    ana, ben = group.member_ids[0], group.member_ids[1]
    home = group.home_channel_id
    await server.actor(ben).slash("consult queue join", channel_id=home)
    poll = await propose_and_post(
        server, ana, home, "wed 12:00, thu 12:00", place=PLACE, presenter=True
    )
    await opt_in(peerpulse, group, ben)
    await mark(server, ben, poll.id, works=[0])
    await (await server.actor(ana).click(poll.id, label=FINALIZE)).final()
    await peerpulse.tick()
    [ask_ben] = dms_about(server, ben, "presenter queue")
    server.stall_replies("PATCH", "/channels/{channel_id}/messages/{message_id}")
    try:
        accepted = await server.actor(ben).click(ask_ben.id, label=ACCEPT)
        assert accepted.interaction.response_type == 7  # an update at once, not a deferral
        assert accepted.message is not None
        assert "you present the case" in accepted.message.content
    finally:
        server.release_replies()
    [announcement] = announcements(server, home)
    await shows(server, home, announcement.id, "Case presenter: Ben")
