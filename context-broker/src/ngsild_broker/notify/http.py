"""Delivery of a notification by HTTP POST (clause 5.3.1 / binding 6.3): the body as JSON,
its @context in a Link header, or inside the body for ``accept: application/ld+json``."""

from __future__ import annotations

import httpx
import orjson

from .envelope import Envelope


class HttpSender:
    """One pooled client for all receivers; the timeout bounds every attempt, so a receiver
    that hangs costs its own subscription time, never the others'."""

    def __init__(self, timeout: float) -> None:
        # Keep a connection per busy subscription alive (httpx keeps 20 by default; more
        # subscriptions to one receiver would reconnect on every notification).
        limits = httpx.Limits(max_connections=500, max_keepalive_connections=500)
        self.client = httpx.AsyncClient(timeout=timeout, follow_redirects=False, limits=limits)

    async def send(self, uri: str, envelope: Envelope) -> str | None:
        """None when the receiver answered 2xx, else what went wrong."""
        try:
            response = await self.client.post(
                uri, content=orjson.dumps(envelope.body), headers=envelope.headers
            )
        except httpx.HTTPError as error:
            return f"{type(error).__name__}: {error}"[:300]
        if 200 <= response.status_code < 300:
            return None
        return f"HTTP {response.status_code}"

    async def close(self) -> None:
        await self.client.aclose()
