"""Chapter: a moderator sets the group up; members read /privacy; the server's owner lets
the co-facilitators' role use the moderator commands."""

from __future__ import annotations

from datetime import timedelta

from bot.sandbox.story import Story

# The slash commands only moderators use (Discord shows them to Manage Server by default).
MODERATOR_COMMANDS = ("peerpulse", "checkin")


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
        options={"timezone": choices[0]["value"], "home_channel": group.home_channel_id},
    )
    story.clock.advance(timedelta(minutes=3))
    ana = group.member_ids[0]
    story.progress("Ana reads /privacy (only she sees the answer)")
    await server.actor(ana).slash("privacy", channel_id=group.home_channel_id)
    story.clock.advance(timedelta(minutes=2))
    shown = server.actor(group.member_ids[1]).command_names(group.home_channel_id)
    if set(MODERATOR_COMMANDS) & set(shown):
        raise AssertionError(f"a member's command list shows moderator commands: {shown}")
    story.progress(f"Ben's command list: /{', /'.join(shown)}; moderator commands are not in it")
    await _cofacilitators_get_access(story)


async def _cofacilitators_get_access(story: Story) -> None:
    """Theo has the Co-facilitators role but not Manage Server: Discord shows him the
    moderator commands once a server admin allows his role, and peerpulse accepts them
    once a moderator names the role."""
    server, group = story.server, story.group
    for command in MODERATOR_COMMANDS:
        server.set_command_access(group.guild_id, command, role_id=group.cofacilitator_role_id)
    story.progress(
        "Olive (the server's owner) lets Co-facilitators use /peerpulse and /checkin "
        "(Server Settings → Integrations → peerpulse)"
    )
    theo = server.actor(group.cofacilitator_id)
    story.progress(
        "Theo (Co-facilitators) tries /peerpulse settings: not a moderator of the group yet"
    )
    await theo.slash("peerpulse settings", channel_id=group.home_channel_id)
    story.clock.advance(timedelta(minutes=1))
    story.progress("Mira makes Co-facilitators the group's moderator role; Theo views the settings")
    await server.actor(group.moderator_id).slash(
        "peerpulse settings",
        channel_id=group.home_channel_id,
        options={"moderator_role": group.cofacilitator_role_id},
    )
    await theo.slash("peerpulse settings", channel_id=group.home_channel_id)
