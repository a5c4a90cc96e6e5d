"""Route templates, request/response types and parameter helpers for the REST API."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from bot.sandbox import validation
from bot.sandbox.core import ApiError, UploadedFile
from bot.sandbox.state import Application

Auth = Literal["bot", "token"]

# Parameters that select a rate-limit bucket of their own (Discord's "major parameters").
MAJOR_PARAMETERS = ("channel_id", "guild_id", "webhook_id", "interaction_id")


@dataclass
class ApiRequest:
    """One parsed REST request."""

    method: str
    path: str
    params: dict[str, str]
    query: Mapping[str, str]
    body: Any
    files: list[UploadedFile] = field(default_factory=list)
    application: Application | None = None


@dataclass
class ApiReply:
    """A handler's answer: a JSON body, or no content (204) when `body` is None."""

    status: int = 200
    body: Any = None


Handler = Callable[[ApiRequest], Awaitable[ApiReply]]


@dataclass(frozen=True)
class RouteSpec:
    """One REST route: method, Discord's template, handler and how it authenticates."""

    method: str
    template: str
    handler: Handler
    auth: Auth = "bot"
    exempt_global: bool = False

    @property
    def key(self) -> str:
        """`METHOD /template`, as rate limits and records name routes."""
        return f"{self.method} {self.template}"

    def pattern(self) -> re.Pattern[str]:
        """The template as an anchored regular expression."""
        regex = re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(self.template))
        return re.compile(f"^{regex}$")

    def major(self, params: Mapping[str, str]) -> str | None:
        """The major parameter values that split this route's bucket."""
        values = [params[p] for p in MAJOR_PARAMETERS if p in params]
        if "webhook_token" in params:
            values.append(params["webhook_token"])
        return ":".join(values) or None


class Router:
    """Matches a method and path against route templates, in registration order."""

    def __init__(self, routes: Sequence[RouteSpec]) -> None:
        self._routes = [(r, r.pattern()) for r in routes]

    def match(self, method: str, path: str) -> tuple[RouteSpec, dict[str, str]] | None:
        """The route and its parameters; ApiError 405 when only the method differs."""
        path_matched = False
        for route, pattern in self._routes:
            found = pattern.match(path)
            if found is None:
                continue
            path_matched = True
            if route.method == method:
                return route, found.groupdict()
        if path_matched:
            raise ApiError(405, 0, "405: Method Not Allowed")
        return None

    @property
    def routes(self) -> list[RouteSpec]:
        """Every registered route."""
        return [r for r, _ in self._routes]


def snowflake(params: Mapping[str, str], name: str) -> int:
    """A path parameter as an id, or Discord's 50035 for a non-snowflake."""
    raw = params[name]
    if not raw.isdigit():
        raise ApiError(
            400,
            50035,
            "Invalid Form Body",
            errors={
                name: {
                    "_errors": [
                        {
                            "code": "NUMBER_TYPE_COERCE",
                            "message": f'Value "{raw}" is not snowflake.',
                        }
                    ]
                }
            },
        )
    return int(raw)


def json_object(request: ApiRequest) -> dict[str, Any]:
    """The request body as a JSON object, or 50109 (invalid JSON)."""
    if not isinstance(request.body, dict):
        raise ApiError(400, 50109, "The request body contains invalid JSON.")
    return request.body


def json_list(request: ApiRequest) -> list[Any]:
    """The request body as a JSON array, or 50109 (invalid JSON)."""
    if not isinstance(request.body, list):
        raise ApiError(400, 50109, "The request body contains invalid JSON.")
    return request.body


def form_error(errors: Mapping[str, Any]) -> ApiError:
    """400 Invalid Form Body with Discord's nested errors."""
    body = validation.invalid_form_body(dict(errors))
    return ApiError(400, int(body["code"]), str(body["message"]), errors=body["errors"])


def field_error(path: Sequence[str], code: str, message: str) -> ApiError:
    """400 Invalid Form Body for one field."""
    tree: dict[str, Any] = {"_errors": [{"code": code, "message": message}]}
    for key in reversed(path):
        tree = {key: tree}
    return form_error(tree)


def check_message_payload(payload: Mapping[str, Any], *, has_files: bool, edit: bool) -> None:
    """Discord's limits on a message payload: 50035 for bad fields, 50006 when empty."""
    errors = validation.validate_message(payload)
    if errors:
        raise form_error(errors)
    if not edit and validation.is_empty_message(payload, has_files):
        empty = validation.EMPTY_MESSAGE
        raise ApiError(400, int(empty["code"]), str(empty["message"]))


def query_int(query: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    """An integer query parameter within [low, high], or 50035."""
    raw = query.get(name)
    if raw is None:
        return default
    if not raw.lstrip("-").isdigit() or not low <= int(raw) <= high:
        raise field_error(
            [name], "NUMBER_TYPE_MAX", f"Value must be between {low} and {high}, got {raw!r}."
        )
    return int(raw)


def query_snowflake(query: Mapping[str, str], name: str) -> int | None:
    """An id query parameter (`before`, `after`, ...), or 50035 when it is not one."""
    raw = query.get(name)
    if raw is None:
        return None
    return snowflake({name: raw}, name)


def truthy(query: Mapping[str, str], name: str) -> bool:
    """A boolean query parameter as Discord reads them (`true`, `1`)."""
    return query.get(name, "").lower() in {"true", "1"}
