"""Fuzz every form the bot shows, opened through the buttons it emitted.

The bot posts what it posts (a check-in here); every button it emitted is pressed by
every member to find the forms, and each form is then submitted with values of each
input's type and beyond what the Discord client allows (options not in the list,
overlong, empty, missing). After a submit, a button of the answer may be pressed too
(e.g. "Edit my note", who may see the note), and a form it opens is submitted again.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from fuzz_values import EXAMPLES, FUZZ_SETTINGS, modal_inputs, modal_sweep, modal_values
from guardrail_kit import BotWorld, Findings, LogRecords, LoopThread, judged, settle
from hypothesis import example, given
from hypothesis import strategies as st

from bot.sandbox import InteractionResult

pytestmark = pytest.mark.e2e

BUTTON = 2
FUZZ_SECONDS_BUDGET = 60.0


@dataclass(frozen=True)
class Opener:
    """Who presses which emitted button on which message to open a form."""

    user_id: int
    message_id: int
    custom_id: str


@dataclass
class Form:
    """A form (by the shape of its button's custom_id), who can open it, and its inputs."""

    key: str
    openers: list[Opener]
    components: list[dict[str, Any]]


def _shape(custom_id: str) -> str:
    return re.sub(r"[0-9]+", "N", re.sub(r"[0-9a-f]{12}", "H", custom_id))


async def _emit(world: BotWorld) -> None:
    """What makes the bot emit buttons: check-ins set up, opened, DMs on, DMs delivered."""
    group, server = world.group, world.server
    home = group.home_channel_id
    mira = server.actor(group.moderator_id)
    await mira.slash(
        "checkin setup", channel_id=home, options={"weekday": "Tuesday", "time": "09:00"}
    )
    for member in group.member_ids[:2]:
        await server.actor(member).slash(
            "me dms", channel_id=home, options={"kind": "checkins", "setting": "on"}
        )
    await mira.slash("checkin now", channel_id=home)
    await world.running.tick()
    await settle(server, limit=3.0)


@dataclass
class Discovered:
    forms: list[Form]
    findings: Findings


async def _discover(world: BotWorld, logs: LogRecords) -> Discovered:
    """Press every emitted button as every person who can see it; keep those that open forms."""
    server, group = world.server, world.group
    people = [group.moderator_id, group.cofacilitator_id, *group.member_ids]
    forms: dict[str, Form] = {}
    findings = Findings()
    pressed: set[tuple[int, int, str]] = set()
    for _ in range(3):  # pressing emits more buttons (e.g. "Stop check-in DMs")
        emitted = [(m, c) for m, c in server.world.emitted_components if c.get("type") == BUTTON]
        for message_id, component in emitted:
            message = server.world.messages[message_id]
            for person in people:
                key = (person, message_id, component["custom_id"])
                if key in pressed or not server.world.can_see(person, message):
                    continue
                pressed.add(key)
                act = server.actor(person).press(message_id, component["custom_id"])
                result, problems = await judged(world.server, logs, act)
                findings.add("pressing", problems, component["custom_id"])
                if result is not None and result.modal is not None:
                    shape = _shape(component["custom_id"])
                    form = forms.setdefault(shape, Form(shape, [], result.modal.components))
                    form.openers.append(Opener(person, message_id, component["custom_id"]))
    return Discovered(sorted(forms.values(), key=lambda f: f.key), findings)


@pytest.fixture(scope="module")
def discovered(world: BotWorld, loop_thread: LoopThread, logs: LogRecords) -> Discovered:
    async def emit_and_discover() -> Discovered:
        await _emit(world)
        return await _discover(world, logs)

    return loop_thread.run(emit_and_discover())


async def _submit_and_follow(
    world: BotWorld, logs: LogRecords, opener: Opener, values: dict[str, Any], follow: int | None
) -> list[str]:
    actor = world.server.actor(opener.user_id)
    opened, problems = await judged(
        world.server, logs, actor.press(opener.message_id, opener.custom_id)
    )
    if opened is None or opened.modal is None:
        return problems  # e.g. the check-in closed: judged already checked the refusal
    submitted, more = await judged(
        world.server, logs, actor.submit_modal_unchecked(opened.modal, values)
    )
    problems += more
    if follow is None or submitted is None:
        return problems
    buttons = _buttons(submitted)
    if not buttons:
        return problems
    message_id, custom_id = buttons[follow % len(buttons)]
    pressed, more = await judged(world.server, logs, actor.press(message_id, custom_id))
    problems += more
    if pressed is not None and pressed.modal is not None:
        _, more = await judged(
            world.server, logs, actor.submit_modal_unchecked(pressed.modal, values)
        )
        problems += more
    return problems


def _buttons(result: InteractionResult) -> list[tuple[int, str]]:
    found = []
    for message in [result.message, *result.followups]:
        if message is not None:
            found += [(message.id, b["custom_id"]) for b in message.buttons() if b.get("custom_id")]
    return found


def _fuzz_form(
    world: BotWorld, loop_thread: LoopThread, logs: LogRecords, findings: Findings, form: Form
) -> Callable[[], None]:
    @FUZZ_SETTINGS
    @given(
        opener=st.sampled_from(form.openers),
        values=modal_values(form.components),
        follow=st.one_of(st.none(), st.integers(0, 4)),
    )
    def fuzz(opener: Opener, values: dict[str, Any], follow: int | None) -> None:
        problems = loop_thread.run(_submit_and_follow(world, logs, opener, values, follow))
        findings.add(f"form {form.key}", problems, {"values": values, "follow": follow})

    for case in modal_sweep(form.components):
        fuzz = example(opener=form.openers[0], values=case, follow=None)(fuzz)
    return fuzz


def test_every_form_survives_fuzzed_values(
    world: BotWorld, loop_thread: LoopThread, logs: LogRecords, discovered: Discovered
) -> None:
    started = time.monotonic()
    assert discovered.forms, "the bot showed no form: nothing was fuzzed"
    findings = Findings()
    for form in discovered.forms:
        _fuzz_form(world, loop_thread, logs, findings, form)()
    elapsed = time.monotonic() - started
    summary = f"{len(discovered.forms)} form(s), {findings.examples} examples, {elapsed:.1f} s"
    print(f"fuzzed {summary}")  # noqa: T201
    assert not findings.first, findings.report()
    assert elapsed < FUZZ_SECONDS_BUDGET or EXAMPLES > 100, f"the form fuzz took {elapsed:.0f} s"


def test_every_emitted_button_answers_everyone_who_can_press_it(discovered: Discovered) -> None:
    """Discovery pressed each button as each person who sees it: each answer is sound."""
    assert discovered.findings.examples > 0
    assert not discovered.findings.first, discovered.findings.report()


def test_the_check_in_form_is_found_from_the_post_and_the_dm(
    world: BotWorld, discovered: Discovered
) -> None:
    """A guard on discovery itself, so that the fuzz cannot silently test nothing."""
    [checkin] = [f for f in discovered.forms if f.key.startswith("checkin:answer")]
    inputs = {c["custom_id"] for c in modal_inputs(checkin.components)}
    assert {"energy", "caseload", "boundaries", "consult", "note"} <= inputs
    channels = {world.server.world.messages[o.message_id].channel_id for o in checkin.openers}
    assert len(channels) >= 2  # the channel post and at least one DM


def _fuzz_form_id(
    world: BotWorld, loop_thread: LoopThread, logs: LogRecords, findings: Findings, form: Form
) -> Callable[[], None]:
    known_ids = [str(i) for i in (world.group.guild_id, world.group.home_channel_id)]
    baseline = modal_sweep(form.components)[0]

    async def submit(opener: Opener, digits: list[str]) -> list[str]:
        actor = world.server.actor(opener.user_id)
        opened, problems = await judged(
            world.server, logs, actor.press(opener.message_id, opener.custom_id)
        )
        if opened is None or opened.modal is None:
            return problems
        custom_id = _with_numbers(opened.modal.custom_id, digits)
        act = actor.submit_modal_unchecked(opened.modal, baseline, custom_id=custom_id)
        _, more = await judged(world.server, logs, act)
        return problems + more

    numbers = st.sampled_from(["0", "9" * 30, "1" * 19, "00", *known_ids])

    @FUZZ_SETTINGS
    @given(opener=st.sampled_from(form.openers), digits=st.lists(numbers, min_size=1, max_size=3))
    def fuzz(opener: Opener, digits: list[str]) -> None:
        problems = loop_thread.run(submit(opener, digits))
        findings.add(f"form {form.key} custom_id", problems, digits)

    return fuzz


def _with_numbers(custom_id: str, digits: list[str]) -> str:
    """Replace the first decimal numbers of a custom_id (e.g. the round id) in turn."""
    pieces = custom_id.split(":")
    numeric = [i for i, piece in enumerate(pieces) if piece.isdigit()]
    for index, value in zip(numeric, digits, strict=False):
        pieces[index] = value
    return ":".join(pieces)


def test_every_form_survives_fuzzed_ids_in_its_custom_id(
    world: BotWorld, loop_thread: LoopThread, logs: LogRecords, discovered: Discovered
) -> None:
    """A modified client can submit a form whose custom_id carries any number (30 digits)."""
    findings = Findings()
    previous = world.server.interaction_timeout
    world.server.interaction_timeout = 3.0  # Discord's deadline; a dead end costs no more
    try:
        for form in discovered.forms:
            _fuzz_form_id(world, loop_thread, logs, findings, form)()
    finally:
        world.server.interaction_timeout = previous
    assert not findings.first, findings.report()
