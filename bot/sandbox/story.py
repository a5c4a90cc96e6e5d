"""What a sandbox chapter works with: server, demo group, running bot, clock, output folder."""

from __future__ import annotations

import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from bot.clock import VirtualClock
from bot.sandbox.demo import DemoGroup
from bot.sandbox.running_bot import RunningBot
from bot.sandbox.server import SandboxServer
from bot.sandbox.story_options import StoryOptions

if TYPE_CHECKING:
    from bot.sandbox.cast import Cast
    from bot.sandbox.group_life import GroupLife

Progress = Callable[[str], None]


@dataclass
class Story:
    """What a chapter can use: the server, the demo group, the running bot and the clock."""

    server: SandboxServer
    group: DemoGroup
    running: RunningBot
    clock: VirtualClock
    progress: Progress
    out_dir: Path
    options: StoryOptions = field(default_factory=StoryOptions)
    rng: random.Random = field(init=False)
    started_at: datetime = field(init=False)
    # The simulated group beyond the scripted five, and its routine (None in tests that
    # play chapters on their own).
    cast: Cast | None = None
    life: GroupLife | None = None

    def __post_init__(self) -> None:
        # Every simulated choice draws from this one generator, so a seed replays the story.
        self.rng = random.Random(self.options.seed)  # noqa: S311 - a simulation, not security
        self.started_at = self.clock.now()


Chapter = Callable[[Story], Awaitable[None]]
