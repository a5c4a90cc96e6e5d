"""One row per benchmark figure, printed as a table beside its goal."""

from __future__ import annotations

import platform
import sys
from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Row:
    """A figure, its unit, its goal ("" when only reported) and a note (e.g. met / not met)."""

    name: str
    value: float
    unit: str
    goal: str = ""
    note: str = ""


def machine() -> str:
    """The machine the figures come from."""
    return f"{platform.machine()}, {platform.python_implementation()} {platform.python_version()}"


def print_table(rows: Iterable[Row]) -> None:
    """A Markdown table, the machine's description above it."""
    lines = [f"machine: {machine()}", "| figure | value | goal | note |"]
    lines.append("| --- | --- | --- | --- |")
    lines += [f"| {r.name} | {r.value:.3g} {r.unit} | {r.goal} | {r.note} |" for r in rows]
    sys.stdout.write("\n".join(lines) + "\n")
