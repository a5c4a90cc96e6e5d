"""The README's pictures exist, and the script that regenerates them can screenshot a page."""

from __future__ import annotations

import importlib.util
import re
import struct
import sys
from pathlib import Path
from types import ModuleType

import pytest

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "tests" / "tools" / "readme_pictures.py"


def load_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("readme_pictures", SCRIPT)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("readme_pictures", module)
    spec.loader.exec_module(module)
    return module


pictures = load_script()


def png_size(path: Path) -> tuple[int, int]:
    """Width and height from a PNG's header; fails on anything that is not a PNG."""
    head = path.read_bytes()[:24]
    assert head[:8] == pictures.PNG_SIGNATURE, f"{path} is not a PNG"
    assert head[12:16] == b"IHDR", f"{path} has no PNG header chunk"
    width, height = struct.unpack(">II", head[16:24])
    return width, height


def readme_images() -> list[str]:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    return re.findall(r"!\[[^\]]*\]\(([^)\s]+)\)", readme) + re.findall(
        r'<img\b[^>]*\bsrc="([^"]+)"', readme
    )


def test_readme_shows_a_chart_and_the_transcript() -> None:
    images = readme_images()
    assert f"docs/images/{pictures.TRANSCRIPT_PNG}" in images
    assert {f"docs/images/{name}" for name in pictures.CHARTS} & set(images)


def test_readme_images_have_alt_text() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    for alt in re.findall(r"!\[([^\]]*)\]\(", readme):
        assert len(alt.split()) >= 4, f"alt text too short: {alt!r}"


@pytest.mark.parametrize("image", readme_images())
def test_every_readme_image_is_a_committed_png_of_sensible_size(image: str) -> None:
    assert not image.startswith(("http:", "https:", "/")), "pictures live in the repository"
    path = REPO / image
    assert path.is_file(), f"{image} is referenced by the README but missing"
    width, height = png_size(path)
    assert 300 <= width <= 2000, (image, width)
    assert 200 <= height <= 2000, (image, height)
    assert 5_000 < path.stat().st_size < 400_000, image


def test_home_page_is_found_from_the_contents_link(tmp_path: Path) -> None:
    transcript = tmp_path / "transcript.html"
    transcript.write_text(
        '<nav><a href="#t0">#general · G</a><a href="#t1">#peer-consult-archive · G</a>'
        '<a class="x" href="#t3"><span>#peer-consult</span> · G</a></nav>',
        encoding="utf-8",
    )
    assert pictures.home_page(transcript) == (transcript, "t3")
    transcript.write_text('<a href="peer-consult.html">#peer-consult · G</a>', encoding="utf-8")
    assert pictures.home_page(transcript) == (tmp_path / "peer-consult.html", "")
    transcript.write_text("<p>no contents</p>", encoding="utf-8")
    assert pictures.home_page(transcript) == (transcript, "")


def test_a_missing_chromium_is_said_plainly(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pictures.shutil, "which", lambda _name: None)
    with pytest.raises(pictures.PictureError, match="chromium is not installed; install it"):
        pictures.find_chromium()


def test_screenshot_of_a_tiny_page_is_a_png_of_the_window(tmp_path: Path, chromium: str) -> None:
    page = tmp_path / "tiny.html"
    page.write_text(
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>t</title></head>'
        "<body><h1>peerpulse</h1></body></html>",
        encoding="utf-8",
    )
    png = pictures.screenshot(
        page, tmp_path / "out" / "tiny.png", size=(640, 400), chromium=chromium
    )
    assert png_size(png) == (640, 400)


def test_screenshot_at_an_anchor_shows_the_anchored_part_from_the_top(
    tmp_path: Path, chromium: str
) -> None:
    """Opened at `#home`, the window's top row is the red section, not blank space above it."""
    page = tmp_path / "anchored.html"
    page.write_text(
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>t</title><style>'
        "body{margin:0;background:#fff}#home{height:3000px;background:#f00}"
        '</style></head><body><div style="height:2000px"></div><section id="home"></section>'
        '<div style="height:2000px"></div></body></html>',
        encoding="utf-8",
    )
    png = pictures.screenshot(
        page, tmp_path / "anchored.png", anchor="home", size=(400, 300), chromium=chromium
    )
    assert png_size(png) == (400, 300)
    from matplotlib.image import imread

    pixels = imread(png)
    red = (pixels[:, :, 0] > 0.9) & (pixels[:, :, 1] < 0.1) & (pixels[:, :, 2] < 0.1)
    assert red.mean() > 0.95, f"only {red.mean():.0%} of the screenshot is the anchored section"
