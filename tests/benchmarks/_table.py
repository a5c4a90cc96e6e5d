"""A benchmark's figures as rows of one table: name, value, unit, goal, and a note."""

from __future__ import annotations

import os
import platform
from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Row:
    """One measured figure beside its goal (the note says whether it is met, and its baseline)."""

    name: str
    value: float
    unit: str
    goal: str
    note: str = ""


def machine() -> str:
    """A one-line description of the machine the figures come from."""
    return f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"


def print_table(rows: Iterable[Row], title: str = "") -> None:
    """The rows as a Markdown table (paste-able into docs/performance.md)."""
    if title:
        print(f"{title} ({machine()})\n")  # noqa: T201
    print("| figure | value | goal | note |\n| --- | ---: | --- | --- |")  # noqa: T201
    for row in rows:
        print(f"| {row.name} | {row.value:.4g} {row.unit} | {row.goal} | {row.note} |")  # noqa: T201
