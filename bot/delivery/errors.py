"""What a DM transport raises; the dispatcher decides what each means for the outbox row.

The Discord glue maps discord.py's exceptions onto these (429 → `RateLimitedError`,
5xx and network errors → `TransientDeliveryError`, code 50007 → `DmsClosedError`, 10003 on a
cached DM channel → `ChannelGoneError`, other 4xx → `PermanentDeliveryError`).
"""

from __future__ import annotations


class DeliveryError(Exception):
    """A DM could not be delivered this time."""

    code = "error"


class RateLimitedError(DeliveryError):
    """Discord answered 429; try again no sooner than `retry_after` seconds."""

    code = "rate_limited"

    def __init__(self, retry_after: float, *, is_global: bool = False) -> None:
        super().__init__(f"rate limited for {retry_after:.3f} s (global={is_global})")
        self.retry_after = max(0.0, retry_after)
        self.is_global = is_global


class TransientDeliveryError(DeliveryError):
    """A 5xx answer, a timeout or a network error: worth retrying later."""

    code = "transient"


class DmsClosedError(DeliveryError):
    """The member does not accept DMs from this bot (Discord code 50007)."""

    code = "dms_closed"


class ChannelGoneError(DeliveryError):
    """The stored DM channel id is no longer valid; open a new one and retry."""

    code = "channel_gone"


class PermanentDeliveryError(DeliveryError):
    """Discord refused the message for good (another 4xx); `status`/`discord_code` say which."""

    code = "rejected"

    def __init__(self, status: int | None = None, discord_code: int | None = None) -> None:
        super().__init__(f"refused: HTTP {status}, Discord code {discord_code}")
        self.status = status
        self.discord_code = discord_code
