"""Chapters of the simulated group beyond the scripted five: settling in, a member who
joins late, one who leaves, and the weeks of routine after the scripted chapters.

They do nothing in a story without a cast (the end-to-end tests' five-member group).
"""

from __future__ import annotations

from datetime import timedelta

from bot.sandbox.chapters.checkins import walk
from bot.sandbox.story import Story

ERASE = "Erase everything"
PULSE_EVERY = "every 2 weeks, Wednesdays 10:00, open 4 days"
PULSE_SCHEDULE = {"every": 2, "weekday": "Wednesday", "time": "10:00", "days_open": 4}


def _names(story: Story, user_ids: tuple[int, ...] | list[int]) -> str:
    names = [story.group.name_of(story.server, user_id) for user_id in user_ids]
    return ", ".join(names[:-1]) + (" and " if len(names) > 1 else "") + names[-1]


async def _settle(story: Story, user_id: int) -> None:
    """A member sets their zone and hours with /me and perhaps opts in to pulse DMs."""
    if story.cast is None:
        return
    habits, channel = story.cast.habits[user_id], story.group.home_channel_id
    actor = story.server.actor(user_id)
    await actor.slash(
        "me timezone", channel_id=channel, options={"zone": story.group.zones[user_id]}
    )
    await actor.slash(
        "me hours",
        channel_id=channel,
        options={"days": habits.days, "start": habits.start, "end": habits.end},
    )
    if habits.pulse_dms:
        await actor.slash("me dms", channel_id=channel, options={"kind": "pulse", "setting": "on"})
    story.clock.advance(timedelta(minutes=1))


async def others_settle_in(story: Story) -> None:
    """The members beyond the scripted five set their zones and hours."""
    if story.cast is None:
        return
    present = story.cast.present_from_start
    story.progress(
        f"{_names(story, present)} set their zones and hours too; some take pulse invitations by DM"
    )
    for user_id in present:
        await _settle(story, user_id)


async def joining(story: Story) -> None:
    """A member joins the server in week three, reads /privacy and settles in."""
    if story.cast is None or story.life is None:
        return
    group, late = story.group, story.cast.joins_late
    name = group.name_of(story.server, late)
    story.server.add_member(group.guild_id, late)
    story.progress(
        f"{name} joins the server in week three, reads /privacy and sets a zone and hours"
    )
    await story.server.actor(late).slash("privacy", channel_id=group.home_channel_id)
    await _settle(story, late)
    story.life.include([late])
    # From here on the scripted five answer check-ins on their own too.
    story.life.checkins_for.update(group.member_ids)


async def leaving(story: Story) -> None:
    """A member erases their data with /me forget and leaves the server."""
    if story.cast is None or story.life is None:
        return
    group, leaver = story.group, story.cast.leaves
    name = group.name_of(story.server, leaver)
    story.progress(f"{name} leaves the group: /me forget erases everything, then the server")
    actor = story.server.actor(leaver)
    asked = await actor.slash("me forget", channel_id=group.home_channel_id)
    if asked.message is not None:
        await actor.click(asked.message.id, label=ERASE)
    story.life.exclude(leaver)
    story.clock.advance(timedelta(minutes=5))
    story.server.remove_member(group.guild_id, leaver)
    # The scripted consultation is over: everyone answers announcements on their own now.
    story.life.rsvps_for.update(group.member_ids)


async def routine(story: Story) -> None:
    """The weeks after the scripted chapters: check-ins and consultations run on."""
    end = story.started_at + timedelta(weeks=story.options.weeks)
    if story.clock.now() >= end:
        return
    if story.life is not None:
        story.progress(
            f"Mira turns the pulse back on ({PULSE_EVERY}); members take it as they like"
        )
        await story.server.actor(story.group.moderator_id).slash(
            "pulse schedule", channel_id=story.group.home_channel_id, options=PULSE_SCHEDULE
        )
        present = story.server.world.guild(story.group.guild_id).members
        story.life.pulses_for.update(
            u
            for u in (*story.group.member_ids, *(story.cast.extras if story.cast else ()))
            if u in present
        )
    week = int((story.clock.now() - story.started_at) / timedelta(weeks=1)) + 1
    while story.clock.now() < end:
        week_ends = min(end, story.started_at + timedelta(weeks=week))
        if week_ends > story.clock.now():
            story.progress(f"week {week}: the group's routine: check-in, consultations, pulse")
            await walk(story, week_ends)
        week += 1
