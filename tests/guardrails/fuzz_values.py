"""Hypothesis strategies for what a person, or a modified client, could send.

Values follow the declared type of each slash-command option or modal input, and go
past what the Discord client would allow: hostile strings, numbers at and past their
bounds, ids of foreign and absurd objects, choices that were never offered.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from typing import Any

from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st

from bot.sandbox.options import (
    BOOLEAN,
    CHANNEL,
    INTEGER,
    MENTIONABLE,
    NUMBER,
    ROLE,
    STRING,
    USER,
)

EXAMPLES = int(os.environ.get("PEERPULSE_FUZZ_EXAMPLES", "100"))
FUZZ_SETTINGS = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    phases=(Phase.explicit, Phase.generate),
    suppress_health_check=list(HealthCheck),
    report_multiple_bugs=False,
)

ABSURD_ID = "9" * 30
LONG = 4000
# Pieces of text that have broken chat bots: mentions, markdown, fences, direction and
# zero-width marks, digits that are not ASCII, time and zone look-alikes, SQL and format.
ATOMS: tuple[str, ...] = (
    "<@1>",
    "<@&1>",
    "<#1>",
    "@everyone",
    "@here",
    "**bold**",
    "# Moderator notice\n",
    "[Verify your account](https://example.invalid/login)",
    "https://example.invalid",
    "```",
    "```py\nprint(1)",
    "`",
    "||spoiler||",
    "> quote\n",
    "\u202e",  # right-to-left override
    "\u200f",  # right-to-left mark
    "\u2066",  # left-to-right isolate
    "\u200b",  # zero-width space
    "\u200d",  # zero-width joiner
    "\ufeff",
    "\u0000",
    "\n",
    "\t",
    " ",
    "²",
    "٣",
    "\U0001d7d7",  # mathematical bold digit nine
    "½",
    "🙂",
    "9am",
    "10pm",
    "00:00",
    "24:00",
    "23:59",
    "18:00",
    "-1",
    "1e9",
    "localtime",
    "Factory",
    "UTC",
    "Europe/London",
    "America/New_York",
    "../etc/passwd",
    "'; DROP TABLE groups; --",
    "%s",
    "{0}",
    "\\",
    "Mon-Fri",
    "Sun-Thu",
    "Mon,Wed,Fri",
    "group",
    "2026-03-20",
    "20 Mar",
    "Monday",
    "Tuesday",
    "09:00",
    "17:00",
    "on",
    "off",
    "checkins",
)


TIME_EDGES = ("00:00", "0:00", "24:00", "23:59", "12:60", "9am", "10pm", "09:00", "18:00", "9")
DATE_EDGES = ("2026-02-30", "0001-01-01", "9999-12-31", "29 Feb", "2026-03-01", "yesterday")
ZONE_EDGES = ("localtime", "Factory", "posixrules", "Etc/GMT+14", " ", "utc", "Europe/Atlantis")
DAY_EDGES = ("Mon-Sun", "Sun-Sat", "Fri-Mon", "Mon,Mon", "Mon-", "-Fri", "Funday", "mon-fri")
SHAPES = (
    (re.compile(r"\b\d{1,2}:\d{2}\b"), TIME_EDGES),
    (re.compile(r"\b\d{4}-\d{2}-\d{2}\b|\b\d{1,2} [A-Z][a-z]{2}\b"), DATE_EDGES),
    (re.compile(r"\b[A-Z][a-z]+/[A-Za-z_]+\b"), ZONE_EDGES),
    (re.compile(r"\b[A-Z][a-z]{2}(?:[-,][A-Z][a-z]{2})+\b"), DAY_EDGES),
)
QUOTED = re.compile(r"'([^']{1,20})'")


def seeds_from_description(description: str) -> list[str]:
    """The examples an option's own description gives (e.g. 09:00, Mon-Fri, Europe/London),
    and edge values of the same shape, so fuzzing reaches past the first parse."""
    seeds: list[str] = QUOTED.findall(description)
    for pattern, edges in SHAPES:
        found = pattern.findall(description)
        if found:
            seeds += [*found, *edges]
    return seeds


def hostile_text(seeds: Sequence[str] = ()) -> st.SearchStrategy[str]:
    """Plausible values, hostile pieces and their mixtures, random text, 4,000 characters."""
    atoms = st.sampled_from(ATOMS + tuple(seeds))
    hostile = st.one_of(
        st.lists(atoms, min_size=2, max_size=6).map("".join),
        st.text(max_size=40),
        st.just(""),
        st.tuples(atoms, st.integers(LONG - 2, LONG + 2)).map(lambda a: (a[0] * a[1])[: a[1]]),
        st.integers(0, 10**6).map(lambda n: f"{n:,}"),
        st.just("9" * 5000),
    )
    if not seeds:
        return hostile
    plausible = st.sampled_from(tuple(seeds))
    # Mostly plausible: a value must pass the first checks to reach the later ones.
    return st.one_of(plausible, plausible, plausible, hostile)


def integers_around(low: int | None, high: int | None) -> st.SearchStrategy[int]:
    """Numbers inside, at and just past the declared bounds, and far outside any."""
    edges = [0, 1, -1, 2**31, 2**53 + 1, 2**63, -(2**63) - 1, 10**30]
    for bound in (low, high):
        if bound is not None:
            edges += [int(bound) - 1, int(bound), int(bound) + 1]
    inside = st.integers(int(low or -1000), int(high or 1000)) if (low or high) else st.integers()
    return st.one_of(st.sampled_from(edges), inside, st.integers())


def option_value(
    option: dict[str, Any], ids: Sequence[str], seeds: Sequence[str]
) -> st.SearchStrategy[Any]:
    """A value for one slash-command option, by its declared type."""
    kind = int(option["type"])
    offered = [c["value"] for c in option.get("choices") or []]
    if kind == STRING:
        text = hostile_text(seeds)
        return st.one_of(st.sampled_from(offered), text) if offered else text
    if kind == INTEGER:
        numbers = integers_around(option.get("min_value"), option.get("max_value"))
        return st.one_of(st.sampled_from(offered), numbers) if offered else numbers
    if kind == NUMBER:
        low, high = option.get("min_value"), option.get("max_value")
        floats = st.floats(allow_nan=False, allow_infinity=False)
        return st.one_of(integers_around(low, high), floats)
    if kind == BOOLEAN:
        return st.booleans()
    if kind in (CHANNEL, ROLE, USER, MENTIONABLE):
        return st.sampled_from([*ids, ABSURD_ID, "0"])
    return hostile_text(seeds)


def options_for(
    options: Sequence[dict[str, Any]], ids: Sequence[str], seeds: dict[str, Sequence[str]]
) -> st.SearchStrategy[dict[str, Any]]:
    """Every required option and any optional ones.

    Required options are always sent: Discord checks an interaction's options against
    the registered command before it reaches the bot, which it does not do for bounds,
    lengths or choices.
    """
    values = {
        o["name"]: option_value(
            o, ids, [*seeds.get(o["name"], ()), *seeds_from_description(o.get("description", ""))]
        )
        for o in options
    }
    required = {o["name"] for o in options if o.get("required")}
    return st.fixed_dictionaries(
        {n: s for n, s in values.items() if n in required},
        optional={n: s for n, s in values.items() if n not in required},
    )


SWEEP_TEXT = ("", " ", "<@1>", "@everyone", "```", "\u202e", "\u200b", "²", "x" * LONG, "9" * 5000)


def _edges(option: dict[str, Any], ids: Sequence[str], seeds: Sequence[str]) -> list[Any]:
    kind = int(option["type"])
    offered = [c["value"] for c in option.get("choices") or []]
    if kind == STRING:
        return [*offered, *seeds, *SWEEP_TEXT, "not one of the choices"]
    if kind in (INTEGER, NUMBER):
        low, high = option.get("min_value"), option.get("max_value")
        edges = [*offered, 0, -1, 10**30, -(10**30)]
        for bound in (low, high):
            if bound is not None:
                edges += [bound - 1, bound, bound + 1]
        return edges
    if kind == BOOLEAN:
        return [True, False]
    if kind in (CHANNEL, ROLE, USER, MENTIONABLE):
        return [*ids, ABSURD_ID, "0"]
    return list(SWEEP_TEXT)


def _baseline(option: dict[str, Any], ids: Sequence[str], seeds: Sequence[str]) -> Any:
    kind = int(option["type"])
    if option.get("choices"):
        return option["choices"][0]["value"]
    if kind == STRING:
        return seeds[0] if seeds else "x"
    if kind in (INTEGER, NUMBER):
        return option.get("min_value", 1)
    if kind == BOOLEAN:
        return True
    return ids[0]


def sweep(
    options: Sequence[dict[str, Any]], ids: Sequence[str], seeds: dict[str, Sequence[str]]
) -> list[dict[str, Any]]:
    """One option at a time through its edge values, the required others at a baseline.

    Random generation rarely lands on one bad value while every other option is valid;
    the sweep does so for every option and edge, deterministically.
    """
    all_seeds = {
        o["name"]: [*seeds.get(o["name"], ()), *seeds_from_description(o.get("description", ""))]
        for o in options
    }
    # Optional options stay out of the baseline: one of them (e.g. a flag that conflicts
    # with another) could turn every case of the sweep into the same early refusal.
    base = {
        o["name"]: _baseline(o, ids, all_seeds[o["name"]]) for o in options if o.get("required")
    }
    cases = [dict(base)]
    for option in options:
        for value in _edges(option, ids, all_seeds[option["name"]]):
            cases.append({**base, option["name"]: value})
    return cases


# --- modal inputs -------------------------------------------------------------------------

TEXT_INPUT, STRING_SELECT, RADIO_GROUP, CHECKBOX_GROUP, CHECKBOX = 4, 3, 21, 22, 23


def modal_inputs(components: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """The inputs of a modal (inside labels and action rows), in order."""
    found: list[dict[str, Any]] = []
    for component in components:
        children = [*(component.get("components") or []), component.get("component")]
        found += [c for c in children if isinstance(c, dict) and c.get("custom_id")]
    return found


def _input_edges(component: dict[str, Any]) -> list[Any]:
    kind = component.get("type")
    offered = [str(o.get("value")) for o in component.get("options") or []]
    if kind == TEXT_INPUT:
        high = int(component.get("max_length") or LONG)
        return [
            *SWEEP_TEXT,
            "x" * (high + 1),
            "<@&1> # Moderator notice\n[Verify](https://x.invalid)",
        ]
    if kind == RADIO_GROUP:
        return [*offered, "", "0", "6", "²", "9" * 5000, "not an option", None]
    if kind == CHECKBOX:
        return [True, False, "true", None]
    if kind in (STRING_SELECT, CHECKBOX_GROUP):
        return [offered[:1], offered, [], ["not an option"], offered * 2]
    return [[], [ABSURD_ID], ["0"]]


def input_value(component: dict[str, Any]) -> st.SearchStrategy[Any]:
    """A value for one modal input as a modified client could send it."""
    kind = component.get("type")
    offered = [str(o.get("value")) for o in component.get("options") or []]
    edges = st.sampled_from(_input_edges(component))
    if kind == TEXT_INPUT:
        return st.one_of(hostile_text(), edges, st.none())
    if kind == RADIO_GROUP and offered:
        choice = st.sampled_from(offered)
        return st.one_of(choice, choice, choice, edges, hostile_text())
    if kind in (STRING_SELECT, CHECKBOX_GROUP) and offered:
        return st.one_of(st.lists(st.sampled_from(offered), max_size=len(offered)), edges)
    return edges


def modal_values(components: Sequence[dict[str, Any]]) -> st.SearchStrategy[dict[str, Any]]:
    """Values for every input of a modal (None: the input is sent without a value)."""
    return st.fixed_dictionaries({c["custom_id"]: input_value(c) for c in modal_inputs(components)})


def modal_sweep(components: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """One input at a time through its edge values, the others at a plausible baseline."""
    inputs = modal_inputs(components)
    base: dict[str, Any] = {}
    for component in inputs:
        offered = [str(o.get("value")) for o in component.get("options") or []]
        if component.get("type") == TEXT_INPUT:
            base[component["custom_id"]] = "A hard week."
        elif component.get("type") == RADIO_GROUP and offered:
            base[component["custom_id"]] = offered[0]
        else:
            base[component["custom_id"]] = _input_edges(component)[0]
    cases = [dict(base)]
    for component in inputs:
        cases += [{**base, component["custom_id"]: v} for v in _input_edges(component)]
    return cases
