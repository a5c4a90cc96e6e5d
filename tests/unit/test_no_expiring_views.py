"""No button the bot sends can die with a timeout or a restart.

In-memory Views stop answering after their timeout and after a restart. Buttons must be
`DynamicItem`s (state in the custom_id, registered with `add_dynamic_items`) inside a
`View(timeout=None)`; forms that outlive their modal are saved by the orphaned-form path.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _is_view(node: ast.expr) -> bool:
    return (isinstance(node, ast.Attribute) and node.attr == "View") or (
        isinstance(node, ast.Name) and node.id == "View"
    )


def expiring_views(source: str) -> list[int]:
    """Lines that subclass View, or build a View without `timeout=None`."""
    lines = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ClassDef) and any(_is_view(base) for base in node.bases):
            lines.append(node.lineno)
        if isinstance(node, ast.Call) and _is_view(node.func):
            timeout = next((k.value for k in node.keywords if k.arg == "timeout"), None)
            if not (isinstance(timeout, ast.Constant) and timeout.value is None):
                lines.append(node.lineno)
    return lines


def test_every_view_the_bot_sends_is_persistent() -> None:
    offenders = {
        str(path.relative_to(ROOT)): found
        for folder in ("cogs", "bot/app")
        for path in sorted((ROOT / folder).rglob("*.py"))
        if (found := expiring_views(path.read_text(encoding="utf-8")))
    }
    assert offenders == {}, "use DynamicItems in a View(timeout=None)"


def test_the_check_finds_an_expiring_view() -> None:
    source = (
        "class Confirm(discord.ui.View):\n    pass\n"
        "v = discord.ui.View(timeout=600)\n"
        "w = discord.ui.View()\n"
        "ok = discord.ui.View(timeout=None)\n"
    )
    assert expiring_views(source) == [1, 3, 4]
