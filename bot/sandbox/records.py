"""The record of every REST request the sandbox server answered."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class FileRecord:
    """One uploaded file of a request."""

    field: str
    filename: str
    size: int
    content_type: str


@dataclass
class RequestRecord:
    """One request: when, what, which route template, how it was answered."""

    time: float
    at: str
    method: str
    path: str
    route: str | None
    status: int
    body: Any = None
    files: list[FileRecord] = field(default_factory=list)
    ratelimit_scope: str | None = None
    error_code: int | None = None
    injected: bool = False

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return asdict(self)


def write_jsonl(records: Iterable[RequestRecord], path: str | Path) -> Path:
    """Write records as JSON lines; returns the path written."""
    target = Path(path)
    with target.open("w", encoding="utf-8") as out:
        for record in records:
            out.write(json.dumps(record.to_json(), ensure_ascii=False, default=str))
            out.write("\n")
    return target
