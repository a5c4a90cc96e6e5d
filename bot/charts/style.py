"""The one lean style every chart shares (check-in history now, pulse trends later).

An opaque card with its own neutral background, so the chart reads the same on Discord's
dark and light themes; dark text, a colour-blind-safe palette, thin light grid lines,
fonts sized for a 900x500 image, and dates (not ISO week numbers) on the x-axis. Runs
only in the chart worker: importing it loads matplotlib.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import date
from typing import Any, cast

from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

WIDTH_PX, HEIGHT_PX, DPI = 900, 500, 100
BACKGROUND = "#f6f7f9"
TEXT = "#1f2328"
MUTED = "#57606a"
GRID = "#d8dee4"
# Okabe-Ito: distinguishable with the common colour-vision deficiencies.
BLUE, ORANGE, GREEN, VERMILION, SKY, PURPLE = (
    "#0072b2",
    "#e69f00",
    "#009e73",
    "#d55e00",
    "#56b4e9",
    "#cc79a7",
)
FONT_SIZE = 10
TITLE_SIZE = 12
# PNG compression: level 1 is several times faster than the default 6 and the flat
# card compresses well anyway (a chart is tens of KB either way).
_PNG_OPTIONS = {"compress_level": 1}
_RC = {
    "font.size": FONT_SIZE,
    "text.color": TEXT,
    "axes.labelcolor": TEXT,
    "axes.edgecolor": GRID,
    "axes.facecolor": BACKGROUND,
    "axes.titlesize": TITLE_SIZE,
    "axes.titleweight": "bold",
    "axes.titlelocation": "left",
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "axes.grid.axis": "y",
    "axes.axisbelow": True,
    "grid.color": GRID,
    "grid.linewidth": 0.8,
    "xtick.color": MUTED,
    "ytick.color": MUTED,
    "xtick.labelsize": 9,
    "ytick.labelsize": 9,
    "legend.frameon": False,
    "legend.fontsize": 9,
    "lines.linewidth": 2.0,
    "figure.facecolor": BACKGROUND,
    "savefig.facecolor": BACKGROUND,
}
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def apply() -> None:
    """Install the style for this process (the worker calls it once, at start)."""
    import matplotlib as mpl  # noqa: PLC0415 - already loaded with the module; explicit for rc

    cast(Any, mpl.rcParams).update(_RC)


def new_figure() -> Figure:
    """A 900x500 figure on its own Agg canvas (no pyplot, no global figure state)."""
    figure = Figure(figsize=(WIDTH_PX / DPI, HEIGHT_PX / DPI), dpi=DPI)
    FigureCanvasAgg(figure)
    return figure


def png(figure: Figure) -> bytes:
    """The figure as PNG bytes, at the fixed size (no tight bounding box: it costs a draw)."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI, pil_kwargs=_PNG_OPTIONS)
    return buffer.getvalue()


def date_ticks(days: Sequence[date], most: int = 8) -> tuple[list[int], list[str]]:
    """Tick positions (proleptic ordinals) and labels for dates on the x-axis.

    Up to about four months: day and month ("9 Mar"), every n-th date. Longer: the first
    date of every n-th month ("Mar 2026"), so five years read as years and months.
    """
    if not days:
        return [], []
    first, last = days[0], days[-1]
    if (last - first).days <= 120:
        step = max(1, -(-len(days) // most))
        chosen = days[::step]
        return [d.toordinal() for d in chosen], [f"{d.day} {_MONTHS[d.month - 1]}" for d in chosen]
    month_starts: list[date] = []
    seen: set[tuple[int, int]] = set()
    for day in days:
        if (day.year, day.month) not in seen:
            seen.add((day.year, day.month))
            month_starts.append(day)
    step = next(s for s in (1, 2, 3, 6, 12, 24, 36, 60) if len(month_starts) <= most * s)
    chosen = [d for d in month_starts if (d.year * 12 + d.month - 1) % step == 0] or month_starts[
        :1
    ]
    return (
        [d.toordinal() for d in chosen],
        [f"{_MONTHS[d.month - 1]} {d.year}" for d in chosen],
    )


def style_axes(axes: Axes) -> None:
    """Per-axes touches the rc settings cannot express."""
    axes.tick_params(length=0, pad=4)
    axes.margins(x=0)
