"""What a sandbox chapter works with: server, demo group, running bot, clock, output folder."""

from __future__ import annotations

import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

from bot.clock import VirtualClock
from bot.sandbox.demo import DemoGroup
from bot.sandbox.running_bot import RunningBot
from bot.sandbox.server import SandboxServer
from bot.sandbox.story_options import StoryOptions

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

    def __post_init__(self) -> None:
        # Every simulated choice draws from this one generator, so a seed replays the story.
        self.rng = random.Random(self.options.seed)  # noqa: S311 - a simulation, not security


Chapter = Callable[[Story], Awaitable[None]]
