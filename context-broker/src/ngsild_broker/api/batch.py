"""``/entityOperations``: batch create, upsert, update, delete (clause 5.6.7–5.6.10).

Each entity is written in its own transaction: a failing entity is reported in the 207
body and never half-stored, while the others go through.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse

from ..errors import BadRequestData, NgsiLdError, TooManyResults
from ..model.entity import parse_attributes, parse_entity
from . import negotiation as neg

router = APIRouter(prefix="/ngsi-ld/v1/entityOperations")
MAX_BATCH = 1000


@router.post("/create")
async def batch_create(request: Request) -> Response:
    async def create(item: Any, terms: Any, tenant: str, state: Any) -> str:
        entity = parse_entity(item, terms)
        await state.entities.create(tenant, entity)
        return entity.id

    success, errors = await _run(request, create)
    return _result(success, errors, all_ok_status=201, ok_body=success)


@router.post("/upsert")
async def batch_upsert(request: Request) -> Response:
    options = (request.query_params.get("options") or "replace").split(",")
    replace = "update" not in options
    created: list[str] = []

    async def upsert(item: Any, terms: Any, tenant: str, state: Any) -> str:
        entity = parse_entity(item, terms)
        if await state.entities.upsert(tenant, entity, replace=replace):
            created.append(entity.id)
        return entity.id

    success, errors = await _run(request, upsert)
    if not errors and created:
        return JSONResponse(created, status_code=201)
    return _result(success, errors, all_ok_status=204)


@router.post("/update")
async def batch_update(request: Request) -> Response:
    options = (request.query_params.get("options") or "").split(",")
    mode = "append_keep" if "noOverwrite" in options else "append"

    async def update(item: Any, terms: Any, tenant: str, state: Any) -> str:
        if not isinstance(item, dict) or not isinstance(item.get("id"), str):
            raise BadRequestData("Each entity needs an id")
        members = {k: v for k, v in item.items() if k not in ("id", "type", "@context", "scope")}
        attrs = parse_attributes(members, terms, depth=0)
        await state.entities.update_attributes(tenant, item["id"], attrs, mode=mode)
        return item["id"]

    success, errors = await _run(request, update)
    return _result(success, errors, all_ok_status=204)


@router.post("/delete")
async def batch_delete(request: Request) -> Response:
    async def delete(item: Any, terms: Any, tenant: str, state: Any) -> str:
        if not isinstance(item, str):
            raise BadRequestData("Batch delete takes a list of entity ids")
        await state.entities.delete(tenant, item)
        return item

    success, errors = await _run(request, delete, contexts=False)
    return _result(success, errors, all_ok_status=204)


async def _run(request: Request, operation: Any, *, contexts: bool = True) -> tuple[list, list]:
    state = request.app.state
    tenant = neg.tenant_of(request)
    body, context = await neg.read_body(request, state.settings.max_body_bytes)
    if not isinstance(body, list) or not body:
        raise BadRequestData("A batch operation takes a non-empty JSON array")
    if len(body) > MAX_BATCH:
        raise TooManyResults(f"At most {MAX_BATCH} entities per batch")
    success: list[str] = []
    errors: list[dict[str, Any]] = []
    for item in body:
        item_context = item.get("@context", context) if isinstance(item, dict) else context
        try:
            terms = await state.contexts.terms(item_context) if contexts else None
            success.append(await operation(item, terms, tenant, state))
        except NgsiLdError as error:
            entity_id = item.get("id") if isinstance(item, dict) else item
            errors.append({"entityId": entity_id if isinstance(entity_id, str) else None,
                           "error": error.problem()})
    return success, errors


def _result(
    success: list[str], errors: list[dict[str, Any]], *, all_ok_status: int,
    ok_body: list[str] | None = None,
) -> Response:
    if errors:
        return JSONResponse({"success": success, "errors": errors}, status_code=207)
    if ok_body is not None:
        return JSONResponse(ok_body, status_code=all_ok_status)
    return Response(status_code=all_ok_status)
