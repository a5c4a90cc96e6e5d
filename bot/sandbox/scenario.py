"""`peerpulse sandbox`: the real bot against the sandbox server, a scripted story, artefacts.

Each capability adds a chapter: an async function that acts as members and moderators
through `Story`. The run writes to the output folder:

- `transcript.html`: every channel and every member's DMs as a person would read them
- `commands.json`: the synced command tree
- `requests.jsonl`: every REST request the bot made, with the server's status
- `peerpulse.db`: the bot's SQLite database
- `consultation-1.ics`, ...: each calendar file the bot sent ("Add to calendar")
- `members.json`: each person's role, DM channel, membership and settings over time
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from bot.clock import VirtualClock
from bot.config import Settings
from bot.logs import install_redaction
from bot.sandbox import calendar_files
from bot.sandbox.cast import Cast, build_cast
from bot.sandbox.chapters import CHAPTERS
from bot.sandbox.demo import DemoGroup
from bot.sandbox.group_life import GroupLife
from bot.sandbox.members_file import record_settings, write_members
from bot.sandbox.running_bot import sandbox_settings, start_bot
from bot.sandbox.server import SandboxServer
from bot.sandbox.story import Progress, Story
from bot.sandbox.story_options import StoryOptions
from bot.sandbox.transcript import render_transcript

ARTEFACTS = (
    "transcript.html",
    "commands.json",
    "requests.jsonl",
    "peerpulse.db",
    "members.json",
)


def clear_output(out_dir: Path) -> None:
    """Create the output folder and remove the artefacts of an earlier run."""
    out_dir.mkdir(parents=True, exist_ok=True)
    for name in ARTEFACTS:
        for suffix in ("", "-wal", "-shm"):
            (out_dir / f"{name}{suffix}").unlink(missing_ok=True)
    for old in out_dir.glob(calendar_files.PATTERN):
        if old.is_file():
            old.unlink()


def story_seconds(clock: VirtualClock) -> Callable[[], float]:
    """Discord's rate-limit clock for a story: real seconds plus the virtual time passed.

    The story skips hours between its moments; on Discord those hours would empty every
    bucket, so a summary posted days after the week's check-in waits for nothing. A burst
    within one moment still meets the limits in real seconds, as on Discord.
    """
    start = clock.now()

    def now() -> float:
        return time.monotonic() + (clock.now() - start).total_seconds()

    return now


@dataclass(frozen=True)
class PlayedStory:
    """What a played story leaves behind: the transcript, the demo group, the bot's settings."""

    transcript: Path
    group: DemoGroup
    settings: Settings


async def run_sandbox(
    out_dir: Path,
    clock: VirtualClock,
    progress: Progress,
    options: StoryOptions | None = None,
) -> Path:
    """Run every chapter against a fresh sandbox and write the artefacts; return the transcript."""
    server = SandboxServer(now=story_seconds(clock), clock=clock.now)
    await server.start()
    try:
        played = await play_story(server, out_dir, clock, progress, options=options)
    finally:
        await server.stop()
    return played.transcript


async def play_story(
    server: SandboxServer,
    out_dir: Path,
    clock: VirtualClock,
    progress: Progress,
    group: DemoGroup | None = None,
    *,
    options: StoryOptions | None = None,
) -> PlayedStory:
    """Play every chapter on a started server and write the artefacts.

    `group` is the demo group already built on the server (built here when None). The
    bot is stopped afterwards; the server keeps running, so a test can start the bot
    again on the same database and server (see `PlayedStory.settings`).
    """
    clear_output(out_dir)
    progress(f"sandbox server listening on {server.http_base}")
    options = options or StoryOptions()
    cast: Cast | None = None
    if group is None:
        group, cast = build_cast(server, options.members, random.Random(options.seed))  # noqa: S311
    install_redaction([group.credentials.token])  # the bot's token never reaches a log line
    settings = sandbox_settings(server, group.credentials.token, out_dir / "peerpulse.db")
    progress("starting the real peerpulse bot against it and syncing commands")
    running = await start_bot(settings, clock)
    history = record_settings(running, group.guild_id)
    try:
        story = Story(server, group, running, clock, progress, out_dir, options)
        if cast is not None:
            story.cast = cast
            story.life = GroupLife(server, group, cast, story.rng, settle=running.tick)
        for chapter in CHAPTERS:
            progress(f"chapter: {chapter.__name__.replace('_', ' ')}")
            await chapter(story)
    finally:
        await history.snapshot(clock.now())
        await running.stop()
    commands = server.application.commands_for(None)
    (out_dir / "commands.json").write_text(json.dumps(commands, indent=2), encoding="utf-8")
    server.write_requests(out_dir / "requests.jsonl")
    calendar_files.write_calendar_files(server, out_dir)
    write_members(out_dir / "members.json", server.world, group, history)
    transcript = out_dir / "transcript.html"
    html = render_transcript(
        "peerpulse sandbox",
        server.transcript_timelines(group.zones),
        generated_at=clock.now(),
        names=server.display_names(),
    )
    transcript.write_text(html, encoding="utf-8")
    return PlayedStory(transcript, group, settings)
