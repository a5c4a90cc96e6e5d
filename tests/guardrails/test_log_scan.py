"""The full sandbox story at DEBUG, logged as `peerpulse run` logs: no secret, no note, no answer.

Searched for: the bot token, every interaction token the server issued, every text a
member typed into a form (notes) and every answer they chose, as it would appear in a
logged value (quoted, e.g. SQL parameters or a payload).
"""

from __future__ import annotations

from typing import Any

import pytest
from guardrail_kit import StoryRun, mention_problems, message_bodies

from bot.sandbox.state import MODAL_SUBMIT

pytestmark = pytest.mark.e2e

TEXT_INPUT, RADIO_GROUP = 4, 21


def _typed(story_run: StoryRun) -> tuple[list[str], list[str]]:
    """Texts typed into forms (notes) and choices made in them (answers), from the submits."""
    notes: set[str] = set()
    answers: set[str] = set()
    for interaction in story_run.server.world.interactions.values():
        if interaction.type != MODAL_SUBMIT:
            continue
        stack: list[Any] = list(interaction.data.get("components") or [])
        while stack:
            component = stack.pop()
            if not isinstance(component, dict):
                continue
            stack += [*(component.get("components") or []), component.get("component")]
            value = component.get("value")
            if component.get("type") == TEXT_INPUT and isinstance(value, str) and value.strip():
                notes.add(value)
            elif component.get("type") == RADIO_GROUP and isinstance(value, str):
                answers.add(value)
    return sorted(notes), sorted(answers)


def _leaks(text: str, secrets: dict[str, str]) -> list[str]:
    found = []
    for line in text.splitlines():
        if "executescript" in line:
            continue  # the schema (migrations) names every answer in its CHECK constraints
        for what, secret in secrets.items():
            if secret in line:
                found.append(f"{what} in: {line[:300]}")
    return found


def test_the_capture_sees_the_debug_log(story_run: StoryRun) -> None:
    """The scan below is only worth something if the DEBUG log was captured."""
    assert " DEBUG " in story_run.log_text
    assert len(story_run.log_text.splitlines()) > 100


def test_no_token_in_the_debug_log(story_run: StoryRun) -> None:
    token = story_run.played.group.credentials.token
    leaks = _leaks(story_run.log_text, {"the bot token": token})
    assert not leaks, "\n".join(leaks[:20])


def test_no_interaction_token_in_the_debug_log(story_run: StoryRun) -> None:
    tokens = {
        f"interaction token of {i.description}": i.token
        for i in story_run.server.world.interactions.values()
    }
    assert tokens
    leaks = _leaks(story_run.log_text, tokens)
    assert not leaks, f"{len(leaks)} line(s); first:\n" + "\n".join(leaks[:10])


def test_no_note_or_answer_in_the_debug_log(story_run: StoryRun) -> None:
    notes, answers = _typed(story_run)
    assert notes, "the story typed no note: the scan would test nothing"
    assert answers
    secrets = {f"note {n[:40]!r}": n for n in notes}
    for answer in answers:  # a logged value: SQL parameters, a payload, a repr
        for quoted in (f"'{answer}'", f'"{answer}"'):
            secrets[f"answer {quoted}"] = quoted
    leaks = _leaks(story_run.log_text, secrets)
    assert not leaks, f"{len(leaks)} line(s); first:\n" + "\n".join(leaks[:10])


def test_every_message_of_the_story_mentions_no_one(story_run: StoryRun) -> None:
    """`allowed_mentions` with nothing allowed on every message the bot sent or edited."""
    records = story_run.server.requests
    assert sum(len(message_bodies(r)) for r in records) > 20, "the check would read nothing"
    problems = mention_problems(records)
    assert not problems, "\n".join(problems[:20])
