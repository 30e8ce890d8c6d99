"""The broker's one entry point to @contexts: a resolver plus a cache of built term maps.

Almost every request carries one of a handful of @contexts (a Smart Data Models URL, the
project context, nothing at all). Building a term map costs a context processing run, looking
one up costs a dictionary access, so term maps are kept in a small LRU keyed by the canonical
JSON of the @context value. Concurrent requests with the same new @context share one build.
When a document behind a cached map changes (``/jsonldContexts`` add or delete), the resolver
tells this service and the maps built from it are dropped.
"""

from __future__ import annotations

import asyncio
import json
from collections import OrderedDict
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from .core_context import CORE_CONTEXT_ALIASES
from .errors import InvalidContext
from .resolver import ContextResolver
from .terms import TermMap, build_term_map

#: How many distinct @context values keep their term map.
MAX_TERM_MAPS = 256


class ContextService:
    """Term maps for request @contexts, built once per distinct @context and then reused.

    Built from the broker settings (``preload_dir``, ``cache_dir``, ``allow_download``,
    ``timeout``, ``retries`` go to :class:`ContextResolver`), or around an existing resolver
    with ``resolver=``. ``self.resolver`` serves the ``/jsonldContexts`` API.
    """

    def __init__(
        self,
        preload_dir: Path | Mapping[str, Path] | None = None,
        cache_dir: Path | None = None,
        allow_download: bool = False,
        *,
        timeout: float = 3.0,
        retries: int = 2,
        max_term_maps: int = MAX_TERM_MAPS,
        resolver: ContextResolver | None = None,
    ) -> None:
        if resolver is not None and (
            preload_dir is not None or cache_dir is not None or allow_download
        ):
            raise TypeError("pass either resolver= or the resolver's settings, not both")
        self.resolver = resolver or ContextResolver(
            preload_dir, cache_dir, allow_download, timeout, retries
        )
        self.max_term_maps = max_term_maps
        self._maps: OrderedDict[str, TermMap] = OrderedDict()
        self._pending: dict[str, asyncio.Future[TermMap]] = {}
        self.resolver.add_listener(self._forget)

    async def term_map_for(self, context: Any = None) -> TermMap:
        """The term map of a request's @context value (None = the core context alone).

        Raises :class:`LdContextNotAvailable` or :class:`InvalidContext`; failures are not
        cached here (the resolver remembers failed downloads for a short while).
        """
        key = cache_key(context)
        cached = self._maps.get(key)
        if cached is not None:
            self._maps.move_to_end(key)
            return cached
        pending = self._pending.get(key)
        if pending is None:
            pending = asyncio.ensure_future(build_term_map(context, self.resolver))
            self._pending[key] = pending
            pending.add_done_callback(lambda done: self._finish(key, done))
        return await asyncio.shield(pending)

    def _finish(self, key: str, done: asyncio.Future[TermMap]) -> None:
        self._pending.pop(key, None)
        if done.cancelled() or done.exception() is not None:
            return
        self._maps[key] = done.result()
        self._maps.move_to_end(key)
        while len(self._maps) > self.max_term_maps:
            self._maps.popitem(last=False)

    def _forget(self, url: str) -> None:
        """Drop every term map built from the document at ``url``."""
        for key in [key for key, terms in self._maps.items() if url in terms.urls]:
            del self._maps[key]

    def __len__(self) -> int:
        """How many term maps are cached."""
        return len(self._maps)


def cache_key(context: Any) -> str:
    """Canonical JSON of an @context value; the core context alone, however named, is one key.

    Member order inside a context object does not change its meaning, so keys are sorted;
    array order does, so arrays keep theirs.
    """
    if context is None or (isinstance(context, str) and context in CORE_CONTEXT_ALIASES):
        return "null"
    try:
        return json.dumps(context, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    except (TypeError, ValueError) as error:
        raise InvalidContext(f"@context is not JSON: {error}") from None
