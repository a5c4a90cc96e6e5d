"""Benchmark (not a test): where the check-in button's time goes, peerpulse against bare.

The same setup as `bench_interaction_latency` (both bots on one sandbox, interleaved).
Each press is split at the moment the bot's handler starts:
- dispatch: the sandbox creating the interaction -> the handler starting (discord.py's
  parsing, and for peerpulse rebuilding the post's view to find its `DynamicItem`);
- handler: the handler starting -> its answer reaching the server; for peerpulse also the
  database trip inside it (the round and the member's earlier answer, to prefill the
  form) and building the form.
Medians over one run of `--n` presses each. Run:

    .venv/bin/python tests/benchmarks/bench_button_stages.py [--n 300]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))  # for _table, run as a script

import _two_bots
import bench_interaction_latency
from _table import Row, print_table

from bot.checkins.rounds import CheckinService
from bot.sandbox.actors import Actor
from cogs import _checkin_buttons, _checkin_form

Marks = dict[int, dict[str, float]]


@contextmanager
def _stages(marks: Marks) -> Iterator[None]:
    """Time the stages of every button press while inside (patches restored after)."""
    current: dict[str, int] = {}
    saved: list[tuple[Any, str, Any]] = []

    def patch(owner: Any, name: str, new: Any) -> None:
        saved.append((owner, name, getattr(owner, name)))
        setattr(owner, name, new)

    answer_callback = _checkin_buttons.AnswerButton.callback
    round_and_answer = CheckinService.round_and_answer
    form_init = _checkin_form.CheckinForm.__init__
    bare_interaction = _two_bots.BareBot.on_interaction
    click = Actor.click

    async def timed_callback(self: Any, interaction: Any) -> None:
        current["id"] = interaction.id
        marks.setdefault(interaction.id, {})["handler"] = time.perf_counter()
        await answer_callback(self, interaction)

    async def timed_read(self: Any, *args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        result = await round_and_answer(self, *args, **kwargs)
        marks.setdefault(current["id"], {})["db"] = time.perf_counter() - started
        return result

    def timed_form(self: Any, *args: Any, **kwargs: Any) -> None:
        started = time.perf_counter()
        form_init(self, *args, **kwargs)
        marks.setdefault(current["id"], {})["form"] = time.perf_counter() - started

    async def timed_bare(self: Any, interaction: Any) -> None:
        marks.setdefault(interaction.id, {})["handler"] = time.perf_counter()
        await bare_interaction(self, interaction)

    async def timed_click(self: Any, *args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        result = await click(self, *args, **kwargs)
        marks.setdefault(result.interaction.id, {})["start"] = started
        return result

    patch(_checkin_buttons.AnswerButton, "callback", timed_callback)
    patch(CheckinService, "round_and_answer", timed_read)
    patch(_checkin_form.CheckinForm, "__init__", timed_form)
    patch(_two_bots.BareBot, "on_interaction", timed_bare)
    patch(Actor, "click", timed_click)
    try:
        yield
    finally:
        for owner, name, original in reversed(saved):
            setattr(owner, name, original)


def _ms(values: list[float]) -> float:
    return statistics.median(values) * 1000


async def rows(n: int = 300, warmup: int = 30) -> list[Row]:
    """The stages of the check-in button, peerpulse and bare, medians of one run."""
    marks: Marks = {}
    with _stages(marks):
        await bench_interaction_latency.one_run(n, warmup)
    answered = _two_bots.CALLBACK_AT
    presses = {i: m for i, m in marks.items() if "start" in m and "handler" in m and i in answered}
    peer = [(i, m) for i, m in presses.items() if "db" in m]
    bare = [(i, m) for i, m in presses.items() if "db" not in m]
    out: list[Row] = []
    for who, group in (("peerpulse", peer), ("bare", bare)):
        dispatch = _ms([m["handler"] - m["start"] for _, m in group])
        handler = _ms([answered[i] - m["handler"] for i, m in group])
        out.append(
            Row(f"button {who}: dispatch", dispatch, "ms", "report", f"{len(group)} presses")
        )
        out.append(Row(f"button {who}: handler", handler, "ms", "report"))
    out.append(
        Row(
            "button peerpulse: database trip (in handler)",
            _ms([m["db"] for _, m in peer]),
            "ms",
            "report",
            "one statement through aiosqlite's thread",
        )
    )
    out.append(
        Row(
            "button peerpulse: building the form (in handler)",
            _ms([m["form"] for _, m in peer]),
            "ms",
            "report",
        )
    )
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=300, help="measured rounds")
    parser.add_argument("--warmup", type=int, default=30, help="unmeasured rounds first")
    args = parser.parse_args()
    print_table(asyncio.run(rows(args.n, args.warmup)), "Check-in button stages")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
