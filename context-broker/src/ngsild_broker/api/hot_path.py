"""The most frequent requests - entity queries, one entity by id, attribute updates and
batch upserts - served without FastAPI's router.

Every request through FastAPI walks the route list (about forty regular expressions here)
and the router's exception, exit-stack and dependency layers before the handler runs; for
a GET by id that was a third of the broker's CPU time (one worker: 3,600 → 5,500 GETs/s).
This middleware, the innermost one (so CORS and the write guard still apply), calls the
same handlers directly for exactly these method/path pairs, with the path parameters
Starlette would have given them, and renders errors with the app's own exception
handlers. Everything else, and anything unexpected, takes the normal way.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import FastAPI, Request, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from .batch import batch_upsert
from .entities import query_entities, retrieve_entity, update_attributes

Handler = Callable[[Request], Awaitable[Response]]

ENTITIES = "/ngsi-ld/v1/entities"
_ONE = ENTITIES + "/"
_ATTRS = "/attrs"
#: Exact paths (method, path) → handler.
EXACT: dict[tuple[str, str], Handler] = {
    ("GET", ENTITIES): query_entities,
    ("POST", "/ngsi-ld/v1/entityOperations/upsert"): batch_upsert,
}


def route(method: str, path: str) -> tuple[Handler, dict[str, str]] | None:
    """The handler and path parameters for a hot request, else None. ``path`` is the
    decoded ASGI path, as Starlette matches it; an entity id never contains ``/``."""
    handler = EXACT.get((method, path))
    if handler is not None:
        return handler, {}
    if not path.startswith(_ONE):
        return None
    rest = path[len(_ONE):]
    if method == "GET" and rest and "/" not in rest:
        return retrieve_entity, {"entity_id": rest}
    if method == "PATCH" and rest.endswith(_ATTRS):
        entity_id = rest[: -len(_ATTRS)]
        if entity_id and "/" not in entity_id:
            return update_attributes, {"entity_id": entity_id}
    return None


class HotPath:
    def __init__(self, app: ASGIApp, fastapi: FastAPI) -> None:
        self.app = app
        self.fastapi = fastapi

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        found = route(scope["method"], scope["path"]) if scope["type"] == "http" else None
        if found is None:
            await self.app(scope, receive, send)
            return
        handler, scope["path_params"] = found
        request = Request(scope, receive)
        try:
            response = await handler(request)
        except Exception as error:
            response = await self._handled(request, error)
        await response(scope, receive, send)

    async def _handled(self, request: Request, error: Exception) -> Response:
        """The response the app's exception handler for this error type gives (NGSI-LD
        errors, values PostgreSQL rejects, ...). Errors only the catch-all handler takes
        are re-raised, to reach it the way they would from the router (logged, 500)."""
        for kind in type(error).__mro__:
            if kind is Exception:
                break
            handler = self.fastapi.exception_handlers.get(kind)
            if handler is not None:
                return await handler(request, error)  # type: ignore[no-any-return]
        raise error
