"""Chapter: a peer consultation, from proposal to the session, and a recurring slot.

The helpers here (proposing, marking availability, finding the posts) are shared with
the end-to-end tests, so the story and the tests act the way a member would.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from bot.consult import rules
from bot.groups import group_for_channel
from bot.sandbox.actors import Actor, InteractionResult
from bot.sandbox.chapters.checkins import walk
from bot.sandbox.server import SandboxServer
from bot.sandbox.story import Story
from bot.sandbox.views import MessageView

CONFIRM = "Confirm and post the poll"
FROM_SUMMARY = "Propose a consultation"
CANCEL = "Cancel"
MARK = "Mark my availability"
FINALIZE = "Finalize"
GOING, MAYBE, CANT = "Going", "Maybe", "Can't"
CALENDAR = "Add to calendar"
ACCEPT, DECLINE = "I'll present", "Not this time"
POLL_TITLE = "Consultation poll: "
BOOKED_TITLE = "Consultation: "
PLACE = "Video call (the link is pinned in the channel)"


def _reader(server: SandboxServer, channel_id: int) -> Actor:
    """Someone who sees every public message of a server channel: its owner."""
    guild_id = server.world.channel(channel_id).guild_id
    if guild_id is None:
        raise ValueError("a consultation channel is a server channel")
    return server.actor(server.world.guild(guild_id).owner_id)


def _titled(server: SandboxServer, channel_id: int, prefix: str) -> list[MessageView]:
    return [
        m
        for m in _reader(server, channel_id).sees(channel_id)
        if not m.ephemeral and m.embeds and str(m.embeds[0].get("title", "")).startswith(prefix)
    ]


def poll_posts(server: SandboxServer, channel_id: int) -> list[MessageView]:
    """The channel's consultation poll posts, oldest first."""
    return _titled(server, channel_id, POLL_TITLE)


def announcements(server: SandboxServer, channel_id: int) -> list[MessageView]:
    """The channel's consultation announcements (booked or cancelled), oldest first."""
    return [
        m
        for m in _reader(server, channel_id).sees(channel_id)
        if not m.ephemeral
        and m.embeds
        and any(
            str(m.embeds[0].get("title", "")).startswith(p) for p in (BOOKED_TITLE, "Cancelled: ")
        )
    ]


def post(server: SandboxServer, channel_id: int, message_id: int) -> MessageView:
    """A public message as it is now."""
    return next(m for m in _reader(server, channel_id).sees(channel_id) if m.id == message_id)


async def propose(
    server: SandboxServer,
    user_id: int,
    channel_id: int,
    times: str,
    **options: object,
) -> InteractionResult:
    """/consult propose with these times (and options); returns the echo (not confirmed)."""
    return await server.actor(user_id).slash(
        "consult propose", channel_id=channel_id, options={"times": times, **options}
    )


async def propose_and_post(
    server: SandboxServer, user_id: int, channel_id: int, times: str, **options: object
) -> MessageView:
    """Propose, confirm, and return the poll post."""
    echo = await propose(server, user_id, channel_id, times, **options)
    if echo.message is None or not any(b.get("label") == CONFIRM for b in echo.message.buttons()):
        shown = echo.message.content if echo.message else "nothing"
        raise AssertionError(f"expected the proposal echo, got: {shown}")
    confirmed = await server.actor(user_id).click(echo.message.id, label=CONFIRM)
    if confirmed.message is None or "Posted in" not in confirmed.message.content:
        shown = confirmed.message.content if confirmed.message else "nothing"
        raise AssertionError(f"expected the poll to be posted, got: {shown}")
    return poll_posts(server, channel_id)[-1]


def slot_values(opened: InteractionResult, field: str = "works") -> list[dict[str, Any]]:
    """The options of one checkbox group of an opened availability form."""
    if opened.modal is None:
        raise AssertionError("expected the availability form")
    return list(opened.modal.inputs()[field]["options"])


async def mark(
    server: SandboxServer,
    user_id: int,
    poll_message_id: int,
    *,
    works: Sequence[int] = (),
    if_need_be: Sequence[int] = (),
) -> InteractionResult:
    """Open the availability form and tick slots by position (0 = the first time)."""
    actor = server.actor(user_id)
    opened = await actor.click(poll_message_id, label=MARK)
    if opened.modal is None:
        shown = opened.message.content if opened.message else "nothing"
        raise AssertionError(f"expected the availability form, got: {shown}")
    values = [o["value"] for o in slot_values(opened)]
    return await actor.submit_modal(
        opened.modal,
        {
            "works": [values[i] for i in works],
            "if_need_be": [values[i] for i in if_need_be],
        },
    )


async def shows(
    server: SandboxServer,
    channel_id: int,
    message_id: int,
    *texts: str,
    timeout: float = 10.0,  # noqa: ASYNC109 - the scenario API takes timeouts
) -> MessageView:
    """The public message once it shows every one of `texts` (posts are redrawn soon after)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        current = post(server, channel_id, message_id)
        if all(text in current.text for text in texts):
            return current
        if loop.time() > deadline:
            missing = [text for text in texts if text not in current.text]
            raise AssertionError(f"message {message_id} never showed {missing}:\n{current.text}")
        await asyncio.sleep(0.02)


def summary_with_button(server: SandboxServer, channel_id: int) -> MessageView | None:
    """The latest check-in summary that offers to propose a consultation."""
    found = [
        m
        for m in _reader(server, channel_id).sees(channel_id)
        if not m.ephemeral and any(b.get("label") == FROM_SUMMARY for b in m.buttons())
    ]
    return found[-1] if found else None


def presenter_request(server: SandboxServer, user_ids: Sequence[int]) -> MessageView | None:
    """The first open request to present (a DM with its two buttons) among `user_ids`."""
    for user_id in user_ids:
        for message in reversed(server.actor(user_id).dms()):
            if any(b.get("label") == ACCEPT for b in message.buttons()):
                return message
    return None


async def consultations(story: Story) -> None:
    """A consultation from a check-in summary's button to the session; a recurring slot."""
    server, group = story.server, story.group
    channel = group.home_channel_id
    ana, _, chen, dev, eve = group.member_ids

    story.progress("Chen and Dev turn on consultation DMs; Ana, Chen and Dev join the queue")
    for member in (chen, dev):
        await server.actor(member).slash(
            "me dms", channel_id=channel, options={"kind": "consultations", "setting": "on"}
        )
    for member in (ana, chen, dev):
        await server.actor(member).slash("consult queue join", channel_id=channel)
        story.clock.advance(timedelta(minutes=2))

    session = await _propose_vote_book(story)
    if session is None:
        return
    announcement, start = session
    story.progress("Ana and Chen are going, Dev maybe, Eve can't; Ana adds it to her calendar")
    answers = ((ana, GOING), (chen, GOING), (dev, MAYBE), (eve, CANT))
    for count, (member, label) in enumerate(answers, start=1):
        await server.actor(member).click(announcement.id, label=label)
        going, maybe = min(count, 2), int(count >= 3)
        await shows(
            server, channel, announcement.id, f"Going {going} · Maybe {maybe} · Can't {count // 4}"
        )
    await server.actor(ana).click(announcement.id, label=CALENDAR)

    story.progress("The presenter request reaches the queue's first member in their hours")
    request = None
    while request is None and story.clock.now() < start - timedelta(hours=2):
        await walk(story, story.clock.now() + timedelta(hours=1))
        request = presenter_request(server, (ana, chen, dev))
    if request is not None:
        who = server.actor(_dm_owner(server, request))
        story.progress(f"{who.name} accepts to present the case; the announcement shows it")
        await who.click(request.id, label=ACCEPT)

    story.progress("Reminders reach those going or maybe in their hours; the session is held")
    await walk(story, start + timedelta(hours=2), timedelta(hours=1))

    await _recurring(story)
    story.progress("Ana looks at the presenter queue and who presented")
    await server.actor(ana).slash("consult queue show", channel_id=channel)


def _dm_owner(server: SandboxServer, message: MessageView) -> int:
    """The member whose DM channel holds `message`."""
    return next(
        user_id
        for user_id in server.world.users
        if any(m.id == message.id for m in server.actor(user_id).dms())
    )


async def _propose_vote_book(story: Story) -> tuple[MessageView, datetime] | None:
    """Ben proposes from the summary, members vote, Ben finalizes: the announcement, start."""
    server, group = story.server, story.group
    channel = group.home_channel_id
    ana, ben, chen, dev, _ = group.member_ids
    summary = summary_with_button(server, channel)
    if summary is None:
        story.progress("No check-in summary offers a consultation; Ben uses /consult propose")
        echo = await propose(
            server, ben, channel, "tue 13:00, wed 13:00, thu 13:00", place=PLACE, presenter=True
        )
    else:
        story.progress(
            "Ben presses 'Propose a consultation' under the summary; first he types 12/3, "
            "which could be day-month or month-day, and is told how to write it"
        )
        opened = await server.actor(ben).click(summary.id, label=FROM_SUMMARY)
        if opened.modal is None:
            return None
        await server.actor(ben).submit_modal(
            opened.modal, {"times": "12/3 13:00, fri 13:00", "place": PLACE}
        )
        story.clock.advance(timedelta(minutes=3))
        opened = await server.actor(ben).click(summary.id, label=FROM_SUMMARY)
        if opened.modal is None:
            return None
        story.progress("Ben proposes three times, a video call, and asks for a case presenter")
        echo = await server.actor(ben).submit_modal(
            opened.modal,
            {"times": "tue 13:00, wed 13:00, thu 13:00", "place": PLACE, "presenter": "yes"},
        )
    if echo.message is None or not echo.message.buttons():
        return None
    story.progress("The echo shows each time in everyone's zone, marked outside his hours")
    await server.actor(ben).click(echo.message.id, label=CONFIRM)
    poll = poll_posts(server, channel)[-1]
    story.clock.advance(timedelta(minutes=30))
    story.progress("Ana, Chen and Dev mark the times that work; Dev changes her mind")
    # Each waits for the post to show the mark, so the story's requests keep their order.
    await mark(server, ana, poll.id, works=[0, 1])
    await shows(server, channel, poll.id, "1 member answered")
    await mark(server, chen, poll.id, works=[0], if_need_be=[1])
    await shows(server, channel, poll.id, "2 members answered")
    await mark(server, dev, poll.id, works=[0, 2])
    await shows(server, channel, poll.id, "3 members answered")
    story.clock.advance(timedelta(minutes=10))
    await mark(server, dev, poll.id, works=[0], if_need_be=[2])
    await shows(server, channel, poll.id, "if need be: Dev")
    story.clock.advance(timedelta(hours=1))
    story.progress("Ben finalizes: a Discord event and an announcement with RSVP buttons")
    booked = await server.actor(ben).click(poll.id, label=FINALIZE)
    await booked.final()
    found = announcements(server, channel)
    if not found:
        return None
    events = server.world.guild(group.guild_id).scheduled_events.values()
    starts = [datetime.fromisoformat(str(e.data["scheduled_start_time"])) for e in events]
    return found[-1], max(starts)


async def _recurring(story: Story) -> None:
    """Mira sets every other Thursday 12:00, skips the second date; the first is booked."""
    server, group = story.server, story.group
    channel = group.home_channel_id
    mira = server.actor(group.moderator_id)
    story.progress("Mira sets a recurring consultation: every other Thursday at 12:00")
    await mira.autocomplete("consult recurring set", "weekday", "th", channel_id=channel)
    await mira.slash(
        "consult recurring set",
        channel_id=channel,
        options={"weekday": "Thursday", "time": "12:00", "every": 2, "place": PLACE},
    )
    found = await group_for_channel(story.running.db, group.guild_id, channel)
    stored = await rules.get_rule(story.running.db, found.id) if found else None
    if stored is not None:
        skipped = stored.rule.anchor + timedelta(weeks=2)
        story.progress(f"Mira skips {skipped:%d %b} (a holiday); the first date is booked")
        await mira.slash(
            "consult recurring skip", channel_id=channel, options={"date": skipped.isoformat()}
        )
    await walk(story, story.clock.now() + timedelta(hours=1))
