"""A bare `discord.Client` (`_two_bots.BareBot`) in its own process, for benchmarks.

    python tests/benchmarks/_bare_bot_process.py SETTINGS.json

SETTINGS.json holds `token`, `api_base_url`, `gateway_url`, `channel_id` and the payloads
peerpulse answered with (`privacy_embeds`, `modal`). The client connects, syncs its
commands, posts a message with an answer button in `channel_id`, prints `ready <message id>`
on stdout and runs until SIGTERM or SIGINT.
"""

from __future__ import annotations

import asyncio
import json
import signal
import sys
from pathlib import Path

import discord.gateway
import discord.http
import yarl

sys.path.insert(0, str(Path(__file__).resolve().parent))  # for _two_bots, run as a script

from _two_bots import BareBot, Payloads


async def serve(settings: dict[str, object]) -> None:
    """Connect, post the answer button, report its id, run until asked to stop."""
    discord.http.Route.BASE = str(settings["api_base_url"])
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(str(settings["gateway_url"]))
    payloads = Payloads(
        privacy_embeds=settings["privacy_embeds"],  # type: ignore[arg-type]
        modal=settings["modal"],  # type: ignore[arg-type]
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for stop_signal in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(stop_signal, stop.set)
    client = BareBot(payloads)
    await client.login(str(settings["token"]))
    task = asyncio.create_task(client.connect(reconnect=True), name="bare-gateway")
    try:
        await asyncio.wait_for(client.wait_until_ready(), 30)
        await client.tree.sync()
        post = await client.post_checkin(int(str(settings["channel_id"])), "Weekly check-in")
        sys.stdout.write(f"ready {post}\n")
        sys.stdout.flush()
        await stop.wait()
    finally:
        await client.close()
        await task


def main() -> int:
    asyncio.run(serve(json.loads(Path(sys.argv[1]).read_text(encoding="utf-8"))))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
