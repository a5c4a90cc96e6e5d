"""Layering rules: domain code never imports discord; only the clock reads the wall clock."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DISCORD_ALLOWED = {"app", "sandbox"}  # the Bot wiring and the test server speak Discord


def python_files(folder: str) -> list[Path]:
    return sorted((ROOT / folder).rglob("*.py"))


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def test_domain_modules_do_not_import_discord() -> None:
    offenders = [
        str(path.relative_to(ROOT))
        for path in python_files("bot")
        if path.relative_to(ROOT / "bot").parts[0] not in DISCORD_ALLOWED
        and path.name != "cli.py"
        and "discord" in imported_modules(path)
    ]
    assert offenders == []


def test_cogs_hold_no_sql() -> None:
    keywords = ("SELECT ", "INSERT ", "UPDATE ", "DELETE FROM")
    offenders = [
        str(path.relative_to(ROOT))
        for path in python_files("cogs")
        if any(k in path.read_text(encoding="utf-8") for k in keywords)
    ]
    assert offenders == []


def test_only_the_clock_reads_the_wall_clock() -> None:
    calls = ("datetime.now(", "datetime.utcnow(", "date.today(", "time.time(")
    offenders = []
    for folder in ("bot", "cogs"):
        for path in python_files(folder):
            if path.name == "clock.py":
                continue
            text = path.read_text(encoding="utf-8")
            offenders += [f"{path.relative_to(ROOT)}: {c}" for c in calls if c in text]
    assert offenders == []


def test_no_two_test_modules_share_a_name() -> None:
    # Test folders are not packages: pytest imports each module by its file name, and a
    # second module of the same name stops the whole run at collection.
    seen: dict[str, list[str]] = {}
    for path in python_files("tests"):
        if path.name.startswith("test_") or path.parent.name != "benchmarks":
            seen.setdefault(path.name, []).append(str(path.relative_to(ROOT)))
    clashes = {
        name: where for name, where in seen.items() if len(where) > 1 and name != "conftest.py"
    }
    assert clashes == {}
