"""Pulse instruments: TOML data files of items, scales and suggestions, validated at load.

A file names its `id` and `version`, a `licence` note, the `recall_period`, its scales
(`[scales.<name>] labels = [...]`, 3 to 7 options scored 0..n-1) and its items
(`[[items]]`: key, short, text, scale, reversed, role = "index" | "sts" | "driver",
and `driver` = a driver name for drivers), plus `[suggestions]`: one short, plain
prevention idea per driver name and optionally `rising` (for an index that rose twice).
Every problem is an `InstrumentError` whose one line names the file and the problem.

The default instrument ships in `bot/pulse/instruments/`; an operator may add files to a
directory of their own (`InstrumentLibrary(extra_dir=...)`), each with a unique id.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final, Literal, cast

Role = Literal["index", "sts", "driver"]
ROLES: Final[tuple[Role, ...]] = ("index", "sts", "driver")
DEFAULT_INSTRUMENT_ID: Final = "peerpulse-default"
BUILTIN_DIR: Final = Path(__file__).resolve().parent / "instruments"
MAX_ITEMS: Final = 10  # two survey steps of at most five questions each
MIN_OPTIONS, MAX_OPTIONS = 3, 7
RISING: Final = "rising"
_NAME = re.compile(r"^[a-z][a-z0-9_-]{0,39}$")
_TEXT_LIMITS: Final = {"short": 45, "text": 200, "label": 40, "suggestion": 200}


class InstrumentError(ValueError):
    """An instrument file is unreadable or invalid; the message is one line naming the file."""


@dataclass(frozen=True)
class Scale:
    """Answer options, scored 0 (first label) to len(labels) - 1."""

    name: str
    labels: tuple[str, ...]

    @property
    def top(self) -> int:
        """The highest score."""
        return len(self.labels) - 1

    def is_high(self, value: int) -> bool:
        """One of the top two options (often/always, agree/strongly agree)."""
        return value >= self.top - 1


@dataclass(frozen=True)
class Item:
    """One question."""

    key: str
    short: str
    text: str
    scale: Scale
    reversed: bool
    role: Role
    driver: str | None = None


@dataclass(frozen=True)
class Instrument:
    """A validated instrument file."""

    id: str
    version: str
    title: str
    licence: str
    recall_period: str
    items: tuple[Item, ...]
    suggestions: Mapping[str, str]
    path: Path

    def of_role(self, role: Role) -> tuple[Item, ...]:
        """The items with `role`, in file order."""
        return tuple(item for item in self.items if item.role == role)

    @property
    def drivers(self) -> tuple[Item, ...]:
        """The driver items, in file order."""
        return self.of_role("driver")

    def check_values(self, values: Sequence[int]) -> tuple[int, ...]:
        """One score per item, each within its scale; ValueError otherwise."""
        if len(values) != len(self.items):
            raise ValueError(f"expected {len(self.items)} answers, got {len(values)}")
        for item, value in zip(self.items, values, strict=True):
            if (
                isinstance(value, bool)
                or not isinstance(value, int)
                or not 0 <= value <= item.scale.top
            ):
                raise ValueError(f"answer to {item.key} is outside 0..{item.scale.top}")
        return tuple(values)


def load_instrument(path: Path) -> Instrument:
    """Read and validate one instrument file; InstrumentError names the file and the problem."""
    try:
        with path.open("rb") as handle:
            data = tomllib.load(handle)
    except OSError as error:
        raise InstrumentError(f"{path}: cannot read the file ({error.strerror})") from None
    except tomllib.TOMLDecodeError as error:
        raise InstrumentError(f"{path}: not valid TOML ({error})") from None
    try:
        return _parse(data, path)
    except _ProblemError as problem:
        raise InstrumentError(f"{path}: {problem}") from None


class InstrumentLibrary:
    """The instruments available to groups: the built-in ones and an operator's directory."""

    def __init__(self, extra_dir: Path | None = None) -> None:
        self._by_id: dict[str, Instrument] = {}
        folders = [BUILTIN_DIR] + ([extra_dir] if extra_dir is not None else [])
        for folder in folders:
            if not folder.is_dir():
                raise InstrumentError(f"{folder}: the instruments directory does not exist")
            for path in sorted(folder.glob("*.toml")):
                instrument = load_instrument(path)
                if instrument.id in self._by_id:
                    first = self._by_id[instrument.id].path
                    raise InstrumentError(
                        f"{path}: id {instrument.id!r} is already used by {first}"
                    )
                self._by_id[instrument.id] = instrument
        if DEFAULT_INSTRUMENT_ID not in self._by_id:
            raise InstrumentError(f"{BUILTIN_DIR}: the default instrument file is missing")

    def ids(self) -> list[str]:
        """The available instrument ids, sorted."""
        return sorted(self._by_id)

    def get(self, instrument_id: str) -> Instrument | None:
        """An instrument by id, or None."""
        return self._by_id.get(instrument_id)

    def require(self, instrument_id: str) -> Instrument:
        """An instrument by id; KeyError with the available ids when it is not installed."""
        found = self._by_id.get(instrument_id)
        if found is None:
            raise KeyError(f"no instrument {instrument_id!r}; installed: {', '.join(self.ids())}")
        return found

    @property
    def default(self) -> Instrument:
        """The built-in default instrument."""
        return self._by_id[DEFAULT_INSTRUMENT_ID]


class _ProblemError(Exception):
    """A problem inside a file; `load_instrument` prefixes the file's path."""


def _text(table: Mapping[str, object], key: str, where: str, limit: int = 1000) -> str:
    value = table.get(key)
    if not isinstance(value, str) or not value.strip():
        raise _ProblemError(f"{where}: '{key}' must be non-empty text")
    if len(value) > limit:
        raise _ProblemError(f"{where}: '{key}' is longer than {limit} characters")
    return value.strip()


def _name(table: Mapping[str, object], key: str, where: str) -> str:
    value = _text(table, key, where)
    if not _NAME.match(value):
        raise _ProblemError(f"{where}: '{key}' must be lower-case letters, digits, '-' or '_'")
    return value


def _table(value: object, where: str) -> Mapping[str, object]:
    if not isinstance(value, dict):
        raise _ProblemError(f"{where} must be a table")
    return cast("Mapping[str, object]", value)


def _scales(data: Mapping[str, object]) -> dict[str, Scale]:
    scales: dict[str, Scale] = {}
    for name, raw in _table(data.get("scales"), "[scales]").items():
        labels = _table(raw, f"[scales.{name}]").get("labels")
        if not isinstance(labels, list) or not MIN_OPTIONS <= len(labels) <= MAX_OPTIONS:
            raise _ProblemError(
                f"[scales.{name}]: 'labels' must list {MIN_OPTIONS} to {MAX_OPTIONS} options"
            )
        if not all(isinstance(x, str) and x.strip() for x in labels):
            raise _ProblemError(f"[scales.{name}]: every label must be non-empty text")
        if any(len(x) > _TEXT_LIMITS["label"] for x in labels):
            raise _ProblemError(f"[scales.{name}]: a label is longer than {_TEXT_LIMITS['label']}")
        scales[name] = Scale(name, tuple(x.strip() for x in labels))
    if not scales:
        raise _ProblemError("[scales] must define at least one scale")
    return scales


def _item(raw: object, number: int, scales: Mapping[str, Scale]) -> Item:
    where = f"item {number}"
    table = _table(raw, where)
    key = _name(table, "key", where)
    where = f"item {number} ({key})"
    scale_name = _text(table, "scale", where)
    if scale_name not in scales:
        raise _ProblemError(f"{where}: unknown scale {scale_name!r}")
    reversed_ = table.get("reversed")
    if not isinstance(reversed_, bool):
        raise _ProblemError(f"{where}: 'reversed' must be true or false")
    role = table.get("role")
    if role not in ROLES:
        raise _ProblemError(f"{where}: 'role' must be one of {', '.join(ROLES)}")
    driver = _name(table, "driver", where) if role == "driver" else None
    if role != "driver" and "driver" in table:
        raise _ProblemError(f"{where}: only items with role = 'driver' name a driver")
    return Item(
        key=key,
        short=_text(table, "short", where, _TEXT_LIMITS["short"]),
        text=_text(table, "text", where, _TEXT_LIMITS["text"]),
        scale=scales[scale_name],
        reversed=reversed_,
        role=role,
        driver=driver,
    )


def _parse(data: Mapping[str, object], path: Path) -> Instrument:
    scales = _scales(data)
    raw_items = data.get("items")
    if not isinstance(raw_items, list) or not 1 <= len(raw_items) <= MAX_ITEMS:
        raise _ProblemError(f"[[items]] must list 1 to {MAX_ITEMS} items")
    items = tuple(_item(raw, n, scales) for n, raw in enumerate(raw_items, start=1))
    keys = [item.key for item in items]
    if len(set(keys)) != len(keys):
        raise _ProblemError("two items share a key")
    if not any(item.role == "index" for item in items):
        raise _ProblemError("at least one item must have role = 'index'")
    if sum(item.role == "sts" for item in items) > 1:
        raise _ProblemError("at most one item may have role = 'sts'")
    drivers = [item.driver for item in items if item.driver is not None]
    if len(set(drivers)) != len(drivers):
        raise _ProblemError("two items name the same driver")
    suggestions: dict[str, str] = {}
    for name, text in _table(data.get("suggestions", {}), "[suggestions]").items():
        if name not in drivers and name != RISING:
            raise _ProblemError(f"[suggestions]: {name!r} is neither a driver nor '{RISING}'")
        suggestions[name] = _text({name: text}, name, "[suggestions]", _TEXT_LIMITS["suggestion"])
    return Instrument(
        id=_name(data, "id", "the file"),
        version=_text(data, "version", "the file", 20),
        title=_text(data, "title", "the file", 100),
        licence=_text(data, "licence", "the file"),
        recall_period=_text(data, "recall_period", "the file", 60),
        items=items,
        suggestions=suggestions,
        path=path,
    )
