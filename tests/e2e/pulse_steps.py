"""Steps the pulse end-to-end tests share (imported by name: tests/e2e is on sys.path)."""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.groups import group_for_channel
from bot.pulse.store import load_settings
from bot.sandbox import SandboxServer
from bot.sandbox.chapters.pulse import ANSWERS, pulse_posts, take_pulse
from bot.sandbox.demo import DemoGroup
from bot.sandbox.running_bot import RunningBot


async def set_home(server: SandboxServer, group: DemoGroup) -> None:
    """Mira makes the home channel the group's channel."""
    await server.actor(group.moderator_id).slash(
        "peerpulse settings",
        channel_id=group.home_channel_id,
        options={"home_channel": group.home_channel_id},
    )


async def group_id_of(running: RunningBot, group: DemoGroup) -> int:
    found = await group_for_channel(running.db, group.guild_id, group.home_channel_id)
    assert found is not None
    return found.id


async def pulse(
    server: SandboxServer, group: DemoGroup, user_id: int, command: str, **options: object
) -> str:
    """Run a /pulse command and return its final answer's text (ephemeral checked)."""
    result = await server.actor(user_id).slash(
        f"pulse {command}", channel_id=group.home_channel_id, options=dict(options)
    )
    message = await result.final()
    assert message.ephemeral
    return message.text


async def open_round(server: SandboxServer, group: DemoGroup, running: RunningBot) -> int:
    """Mira opens a pulse now; returns the id of its channel post."""
    await pulse(server, group, group.moderator_id, "open")
    await running.advance(timedelta(minutes=1))
    return pulse_posts(server, group.home_channel_id)[-1].id


def everyone(group: DemoGroup) -> tuple[int, ...]:
    """The eight people of the demo server who can answer."""
    return (group.owner_id, group.moderator_id, group.cofacilitator_id, *group.member_ids)


async def answer(server: SandboxServer, post_id: int, people: tuple[int, ...]) -> list[str]:
    """Each person takes the pulse; returns each final answer's text."""
    texts = []
    for number, who in enumerate(people):
        result = await take_pulse(server, who, post_id, ANSWERS[number % len(ANSWERS)])
        assert result.message is not None
        texts.append(result.message.text)
    return texts


async def next_open(running: RunningBot, group: DemoGroup) -> datetime:
    saved = await load_settings(running.db, await group_id_of(running, group))
    assert saved is not None
    assert saved.next_open_at is not None
    return saved.next_open_at
