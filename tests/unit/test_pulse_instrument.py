"""Pulse instrument files: the default's content, validation errors, and the library."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.pulse.instrument import (
    BUILTIN_DIR,
    DEFAULT_INSTRUMENT_ID,
    InstrumentError,
    InstrumentLibrary,
    load_instrument,
)

DEFAULT_FILE = BUILTIN_DIR / "peerpulse-default.toml"


def test_the_default_instrument_holds_the_eight_design_items() -> None:
    instrument = load_instrument(DEFAULT_FILE)
    assert (instrument.id, instrument.version) == (DEFAULT_INSTRUMENT_ID, "1")
    assert instrument.recall_period == "the past two weeks"
    assert [i.role for i in instrument.items] == ["index"] * 3 + ["sts"] + ["driver"] * 4
    assert [i.reversed for i in instrument.items] == [
        False, False, True, False, True, False, True, True,
    ]  # fmt: skip
    assert [i.driver for i in instrument.drivers] == ["caseload", "admin", "support", "autonomy"]
    assert instrument.items[0].scale.labels == ("Never", "Rarely", "Sometimes", "Often", "Always")
    assert instrument.items[4].scale.labels[0] == "Strongly disagree"
    assert set(instrument.suggestions) == {"caseload", "admin", "support", "autonomy", "rising"}
    assert "not a validated instrument" in instrument.licence.lower()
    assert instrument.check_values([0, 1, 2, 3, 4, 0, 1, 2]) == (0, 1, 2, 3, 4, 0, 1, 2)
    with pytest.raises(ValueError, match="outside"):
        instrument.check_values([0, 1, 2, 3, 5, 0, 1, 2])
    with pytest.raises(ValueError, match="expected 8"):
        instrument.check_values([0, 1])


def test_suggestions_are_short_and_not_clinical() -> None:
    instrument = load_instrument(DEFAULT_FILE)
    for text in instrument.suggestions.values():
        assert len(text) <= 200
        for word in ("diagnos", "disorder", "clinical cut", "symptom", "therapy for you"):
            assert word not in text.lower()


def broken(tmp_path: Path, old: str, new: str) -> Path:
    path = tmp_path / "broken.toml"
    text = DEFAULT_FILE.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("old", "new", "problem"),
    [
        ('id = "peerpulse-default"', "", "'id' must be non-empty text"),
        ('scale = "frequency"', 'scale = "nope"', "unknown scale 'nope'"),
        ('role = "sts"', 'role = "mood"', "'role' must be one of"),
        ("reversed = true", 'reversed = "yes"', "'reversed' must be true or false"),
        ('driver = "admin"', 'driver = "caseload"', "two items name the same driver"),
        ('key = "detachment"', 'key = "exhaustion"', "two items share a key"),
        ('"Rarely", "Sometimes", "Often", ', "", "3 to 7 options"),
        ("rising = ", "weather = ", "'weather' is neither a driver"),
        ('title = "', 'title = ["', "not valid TOML"),
    ],
)
def test_an_invalid_file_gives_one_line_naming_the_file(
    tmp_path: Path, old: str, new: str, problem: str
) -> None:
    path = broken(tmp_path, old, new)
    with pytest.raises(InstrumentError, match=problem) as raised:
        load_instrument(path)
    message = str(raised.value)
    assert message.startswith(str(path))
    assert "\n" not in message


def test_the_library_lists_builtin_and_operator_instruments(tmp_path: Path) -> None:
    assert InstrumentLibrary().ids() == [DEFAULT_INSTRUMENT_ID]
    broken(tmp_path, 'id = "peerpulse-default"', 'id = "local-short"')
    library = InstrumentLibrary(tmp_path)
    assert library.ids() == ["local-short", DEFAULT_INSTRUMENT_ID]
    assert library.require("local-short").id == "local-short"
    assert library.default.id == DEFAULT_INSTRUMENT_ID
    with pytest.raises(KeyError, match="installed"):
        library.require("mbi")


def test_the_library_refuses_a_duplicate_id_or_missing_dir(tmp_path: Path) -> None:
    (tmp_path / "copy.toml").write_text(DEFAULT_FILE.read_text(encoding="utf-8"))
    with pytest.raises(InstrumentError, match="already used"):
        InstrumentLibrary(tmp_path)
    with pytest.raises(InstrumentError, match="does not exist"):
        InstrumentLibrary(tmp_path / "missing")


def test_the_operator_directory_comes_from_the_config(tmp_path: Path) -> None:
    from bot.config import PulseConfig

    assert PulseConfig().instruments_path is None
    assert PulseConfig(instruments_dir=str(tmp_path)).instruments_path == tmp_path
