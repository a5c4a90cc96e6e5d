"""Chapter: a peer consultation, from proposal to the session, and a recurring slot.

The helpers here (proposing, marking availability, finding the posts) are shared with
the end-to-end tests, so the story and the tests act the way a member would.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

from bot.sandbox.actors import Actor, InteractionResult
from bot.sandbox.server import SandboxServer
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
