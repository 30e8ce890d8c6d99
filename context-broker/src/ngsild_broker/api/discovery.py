"""Type and attribute discovery: ``/types``, ``/types/{type}``, ``/attributes``,
``/attributes/{attr}`` (clause 5.7.5–5.7.8), answered from the stored entities."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Request

from ..errors import ResourceNotFound
from . import negotiation as neg
from .responses import JSONResponse

router = APIRouter(prefix="/ngsi-ld/v1")


@router.get("/types")
async def list_types(request: Request) -> JSONResponse:
    terms, tenant, repo = await _context(request)
    summary = await repo.type_summary(tenant)
    if request.query_params.get("details") == "true":
        body: Any = [
            {"id": iri, "type": "EntityType", "typeName": terms.compact(iri),
             "attributeNames": sorted(terms.compact(a) for a in info["attrs"])}
            for iri, info in sorted(summary.items())
        ]
    else:
        body = {"id": _list_id("EntityTypeList"), "type": "EntityTypeList",
                "typeList": sorted(terms.compact(iri) for iri in summary)}
    return _respond(request, body)


@router.get("/types/{type_name}")
async def type_info(request: Request, type_name: str) -> JSONResponse:
    terms, tenant, repo = await _context(request)
    iri = terms.expand(type_name)
    info = (await repo.type_summary(tenant)).get(iri)
    if info is None:
        raise ResourceNotFound(f"No entity of type {type_name}")
    body = {
        "id": iri, "type": "EntityTypeInfo", "typeName": terms.compact(iri),
        "entityCount": info["count"],
        "attributeDetails": [
            {"id": a, "type": "Attribute", "attributeName": terms.compact(a),
             "attributeTypes": sorted(kinds)}
            for a, kinds in sorted(info["attrs"].items())
        ],
    }
    return _respond(request, body)


@router.get("/attributes")
async def list_attributes(request: Request) -> JSONResponse:
    terms, tenant, repo = await _context(request)
    summary = await repo.attribute_summary(tenant)
    if request.query_params.get("details") == "true":
        body: Any = [
            {"id": iri, "type": "Attribute", "attributeName": terms.compact(iri),
             "typeNames": sorted(terms.compact(t) for t in info["types"])}
            for iri, info in sorted(summary.items())
        ]
    else:
        body = {"id": _list_id("AttributeList"), "type": "AttributeList",
                "attributeList": sorted(terms.compact(iri) for iri in summary)}
    return _respond(request, body)


@router.get("/attributes/{attr}")
async def attribute_info(request: Request, attr: str) -> JSONResponse:
    terms, tenant, repo = await _context(request)
    iri = terms.expand(attr)
    info = (await repo.attribute_summary(tenant)).get(iri)
    if info is None:
        raise ResourceNotFound(f"No entity has the attribute {attr}")
    body = {
        "id": iri, "type": "Attribute", "attributeName": terms.compact(iri),
        "attributeCount": info["count"], "attributeTypes": sorted(info["kinds"]),
        "typeNames": sorted(terms.compact(t) for t in info["types"]),
    }
    return _respond(request, body)


async def _context(request: Request) -> tuple[Any, str, Any]:
    terms = await request.app.state.contexts.terms(neg.link_context(request))
    return terms, neg.tenant_of(request), request.app.state.entities


def _respond(request: Request, body: Any) -> JSONResponse:
    context = neg.link_context(request)
    url = request.app.state.contexts.response_url(context)
    if neg.response_media_type(request, geojson_allowed=False) == neg.JSON_LD:
        if isinstance(body, dict):
            body = {"@context": url, **body}
        return JSONResponse(body, media_type=neg.JSON_LD)
    return JSONResponse(body, headers={"Link": neg.link_header(url)})


def _list_id(kind: str) -> str:
    return f"urn:ngsi-ld:{kind}:{uuid.uuid4()}"
