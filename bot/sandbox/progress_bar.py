"""`peerpulse sandbox`'s progress bar: the story's virtual days, with its lines printed above.

The bar (tqdm, on stderr) only shows on a terminal; piped or captured, the output is the
story's lines alone, as before. A `WatchedClock` tells the bar each instant the story's
virtual clock moves to.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from datetime import datetime, timedelta
from types import TracebackType
from typing import TextIO

from tqdm import tqdm

from bot.clock import VirtualClock

DAY = timedelta(days=1)
ClockListener = Callable[[datetime], None]


class WatchedClock(VirtualClock):
    """A virtual clock that tells its listeners every instant it moves to."""

    def __init__(self, start: datetime) -> None:
        super().__init__(start)
        self._listeners: list[ClockListener] = []

    def listen(self, listener: ClockListener) -> None:
        """Call `listener(now)` after every move."""
        self._listeners.append(listener)

    def advance(self, delta: timedelta) -> datetime:
        """Move forward by `delta`, then tell the listeners."""
        now = super().advance(delta)
        self._tell(now)
        return now

    def set(self, instant: datetime) -> None:
        """Jump to `instant`, then tell the listeners."""
        super().set(instant)
        self._tell(self.now())

    def _tell(self, now: datetime) -> None:
        for listener in self._listeners:
            listener(now)


def story_date(start: datetime, now: datetime, weeks: int) -> str:
    """The bar's label: the story's week and the virtual day (UTC), e.g. "week 3 · Tue 17 Mar"."""
    week = min(max((now - start) // timedelta(weeks=1), 0) + 1, weeks)
    return f"week {week} · {now:%a} {now.day} {now:%b}"


class StoryBar:
    """A bar over the story's `weeks` in days from `start`, and the story's lines above it.

    `disable=None` (the default) hides the bar when `file` is not a terminal.
    """

    def __init__(
        self,
        start: datetime,
        weeks: int,
        *,
        file: TextIO | None = None,
        out: TextIO | None = None,
        disable: bool | None = None,
        mininterval: float = 0.1,
    ) -> None:
        self.start = start
        self.weeks = weeks
        self._out = out
        self._bar = tqdm(
            total=weeks * 7,
            unit="day",
            desc=story_date(start, start, weeks),
            bar_format="{desc} |{bar}| day {n:.0f} of {total:.0f}",
            file=file if file is not None else sys.stderr,
            disable=disable,
            leave=False,  # the end summary follows; a finished bar would only sit above it
            dynamic_ncols=True,
            mininterval=mininterval,  # seconds between redraws
        )

    @property
    def days(self) -> float:
        """How many virtual days the bar shows as done."""
        return float(self._bar.n)

    def moved(self, now: datetime) -> None:
        """Show the clock's new instant (a `WatchedClock` listener)."""
        done = min(max((now - self.start) / DAY, 0.0), float(self.weeks * 7))
        self._bar.set_description_str(story_date(self.start, now, self.weeks), refresh=False)
        self._bar.update(done - self._bar.n)

    def write(self, line: str) -> None:
        """Print one of the story's lines (stdout by default) above the bar."""
        tqdm.write(line, file=self._out if self._out is not None else sys.stdout)

    def close(self) -> None:
        """Remove the bar."""
        self._bar.close()

    def __enter__(self) -> StoryBar:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close()
