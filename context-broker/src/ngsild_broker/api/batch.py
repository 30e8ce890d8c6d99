"""``/entityOperations``: batch create, upsert, update, merge, delete (clause 5.6.7–5.6.10, 5.6.20).

Every entity is written whole or not at all: create, upsert, update (overwrite) and delete
send the whole batch to PostgreSQL in one statement per step (one transaction); update with
noOverwrite and merge write each entity in its own transaction. Entities that cannot be
stored are reported in the 207 body with a ProblemDetails each, while the others go through.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import APIRouter, Request, Response

from ..errors import BadRequestData, NgsiLdError, ResourceNotFound, TooManyResults
from ..model.entity import Entity, parse_attributes, parse_entity, require_entity_id
from . import negotiation as neg
from .responses import JSONResponse

router = APIRouter(prefix="/ngsi-ld/v1/entityOperations")
MAX_BATCH = 1000


class BatchResult:
    """Per-entity outcomes of one batch, in request order."""

    def __init__(self) -> None:
        self.success: list[str] = []
        self.errors: list[dict[str, Any]] = []

    def failed(self, item: Any, error: NgsiLdError) -> None:
        entity_id = item.get("id") if isinstance(item, dict) else item
        self.errors.append({
            "entityId": entity_id if isinstance(entity_id, str) else None,
            "error": error.problem(),
        })

    def response(self, *, all_ok_status: int, ok_body: list[str] | None = None) -> Response:
        if self.errors:
            return JSONResponse({"success": self.success, "errors": self.errors}, status_code=207)
        if ok_body is not None:
            return JSONResponse(ok_body, status_code=all_ok_status)
        return Response(status_code=all_ok_status)


@router.post("/create")
async def batch_create(request: Request) -> Response:
    result, _ = await _write_entities(request, mode="create")
    return result.response(all_ok_status=201, ok_body=result.success)


@router.post("/upsert")
async def batch_upsert(request: Request) -> Response:
    options = (request.query_params.get("options") or "replace").split(",")
    mode = "merge" if "update" in options else "replace"
    result, created = await _write_entities(request, mode=mode)
    if not result.errors and created:
        return JSONResponse(created, status_code=201)
    return result.response(all_ok_status=204)


@router.post("/update")
async def batch_update(request: Request) -> Response:
    """Update attributes of existing entities; ``noOverwrite`` keeps existing ones."""
    options = (request.query_params.get("options") or "").split(",")
    if "noOverwrite" in options:
        return await _change_attributes(request, "append_keep")
    return await _append_attributes(request)


@router.post("/merge")
async def batch_merge(request: Request) -> Response:
    """Merge each entity into the stored one, as ``PATCH /entities/{id}`` does (5.6.20)."""
    return await _change_attributes(request, "append")


@router.post("/delete")
async def batch_delete(request: Request) -> Response:
    state = request.app.state
    body = await _read_batch(request)
    result = BatchResult()
    ids: list[str] = []
    for item in body:
        try:
            if not isinstance(item, str):
                raise BadRequestData("Batch delete takes a list of entity ids")
            ids.append(require_entity_id(item))
        except NgsiLdError as error:
            result.failed(item, error)
    existed = await state.entities.delete_many(neg.tenant_of(request), ids) if ids else []
    for entity_id, found in zip(ids, existed, strict=True):
        if found:
            result.success.append(entity_id)
        else:
            result.failed(entity_id, ResourceNotFound(f"Entity {entity_id} not found"))
    return result.response(all_ok_status=204)


async def _write_entities(request: Request, *, mode: str) -> tuple[BatchResult, list[str]]:
    """Parse every entity, then write the valid ones together; return result and created ids."""
    state = request.app.state
    tenant = neg.tenant_of(request)
    result = BatchResult()
    parsed: list[tuple[Any, Entity]] = []

    async def parse(item: Any, terms: Any) -> None:
        parsed.append((item, parse_entity(item, terms)))

    await _each(request, parse, result)
    outcomes = await state.entities.write_many(
        tenant, [entity for _, entity in parsed], mode=mode
    ) if parsed else []
    created: list[str] = []
    for (item, entity), outcome in zip(parsed, outcomes, strict=True):
        if isinstance(outcome, NgsiLdError):
            result.failed(item, outcome)
            continue
        result.success.append(entity.id)
        if outcome:
            created.append(entity.id)
    return result, created


async def _change_attributes(request: Request, mode: str) -> Response:
    state = request.app.state
    tenant = neg.tenant_of(request)
    result = BatchResult()

    async def change(item: Any, terms: Any) -> None:
        entity_id = _changed_entity_id(item)
        attrs = parse_attributes(_members(item), terms, depth=0)
        await state.entities.update_attributes(tenant, entity_id, attrs, mode=mode)
        result.success.append(entity_id)

    await _each(request, change, result)
    return result.response(all_ok_status=204)


async def _append_attributes(request: Request) -> Response:
    """Batch update (overwrite): parse every entity, then write the valid ones together."""
    state = request.app.state
    tenant = neg.tenant_of(request)
    result = BatchResult()
    parsed: list[tuple[Any, Entity]] = []

    async def parse(item: Any, terms: Any) -> None:
        parsed.append((item, Entity(id=_changed_entity_id(item), types=[],
                                    attrs=parse_attributes(_members(item), terms, depth=0))))

    await _each(request, parse, result)
    outcomes = await state.entities.append_many(
        tenant, [change for _, change in parsed]
    ) if parsed else []
    for (item, change), outcome in zip(parsed, outcomes, strict=True):
        if outcome is None:
            result.success.append(change.id)
        else:
            result.failed(item, outcome)
    return result.response(all_ok_status=204)


def _changed_entity_id(item: Any) -> str:
    if not isinstance(item, dict) or not isinstance(item.get("id"), str):
        raise BadRequestData("Each entity needs an id")
    return require_entity_id(item["id"])


def _members(item: dict[str, Any]) -> dict[str, Any]:
    """The attributes of a batch item: everything but its id, type, @context and scope."""
    return {k: v for k, v in item.items() if k not in ("id", "type", "@context", "scope")}


async def _each(
    request: Request, handle: Callable[[Any, Any], Awaitable[None]], result: BatchResult
) -> None:
    """Run ``handle(item, term map)`` for every item; its NGSI-LD errors go to ``result``."""
    state = request.app.state
    body, context = await neg.read_body(request, state.settings.max_body_bytes)
    _check_batch(body)
    for item in body:
        item_context = item.get("@context", context) if isinstance(item, dict) else context
        try:
            await handle(item, await state.contexts.terms(item_context))
        except NgsiLdError as error:
            result.failed(item, error)


async def _read_batch(request: Request) -> list[Any]:
    body, _ = await neg.read_body(request, request.app.state.settings.max_body_bytes)
    _check_batch(body)
    return body


def _check_batch(body: Any) -> None:
    if not isinstance(body, list) or not body:
        raise BadRequestData("A batch operation takes a non-empty JSON array")
    if len(body) > MAX_BATCH:
        raise TooManyResults(f"At most {MAX_BATCH} entities per batch")
