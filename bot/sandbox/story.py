"""What a sandbox chapter works with: server, demo group, running bot, clock, output folder."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

from bot.clock import VirtualClock
from bot.sandbox.demo import DemoGroup
from bot.sandbox.running_bot import RunningBot
from bot.sandbox.server import SandboxServer

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


Chapter = Callable[[Story], Awaitable[None]]
