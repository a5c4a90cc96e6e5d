"""Chapter: members set their own zones, hours, away and DMs; DMs arrive in their hours.

Each member who opts in to DMs gets one welcome DM, delivered through the outbox at
the start of their own working hours (the transcript shows each member's DMs in their
zone). Eve is away, so hers is skipped; Ben's Discord settings block DMs, so the bot
tries once and tells him on his next command. The check-in DMs of the next chapter
reach these members the same way.
"""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from bot.delivery import outbox
from bot.sandbox.story import Story

# Working days, start, end and the DMs each member opts in to.
PLANS = (
    ("Mon-Thu", "09:00", "17:00", "consultations"),
    ("Mon-Fri", "08:30", "16:30", "pulse"),
    ("Mon-Fri", "10:00", "18:00", "pulse"),
    ("Sun-Thu", "10pm", "6am", "pulse"),  # Dev writes a 12-hour clock; the bot reads it
    ("Mon-Fri", "09:00", "15:00", "pulse"),
)
STEP = timedelta(minutes=30)
LONGEST_WAIT = timedelta(days=4)  # from a Friday evening to the latest Monday window


async def boundaries(story: Story) -> None:
    """Zones, hours, away, DM opt-ins, closed DMs, and DMs at each member's local time."""
    server, group, clock = story.server, story.group, story.clock
    channel = group.home_channel_id
    ana, ben, chen, dev, eve = (server.actor(user_id) for user_id in group.member_ids)

    story.progress("Members set their own time zones and working hours with /me")
    await ana.autocomplete("me timezone", "zone", "new yo", channel_id=channel)
    for actor, (days, start, end, _) in zip((ana, ben, chen, dev, eve), PLANS, strict=True):
        await actor.slash(
            "me timezone", channel_id=channel, options={"zone": group.zones[actor.user_id]}
        )
        await actor.slash(
            "me hours", channel_id=channel, options={"days": days, "start": start, "end": end}
        )
        clock.advance(timedelta(minutes=1))
    story.progress(
        "Dev then types her whole shift, '10pm-6am', as the start and is told how to write "
        "a time; nothing changes"
    )
    await dev.slash(
        "me hours",
        channel_id=channel,
        options={"days": "Sun-Thu", "start": "10pm-6am", "end": "6am"},
    )
    await dev.slash("me show", channel_id=channel)

    story.progress("Ben's Discord privacy settings block DMs from server members")
    server.set_dms_closed(ben.user_id)
    story.progress("Everyone opts in to some DMs with /me dms; Eve then goes on leave")
    for actor, (*_, kind) in zip((ana, ben, chen, dev, eve), PLANS, strict=True):
        await actor.slash("me dms", channel_id=channel, options={"kind": kind, "setting": "on"})
    eve_zone = ZoneInfo(group.zones[eve.user_id])
    back_on = (clock.now().astimezone(eve_zone) + timedelta(days=5)).date()
    await eve.slash("me away", channel_id=channel, options={"until": back_on.isoformat()})

    story.progress("Time passes; each welcome DM waits for its member's working hours")
    waiting = {ana.user_id, chen.user_id, dev.user_id}
    deadline = clock.now() + LONGEST_WAIT
    # Wait for states, not instants: Ben's one refused attempt happens in his own hours too.
    while (waiting or not _refused_dms(story)) and clock.now() < deadline:
        # Wake when the next DM is due, as a ticker would within seconds, or every half hour.
        due = await outbox.next_attempt_at(story.running.db)
        wait = STEP if due is None else min(STEP, max(due - clock.now(), timedelta(seconds=1)))
        await story.running.advance(wait)
        for user_id in sorted(waiting):
            dms = server.dm_timeline(user_id)
            if dms:
                waiting.discard(user_id)
                zone = ZoneInfo(group.zones[user_id])
                arrived = dms[0].timestamp.astimezone(zone)
                name = group.name_of(server, user_id)
                story.progress(
                    f"{name}'s welcome DM arrives {arrived:%a %H:%M} in {zone.key}, "
                    "inside their working hours"
                )
    if not _refused_dms(story):
        raise RuntimeError("Ben's welcome DM was never attempted")
    story.progress("Eve gets none while away; Ben's was tried once and refused")

    clock.advance(timedelta(minutes=10))
    story.progress("Ben uses /me show; the answer is followed by how to turn DMs back on")
    shown = await ben.slash("me show", channel_id=channel)
    await shown.wait_followups(1)

    clock.advance(timedelta(minutes=5))
    story.progress("Chen downloads everything linked to her with /me export")
    await chen.slash("me export", channel_id=channel)
    story.progress("Dev looks at /me forget and keeps her data")
    asked = await dev.slash("me forget", channel_id=channel)
    if asked.message is not None:
        await dev.click(asked.message.id, label="Keep my data")

    clock.advance(timedelta(minutes=5))
    story.progress("Mira checks /peerpulse status: what waits, what happened to DMs (counts only)")
    await server.actor(group.moderator_id).slash("peerpulse status", channel_id=channel)


def _refused_dms(story: Story) -> int:
    """How many DMs the server refused because the recipient's DMs are closed (50007)."""
    return sum(1 for r in story.server.requests if r.error_code == 50007)
