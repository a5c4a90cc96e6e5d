"""The default crisis resources: a short list of widely known lines, each with its region
and the date it was last verified (`crisis_resources.toml`, validated at load)."""

from __future__ import annotations

import functools
import tomllib
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Final

DEFAULT_FILE: Final = Path(__file__).resolve().parent / "crisis_resources.toml"


class CrisisResourcesError(ValueError):
    """The resources file is unreadable or invalid; one line naming the file and the problem."""


@dataclass(frozen=True)
class CrisisResource:
    """One line or directory people can turn to."""

    name: str
    region: str
    contact: str
    verified: date

    def line(self) -> str:
        """One plain line, e.g. "Samaritans (United Kingdom and Ireland): Call 116 123"."""
        return f"{self.name} ({self.region}): {self.contact}"


@functools.cache  # read once: /privacy and every pulse note show them
def load_crisis_resources(path: Path = DEFAULT_FILE) -> tuple[CrisisResource, ...]:
    """Every resource in the file; CrisisResourcesError when any entry is incomplete."""
    try:
        with path.open("rb") as handle:
            data = tomllib.load(handle)
    except OSError as error:
        raise CrisisResourcesError(f"{path}: cannot read the file ({error.strerror})") from None
    except tomllib.TOMLDecodeError as error:
        raise CrisisResourcesError(f"{path}: not valid TOML ({error})") from None
    entries = data.get("resources")
    if not isinstance(entries, list) or not entries:
        raise CrisisResourcesError(f"{path}: [[resources]] must list at least one resource")
    found: list[CrisisResource] = []
    for number, entry in enumerate(entries, start=1):
        if not isinstance(entry, dict):
            raise CrisisResourcesError(f"{path}: resource {number} must be a table")
        for key in ("name", "region", "contact"):
            value = entry.get(key)
            if not isinstance(value, str) or not value.strip():
                raise CrisisResourcesError(f"{path}: resource {number} lacks a '{key}'")
        verified = entry.get("verified")
        if not isinstance(verified, date) or isinstance(verified, datetime):
            raise CrisisResourcesError(
                f"{path}: resource {number} lacks a 'verified' date (YYYY-MM-DD)"
            )
        found.append(
            CrisisResource(
                entry["name"].strip(),
                entry["region"].strip(),
                entry["contact"].strip(),
                verified,
            )
        )
    return tuple(found)


def last_verified(resources: tuple[CrisisResource, ...]) -> date:
    """The oldest verified date among `resources` (what a reader should be told)."""
    return min(resource.verified for resource in resources)
