"""A benchmark's figures as rows of one table: name, value, unit, goal, and a note."""

from __future__ import annotations

import os
import platform
import sys
from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Row:
    """A figure, its unit, its goal ("" when only reported) and a note (met / not met, baseline)."""

    name: str
    value: float
    unit: str
    goal: str = ""
    note: str = ""


def machine() -> str:
    """A one-line description of the machine the figures come from."""
    return (
        f"{platform.machine()}, {os.cpu_count()} cores, "
        f"{platform.python_implementation()} {platform.python_version()}"
    )


def print_table(rows: Iterable[Row], title: str = "") -> None:
    """The rows as a Markdown table (paste-able into docs/performance.md), the machine above."""
    lines = [f"{title} ({machine()})" if title else f"machine: {machine()}", ""]
    lines += ["| figure | value | goal | note |", "| --- | ---: | --- | --- |"]
    lines += [f"| {r.name} | {r.value:.4g} {r.unit} | {r.goal} | {r.note} |" for r in rows]
    sys.stdout.write("\n".join(lines) + "\n")
