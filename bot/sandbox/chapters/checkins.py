"""Chapter: two weeks of check-ins, from setup to the summaries and the history chart.

The helpers here (finding a round's post, answering through the form) are shared with
the end-to-end tests, so the story and the tests act the way a member would.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from bot.checkins.store import load_schedule
from bot.groups import group_for_channel
from bot.sandbox.actors import Actor, InteractionResult
from bot.sandbox.server import SandboxServer
from bot.sandbox.story import Story
from bot.sandbox.views import MessageView

ANSWER = "Answer the check-in"
DMS_ON = "Send my check-ins by DM"
HISTORY_PNG = "checkin-history.png"


def _reader(server: SandboxServer, channel_id: int) -> Actor:
    """Someone who sees every public message of a server channel: its owner."""
    guild_id = server.world.channel(channel_id).guild_id
    if guild_id is None:
        raise ValueError("a check-in channel is a server channel")
    return server.actor(server.world.guild(guild_id).owner_id)


def checkin_posts(server: SandboxServer, channel_id: int) -> list[MessageView]:
    """The channel's public check-in posts (those with an answer button), oldest first."""
    actor = _reader(server, channel_id)
    return [
        m
        for m in actor.sees(channel_id)
        if not m.ephemeral and any(b.get("label") == ANSWER for b in m.buttons())
    ]


def summaries(server: SandboxServer, channel_id: int) -> list[MessageView]:
    """The channel's check-in summary posts (first pages), oldest first."""
    actor = _reader(server, channel_id)
    return [
        m
        for m in actor.sees(channel_id)
        if m.embeds and str(m.embeds[0].get("title", "")).startswith("Check-in summary")
    ]


async def answer_checkin(
    server: SandboxServer,
    user_id: int,
    message_id: int,
    *,
    energy: int,
    caseload: str,
    boundaries: str,
    consult: str = "no",
    note: str | None = None,
) -> InteractionResult:
    """Click "Answer the check-in" on a post or DM, fill in the form and submit it."""
    actor = server.actor(user_id)
    opened = await actor.click(message_id, label=ANSWER)
    if opened.modal is None:
        message = opened.message.content if opened.message else "nothing"
        raise AssertionError(f"expected the check-in form, got: {message}")
    values: dict[str, Any] = {
        "energy": str(energy),
        "caseload": caseload,
        "boundaries": boundaries,
        "consult": consult,
    }
    if note is not None:
        values["note"] = note
    return await actor.submit_modal(opened.modal, values)


async def walk(story: Story, until: datetime, step: timedelta = timedelta(hours=3)) -> None:
    """Move the clock to `until` in steps, running what is due at each, as the ticker would."""
    while story.clock.now() < until:
        await story.running.advance(min(step, until - story.clock.now()))
        if story.life is not None:
            await story.life.step(story.clock.now())


def latest_dm_with_button(server: SandboxServer, user_id: int) -> MessageView:
    """The member's most recent DM that carries the answer button."""
    return next(m for m in reversed(server.actor(user_id).dms()) if m.buttons())


async def dm_or_post(story: Story, user_id: int, post: MessageView, until: datetime) -> int:
    """Where the member answers: a check-in DM that reached them after `post` (waiting for
    their working hours up to `until`), else the channel post."""
    while True:
        sent = [m for m in story.server.actor(user_id).dms() if m.buttons() and m.id > post.id]
        if sent:
            return sent[-1].id
        if story.clock.now() >= until:
            return post.id
        await walk(story, min(until, story.clock.now() + timedelta(hours=1)))


async def checkins(story: Story) -> None:
    """Two weekly rounds: posts, DM and channel answers, an edit, the reminder, summaries."""
    server, group = story.server, story.group
    channel = group.home_channel_id
    mira = server.actor(group.moderator_id)

    story.progress("Mira sets up weekly check-ins: Tuesdays 09:00 (group time), open 48 hours")
    await mira.autocomplete("checkin setup", "weekday", "tu", channel_id=channel)
    await mira.slash(
        "checkin setup",
        channel_id=channel,
        options={"weekday": "Tuesday", "time": "09:00", "hours_open": 48, "reminder": True},
    )
    story.progress("Mira tries a time the bot can't read and is told how to write it")
    await mira.slash(
        "checkin setup", channel_id=channel, options={"weekday": "Tuesday", "time": "noonish"}
    )

    await _week_one(story)
    await _week_two(story)

    story.progress(f"Mira opens /checkin history; the chart is saved as {HISTORY_PNG}")
    result = await mira.slash("checkin history", channel_id=channel, options={"weeks": 8})
    chart = await result.final()
    if chart.attachments:
        (story.out_dir / HISTORY_PNG).write_bytes(chart.attachments[0].data)


async def _week_one(story: Story) -> None:
    server, group = story.server, story.group
    channel = group.home_channel_id
    ana, ben, chen, dev, _ = group.member_ids
    opens = await _next_open(story)
    story.progress("week one: the check-in opens with a post in the channel")
    await walk(story, opens, timedelta(hours=12))
    post = checkin_posts(server, channel)[-1]
    story.clock.advance(timedelta(minutes=20))
    story.progress("Ana and Chen ask for check-ins by DM with the post's button")
    await server.actor(ana).click(post.id, label=DMS_ON)
    await server.actor(chen).click(post.id, label=DMS_ON)
    story.progress("Ana answers in the channel")
    await answer_checkin(server, ana, post.id, energy=2, caseload="heavy", boundaries="mostly")
    story.clock.advance(timedelta(minutes=40))
    story.progress("Ben asks for a consultation and shares his name; his note names a client")
    flagged = await answer_checkin(
        server,
        ben,
        post.id,
        energy=3,
        caseload="heavy",
        boundaries="mostly",
        consult="yes_share",
        note="Client Maria cancelled twice and I keep carrying it home.",
    )
    story.clock.advance(timedelta(minutes=2))
    if flagged.message is not None:
        story.progress("The note is flagged before saving; Ben edits it (his text is kept)")
        edit = await server.actor(ben).click(flagged.message.id, label="Edit my note")
        if edit.modal is not None:
            saved = await server.actor(ben).submit_modal(
                edit.modal, {"note": "A client cancelled twice and I keep carrying it home."}
            )
            if saved.message is not None:
                story.progress("Ben chooses to share his note with the group")
                await server.actor(ben).click(saved.message.id, label="The group")
    story.clock.advance(timedelta(hours=2))
    story.progress("Dev answers, then changes her answer and adds a note for the moderators")
    await answer_checkin(server, dev, post.id, energy=4, caseload="manageable", boundaries="yes")
    story.clock.advance(timedelta(minutes=30))
    changed = await answer_checkin(
        server,
        dev,
        post.id,
        energy=3,
        caseload="heavy",
        boundaries="mostly",
        consult="yes",
        note="Could we talk about cover for my leave next month?",
    )
    if changed.message is not None:
        await server.actor(dev).click(changed.message.id, label="Moderators")
    story.progress("week one: the one reminder reaches Chen (opted in, not answered yet)")
    await walk(story, opens + timedelta(hours=24))
    where = await dm_or_post(story, chen, post, opens + timedelta(hours=40))
    story.progress("Chen answers from the reminder DM")
    await answer_checkin(server, chen, where, energy=3, caseload="overwhelming", boundaries="no")
    story.progress("week one: the check-in closes and the summary is posted")
    await walk(story, opens + timedelta(hours=48))
    await walk(story, opens + timedelta(hours=49))
    story.progress("Mira reads the note Dev addressed to the moderators (only Mira sees it)")
    await server.actor(group.moderator_id).slash("checkin notes", channel_id=channel)


async def _week_two(story: Story) -> None:
    server, group = story.server, story.group
    channel = group.home_channel_id
    ana, ben, _, dev, eve = group.member_ids
    opens = await _next_open(story)
    story.progress("week two: the check-in opens; Ana and Chen get it by DM in their hours")
    await walk(story, opens, timedelta(hours=12))
    await walk(story, opens + timedelta(hours=3))
    post = checkin_posts(server, channel)[-1]
    story.progress("Ana answers from her DM; Ben, Dev and Eve in the channel")
    await answer_checkin(
        server,
        ana,
        await dm_or_post(story, ana, post, opens + timedelta(hours=24)),
        energy=3,
        caseload="manageable",
        boundaries="yes",
    )
    for member, energy, caseload in ((ben, 4, "manageable"), (dev, 3, "heavy"), (eve, 4, "light")):
        story.clock.advance(timedelta(minutes=25))
        await answer_checkin(
            server, member, post.id, energy=energy, caseload=caseload, boundaries="yes"
        )
    story.progress("week two: the reminder goes to Chen only; then the close and the summary")
    await walk(story, opens + timedelta(hours=48))
    await walk(story, opens + timedelta(hours=49))


async def _next_open(story: Story) -> datetime:
    """When the group's next check-in opens, from its stored schedule."""
    db, group = story.running.db, story.group
    found = await group_for_channel(db, group.guild_id, group.home_channel_id)
    saved = await load_schedule(db, found.id) if found else None
    if saved is None or saved.next_open_at is None:
        raise RuntimeError("check-ins are not set up")
    return saved.next_open_at
