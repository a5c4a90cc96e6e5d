"""`peerpulse sandbox`: the real bot against the sandbox server, a scripted story, artefacts.

Each capability adds a chapter: an async function that acts as members and moderators
through `Story`. The run writes to the output folder:

- `transcript.html`: every channel and every member's DMs as a person would read them
- `commands.json`: the synced command tree
- `requests.jsonl`: every REST request the bot made, with the server's status
- `peerpulse.db`: the bot's SQLite database
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from bot.clock import VirtualClock
from bot.sandbox.demo import DemoGroup, build_demo_group
from bot.sandbox.running_bot import RunningBot, sandbox_settings, start_bot
from bot.sandbox.server import SandboxServer
from bot.sandbox.transcript import render_transcript

Progress = Callable[[str], None]
ARTEFACTS = ("transcript.html", "commands.json", "requests.jsonl", "peerpulse.db")


@dataclass
class Story:
    """What a chapter can use: the server, the demo group, the running bot and the clock."""

    server: SandboxServer
    group: DemoGroup
    running: RunningBot
    clock: VirtualClock
    progress: Progress


Chapter = Callable[[Story], Awaitable[None]]


async def setting_up(story: Story) -> None:
    """A moderator sets the group's zone and home channel; members read /privacy."""
    server, group = story.server, story.group
    mira = server.actor(group.moderator_id)
    story.progress("Mira (moderator) opens /peerpulse settings")
    await mira.slash("peerpulse settings", channel_id=group.home_channel_id)
    choices = await mira.autocomplete(
        "peerpulse settings", "timezone", "london", channel_id=group.home_channel_id
    )
    story.progress(f"Mira sets the time zone to {choices[0]['value']} and the home channel")
    await mira.slash(
        "peerpulse settings",
        channel_id=group.home_channel_id,
        options={
            "timezone": choices[0]["value"],
            "home_channel": group.home_channel_id,
            "moderator_role": group.cofacilitator_role_id,
        },
    )
    story.clock.advance(timedelta(minutes=3))
    ana = group.member_ids[0]
    story.progress("Ana reads /privacy (only she sees the answer)")
    await server.actor(ana).slash("privacy", channel_id=group.home_channel_id)
    story.clock.advance(timedelta(minutes=2))
    story.progress("Ben tries /peerpulse settings and is told only moderators can")
    await server.actor(group.member_ids[1]).slash(
        "peerpulse settings", channel_id=group.home_channel_id, options={"timezone": "UTC"}
    )
    story.progress("Theo (co-facilitator role) views the settings")
    await server.actor(group.cofacilitator_id).slash(
        "peerpulse settings", channel_id=group.home_channel_id
    )


CHAPTERS: tuple[Chapter, ...] = (setting_up,)


def clear_output(out_dir: Path) -> None:
    """Create the output folder and remove the artefacts of an earlier run."""
    out_dir.mkdir(parents=True, exist_ok=True)
    for name in ARTEFACTS:
        for suffix in ("", "-wal", "-shm"):
            (out_dir / f"{name}{suffix}").unlink(missing_ok=True)


async def run_sandbox(out_dir: Path, clock: VirtualClock, progress: Progress) -> Path:
    """Run every chapter against a fresh sandbox and write the artefacts; return the transcript."""
    clear_output(out_dir)
    server = SandboxServer(clock=clock.now)
    await server.start()
    try:
        progress(f"sandbox server listening on {server.http_base}")
        group = build_demo_group(server)
        settings = sandbox_settings(server, group.credentials.token, out_dir / "peerpulse.db")
        progress("starting the real peerpulse bot against it and syncing commands")
        running = await start_bot(settings, clock)
        try:
            story = Story(server, group, running, clock, progress)
            for chapter in CHAPTERS:
                progress(f"chapter: {chapter.__name__.replace('_', ' ')}")
                await chapter(story)
        finally:
            await running.stop()
        commands = server.application.commands_for(None)
        (out_dir / "commands.json").write_text(json.dumps(commands, indent=2), encoding="utf-8")
        server.write_requests(out_dir / "requests.jsonl")
        transcript = out_dir / "transcript.html"
        html = render_transcript(
            "peerpulse sandbox", server.transcript_timelines(group.zones), generated_at=clock.now()
        )
        transcript.write_text(html, encoding="utf-8")
    finally:
        await server.stop()
    return transcript
