"""``/jsonldContexts``: serve, list, add and delete @context documents (clause 5.13)."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Request, Response

from .. import jsonld
from ..errors import BadRequestData, LdContextNotAvailable, ResourceNotFound
from . import negotiation as neg
from .responses import JSONResponse

router = APIRouter(prefix="/ngsi-ld/v1/jsonldContexts")


@router.get("")
async def list_contexts(request: Request) -> JSONResponse:
    entries = _resolver(request).list()
    kind = request.query_params.get("kind")
    if kind:
        entries = [e for e in entries if e.kind == kind]
    if request.query_params.get("details") != "true":
        return JSONResponse([e.url for e in entries])
    return JSONResponse([
        {
            "URL": e.url, "localId": e.local_id, "kind": e.kind,
            "createdAt": e.created_at.isoformat().replace("+00:00", "Z"),
            "lastUsage": e.last_used.isoformat().replace("+00:00", "Z") if e.last_used else None,
            "numberOfHits": e.hits,
        }
        for e in entries
    ])


@router.post("", status_code=201)
async def add_context(request: Request) -> Response:
    body, _ = await neg.read_json(request, request.app.state.settings.max_body_bytes)
    if not isinstance(body, dict) or "@context" not in body:
        raise BadRequestData("The body must be a JSON object with an @context member")
    local_id = uuid.uuid4().hex
    url = f"{str(request.base_url).rstrip('/')}/ngsi-ld/v1/jsonldContexts/{local_id}"
    try:
        _resolver(request).add(url, body)
    except jsonld.InvalidContext as error:
        raise BadRequestData(f"Invalid @context: {error}") from error
    await _announce(request, url)
    return Response(status_code=201, headers={"Location": url})


@router.get("/{context_id:path}")
async def serve_context(request: Request, context_id: str) -> JSONResponse:
    entry = _find(request, context_id)
    try:
        document = await _resolver(request).resolve(entry.url)
    except jsonld.LdContextNotAvailable as error:
        raise LdContextNotAvailable(str(error)) from error
    return JSONResponse(document, media_type=neg.JSON_LD)


@router.delete("/{context_id:path}", status_code=204)
async def delete_context(request: Request, context_id: str) -> Response:
    entry = _find(request, context_id)
    try:
        _resolver(request).remove(entry.url)
    except jsonld.InvalidContext as error:
        raise BadRequestData(str(error)) from error
    await _announce(request, entry.url)
    return Response(status_code=204)


async def _announce(request: Request, url: str) -> None:
    """Tell the other broker processes (see ngsild_broker.context_feed)."""
    state = request.app.state
    await state.context_feed.announce(state.entities.pool, url)


def _resolver(request: Request) -> Any:
    return request.app.state.contexts.service.resolver


def _find(request: Request, context_id: str) -> Any:
    for entry in _resolver(request).list():
        if context_id in (entry.local_id, entry.url, entry.url.rsplit("/", 1)[-1]):
            return entry
    raise ResourceNotFound(f"No @context {context_id}")
