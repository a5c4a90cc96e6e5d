"""Answer every interaction within Discord's 3 s, however long the work behind it takes.

Discord drops an interaction that is not acknowledged within 3 seconds ("This interaction
failed"), even when the bot goes on to save the change. A database held by another
process can make a write wait far longer. So each command, button and form submit gets a
guard: if the handler has not answered after `GRACE_SECONDS`, the guard acknowledges it
(ephemeral "thinking…" for commands and new answers, a silent deferred update for
buttons), and the handler's answer, sent through `respond`, then arrives as the follow-up
or as the edit of the deferred message. `respond` and the guard share a per-interaction
lock, so the two can never both acknowledge the same interaction.

The guard is a timer on the event loop, not a task: it costs nothing more unless the grace
runs out, and it is cancelled as soon as `respond` has answered.

`after_answer` runs a step once the handler's answer has gone out (the closed-DMs hint is
sent that way, as a follow-up after the answer, with no polling).

Buttons whose answer is a modal cannot be deferred (a modal must be the first answer):
their custom_id prefixes are declared with `opens_modal` and get no guard.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Coroutine
from typing import Any

import discord

log = logging.getLogger(__name__)

GRACE_SECONDS = 1.5  # leaves half of Discord's 3 s for the acknowledgement itself
_GUARDED = {
    discord.InteractionType.application_command,
    discord.InteractionType.component,
    discord.InteractionType.modal_submit,
}
_modal_openers: set[str] = set()
_locks: dict[int, asyncio.Lock] = {}
# One timer per guarded interaction (no task): cancelled as soon as it is answered.
_timers: dict[int, asyncio.TimerHandle] = {}
_guards: set[asyncio.Task[None]] = set()
_AFTER_ANSWER = "peerpulse_after_answer"  # keys in Interaction.extras
_ANSWERED = "peerpulse_answered"
AfterAnswer = Callable[[discord.Interaction[Any]], Coroutine[Any, Any, None]]


def opens_modal(*prefixes: str) -> None:
    """Declare custom_id prefixes of buttons that answer with a modal (never deferred)."""
    _modal_openers.update(prefixes)


def guard(interaction: discord.Interaction[Any], *, grace: float = GRACE_SECONDS) -> None:
    """Acknowledge `interaction` after `grace` seconds unless it has been answered by then."""
    if interaction.type not in _GUARDED or interaction.id in _locks:
        return
    data: dict[str, Any] = dict(interaction.data or {})
    custom_id = str(data.get("custom_id", ""))
    if interaction.type is discord.InteractionType.component and custom_id.startswith(
        tuple(_modal_openers)
    ):
        return
    _locks[interaction.id] = asyncio.Lock()
    loop = asyncio.get_running_loop()
    _timers[interaction.id] = loop.call_later(grace, _grace_over, interaction)


def _grace_over(interaction: discord.Interaction[Any]) -> None:
    """The grace has passed unanswered: acknowledge now (a task only for the slow ones)."""
    _timers.pop(interaction.id, None)
    if interaction.id not in _locks:
        return  # answered, or abandoned: it expired before anyone could answer it
    if interaction.response.is_done():  # answered without `respond` (e.g. a modal)
        _locks.pop(interaction.id, None)
        return
    task = asyncio.create_task(_defer_now(interaction), name=f"ack-{interaction.id}")
    _guards.add(task)
    task.add_done_callback(_guards.discard)


def _release(interaction: discord.Interaction[Any]) -> None:
    """Stop guarding: its timer is cancelled and its lock dropped."""
    timer = _timers.pop(interaction.id, None)
    if timer is not None:
        timer.cancel()
    _locks.pop(interaction.id, None)


async def _defer_now(interaction: discord.Interaction[Any]) -> None:
    try:
        lock = _locks.get(interaction.id)
        if lock is None:
            return  # answered or abandoned meanwhile
        async with lock:
            if interaction.response.is_done():
                return
            try:
                await interaction.response.defer(
                    ephemeral=True, thinking=not _updates_in_place(interaction)
                )
            except discord.HTTPException as error:
                log.warning(
                    "could not acknowledge interaction %s in time (HTTP %s, code %s)",
                    interaction.id,
                    error.status,
                    error.code,
                )
            else:
                log.info("acknowledged slow interaction %s before answering", interaction.id)
    finally:
        _locks.pop(interaction.id, None)


def abandon(interaction: discord.Interaction[Any]) -> None:
    """Stop guarding an interaction that can no longer be answered (it expired)."""
    _release(interaction)


def _updates_in_place(interaction: discord.Interaction[Any]) -> bool:
    """Buttons, and forms opened from an ephemeral message, defer as an update of it."""
    if interaction.type is discord.InteractionType.component:
        return True
    message = interaction.message
    return (
        interaction.type is discord.InteractionType.modal_submit
        and message is not None
        and message.flags.ephemeral
    )


def _lock(interaction: discord.Interaction[Any]) -> contextlib.AbstractAsyncContextManager[Any]:
    lock = _locks.get(interaction.id)
    return lock if lock is not None else contextlib.nullcontext()


async def respond(
    interaction: discord.Interaction[Any],
    content: str | None = None,
    *,
    embed: discord.Embed | None = None,
    view: discord.ui.View | None = None,
    file: discord.File | None = None,
    edit: bool = False,
) -> None:
    """Answer ephemerally (or, with `edit`, replace the message the button was on).

    Before any acknowledgement this is the interaction's response; after the guard (or
    `defer`) acknowledged it, the follow-up or the edit of the deferred message.
    """
    async with _lock(interaction):
        response = interaction.response
        if not response.is_done():
            if edit:
                await response.edit_message(content=content, embed=embed, view=view)
            else:
                await response.send_message(**_message(content, embed, view, file), ephemeral=True)
        elif edit and response.type is discord.InteractionResponseType.deferred_message_update:
            await interaction.edit_original_response(content=content, embed=embed, view=view)
        else:
            await interaction.followup.send(**_message(content, embed, view, file), ephemeral=True)
    if interaction.response.is_done():
        _release(interaction)  # answered: nothing left for the guard to do
    await _answered(interaction)


def after_answer(interaction: discord.Interaction[Any], step: AfterAnswer) -> None:
    """Run `step` once, right after `respond` has answered (at once if it already has).

    It runs inside that `respond` call, so it comes before anything else the handler sends
    (a fixed order), and only then does the handler go on. An interaction answered only
    with a modal never runs it; it goes with the interaction.
    """
    if interaction.extras.get(_ANSWERED):
        task = asyncio.create_task(_run(step, interaction), name=f"after-{interaction.id}")
        _guards.add(task)
        task.add_done_callback(_guards.discard)
    else:
        interaction.extras.setdefault(_AFTER_ANSWER, []).append(step)


async def _answered(interaction: discord.Interaction[Any]) -> None:
    interaction.extras[_ANSWERED] = True
    for step in interaction.extras.pop(_AFTER_ANSWER, []):
        await _run(step, interaction)


async def _run(step: AfterAnswer, interaction: discord.Interaction[Any]) -> None:
    try:
        await step(interaction)
    except Exception:  # a hint that fails must not fail the command it follows
        log.warning(
            "a step after the answer to interaction %s failed", interaction.id, exc_info=True
        )


async def defer(interaction: discord.Interaction[Any]) -> None:
    """Acknowledge with an ephemeral "thinking…" now, unless already acknowledged."""
    async with _lock(interaction):
        if not interaction.response.is_done():
            await interaction.response.defer(ephemeral=True, thinking=True)


def _message(
    content: str | None,
    embed: discord.Embed | None,
    view: discord.ui.View | None,
    file: discord.File | None,
) -> dict[str, Any]:
    """Only the parts that are present (discord.py treats None and "missing" differently)."""
    parts: dict[str, Any] = {"content": content, "embed": embed, "view": view, "file": file}
    return {key: value for key, value in parts.items() if value is not None}
