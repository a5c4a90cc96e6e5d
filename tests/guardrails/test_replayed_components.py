"""Every button and select the bot emitted in the full sandbox story, pressed after a restart.

The story is played once (see conftest `story_run`); the bot is then started again on the
same database and server, and every custom_id it ever put on a message (including those
later edited away) is pressed by the person who could see it. Each answer works (a form,
an update, a reply) or is a plain ephemeral sentence; no incident, no rejected request.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from guardrail_kit import Findings, LogRecords, StoryRun, capture_logs, judged

from bot.sandbox import SandboxServer
from bot.sandbox.running_bot import start_bot
from bot.sandbox.state import DM, Message

pytestmark = pytest.mark.e2e

DISCORD_DEADLINE = 3.0
BUTTON = 2


def _pressers(server: SandboxServer, message: Message, member: int, moderator: int) -> list[int]:
    """Who can press: the one person an ephemeral or a DM is for; in a channel, two people."""
    if message.ephemeral_to is not None:
        return [message.ephemeral_to]
    channel = server.world.channel(message.channel_id)
    if channel.type == DM and channel.recipient_id is not None:
        return [channel.recipient_id]
    return [member, moderator]


def _press_values(component: dict[str, Any]) -> list[str] | None:
    if component.get("type") == BUTTON:
        return None
    options = [str(o.get("value")) for o in component.get("options") or []]
    return options[:1]


async def _replay(story_run: StoryRun, logs: LogRecords) -> tuple[Findings, set[str]]:
    server = story_run.server
    group = story_run.played.group
    emitted = list(server.world.emitted_components)
    running = await start_bot(story_run.played.settings, story_run.clock, sync=False)
    server.interaction_timeout = DISCORD_DEADLINE
    findings = Findings()
    seen: set[tuple[int, str]] = set()
    custom_ids: set[str] = set()
    try:
        for message_id, component in emitted:
            custom_id = str(component["custom_id"])
            if (message_id, custom_id) in seen:
                continue
            seen.add((message_id, custom_id))
            custom_ids.add(custom_id)
            message = server.world.messages[message_id]
            for person in _pressers(server, message, group.member_ids[0], group.moderator_id):
                act = server.actor(person).press(
                    message_id,
                    custom_id,
                    component_type=int(component.get("type", BUTTON)),
                    values=_press_values(component),
                )
                result, problems = await judged(server, logs, act)
                reply = result.message if result is not None and result.type == 4 else None
                if reply is not None and not reply.ephemeral:
                    problems.append(f"a public reply: {reply.content[:120]!r}")
                label = component.get("label") or component.get("placeholder")
                shape = re.sub(r"[0-9]+", "N", re.sub(r"[0-9a-f]{16,}", "<random>", custom_id))
                where = f"{shape} ({label})"
                findings.add(where, problems, {"custom_id": custom_id, "by": person})
    finally:
        await running.stop()
    return findings, custom_ids


def test_every_emitted_component_answers_after_a_restart(story_run: StoryRun) -> None:
    with capture_logs() as logs:
        findings, custom_ids = story_run.loop.run(_replay(story_run, logs))
    assert len(custom_ids) >= 3, f"the story emitted too few components: {sorted(custom_ids)}"
    assert not findings.first, findings.report()
