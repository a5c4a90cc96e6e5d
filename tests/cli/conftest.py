"""One `peerpulse sandbox` run per test session, shared by the sandbox command's tests and
the audit of its artefacts (the whole story takes most of a minute)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest


def run_sandbox(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """`python -m bot sandbox --out folder/out ARGS` in a separate process; it must succeed."""
    env = {k: v for k, v in os.environ.items() if not k.upper().startswith("PEERPULSE_")}
    result = subprocess.run(  # noqa: S603 - our own interpreter and module
        [sys.executable, "-m", "bot", "sandbox", "--out", str(folder / "out"), *args],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "sandbox: chapter:" in result.stdout
    assert f"Open the transcript: {folder / 'out' / 'transcript.html'}" in result.stdout
    return result


@pytest.fixture(scope="session")
def sandbox_run(
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[subprocess.CompletedProcess[str], Path]:
    """`python -m bot sandbox --out DIR` in a separate process: its result and DIR."""
    folder = tmp_path_factory.mktemp("sandbox")
    return run_sandbox(folder), folder / "out"


@pytest.fixture(scope="session")
def longer_sandbox_out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A bigger group over more weeks with another seed: the routine weeks, with the pulse
    taken by the simulated members on their own."""
    folder = tmp_path_factory.mktemp("sandbox-longer")
    run_sandbox(folder, "--members", "11", "--weeks", "9", "--seed", "5")
    return folder / "out"


@pytest.fixture(scope="session")
def sandbox_out(sandbox_run: tuple[subprocess.CompletedProcess[str], Path]) -> Path:
    """The output folder of the session's sandbox run."""
    return sandbox_run[1]
