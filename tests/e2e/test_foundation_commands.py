"""/privacy and /peerpulse settings through the real client and the sandbox server."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest

from bot.sandbox import Overwrite, SandboxServer
from bot.sandbox import permissions as perm
from bot.sandbox.demo import DemoGroup
from bot.sandbox.running_bot import RunningBot

pytestmark = pytest.mark.e2e


async def wait_for(condition: Callable[[], bool]) -> None:
    """Wait for something the gateway delivers asynchronously (CHANNEL_CREATE, …)."""
    async with asyncio.timeout(5):
        while not condition():
            await asyncio.sleep(0.01)


async def test_commands_are_synced_without_name_clashes(
    server: SandboxServer, peerpulse: RunningBot
) -> None:
    synced = server.application.commands_for(None)
    names = [command["name"] for command in synced]
    assert sorted(names) == sorted(set(names))
    assert {"privacy", "peerpulse"} <= set(names)
    settings = next(c for c in synced if c["name"] == "peerpulse")
    assert [o["name"] for o in settings["options"]] == ["settings", "status"]
    assert all(len(c["description"]) <= 100 for c in synced)


async def test_privacy_is_ephemeral_and_complete(
    server: SandboxServer, group: DemoGroup, peerpulse: RunningBot
) -> None:
    ana, ben = group.member_ids[:2]
    result = await server.actor(ana).slash("privacy", channel_id=group.home_channel_id)
    assert result.message is not None
    assert result.message.ephemeral
    text = result.message.embed_text()
    for phrase in ("What it stores", "What it never stores", "Who sees what", "How long", "988"):
        assert phrase in text
    assert "with fewer than 3 answers, only how many answered" in text
    assert "Moderators: the moderators, with your name" in text
    assert "exactly what moderators see" not in text
    assert not [m for m in server.actor(ben).sees(group.home_channel_id) if "Who sees" in m.text]
    assert "group_id" not in text


async def test_privacy_reflects_the_group_settings(
    server: SandboxServer, group: DemoGroup, peerpulse: RunningBot
) -> None:
    await server.actor(group.moderator_id).slash(
        "peerpulse settings", channel_id=group.home_channel_id
    )
    await peerpulse.db.execute("UPDATE groups SET retention_days = 30, anonymity_threshold = 7")
    result = await server.actor(group.member_ids[0]).slash(
        "privacy", channel_id=group.home_channel_id
    )
    assert result.message is not None
    text = result.message.embed_text()
    assert "30 days (this group's setting)" in text
    assert "7" not in text  # the pulse's threshold: no pulse yet, so /privacy promises none


async def test_moderator_sees_and_changes_settings(
    server: SandboxServer, group: DemoGroup, peerpulse: RunningBot
) -> None:
    mira = server.actor(group.moderator_id)
    shown = await mira.slash("peerpulse settings", channel_id=group.home_channel_id)
    assert shown.message is not None
    assert shown.message.ephemeral
    assert "Group settings" in shown.message.embed_text()
    assert "UTC" in shown.message.embed_text()

    choices = await mira.autocomplete(
        "peerpulse settings", "timezone", "new yo", channel_id=group.home_channel_id
    )
    assert choices[0]["value"] == "America/New_York"
    changed = await mira.slash(
        "peerpulse settings",
        channel_id=group.home_channel_id,
        options={"timezone": choices[0]["value"], "home_channel": group.home_channel_id},
    )
    assert changed.message is not None
    text = changed.message.embed_text()
    assert "Settings saved" in text
    assert "America/New_York" in text
    assert f"<#{group.home_channel_id}>" in text
    row = await peerpulse.db.fetchone("SELECT timezone, home_channel_id FROM groups")
    assert row is not None
    assert tuple(row) == ("America/New_York", group.home_channel_id)


async def test_unknown_zone_is_refused_and_nothing_changes(
    server: SandboxServer, group: DemoGroup, peerpulse: RunningBot
) -> None:
    mira = server.actor(group.moderator_id)
    result = await mira.slash(
        "peerpulse settings",
        channel_id=group.home_channel_id,
        options={"timezone": "Mars/Olympus", "home_channel": group.other_channel_id},
    )
    assert result.message is not None
    assert result.message.ephemeral
    assert "I don't know the time zone 'Mars/Olympus'" in result.message.content
    row = await peerpulse.db.fetchone("SELECT timezone, home_channel_id FROM groups")
    assert row is not None
    assert tuple(row) == ("UTC", None)


async def test_non_moderator_is_refused(
    server: SandboxServer, group: DemoGroup, peerpulse: RunningBot
) -> None:
    ana = server.actor(group.member_ids[0])
    # A server admin opened /peerpulse to everyone: the bot's own check still refuses Ana.
    server.set_command_access(group.guild_id, "peerpulse", role_id=group.guild_id)
    result = await ana.slash(
        "peerpulse settings", channel_id=group.home_channel_id, options={"timezone": "Asia/Tokyo"}
    )
    assert result.message is not None
    assert result.message.ephemeral
    assert "Only the group's moderators" in result.message.content
    row = await peerpulse.db.fetchone("SELECT timezone FROM groups")
    assert row is not None
    assert row["timezone"] == "UTC"


async def test_configured_moderator_role_grants_access(
    server: SandboxServer, group: DemoGroup, peerpulse: RunningBot
) -> None:
    theo = server.actor(group.cofacilitator_id)
    server.set_command_access(group.guild_id, "peerpulse", role_id=group.cofacilitator_role_id)
    refused = await theo.slash("peerpulse settings", channel_id=group.home_channel_id)
    assert refused.message is not None
    assert "Only the group's moderators" in refused.message.content
    await server.actor(group.moderator_id).slash(
        "peerpulse settings",
        channel_id=group.home_channel_id,
        options={"moderator_role": group.cofacilitator_role_id},
    )
    allowed = await theo.slash("peerpulse settings", channel_id=group.home_channel_id)
    assert allowed.message is not None
    assert "Group settings" in allowed.message.embed_text()
    assert f"<@&{group.cofacilitator_role_id}>" in allowed.message.embed_text()


async def test_home_channel_the_bot_cannot_post_in_is_refused(
    server: SandboxServer, group: DemoGroup, peerpulse: RunningBot
) -> None:
    hidden = server.create_text_channel(
        group.guild_id,
        "private",
        overwrites=[
            Overwrite(id=group.credentials.bot_user_id, type=1, allow=0, deny=perm.SEND_MESSAGES)
        ],
    )
    await wait_for(lambda: peerpulse.bot.get_channel(hidden) is not None)
    result = await server.actor(group.moderator_id).slash(
        "peerpulse settings", channel_id=group.home_channel_id, options={"home_channel": hidden}
    )
    assert result.message is not None
    assert "I can't post in" in result.message.content
    assert "Send Messages" in result.message.content


async def test_settings_is_guild_only_and_privacy_works_everywhere(
    server: SandboxServer, peerpulse: RunningBot
) -> None:
    synced = {c["name"]: c for c in server.application.commands_for(None)}
    assert synced["peerpulse"]["dm_permission"] is False
    assert synced["privacy"]["dm_permission"] is True


async def test_unexpected_error_gives_an_incident_id(
    server: SandboxServer, group: DemoGroup, peerpulse: RunningBot, caplog: pytest.LogCaptureFixture
) -> None:
    await peerpulse.db.execute("DROP TABLE groups")
    result = await server.actor(group.moderator_id).slash(
        "peerpulse settings", channel_id=group.home_channel_id
    )
    assert result.message is not None
    assert result.message.ephemeral
    content = result.message.content
    assert "Something went wrong on my side" in content
    incident = content.split("incident `")[1].split("`")[0]
    assert f"incident {incident}" in caplog.text
    assert "Traceback" in caplog.text or "no such table" in caplog.text
    assert "no such table" not in content


async def test_a_settings_change_is_seen_by_the_very_next_command(
    server: SandboxServer, group: DemoGroup, peerpulse: RunningBot
) -> None:
    """The channel's group is remembered between commands, never past a change to it."""
    ana = server.actor(group.member_ids[0])
    mira = server.actor(group.moderator_id)
    home = group.home_channel_id
    before = await ana.slash("me show", channel_id=home)
    assert before.message is not None
    assert "Asia/Tokyo" not in before.message.embed_text()
    await ana.slash("privacy", channel_id=home)
    changed = await mira.slash(
        "peerpulse settings", channel_id=home, options={"timezone": "Asia/Tokyo"}
    )
    assert changed.message is not None
    after = await ana.slash("me show", channel_id=home)
    assert after.message is not None
    assert "Asia/Tokyo" in after.message.embed_text()
    shown = await mira.slash("peerpulse settings", channel_id=home)
    assert shown.message is not None
    assert "Asia/Tokyo" in shown.message.embed_text()
