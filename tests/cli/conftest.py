"""One `peerpulse sandbox` run per test session, shared by the sandbox command's tests and
the audit of its artefacts (the whole story takes most of a minute)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def sandbox_run(
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[subprocess.CompletedProcess[str], Path]:
    """`python -m bot sandbox --out DIR` in a separate process: its result and DIR."""
    folder = tmp_path_factory.mktemp("sandbox")
    env = {k: v for k, v in os.environ.items() if not k.upper().startswith("PEERPULSE_")}
    result = subprocess.run(  # noqa: S603 - our own interpreter and module
        [sys.executable, "-m", "bot", "sandbox", "--out", str(folder / "out")],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "sandbox: chapter:" in result.stdout
    assert f"Open the transcript: {folder / 'out' / 'transcript.html'}" in result.stdout
    return result, folder / "out"


@pytest.fixture(scope="session")
def sandbox_out(sandbox_run: tuple[subprocess.CompletedProcess[str], Path]) -> Path:
    """The output folder of the session's sandbox run."""
    return sandbox_run[1]
