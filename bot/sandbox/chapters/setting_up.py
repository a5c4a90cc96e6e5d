"""Chapter: a moderator sets the group up; members read /privacy."""

from __future__ import annotations

from datetime import timedelta

from bot.sandbox.story import Story


async def setting_up(story: Story) -> None:
    """A moderator sets the group's zone and home channel; members read /privacy."""
    server, group = story.server, story.group
    mira = server.actor(group.moderator_id)
    story.progress("Mira (moderator) opens /peerpulse settings")
    await mira.slash("peerpulse settings", channel_id=group.home_channel_id)
    choices = await mira.autocomplete(
        "peerpulse settings", "timezone", "london", channel_id=group.home_channel_id
    )
    story.progress(f"Mira sets the time zone to {choices[0]['value']} and the home channel")
    await mira.slash(
        "peerpulse settings",
        channel_id=group.home_channel_id,
        options={
            "timezone": choices[0]["value"],
            "home_channel": group.home_channel_id,
            "moderator_role": group.cofacilitator_role_id,
        },
    )
    story.clock.advance(timedelta(minutes=3))
    ana = group.member_ids[0]
    story.progress("Ana reads /privacy (only she sees the answer)")
    await server.actor(ana).slash("privacy", channel_id=group.home_channel_id)
    story.clock.advance(timedelta(minutes=2))
    story.progress("Ben tries /peerpulse settings and is told only moderators can")
    await server.actor(group.member_ids[1]).slash(
        "peerpulse settings", channel_id=group.home_channel_id, options={"timezone": "UTC"}
    )
    story.progress("Theo (co-facilitator role) views the settings")
    await server.actor(group.cofacilitator_id).slash(
        "peerpulse settings", channel_id=group.home_channel_id
    )
