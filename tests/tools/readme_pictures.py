"""Regenerate the README's pictures from a fresh sandbox run.

Usage (from the repository root):

    .venv/bin/python tests/tools/readme_pictures.py [--out docs/images]

It runs `peerpulse sandbox` (this checkout's code) into a temporary folder, copies the
charts it drew, and screenshots the transcript's home-channel page with headless
Chromium. Nothing reaches Discord and nothing depends on the wall clock: the sandbox
starts from its fixed virtual instant, so the pictures change only when the code does.
"""

from __future__ import annotations

import argparse
import html
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

import headless  # beside this script (tests/tools), on the path of scripts and tests

REPO = Path(__file__).resolve().parents[2]
DEFAULT_OUT = REPO / "docs" / "images"
# The sandbox's charts, copied under the same names.
CHARTS = ("checkin-history.png", "pulse-trend.png")
TRANSCRIPT_PNG = "transcript.png"
# The demo group's home channel (bot/sandbox/demo.py): the transcript page worth showing.
HOME_CHANNEL = "peer-consult"
WINDOW = (1280, 900)
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
FRAME = (
    '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>frame</title><style>'
    "html,body{{margin:0;height:100%;overflow:hidden}}"
    "iframe{{border:0;width:100%;height:100%;display:block}}"
    '</style></head><body><iframe src="{src}" title="page"></iframe></body></html>'
)


class PictureError(Exception):
    """A picture could not be made; the message says why and what to do."""


def find_chromium() -> str:
    """The Chromium binary, or a PictureError saying how to get one."""
    found = headless.find()
    if found is None:
        raise PictureError(f"{headless.MISSING} to screenshot the transcript")
    return found


def screenshot(
    page: Path,
    png: Path,
    *,
    anchor: str = "",
    size: tuple[int, int] = WINDOW,
    chromium: str | None = None,
) -> Path:
    """Render the local HTML file `page` (at `#anchor`) in headless Chromium into `png`.

    A page opened at an anchor is screenshotted through a frame that fills the window:
    headless Chromium captures a top-level page scrolled to an anchor with the scroll
    offset left blank, while a frame scrolls inside itself and is captured whole.
    """
    binary = chromium or find_chromium()
    url = page.resolve().as_uri() + (f"#{anchor}" if anchor else "")
    png.parent.mkdir(parents=True, exist_ok=True)
    png.unlink(missing_ok=True)
    with tempfile.TemporaryDirectory(prefix="readme-pictures-chromium-") as work:
        if anchor:
            frame = Path(work) / "frame.html"
            frame.write_text(FRAME.format(src=html.escape(url)), encoding="utf-8")
            url = frame.as_uri()
        result = headless.run(
            binary,
            url,
            Path(work) / "profile",
            "--hide-scrollbars",
            f"--window-size={size[0]},{size[1]}",
            f"--screenshot={png.resolve()}",
        )
    if result.returncode != 0 or not png.is_file():
        raise PictureError(f"chromium could not screenshot {url}: {result.stderr[-1500:]}")
    if not png.read_bytes().startswith(PNG_SIGNATURE):
        raise PictureError(f"chromium wrote something other than a PNG to {png}")
    return png


def home_page(transcript: Path, channel: str = HOME_CHANNEL) -> tuple[Path, str]:
    """The file and anchor of the transcript's page for `#channel` (its contents link).

    Without such a link, the transcript's top.
    """
    text = transcript.read_text(encoding="utf-8")
    link = re.search(
        rf'<a\b[^>]*\bhref="([^"]*)"[^>]*>(?:\s|<[^>]*>)*#{re.escape(channel)}(?![\w-])', text
    )
    if link is None:
        return transcript, ""
    target, _, anchor = html.unescape(link.group(1)).partition("#")
    page = transcript.parent / target if target and "/" not in target else transcript
    return page, anchor


def run_sandbox(out: Path) -> Path:
    """Run this checkout's `peerpulse sandbox --out OUT`; return the transcript's path."""
    env = {k: v for k, v in os.environ.items() if not k.upper().startswith("PEERPULSE_")}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    result = subprocess.run(  # noqa: S603 - our own interpreter and package
        [sys.executable, "-m", "bot", "sandbox", "--out", str(out)],
        cwd=out.parent,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    transcript = out / "transcript.html"
    if result.returncode != 0 or not transcript.is_file():
        raise PictureError(f"peerpulse sandbox failed:\n{result.stderr[-3000:]}")
    return transcript


def make_pictures(out: Path) -> list[Path]:
    """Run the sandbox and write the README's pictures into `out`; return their paths."""
    chromium = find_chromium()  # fail before the minute the sandbox takes
    out.mkdir(parents=True, exist_ok=True)
    written = []
    with tempfile.TemporaryDirectory(prefix="readme-pictures-") as tmp:
        sandbox_out = Path(tmp) / "sandbox-out"
        transcript = run_sandbox(sandbox_out)
        for name in CHARTS:
            chart = sandbox_out / name
            if not chart.is_file():
                raise PictureError(f"the sandbox drew no {name}")
            written.append(Path(shutil.copyfile(chart, out / name)))
        page, anchor = home_page(transcript)
        written.append(screenshot(page, out / TRANSCRIPT_PNG, anchor=anchor, chromium=chromium))
    return written


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: regenerate the pictures, print their paths; 1 with a reason on failure."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument(
        "--out",
        type=Path,
        default=DEFAULT_OUT,
        help=f"folder for the PNGs (default: {DEFAULT_OUT})",
    )
    args = parser.parse_args(argv)
    try:
        written = make_pictures(args.out)
    except PictureError as error:
        sys.stderr.write(f"readme_pictures: {error}\n")
        return 1
    for path in written:
        sys.stdout.write(f"{path} ({path.stat().st_size // 1024} KiB)\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
