"""``/ngsi-ld/v1/subscriptions``: create, list, retrieve, update, delete (clause 5.8, 6.10-6.11).

Subscriptions are stored with expanded names (:mod:`ngsild_broker.notify.subscription`)
next to the @context they were created with; responses compact them with the request's
@context (Link header), or the subscription's own when the request names none.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import asyncpg
from fastapi import APIRouter, Request, Response

from ..contexts import Contexts
from ..errors import TooManyResults
from ..model.entity import require_entity_id
from ..notify.store import SubscriptionStore, counters
from ..notify.subscription import merge_patch, parse_subscription, render_subscription
from . import negotiation as neg
from .entities import _int
from .responses import JSONResponse

#: Not yet in the OpenAPI document: its operation table (api/openapi_doc.py) and snapshot
#: need rows for these routes first.
router = APIRouter(prefix="/ngsi-ld/v1")


def _store(request: Request) -> SubscriptionStore:
    state = request.app.state
    if not hasattr(state, "subscriptions"):
        state.subscriptions = SubscriptionStore(state.entities.pool, state.entities.tenants)
    return state.subscriptions


@router.post("/subscriptions", status_code=201)
async def create_subscription(request: Request) -> Response:
    state = request.app.state
    body, context = await neg.read_body(request, state.settings.max_body_bytes)
    stored = parse_subscription(body, await state.contexts.terms(context))
    await _store(request).create(neg.tenant_of(request), stored, context)
    location = f"/ngsi-ld/v1/subscriptions/{quote(stored['id'], safe=':')}"
    return Response(status_code=201, headers={"Location": location})


@router.get("/subscriptions")
async def list_subscriptions(request: Request) -> Response:
    state = request.app.state
    params = request.query_params
    limit = _int(params.get("limit"), "limit", 20)
    offset = _int(params.get("offset"), "offset", 0)
    if limit > state.settings.max_limit:
        raise TooManyResults(f"limit must not exceed {state.settings.max_limit}")
    media = neg.response_media_type(request, geojson_allowed=False)
    rows, total = await _store(request).list(neg.tenant_of(request), limit, offset)
    request_context = neg.link_context(request)
    bodies = [await _render(request, row, request_context, media) for row in rows]
    headers = {"NGSILD-Results-Count": str(total)} if params.get("count") == "true" else {}
    if media != neg.JSON_LD:
        headers["Link"] = neg.link_header(Contexts.response_url(request_context))
    return JSONResponse(bodies, media_type=media, headers=headers)


@router.get("/subscriptions/{subscription_id}")
async def retrieve_subscription(request: Request) -> Response:
    sub_id = require_entity_id(request.path_params["subscription_id"])
    media = neg.response_media_type(request, geojson_allowed=False)
    row = await _store(request).get(neg.tenant_of(request), sub_id)
    request_context = neg.link_context(request)
    context = request_context if request_context is not None else row["context"]
    body = await _render(request, row, request_context, media)
    headers = {}
    if media != neg.JSON_LD:
        headers["Link"] = neg.link_header(Contexts.response_url(context))
    return JSONResponse(body, media_type=media, headers=headers)


@router.patch("/subscriptions/{subscription_id}", status_code=204)
async def update_subscription(request: Request) -> Response:
    """Merge the fragment into the subscription and validate the result as a whole."""
    sub_id = require_entity_id(request.path_params["subscription_id"])
    state = request.app.state
    tenant = neg.tenant_of(request)
    patch, context = await neg.read_body(request, state.settings.max_body_bytes)
    if isinstance(patch, dict):
        patch = {k: v for k, v in patch.items() if k != "@context"}
    store = _store(request)
    row = await store.get(tenant, sub_id)
    terms = await state.contexts.terms(context if context is not None else row["context"])
    current = render_subscription(row["body"], terms)
    current.pop("status", None)
    current["notification"] = {
        k: v for k, v in current["notification"].items()
        if k in ("attributes", "format", "showChanges", "sysAttrs", "endpoint")
    }
    stored = parse_subscription(merge_patch(current, patch), terms)
    await store.replace(tenant, stored, context if context is not None else row["context"])
    return Response(status_code=204)


@router.delete("/subscriptions/{subscription_id}", status_code=204)
async def delete_subscription(request: Request) -> Response:
    sub_id = require_entity_id(request.path_params["subscription_id"])
    await _store(request).delete(neg.tenant_of(request), sub_id)
    return Response(status_code=204)


async def _render(
    request: Request, row: asyncpg.Record, request_context: Any, media: str
) -> dict[str, Any]:
    context = request_context if request_context is not None else row["context"]
    body = render_subscription(row["body"], await request.app.state.contexts.terms(context),
                               counters(row))
    if isinstance(context, str):
        body["jsonldContext"] = context
    if media == neg.JSON_LD:
        body = {"@context": context or Contexts.response_url(context), **body}
    return body

