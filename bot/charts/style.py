"""The one lean style every chart shares (check-in history, pulse trends).

An opaque card with its own neutral background, so the chart reads the same on Discord's
dark and light themes; dark text, a colour-blind-safe palette, thin light grid lines,
fonts sized for a 900x500 image, and dates (not ISO week numbers) on the x-axis. Runs
only in the chart worker: importing it loads matplotlib.
"""

from __future__ import annotations

import io
import struct
import zlib
from collections.abc import Sequence
from datetime import date
from typing import Any, cast

import numpy as np
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.text import Text
from matplotlib.transforms import IdentityTransform

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
TICK_SIZE = 9
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
    "xtick.labelsize": TICK_SIZE,
    "ytick.labelsize": TICK_SIZE,
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


def new_figure() -> tuple[Figure, FigureCanvasAgg]:
    """A 900x500 figure on its own Agg canvas (no pyplot, no global figure state)."""
    figure = Figure(figsize=(WIDTH_PX / DPI, HEIGHT_PX / DPI), dpi=DPI)
    return figure, FigureCanvasAgg(figure)


def _pixels(canvas: FigureCanvasAgg) -> np.ndarray:
    """The canvas's RGBA buffer as a (rows, columns, 4) array sharing its memory."""
    return np.asarray(canvas.buffer_rgba())  # type: ignore[no-untyped-call]


def png(figure: Figure) -> bytes:
    """The figure as PNG bytes, at the fixed size (no tight bounding box: it costs a draw)."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI, pil_kwargs=_PNG_OPTIONS)
    return buffer.getvalue()


class Labels:
    """Tick labels that change per chart, pasted from pixels cached per label.

    Laying out and rasterising text is the dearest part of a chart; the labels that
    change per chart (dates, counts) come from a small set, so each is drawn once per
    worker and its pixels are reused. A plain label keeps the pixels around it, so it
    belongs on the card outside the axes; a `boxed` label sits on a chip of card colour
    and can go over data (counts on points, a gap's caption). Drawing a label anew and
    pasting it leave the same pixels, so a chart does not depend on what was cached.
    """

    MAX_CACHED = 4096

    def __init__(self, figure: Figure, canvas: FigureCanvasAgg) -> None:
        self._canvas = canvas
        self._text = Text(0, 0, "", color=MUTED, fontsize=TICK_SIZE, transform=IdentityTransform())
        self._text.set_figure(figure)
        self._cache: dict[tuple[str, str, str, float, bool], tuple[np.ndarray, int, int]] = {}

    def put(
        self,
        label: str,
        x: float,
        y: float,
        ha: str,
        va: str,
        *,
        rotation: float = 0,
        boxed: bool = False,
    ) -> None:
        """Draw `label` anchored at display point (x, y) (pixels from the bottom left)."""
        pixels = _pixels(self._canvas)
        height = pixels.shape[0]
        anchor_col, anchor_row = round(x), round(height - y)
        key = (label, ha, va, rotation, boxed)
        cached = self._cache.get(key)
        if cached is None:
            before = pixels.copy()
            renderer = self._canvas.get_renderer()  # type: ignore[no-untyped-call]
            self._text.set(text=label, position=(x, y), ha=ha, va=va, rotation=rotation)
            # The chip's padding (0.3 of the font size) is wider than the crop's margin,
            # so a boxed label's pixels hold nothing of what lies under it.
            self._text.set_bbox(
                {"boxstyle": "square,pad=0.3", "facecolor": BACKGROUND, "edgecolor": "none"}
                if boxed
                else None
            )
            self._text.draw(renderer)
            x0, y0, x1, y1 = self._text.get_window_extent(renderer).extents
            top, left = int(height - y1) - 1, int(x0) - 1
            patch = pixels[top : int(height - y0) + 2, left : int(x1) + 2].copy()
            pixels[...] = before  # the chip's edge lies outside the patch: paste, as later
            if len(self._cache) >= self.MAX_CACHED:
                self._cache.clear()
            cached = self._cache[key] = (patch, top - anchor_row, left - anchor_col)
        patch, drow, dcol = cached
        row, col = anchor_row + drow, anchor_col + dcol
        pixels[row : row + patch.shape[0], col : col + patch.shape[1]] = patch


def encode_png(canvas: FigureCanvasAgg) -> bytes:
    """The canvas's pixels as an opaque RGB PNG: no filter, fast deflate.

    The card is opaque, so alpha is dropped; unfiltered rows at level 1 compress a flat
    chart to tens of KB in a few milliseconds (savefig would draw the figure again).
    """
    pixels = _pixels(canvas)
    height, width = pixels.shape[:2]
    rows = np.empty((height, 1 + width * 3), dtype=np.uint8)
    rows[:, 0] = 0  # filter type "none" on every row
    rows[:, 1:].reshape(height, width, 3)[...] = pixels[:, :, :3]  # one copy, into place
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)  # 8-bit RGB
    return b"".join(
        (
            b"\x89PNG\r\n\x1a\n",
            _chunk(b"IHDR", header),
            _chunk(b"IDAT", zlib.compress(rows.tobytes(), 1)),
            _chunk(b"IEND", b""),
        )
    )


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


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
    # A fixed place for the axis title: tick labels drawn per chart cannot push it aside.
    axes.yaxis.set_label_coords(-0.058, 0.5)
