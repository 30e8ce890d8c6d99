"""The broker's access to @contexts: the one place that talks to :mod:`ngsild_broker.jsonld`.

Maps the JSON-LD layer's errors to NGSI-LD ProblemDetails and tells which context URL a
response should point to in its Link header.
"""

from __future__ import annotations

from typing import Any

from . import jsonld
from .errors import BadRequestData, LdContextNotAvailable
from .settings import BrokerSettings


class Contexts:
    def __init__(self, settings: BrokerSettings) -> None:
        self.service = jsonld.ContextService(
            preload_dir=settings.contexts_dir,
            cache_dir=settings.context_cache_dir,
            allow_download=settings.allow_context_download,
        )

    async def terms(self, context: Any) -> jsonld.TermMap:
        """The term map of a request's @context (None = core context only)."""
        try:
            return await self.service.term_map_for(context)
        except jsonld.LdContextNotAvailable as error:
            raise LdContextNotAvailable(str(error)) from error
        except jsonld.InvalidContext as error:
            raise BadRequestData(f"Invalid @context: {error}") from error

    @staticmethod
    def response_url(context: Any) -> str:
        """The context URL for a response's Link header: the client's, else the core one."""
        if isinstance(context, str):
            return context
        return jsonld.CORE_CONTEXT_URL
