"""Delivery of a notification by HTTP POST (clause 5.3.1 / binding 6.3): the body as JSON,
its @context in a Link header, or inside the body for ``accept: application/ld+json``."""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Hashable, Iterable

import httpx
import orjson

from .envelope import Envelope


class HttpSender:
    """One small connection pool per subscription.

    A subscription's notifications go out one after the other, so one kept-alive connection
    serves it. One shared pool for all subscriptions was the notifier's largest cost: httpx
    checks every pooled connection on every request, which at 50 subscriptions and 500
    notifications/s took most of a core. The timeout bounds every attempt, so a receiver
    that hangs costs its own subscription time, never the others'.
    """

    def __init__(self, timeout: float) -> None:
        self.timeout = timeout
        self.tls = ssl.create_default_context()  # loaded once, shared by all pools
        self.clients: dict[Hashable, httpx.AsyncClient] = {}

    def _client(self, owner: Hashable) -> httpx.AsyncClient:
        client = self.clients.get(owner)
        if client is None:
            limits = httpx.Limits(max_connections=2, max_keepalive_connections=2)
            client = httpx.AsyncClient(timeout=self.timeout, follow_redirects=False,
                                       limits=limits, verify=self.tls)
            self.clients[owner] = client
        return client

    async def send(self, uri: str, envelope: Envelope, owner: Hashable = None) -> str | None:
        """POST for ``owner`` (a subscription); None when the receiver answered 2xx, else
        what went wrong."""
        try:
            response = await self._client(owner).post(
                uri, content=orjson.dumps(envelope.body), headers=envelope.headers
            )
        except httpx.HTTPError as error:
            return f"{type(error).__name__}: {error}"[:300]
        if 200 <= response.status_code < 300:
            return None
        return f"HTTP {response.status_code}"

    async def forget(self, keep: Iterable[Hashable]) -> None:
        """Close the pools of owners not in ``keep`` (deleted subscriptions)."""
        kept = set(keep)
        gone = [self.clients.pop(owner) for owner in list(self.clients) if owner not in kept]
        await asyncio.gather(*(client.aclose() for client in gone), return_exceptions=True)

    async def close(self) -> None:
        await self.forget(())
