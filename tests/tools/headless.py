"""Headless Chromium for the tests and the README pictures: finding it, one run of it on a
local page, and the page's console errors. No pytest here: the pictures script uses it too."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Sequence
from pathlib import Path

# Headless, no sandbox (CI runs as root), and nothing that reaches the network: without the
# background-networking flags Chromium's many connections are refused on a closed network.
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--enable-logging=stderr",  # the page's console, to find its errors
    "--v=0",
)
NAMES = ("chromium", "chromium-browser", "google-chrome")
MISSING = "chromium is not installed; install it (Debian: apt-get install chromium)"


def find() -> str | None:
    """The Chromium binary on PATH, if any."""
    for name in NAMES:
        found = shutil.which(name)
        if found:
            return found
    return None


def run(
    chromium: str, url: str, profile: Path, *args: str, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """Chromium once on `url` with a fresh profile folder and `args` (e.g. --screenshot=...)."""
    return subprocess.run(  # noqa: S603 - a local browser on a local page
        [chromium, *FLAGS, f"--user-data-dir={profile}", *args, url],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def console_errors(stderr: str) -> Sequence[str]:
    """The page's uncaught exceptions and console errors in Chromium's log."""
    return [
        line
        for line in stderr.splitlines()
        if "Uncaught" in line or (":CONSOLE(" in line and "Error" in line)
    ]
