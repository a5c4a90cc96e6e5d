"""Smoke tests: `peerpulse sync` and `peerpulse run` as separate processes against the sandbox."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

import pytest

from bot.sandbox import SandboxServer
from bot.sandbox.demo import DemoGroup

pytestmark = pytest.mark.e2e


def write_config(path: Path, server: SandboxServer, group: DemoGroup) -> Path:
    path.write_text(
        "[discord]\n"
        f'token = "{group.credentials.token}"\n'
        f'api_base_url = "{server.api_base}"\n'
        f'gateway_url = "{server.gateway_url}"\n'
        "guild_ready_timeout = 0.1\n"
        "reidentify_delay = 0\n"
        "[database]\n"
        f'path = "{path.parent / "peerpulse.db"}"\n',
        encoding="utf-8",
    )
    return path


async def peerpulse(*args: str, cwd: Path) -> asyncio.subprocess.Process:
    env = {k: v for k, v in os.environ.items() if not k.upper().startswith("PEERPULSE_")}
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        *args,
        cwd=cwd,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )


async def test_sync_then_run_then_stop_gracefully(
    server: SandboxServer, group: DemoGroup, tmp_path: Path
) -> None:
    config = write_config(tmp_path / "config.toml", server, group)

    sync = await peerpulse("--config", str(config), "sync", cwd=tmp_path)
    out, err = await asyncio.wait_for(sync.communicate(), 60)
    assert sync.returncode == 0, err.decode()
    names = {c["name"] for c in server.application.commands_for(None)}
    assert f"synced {len(names)} command(s)" in out.decode()
    assert {"privacy", "peerpulse", "me"} <= names

    run = await peerpulse("--config", str(config), "run", cwd=tmp_path)
    try:
        await server.wait_for_bot(timeout=60)
        result = await server.actor(group.member_ids[0]).slash(
            "privacy", channel_id=group.home_channel_id
        )
        assert result.message is not None
        assert result.message.ephemeral
        assert "What it never stores" in result.message.embed_text()
    finally:
        run.send_signal(signal.SIGTERM)
        _, err = await asyncio.wait_for(run.communicate(), 60)
    assert run.returncode == 0, err.decode()[-2000:]
    assert group.credentials.token not in err.decode()
    assert (tmp_path / "peerpulse.db").exists()


async def test_run_with_a_wrong_token_exits_1_with_a_sentence(
    server: SandboxServer, group: DemoGroup, tmp_path: Path
) -> None:
    config = write_config(tmp_path / "config.toml", server, group)
    text = config.read_text(encoding="utf-8").replace(group.credentials.token, "not-the-token")
    config.write_text(text, encoding="utf-8")
    run = await peerpulse("--config", str(config), "run", cwd=tmp_path)
    _, err = await asyncio.wait_for(run.communicate(), 60)
    assert run.returncode == 1
    assert "Discord rejected the token" in err.decode()
    assert "Traceback" not in err.decode()
    assert "not-the-token" not in err.decode()
