"""discord.py's errors become the delivery domain's errors."""

from __future__ import annotations

from dataclasses import dataclass, field

import aiohttp
import discord
import pytest

from bot.app.dm_transport import delivery_error
from bot.delivery.errors import (
    ChannelGoneError,
    DmsClosedError,
    PermanentDeliveryError,
    RateLimitedError,
    TransientDeliveryError,
)


@dataclass
class Response:
    """The attributes discord.HTTPException reads from an aiohttp response."""

    status: int
    reason: str = "reason"
    headers: dict[str, str] = field(default_factory=dict)


def http_error(status: int, code: int = 0, **headers: str) -> discord.HTTPException:
    return discord.HTTPException(
        Response(status, headers=headers),  # type: ignore[arg-type]
        {"code": code, "message": "m"},
    )


def test_closed_dms_and_gone_channels() -> None:
    assert isinstance(delivery_error(http_error(403, 50007)), DmsClosedError)
    assert isinstance(delivery_error(http_error(404, 10003)), ChannelGoneError)


def test_rate_limits_keep_their_wait() -> None:
    error = delivery_error(
        http_error(429, 0, **{"Retry-After": "2.5", "X-RateLimit-Global": "true"})
    )
    assert isinstance(error, RateLimitedError)
    assert error.retry_after == 2.5
    assert error.is_global


def test_opening_dms_too_fast_is_retried_not_dropped() -> None:
    error = delivery_error(http_error(400, 40003))
    assert isinstance(error, RateLimitedError)
    assert error.retry_after == 5.0


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_server_errors_are_transient(status: int) -> None:
    assert isinstance(delivery_error(http_error(status)), TransientDeliveryError)


def test_network_errors_are_transient() -> None:
    assert isinstance(delivery_error(aiohttp.ClientConnectionError()), TransientDeliveryError)
    assert isinstance(delivery_error(TimeoutError()), TransientDeliveryError)


def test_other_refusals_are_permanent_with_their_code() -> None:
    error = delivery_error(http_error(400, 50035))
    assert isinstance(error, PermanentDeliveryError)
    assert (error.status, error.discord_code) == (400, 50035)
