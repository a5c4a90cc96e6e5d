"""Configuration: one validated `Settings` object from a TOML file plus environment.

Sources, strongest first: `PEERPULSE_*` environment variables (nested keys joined
by `__`, e.g. `PEERPULSE_DISCORD__TOKEN`), then the TOML file chosen by
`--config PATH`, else `PEERPULSE_CONFIG`, else `./config.toml` when present.
"""

from __future__ import annotations

import json
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import UnionType
from typing import Any, Literal, get_args, get_origin

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator
from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from bot.errors import UserError
from bot.redaction import redact
from bot.timezones import parse_zone

ENV_PREFIX = "PEERPULSE_"
CONFIG_ENV = "PEERPULSE_CONFIG"
DEFAULT_CONFIG_FILE = Path("config.toml")
MIN_ANONYMITY_THRESHOLD = 3
_URL_RULE = "must be a URL starting with http://, https://, ws:// or wss://"
_ZONE_RULE = "must be an IANA time zone name such as Europe/London"


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class DiscordSettings(_Section):
    """How to reach Discord (or the sandbox server)."""

    token: SecretStr | None = None
    api_base_url: str | None = None
    gateway_url: str | None = None
    guild_ready_timeout: float = Field(default=2.0, ge=0, le=60)
    reidentify_delay: float = Field(default=5.0, ge=0, le=60)

    @field_validator("token", mode="after")
    @classmethod
    def _empty_token_is_none(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not value.get_secret_value().strip():
            return None
        return value

    @field_validator("api_base_url", "gateway_url", mode="after")
    @classmethod
    def _url_scheme(cls, value: str | None) -> str | None:
        if not value:
            return None
        if not value.startswith(("http://", "https://", "ws://", "wss://")):
            raise ValueError(_URL_RULE)
        return value.rstrip("/")


class DatabaseSettings(_Section):
    """Where the SQLite database lives."""

    path: Path = Path("peerpulse.db")
    busy_timeout_ms: int = Field(default=15_000, ge=0, le=600_000)


class LoggingSettings(_Section):
    """How much to log."""

    level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"

    @field_validator("level", mode="before")
    @classmethod
    def _upper(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value


class GroupDefaults(_Section):
    """Defaults for a newly created group; moderators change them per group."""

    timezone: str = "UTC"
    retention_days: int = Field(default=90, ge=1, le=3650)
    anonymity_threshold: int = Field(default=5, ge=MIN_ANONYMITY_THRESHOLD, le=100)

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        # The zones a moderator may choose: never "localtime" (the machine's) or "Factory".
        try:
            return parse_zone(value).key
        except UserError:
            raise ValueError(_ZONE_RULE) from None


class SchedulerSettings(_Section):
    """How often the bot wakes to run what is due."""

    tick_seconds: float = Field(default=30.0, gt=0, le=3600)
    misfire_grace_seconds: int = Field(default=3600, ge=1)


class DeliveryConfig(_Section):
    """How the DM outbox paces, leases and retries bot-initiated DMs."""

    requests_per_second: float = Field(default=47.0, ge=1, le=50)  # see delivery.pacing
    dm_opens_per_second: float = Field(default=1.0, gt=0, le=50)
    concurrency: int = Field(default=16, ge=1, le=64)
    lease_seconds: float = Field(default=120.0, ge=1, le=3600)
    max_attempts: int = Field(default=10, ge=1, le=100)


class ChartSettings(_Section):
    """How charts are drawn: in separate worker processes, so the bot never waits on them."""

    workers: int = Field(default=1, ge=1, le=8)


class SupportSettings(_Section):
    """Crisis and support resources shown by /privacy and beside surveys."""

    resources: str = Field(
        default=(
            "If you are in crisis or thinking about harming yourself, call your local "
            "emergency number. In the US, call or text 988; in the UK and Ireland, "
            "Samaritans: 116 123. Your professional association's wellbeing line can help too."
        ),
        max_length=1000,
    )


class PulseConfig(_Section):
    """Where an operator installs extra pulse instrument files (TOML, see bot/pulse)."""

    instruments_dir: str = ""  # empty: only the built-in instrument

    @property
    def instruments_path(self) -> Path | None:
        """The directory, or None when none is configured."""
        return Path(self.instruments_dir) if self.instruments_dir.strip() else None


class Settings(BaseSettings):
    """Every setting peerpulse reads. See config.example.toml for each key."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        env_nested_delimiter="__",
        extra="forbid",
        case_sensitive=False,
    )

    discord: DiscordSettings = DiscordSettings()
    database: DatabaseSettings = DatabaseSettings()
    logging: LoggingSettings = LoggingSettings()
    defaults: GroupDefaults = GroupDefaults()
    scheduler: SchedulerSettings = SchedulerSettings()
    delivery: DeliveryConfig = DeliveryConfig()
    charts: ChartSettings = ChartSettings()
    support: SupportSettings = SupportSettings()
    pulse: PulseConfig = PulseConfig()

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # The file's values arrive as init kwargs; the environment overrides them.
        return (env_settings, init_settings)


@dataclass(frozen=True)
class ConfigProblem:
    """One thing wrong with the configuration, phrased for a person.

    `expected` says what the key must be ("must be a number between 1 and 50"); `value`
    is the offending value as shown (already redacted), or empty when there is none.
    """

    key: str
    value: str
    expected: str

    def __str__(self) -> str:
        if not self.value:
            return f"{self.key}: {self.expected}"
        return f"{self.key}: {self.expected}, got {self.value}"


class ConfigError(Exception):
    """The configuration cannot be used; `problems` says why, one per key."""

    def __init__(self, problems: list[ConfigProblem], source: str) -> None:
        self.problems = problems
        self.source = source
        super().__init__(f"invalid configuration ({source}): {len(problems)} problem(s)")


def choose_config_file(explicit: Path | None, environ: Mapping[str, str]) -> Path | None:
    """Pick the TOML file: explicit path, else $PEERPULSE_CONFIG, else ./config.toml if present."""
    if explicit is not None:
        return explicit
    from_env = environ.get(CONFIG_ENV)
    if from_env:
        return Path(from_env)
    return DEFAULT_CONFIG_FILE if DEFAULT_CONFIG_FILE.is_file() else None


def load_settings(config_file: Path | None = None) -> Settings:
    """Load and validate settings; raise `ConfigError` listing every problem."""
    path = choose_config_file(config_file, os.environ)
    source = str(path) if path else "environment"
    file_values = _read_toml(path) if path else {}
    secrets = _secret_values(file_values, os.environ)
    try:
        return Settings(**file_values)
    except ValidationError as error:
        problems = [_problem(item, secrets) for item in error.errors()]
        raise ConfigError(problems, source) from None


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError:
        raise ConfigError(
            [ConfigProblem("config file", "", f"{path} does not exist; check the path")],
            str(path),
        ) from None
    except OSError as error:
        raise ConfigError(
            [ConfigProblem("config file", "", f"{path} cannot be read ({error.strerror})")],
            str(path),
        ) from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(
            [ConfigProblem("config file", "", f"{path} is not valid TOML ({error})")], str(path)
        ) from None


def _secret_values(file_values: Mapping[str, Any], environ: Mapping[str, str]) -> set[str]:
    """Every raw token string, so error messages can redact it wherever it appears."""
    secrets: set[str] = set()
    discord = file_values.get("discord")
    if isinstance(discord, Mapping) and isinstance(discord.get("token"), str):
        secrets.add(discord["token"])
    for key, value in environ.items():
        if key.upper() == f"{ENV_PREFIX}DISCORD__TOKEN":
            secrets.add(value)
    return {s for s in secrets if s}


def _problem(item: Mapping[str, Any], secrets: set[str]) -> ConfigProblem:
    key = ".".join(str(part) for part in item["loc"])
    env_name = ENV_PREFIX + "__".join(str(part) for part in item["loc"]).upper()
    if env_name in {name.upper() for name in os.environ}:
        key = f"{key} (from {env_name})"
    if item["type"] == "extra_forbidden":
        return ConfigProblem(key, "", "unknown key; remove it or check its spelling")
    raw = item.get("input")
    shown = "[hidden]" if "token" in key.lower() else _show(raw, secrets)
    return ConfigProblem(key, shown, redact(_expected(item), secrets))


def _show(value: object, secrets: set[str]) -> str:
    """The value as typed, secrets and token-shaped strings hidden before it is shortened."""
    if isinstance(value, Mapping):
        return "a table"
    text = redact(repr(value), secrets)
    return text if len(text) <= 60 else text[:57] + "..."


def _expected(item: Mapping[str, Any]) -> str:
    """What the key must be, in words: from the field's type and bounds, not pydantic's."""
    if item["type"] == "value_error":  # our own validators already speak plainly
        return str(item.get("msg", "")).removeprefix("Value error, ")
    loc = tuple(str(part) for part in item["loc"])
    field = _field_at(loc)
    if field is None:
        return "must be a valid value"
    return _SPECIAL_RULES.get(loc) or _rule(field)


def _field_at(loc: tuple[str, ...]) -> FieldInfo | None:
    model: type[BaseModel] | None = Settings
    found: FieldInfo | None = None
    for part in loc:
        if model is None:
            return None
        found = model.model_fields.get(part)
        if found is None:
            return None
        model = _section_model(found.annotation)
    return found


def _section_model(annotation: object) -> type[BaseModel] | None:
    """The section's model when `annotation` is one (`DeliveryConfig`), else None."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    return None


def _rule(field: FieldInfo) -> str:
    """'must be a number between 1 and 50', 'must be one of DEBUG, INFO, …', and so on."""
    annotation: object = field.annotation
    args = [a for a in get_args(annotation) if a is not type(None)]
    if get_origin(annotation) is Literal:
        return "must be one of " + ", ".join(str(a) for a in args)
    if isinstance(annotation, UnionType) and len(args) == 1:
        annotation = args[0]
    if _section_model(annotation) is not None:
        return "must be a table of settings"
    noun = _NOUNS.get(annotation, "a value") if isinstance(annotation, type) else "a value"
    bounds = {type(m).__name__: m for m in field.metadata}
    low = bounds.get("Ge") or bounds.get("Gt")
    high = bounds.get("Le")
    low_value = getattr(low, "ge", getattr(low, "gt", None))
    high_value = getattr(high, "le", None)
    if "Ge" in bounds and high is not None:
        return f"must be {noun} between {_num(low_value)} and {_num(high_value)}"
    if "Gt" in bounds and high is not None:
        return f"must be {noun} above {_num(low_value)} and at most {_num(high_value)}"
    if "Ge" in bounds:
        return f"must be {noun} of at least {_num(low_value)}"
    if "Gt" in bounds:
        return f"must be {noun} above {_num(low_value)}"
    if "MaxLen" in bounds:
        return f"must be {noun} of at most {bounds['MaxLen'].max_length} characters"
    return f"must be {noun}"


# Keys whose type alone ("text") would not say what is wanted.
_SPECIAL_RULES: dict[tuple[str, ...], str] = {
    ("discord", "api_base_url"): _URL_RULE,
    ("discord", "gateway_url"): _URL_RULE,
    ("defaults", "timezone"): _ZONE_RULE,
}
_NOUNS: dict[object, str] = {
    bool: "true or false",
    int: "a whole number",
    float: "a number",
    str: "text",
    Path: "a file path",
    SecretStr: "text",
}


def _num(value: object) -> str:
    return f"{value:g}" if isinstance(value, int | float) else str(value)


DEFAULT_SOURCE = "default"
_NOT_SET = {"api_base_url": "not set (Discord itself)", "gateway_url": "not set (Discord itself)"}
_SHOWN_LENGTH = 70


def key_sources(config_file: Path | None, environ: Mapping[str, str]) -> dict[str, str]:
    """Where each key's value comes from: its environment variable, the file, or the default.

    Keys are dotted (`delivery.concurrency`); values name the variable (`PEERPULSE_…`),
    the file's path, or `default`. Call after `load_settings` succeeded for the same inputs.
    """
    path = choose_config_file(config_file, environ)
    file_values = _read_toml(path) if path else {}
    present = {name.upper() for name in environ}
    sources: dict[str, str] = {}
    for section, field in Settings.model_fields.items():
        model = _section_model(field.annotation)
        if model is None:
            continue
        in_file = file_values.get(section)
        from_section = _section_variable(section, environ)
        for key in model.model_fields:
            variable = f"{ENV_PREFIX}{section}__{key}".upper()
            if variable in present:
                sources[f"{section}.{key}"] = variable
            elif from_section is not None and key in from_section[1]:
                sources[f"{section}.{key}"] = from_section[0]
            elif isinstance(in_file, Mapping) and key in in_file:
                sources[f"{section}.{key}"] = str(path)
            else:
                sources[f"{section}.{key}"] = DEFAULT_SOURCE
    return sources


def _section_variable(
    section: str, environ: Mapping[str, str]
) -> tuple[str, dict[str, Any]] | None:
    """A whole section given as JSON in one variable (`PEERPULSE_DELIVERY='{"concurrency": 4}'`)."""
    wanted = f"{ENV_PREFIX}{section}".upper()
    for name, value in environ.items():
        if name.upper() == wanted:
            try:
                parsed = json.loads(value)
            except ValueError:
                return None
            return (wanted, parsed) if isinstance(parsed, dict) else None
    return None


def describe(settings: Settings, sources: Mapping[str, str] | None = None) -> list[str]:
    """One line per key, `section.key: value`, with its source when `sources` is given.

    The token is shown only as set or not set; any value that contains it is redacted
    before it is shortened, so no part of it can be printed.
    """
    secret = settings.discord.token.get_secret_value() if settings.discord.token else None
    lines = []
    for section_name, section in settings:
        for key, value in section:
            name = f"{section_name}.{key}"
            line = f"{name}: {_shown_setting(key, value, secret)}"
            if sources is not None:
                line += f" — {_source_words(sources.get(name, DEFAULT_SOURCE))}"
            lines.append(line)
    return lines


def _shown_setting(key: str, value: object, secret: str | None) -> str:
    if isinstance(value, SecretStr):
        return "set (hidden)"
    if value is None:
        return "not set" if key == "token" else _NOT_SET.get(key, "not set")
    text = redact(str(value), [secret] if secret else [])
    if len(text) > _SHOWN_LENGTH:
        text = text[: _SHOWN_LENGTH - 1] + "…"
    return text


def _source_words(source: str) -> str:
    if source == DEFAULT_SOURCE:
        return "default"
    if source.startswith(ENV_PREFIX):
        return f"from environment variable {source}"
    return f"from {source}"
