"""Finalizing a consultation poll end to end: the event, the announcement, RSVPs, calendar."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import icalendar
import pytest
from checkin_steps import advance_to, bot_dms, group_id_of

from bot.members.preferences import set_dm_opt_in
from bot.sandbox import SandboxServer
from bot.sandbox.chapters.consultations import (
    CALENDAR,
    CANT,
    FINALIZE,
    GOING,
    MAYBE,
    announcements,
    mark,
    post,
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


MON_12 = datetime(2026, 3, 2, 12, tzinfo=UTC)  # the fixture clock starts Monday 09:00 UTC
WED_12 = datetime(2026, 3, 4, 12, tzinfo=UTC)
THU_12 = datetime(2026, 3, 5, 12, tzinfo=UTC)
TIMES = "wed 12:00, thu 12:00, fri 12:00"
PLACE = "Room 3, Riverside clinic"


def stamp(instant: datetime) -> str:
    return f"<t:{int(instant.timestamp())}:F>"


def events(server: SandboxServer, group: DemoGroup) -> list[dict[str, object]]:
    return [e.data for e in server.world.guild(group.guild_id).scheduled_events.values()]


async def opt_in_consultations(running: RunningBot, group: DemoGroup, *members: int) -> None:
    group_id = await group_id_of(running, group)
    for member in members:
        await set_dm_opt_in(
            running.db, group_id, member, "consultations", True, now=running.clock.now()
        )


async def test_the_organiser_finalizes_into_an_event_and_an_announcement(
    server: SandboxServer, group: DemoGroup, peerpulse: RunningBot
) -> None:
    ana, ben, chen, dev = group.member_ids[:4]
    poll = await propose_and_post(
        server, ana, group.home_channel_id, TIMES, place=PLACE, title="Case review"
    )
    await mark(server, ben, poll.id, works=[1])
    await mark(server, chen, poll.id, works=[1], if_need_be=[0])
    await mark(server, dev, poll.id, works=[0])

    refused = await server.actor(ben).click(poll.id, label=FINALIZE)
    assert refused.message is not None
    assert "Only the organiser or a moderator" in refused.message.content
    assert events(server, group) == []

    booked = await (await server.actor(ana).click(poll.id, label=FINALIZE)).final()
    assert booked.ephemeral
    assert f"Booked for {stamp(THU_12)}" in booked.content

    closed = await shows(server, group.home_channel_id, poll.id, "Closed: booked for")
    assert f"Closed: booked for {stamp(THU_12)}" in closed.text
    assert closed.buttons() == []

    [event] = events(server, group)
    assert event["name"] == "Case review"
    assert event["entity_type"] == 3
    assert event["entity_metadata"] == {"location": PLACE}
    assert event["scheduled_start_time"] == THU_12.isoformat()
    assert event["scheduled_end_time"] == (THU_12 + timedelta(hours=1)).isoformat()

    [announcement] = announcements(server, group.home_channel_id)
    assert "Consultation: Case review" in announcement.text
    assert stamp(THU_12) in announcement.text
    assert f"discord.com/events/{group.guild_id}/{event['id']}" in announcement.text
    assert [b["label"] for b in announcement.buttons()] == [GOING, MAYBE, CANT, CALENDAR]

    going = await server.actor(ben).click(announcement.id, label=GOING)
    assert going.message is not None
    assert going.message.ephemeral
    assert "Saved: going" in going.message.content
    await server.actor(chen).click(announcement.id, label=MAYBE)
    await shows(server, group.home_channel_id, announcement.id, "Going 1 · Maybe 1 · Can't 0")

    ics = await server.actor(dev).click(announcement.id, label=CALENDAR)
    assert ics.message is not None
    assert ics.message.ephemeral
    [attachment] = ics.message.attachments
    assert attachment.filename == "consultation.ics"
    calendar = icalendar.Calendar.from_ical(attachment.data)
    [vevent] = calendar.walk("VEVENT")
    assert vevent.decoded("dtstart") == THU_12
    assert str(vevent["url"]).endswith(str(event["id"]))
    raw = attachment.data.decode()
    for user_id in (ana, ben, chen, dev):
        assert str(user_id) not in raw
        assert group.name_of(server, user_id) not in raw


async def test_a_tie_asks_the_organiser_to_pick(
    server: SandboxServer, group: DemoGroup, peerpulse: RunningBot
) -> None:
    ana, ben, chen = group.member_ids[:3]
    poll = await propose_and_post(server, ana, group.home_channel_id, TIMES, place=PLACE)
    await mark(server, ben, poll.id, works=[0])
    await mark(server, chen, poll.id, works=[1])

    tie = await (await server.actor(ana).click(poll.id, label=FINALIZE)).final()
    assert "tied" in tie.content
    assert stamp(WED_12) in tie.content
    assert stamp(THU_12) in tie.content
    picks = tie.buttons()
    assert len(picks) == 2
    tied_post = await shows(server, group.home_channel_id, poll.id, "Tied")
    assert "Tied" in tied_post.text
    assert [b["label"] for b in tied_post.buttons()] == [FINALIZE, "Cancel poll"]
    assert events(server, group) == []

    clicked = await server.actor(ana).click(tie.id, custom_id=picks[1]["custom_id"])
    answers = [m.content for m in [clicked.message, *await clicked.wait_followups()] if m]
    assert any(f"Booked for {stamp(THU_12)}" in a for a in answers)
    [event] = events(server, group)
    assert event["scheduled_start_time"] == THU_12.isoformat()


async def test_the_deadline_finalizes_and_tells_the_organiser_once(
    server: SandboxServer, group: DemoGroup, peerpulse: RunningBot
) -> None:
    ana, ben, chen = group.member_ids[:3]
    poll = await propose_and_post(server, ana, group.home_channel_id, TIMES, place=PLACE)
    await opt_in_consultations(peerpulse, group, ana)
    await mark(server, ben, poll.id, works=[0, 1])
    await mark(server, chen, poll.id, works=[0, 1])

    # The default deadline is 48 h before the first time: Monday 12:00.
    await advance_to(peerpulse, MON_12 - timedelta(minutes=1))
    assert events(server, group) == []
    await advance_to(peerpulse, MON_12 + timedelta(minutes=1))
    [event] = events(server, group)
    assert event["scheduled_start_time"] == WED_12.isoformat()  # the earliest of a tie
    closed = post(server, group.home_channel_id, poll.id)
    assert f"Closed: booked for {stamp(WED_12)}" in closed.text
    assert closed.buttons() == []
    assert len(announcements(server, group.home_channel_id)) == 1

    await advance_to(peerpulse, MON_12 + timedelta(hours=2))
    [ready] = bot_dms(server, ana)
    assert "deadline" in ready.content
    assert "<@" not in ready.content
    assert len(events(server, group)) == 1


async def test_the_organiser_hears_once_when_everyone_answered(
    server: SandboxServer, group: DemoGroup, peerpulse: RunningBot
) -> None:
    ana, ben, chen, _, eve = group.member_ids
    home = group.home_channel_id
    # Eve is away this week: the poll shows her as away and nobody waits for her.
    away = await server.actor(eve).slash(
        "me away", channel_id=home, options={"until": "2026-03-08"}
    )
    assert away.message is not None
    poll = await propose_and_post(server, ana, home, TIMES, place=PLACE)
    await opt_in_consultations(peerpulse, group, ana, ben, chen, eve)
    await mark(server, ben, poll.id, works=[0])
    await mark(server, chen, poll.id, works=[1])
    await shows(server, home, poll.id, "Away: Eve.", "2 members answered")
    await peerpulse.tick()
    assert bot_dms(server, ana) == []  # Ana herself has not answered yet
    await mark(server, ana, poll.id, works=[1])
    await peerpulse.tick()
    await peerpulse.tick()
    [ready] = bot_dms(server, ana)
    assert "Everyone who isn't away has answered" in ready.content
    assert bot_dms(server, eve) == []
    await mark(server, ben, poll.id, works=[1])
    await peerpulse.tick()
    assert len(bot_dms(server, ana)) == 1
