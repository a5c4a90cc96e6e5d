"""Configuration: one validated `Settings` object from a TOML file plus environment.

Sources, strongest first: `PEERPULSE_*` environment variables (nested keys joined
by `__`, e.g. `PEERPULSE_DISCORD__TOKEN`), then the TOML file chosen by
`--config PATH`, else `PEERPULSE_CONFIG`, else `./config.toml` when present.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from bot.errors import UserError
from bot.redaction import redact
from bot.timezones import parse_zone

ENV_PREFIX = "PEERPULSE_"
CONFIG_ENV = "PEERPULSE_CONFIG"
DEFAULT_CONFIG_FILE = Path("config.toml")
MIN_ANONYMITY_THRESHOLD = 3


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
            raise ValueError("expected a URL starting with http://, https://, ws:// or wss://")
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
            raise ValueError("expected an IANA time zone name such as Europe/London") from None


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
    support: SupportSettings = SupportSettings()

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
    """One thing wrong with the configuration, phrased for a person."""

    key: str
    value: str
    expected: str

    def __str__(self) -> str:
        return f"{self.key}: got {self.value}; {self.expected}"


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
            [ConfigProblem("config file", str(path), "the file does not exist; check the path")],
            str(path),
        ) from None
    except OSError as error:
        raise ConfigError(
            [ConfigProblem("config file", str(path), f"cannot be read ({error.strerror})")],
            str(path),
        ) from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(
            [ConfigProblem("config file", str(path), f"is not valid TOML ({error})")], str(path)
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
        return ConfigProblem(key, "an unknown key", "remove it or check its spelling")
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
    message = str(item.get("msg", "a valid value")).removeprefix("Value error, ")
    if message.startswith("expected"):
        return message
    return f"expected: {message[0].lower()}{message[1:]}"


def describe(settings: Settings) -> list[str]:
    """Human-readable lines summarising the settings, with the token hidden."""
    token_state = "set (hidden)" if settings.discord.token else "not set"
    secrets = [settings.discord.token.get_secret_value()] if settings.discord.token else []
    lines = [
        f"discord.token: {token_state}",
        f"discord.api_base_url: {settings.discord.api_base_url or '(Discord)'}",
        f"discord.gateway_url: {settings.discord.gateway_url or '(Discord)'}",
        f"database.path: {settings.database.path}",
        f"logging.level: {settings.logging.level}",
        f"defaults.timezone: {settings.defaults.timezone}",
        f"defaults.retention_days: {settings.defaults.retention_days}",
        f"defaults.anonymity_threshold: {settings.defaults.anonymity_threshold}",
        f"scheduler.tick_seconds: {settings.scheduler.tick_seconds}",
        f"delivery.requests_per_second: {settings.delivery.requests_per_second}",
    ]
    # A token pasted into another key is hidden there too.
    return [lines[0], *(redact(line, secrets) for line in lines[1:])]
