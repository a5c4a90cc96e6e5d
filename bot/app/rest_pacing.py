"""Connect discord.py's HTTP traffic to the adaptive pacer (aiohttp request tracing).

discord.py retries a 429 by itself (up to five times, every in-flight request after its
own sleep), so the outbox never sees most of them: only the HTTP layer can pace those
retries and report every answer. The hooks run inside discord.py's request, in the
sending task, through the `http_trace` option discord.py offers for this purpose.
"""

from __future__ import annotations

from types import SimpleNamespace

import aiohttp
from yarl import URL

from bot.delivery.pacing import AdaptivePacer


def paced(url: URL) -> bool:
    """REST requests under the global limit; interaction answers are exempt from it."""
    path = url.path
    return "/api/v" in path and "/interactions/" not in path and "/webhooks/" not in path


def pacing_trace(pacer: AdaptivePacer) -> aiohttp.TraceConfig:
    """A trace config that gives every paced request a turn and reports every answer."""
    trace = aiohttp.TraceConfig()

    async def on_start(
        _session: aiohttp.ClientSession,
        context: SimpleNamespace,
        params: aiohttp.TraceRequestStartParams,
    ) -> None:
        context.epoch = await pacer.before_request() if paced(params.url) else None

    async def on_end(
        _session: aiohttp.ClientSession,
        context: SimpleNamespace,
        params: aiohttp.TraceRequestEndParams,
    ) -> None:
        response = params.response
        headers = response.headers
        global_limit = response.status == 429 and (
            headers.get("X-RateLimit-Global", "").lower() == "true"
            or headers.get("X-RateLimit-Scope") == "global"
        )
        pacer.after_response(
            getattr(context, "epoch", None),
            ok=200 <= response.status < 300,
            global_limit=global_limit,
            retry_after=_seconds(headers.get("Retry-After")),
        )

    trace.on_request_start.append(on_start)
    trace.on_request_end.append(on_end)
    return trace


def _seconds(value: str | None) -> float:
    try:
        return float(value) if value else 1.0
    except ValueError:
        return 1.0
