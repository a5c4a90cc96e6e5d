"""Settings: file, environment overrides, nested keys, secret redaction, one line per problem."""

from __future__ import annotations

import json
import logging
import os
import re
from pathlib import Path

import pytest

from bot.config import (
    ConfigError,
    Settings,
    choose_config_file,
    describe,
    key_sources,
    load_settings,
)
from bot.logs import RedactSecrets

TOKEN = "MTIz.secret-token-value.xyz"


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults_without_any_file(tmp_path: Path) -> None:
    settings = load_settings()
    assert settings.discord.token is None
    assert settings.database.path == Path("peerpulse.db")
    assert settings.defaults.timezone == "UTC"
    assert settings.defaults.anonymity_threshold == 5


def test_values_come_from_the_file(tmp_path: Path) -> None:
    config = write(
        tmp_path / "c.toml",
        '[database]\npath = "data/pp.db"\n[defaults]\ntimezone = "Europe/London"\n'
        "retention_days = 30\n",
    )
    settings = load_settings(config)
    assert settings.database.path == Path("data/pp.db")
    assert settings.defaults.timezone == "Europe/London"
    assert settings.defaults.retention_days == 30


def test_environment_overrides_file_with_nested_keys(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = write(tmp_path / "c.toml", '[logging]\nlevel = "WARNING"\n[discord]\ntoken = "file"\n')
    monkeypatch.setenv("PEERPULSE_LOGGING__LEVEL", "debug")
    monkeypatch.setenv("PEERPULSE_DISCORD__TOKEN", TOKEN)
    monkeypatch.setenv("PEERPULSE_DATABASE__BUSY_TIMEOUT_MS", "1234")
    settings = load_settings(config)
    assert settings.logging.level == "DEBUG"
    assert settings.discord.token is not None
    assert settings.discord.token.get_secret_value() == TOKEN
    assert settings.database.busy_timeout_ms == 1234


def test_config_file_choice_order(tmp_path: Path) -> None:
    explicit = tmp_path / "a.toml"
    assert choose_config_file(explicit, {"PEERPULSE_CONFIG": "b.toml"}) == explicit
    assert choose_config_file(None, {"PEERPULSE_CONFIG": "b.toml"}) == Path("b.toml")
    assert choose_config_file(None, {}) is None
    write(tmp_path / "config.toml", "")
    assert choose_config_file(None, {}) == Path("config.toml")


def test_peerpulse_config_variable_is_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = write(tmp_path / "elsewhere.toml", '[defaults]\ntimezone = "Asia/Tokyo"\n')
    monkeypatch.setenv("PEERPULSE_CONFIG", str(config))
    assert load_settings().defaults.timezone == "Asia/Tokyo"


def test_token_is_secret_in_repr_str_and_describe(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PEERPULSE_DISCORD__TOKEN", TOKEN)
    settings = load_settings()
    assert TOKEN not in repr(settings)
    assert TOKEN not in str(settings)
    assert TOKEN not in str(settings.model_dump())
    lines = "\n".join(describe(settings))
    assert TOKEN not in lines
    assert "discord.token: set (hidden)" in lines


def test_blank_token_counts_as_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PEERPULSE_DISCORD__TOKEN", "   ")
    assert load_settings().discord.token is None


def test_token_never_appears_in_errors(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = write(tmp_path / "c.toml", f'[discord]\ntoken = ["{TOKEN}"]\n')
    with pytest.raises(ConfigError) as caught:
        load_settings(config)
    rendered = "\n".join(str(p) for p in caught.value.problems) + str(caught.value)
    assert "discord.token" in rendered
    assert TOKEN not in rendered


def test_redaction_filter_hides_token_in_log_lines(caplog: pytest.LogCaptureFixture) -> None:
    logger = logging.getLogger("peerpulse.test.redaction")
    logger.addFilter(RedactSecrets([TOKEN]))
    try:
        with caplog.at_level(logging.INFO, logger=logger.name):
            logger.info("connecting with %s", TOKEN)
            try:
                raise RuntimeError(f"Authorization: Bot {TOKEN}")
            except RuntimeError:
                logger.exception("failed")
    finally:
        logger.filters.clear()
    text = caplog.text
    assert TOKEN not in text
    assert "[redacted]" in text


@pytest.mark.parametrize(
    ("toml", "key", "bad"),
    [
        ('[discord]\nguild_ready_timeout = "soon"', "discord.guild_ready_timeout", "'soon'"),
        ("[discord]\nguild_ready_timeout = -1", "discord.guild_ready_timeout", "-1"),
        ('[discord]\napi_base_url = "localhost:80"', "discord.api_base_url", "'localhost:80'"),
        ('[discord]\ngateway_url = "127.0.0.1"', "discord.gateway_url", "'127.0.0.1'"),
        ('[database]\nbusy_timeout_ms = "x"', "database.busy_timeout_ms", "'x'"),
        ("[database]\nbusy_timeout_ms = -5", "database.busy_timeout_ms", "-5"),
        ('[logging]\nlevel = "LOUD"', "logging.level", "'LOUD'"),
        ('[defaults]\ntimezone = "Mars/Olympus"', "defaults.timezone", "'Mars/Olympus'"),
        ('[defaults]\ntimezone = "localtime"', "defaults.timezone", "'localtime'"),
        ('[defaults]\ntimezone = "Factory"', "defaults.timezone", "'Factory'"),
        ("[defaults]\nretention_days = 0", "defaults.retention_days", "0"),
        ("[defaults]\nanonymity_threshold = 2", "defaults.anonymity_threshold", "2"),
        ("[scheduler]\ntick_seconds = 0", "scheduler.tick_seconds", "0"),
        ("[scheduler]\nmisfire_grace_seconds = 0", "scheduler.misfire_grace_seconds", "0"),
        ("[delivery]\nrequests_per_second = 51", "delivery.requests_per_second", "51"),
        ("[delivery]\ndm_opens_per_second = 0", "delivery.dm_opens_per_second", "0"),
        ("[delivery]\nconcurrency = 0", "delivery.concurrency", "0"),
        ("[delivery]\nlease_seconds = 0.5", "delivery.lease_seconds", "0.5"),
        ('[delivery]\nmax_attempts = "many"', "delivery.max_attempts", "'many'"),
        ('[support]\nresources = "' + "x" * 1001 + '"', "support.resources", "'xxx"),
        ("[database]\nfile = 'a.db'", "database.file", "unknown key"),
        ("[nonsense]\na = 1", "nonsense", "unknown key"),
    ],
)
def test_each_invalid_value_names_its_key(tmp_path: Path, toml: str, key: str, bad: str) -> None:
    config = write(tmp_path / "c.toml", toml + "\n")
    with pytest.raises(ConfigError) as caught:
        load_settings(config)
    problems = caught.value.problems
    assert [p.key for p in problems] == [key]
    line = str(problems[0])
    assert line.startswith((f"{key}: must be ", f"{key}: unknown key;"))
    assert bad in line
    assert "Input should" not in line


@pytest.mark.parametrize(
    ("toml", "line"),
    [
        (
            '[delivery]\nrequests_per_second = "fast"',
            "delivery.requests_per_second: must be a number between 1 and 50, got 'fast'",
        ),
        (
            "[scheduler]\ntick_seconds = 0",
            "scheduler.tick_seconds: must be a number above 0 and at most 3600, got 0",
        ),
        (
            "[scheduler]\nmisfire_grace_seconds = 0",
            "scheduler.misfire_grace_seconds: must be a whole number of at least 1, got 0",
        ),
        (
            '[logging]\nlevel = "LOUD"',
            "logging.level: must be one of DEBUG, INFO, WARNING, ERROR, got 'LOUD'",
        ),
        (
            "[discord]\napi_base_url = 5",
            "discord.api_base_url: must be a URL starting with http://, https://, ws:// or "
            "wss://, got 5",
        ),
        (
            "[database]\nfile = 'a.db'",
            "database.file: unknown key; remove it or check its spelling",
        ),
        ("delivery = 5", "delivery: must be a table of settings, got 5"),
    ],
)
def test_problems_are_worded_plainly(tmp_path: Path, toml: str, line: str) -> None:
    config = write(tmp_path / "c.toml", toml + "\n")
    with pytest.raises(ConfigError) as caught:
        load_settings(config)
    assert [str(p) for p in caught.value.problems] == [line]


def test_every_problem_is_reported_at_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = write(tmp_path / "c.toml", '[defaults]\ntimezone = "Nowhere"\nretention_days = -1\n')
    monkeypatch.setenv("PEERPULSE_LOGGING__LEVEL", "chatty")
    with pytest.raises(ConfigError) as caught:
        load_settings(config)
    keys = sorted(p.key for p in caught.value.problems)
    assert keys == [
        "defaults.retention_days",
        "defaults.timezone",
        "logging.level (from PEERPULSE_LOGGING__LEVEL)",
    ]


def test_missing_file_and_broken_toml_are_problems_not_tracebacks(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as missing:
        load_settings(tmp_path / "absent.toml")
    assert "does not exist" in str(missing.value.problems[0])
    broken = write(tmp_path / "broken.toml", "[discord\ntoken = 1\n")
    with pytest.raises(ConfigError) as invalid:
        load_settings(broken)
    assert "not valid TOML" in str(invalid.value.problems[0])


def test_example_config_is_valid_and_documents_every_key() -> None:
    example = Path(__file__).resolve().parents[2] / "config.example.toml"
    settings = load_settings(example)
    text = example.read_text(encoding="utf-8")
    for section_name, section in settings:
        assert f"[{section_name}]" in text
        for key in type(section).model_fields:
            assert f"\n{key} = " in text, f"{section_name}.{key} is not documented"


def shown_default(value: object) -> str:
    """A default as the README's reference shows it: TOML, long text cut after 32 characters."""
    if value is None:
        return '""'
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int | float):
        return repr(value)
    text = str(value)
    return json.dumps(text if len(text) <= 40 else text[:32] + "…", ensure_ascii=False)


def settings_defaults() -> dict[str, str]:
    """`section.key` -> its default as shown, for every key of the Settings model."""
    defaults = {}
    for section_name, field in Settings.model_fields.items():
        section = field.get_default(call_default_factory=True)  # the model's, not the environment's
        for key, value in section:
            defaults[f"{section_name}.{key}"] = shown_default(value)
    return defaults


def readme_reference(readme: str) -> dict[str, tuple[str, str]]:
    """The README's configuration reference: `section.key` -> (default, meaning)."""
    section = readme.split("\n## Configuration\n", 1)[1].split("\n## ", 1)[0]
    rows = re.findall(r"^\| `([a-z_]+\.[a-z_]+)` \| `(.*?)` \| (.+?) \|$", section, re.MULTILINE)
    assert len(rows) == len({key for key, _, _ in rows}), "a key is listed twice"
    return {key: (default, meaning) for key, default, meaning in rows}


def reference_problems(readme: str) -> list[str]:
    """What is wrong with the README's reference against the Settings model."""
    listed = readme_reference(readme)
    expected = settings_defaults()
    problems = [f"{key}: missing" for key in sorted(set(expected) - set(listed))]
    problems += [f"{key}: not a setting" for key in sorted(set(listed) - set(expected))]
    problems += [
        f"{key}: default {listed[key][0]}, the model's is {shown}"
        for key, shown in expected.items()
        if key in listed and listed[key][0] != shown
    ]
    problems += [
        f"{key}: no meaning" for key, (_, meaning) in listed.items() if not meaning.strip()
    ]
    return problems


def test_readme_configuration_reference_matches_the_settings_model() -> None:
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    assert reference_problems(readme) == []


def test_readme_reference_check_sees_a_wrong_default_and_an_unknown_key() -> None:
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    tampered = readme.replace(
        "| `delivery.concurrency` | `16` |", "| `delivery.concurrency` | `8` |"
    )
    tampered = tampered.replace("| `charts.workers` |", "| `charts.threads` |")
    assert reference_problems(tampered) == [
        "charts.workers: missing",
        "charts.threads: not a setting",
        "delivery.concurrency: default 8, the model's is 16",
    ]


# A token shaped like Discord's (three base64url parts); none of it may be echoed.
REAL_SHAPED_TOKEN = "MTE5ODc2NTQzMjEwOTg3NjU0MzI.GhXyZa.k9Q2v7LmN4pR8sT1uW3xY6zA0bC5dE7fG9hJ2kL"


def test_token_pasted_into_another_key_is_hidden_before_shortening(tmp_path: Path) -> None:
    """The value is redacted before it is truncated, so not even a prefix of it is shown."""
    config = write(tmp_path / "c.toml", f'[discord]\napi_base_url = "{REAL_SHAPED_TOKEN}"\n')
    with pytest.raises(ConfigError) as caught:
        load_settings(config)
    rendered = "\n".join(str(p) for p in caught.value.problems)
    assert "discord.api_base_url" in rendered
    assert "[hidden]" in rendered
    for part in REAL_SHAPED_TOKEN.split("."):
        assert part[:12] not in rendered


def test_check_config_hides_a_token_pasted_into_another_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PEERPULSE_DATABASE__PATH", f"/var/lib/{REAL_SHAPED_TOKEN}.db")
    lines = "\n".join(describe(load_settings()))
    assert "database.path: /var/lib/[hidden].db" in lines
    assert REAL_SHAPED_TOKEN.split(".", maxsplit=1)[0] not in lines


def test_key_sources_name_the_variable_the_file_or_the_default(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = write(tmp_path / "c.toml", "[delivery]\nconcurrency = 4\nmax_attempts = 3\n")
    monkeypatch.setenv("PEERPULSE_DELIVERY__MAX_ATTEMPTS", "5")
    monkeypatch.setenv("PEERPULSE_SCHEDULER", '{"tick_seconds": 10}')
    settings = load_settings(config)
    sources = key_sources(config, os.environ)
    assert sources["delivery.concurrency"] == str(config)
    assert sources["delivery.max_attempts"] == "PEERPULSE_DELIVERY__MAX_ATTEMPTS"
    assert sources["scheduler.tick_seconds"] == "PEERPULSE_SCHEDULER"
    assert sources["scheduler.misfire_grace_seconds"] == "default"
    lines = describe(settings, sources)
    assert (
        "delivery.max_attempts: 5 — from environment variable PEERPULSE_DELIVERY__MAX_ATTEMPTS"
        in lines
    )
    assert "scheduler.tick_seconds: 10.0 — from environment variable PEERPULSE_SCHEDULER" in lines
    assert f"delivery.concurrency: 4 — from {config}" in lines
    assert len(lines) == len(sources)
