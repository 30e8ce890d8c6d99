"""``/ngsi-ld/v1/entities``: create, retrieve, delete and query entities (clause 6.4, 6.5)."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote, unquote

from fastapi import APIRouter, Request, Response

from ..contexts import Contexts
from ..errors import BadRequestData, ResourceNotFound, TooManyResults
from ..model.entity import parse_attributes, parse_entity, require_entity_id
from ..model.render import (
    RenderOptions,
    parse_language_filter,
    render_entity,
    render_geojson,
)
from ..query.geo_query import parse_geo_query
from ..query.q_language import parse_q
from ..query.scope_query import parse_scope_q
from ..store.repository import EntityQuery
from . import negotiation as neg
from .query_document import read_query_document
from .responses import JSONResponse

router = APIRouter(prefix="/ngsi-ld/v1")


@router.post("/entities", status_code=201)
async def create_entity(request: Request) -> Response:
    state = request.app.state
    tenant = neg.tenant_of(request)
    body, context = await neg.read_body(request, state.settings.max_body_bytes)
    terms = await state.contexts.terms(context)
    entity = parse_entity(body, terms)
    await state.entities.create(tenant, entity)
    location = f"/ngsi-ld/v1/entities/{quote(entity.id, safe=':')}"
    return Response(status_code=201, headers={"Location": location})


@router.get("/entities/{entity_id}")
async def retrieve_entity(request: Request) -> Response:
    entity_id = require_entity_id(request.path_params["entity_id"])
    state = request.app.state
    media = neg.response_media_type(request)
    context = neg.link_context(request)
    terms = await state.contexts.terms(context)
    options = _render_options(request, terms)  # includes lang (clause 4.15)
    _local(request.query_params.get("local"))  # validated; no context sources to skip
    stored = await state.entities.get(neg.tenant_of(request), entity_id)
    body = _project(render_entity(stored, terms, options), dict(request.query_params))
    return _respond(body, media, context, stored.attrs)


@router.put("/entities/{entity_id}", status_code=204)
async def replace_entity(request: Request) -> Response:
    """Replace the whole entity (clause 5.6.18)."""
    entity_id = require_entity_id(request.path_params["entity_id"])
    state = request.app.state
    body, context = await neg.read_body(request, state.settings.max_body_bytes)
    if isinstance(body, dict):
        body.setdefault("id", entity_id)
    entity = parse_entity(body, await state.contexts.terms(context))
    if entity.id != entity_id:
        raise BadRequestData("The id in the body differs from the one in the URL")
    tenant = neg.tenant_of(request)
    await state.entities.get(tenant, entity_id)  # 404 if it does not exist
    await state.entities.upsert(tenant, entity, replace=True)
    return Response(status_code=204)


@router.patch("/entities/{entity_id}", status_code=204)
async def merge_entity(request: Request) -> Response:
    """Merge attributes into the entity, adding new ones (clause 5.6.17)."""
    entity_id = require_entity_id(request.path_params["entity_id"])
    return await _change_attributes(request, entity_id, mode="append")


@router.post("/entities/{entity_id}/attrs")
async def append_attributes(request: Request) -> Response:
    """Append attributes; with ``options=noOverwrite`` existing ones are kept (clause 5.6.3)."""
    entity_id = require_entity_id(request.path_params["entity_id"])
    options = _list(request.query_params.get("options")) or []
    mode = "append_keep" if "noOverwrite" in options else "append"
    return await _change_attributes(request, entity_id, mode=mode)


@router.patch("/entities/{entity_id}/attrs")
async def update_attributes(request: Request) -> Response:
    """Update existing attributes only; others are reported as not updated (clause 5.6.2)."""
    entity_id = require_entity_id(request.path_params["entity_id"])
    return await _change_attributes(request, entity_id, mode="update")


@router.patch("/entities/{entity_id}/attrs/{attr}", status_code=204)
async def partial_attribute_update(request: Request) -> Response:
    """Replace one attribute's instance (clause 5.6.4)."""
    entity_id = require_entity_id(request.path_params["entity_id"])
    attr = request.path_params["attr"]
    state = request.app.state
    body, context = await neg.read_body(request, state.settings.max_body_bytes)
    terms = await state.contexts.terms(context)
    if not isinstance(body, dict):
        raise BadRequestData("The body must be an attribute (a JSON object)")
    parsed = parse_attributes({attr: body}, terms, depth=0)
    not_updated = await state.entities.update_attributes(
        neg.tenant_of(request), entity_id, parsed, mode="update"
    )
    if not_updated:
        raise ResourceNotFound(f"Entity {entity_id} has no attribute {attr}")
    return Response(status_code=204)


@router.delete("/entities/{entity_id}/attrs/{attr}", status_code=204)
async def delete_attribute(request: Request) -> Response:
    entity_id = require_entity_id(request.path_params["entity_id"])
    attr = request.path_params["attr"]
    state = request.app.state
    terms = await state.contexts.terms(neg.link_context(request))
    await state.entities.delete_attribute(
        neg.tenant_of(request),
        entity_id,
        terms.expand(attr),
        request.query_params.get("datasetId"),
        request.query_params.get("deleteAll") == "true",
    )
    return Response(status_code=204)


async def read_attribute_members(
    request: Request, entity_id: str, not_attributes: tuple[str, ...]
) -> tuple[dict[str, Any], Any]:
    """The attribute members of a ``…/entities/{id}/attrs`` body (an object; an ``id`` in it
    must be the URL's; the members in ``not_attributes`` left out), and the terms of its
    @context. Shared by the entity and the temporal attribute operations."""
    state = request.app.state
    body, context = await neg.read_body(request, state.settings.max_body_bytes)
    if not isinstance(body, dict) or not body:
        raise BadRequestData("The body must be a non-empty JSON object of attributes")
    if body.get("id", entity_id) != entity_id:
        raise BadRequestData("The id in the body differs from the one in the URL")
    terms = await state.contexts.terms(context)
    return {k: v for k, v in body.items() if k not in not_attributes}, terms


async def _change_attributes(request: Request, entity_id: str, *, mode: str) -> Response:
    state = request.app.state
    members, terms = await read_attribute_members(
        request, entity_id, ("id", "type", "@context", "scope")
    )
    attrs = parse_attributes(members, terms, depth=0)
    not_updated = await state.entities.update_attributes(
        neg.tenant_of(request), entity_id, attrs, mode=mode
    )
    if not not_updated:
        return Response(status_code=204)
    return JSONResponse(
        {
            "updated": [terms.compact(a) for a in attrs if a not in not_updated],
            "notUpdated": [
                {"attributeName": terms.compact(a), "reason": "not changed (see request options)"}
                for a in not_updated
            ],
        },
        status_code=207,
    )


@router.delete("/entities/{entity_id}", status_code=204)
async def delete_entity(request: Request) -> Response:
    entity_id = require_entity_id(request.path_params["entity_id"])
    await request.app.state.entities.delete(neg.tenant_of(request), entity_id)
    return Response(status_code=204)


@router.get("/entities")
async def query_entities(request: Request) -> Response:
    return await _query(request, dict(request.query_params))


@router.post("/entityOperations/query")
async def query_entities_by_post(request: Request) -> Response:
    """The query as a JSON document (clause 5.7.2 via POST): same filters as GET /entities."""
    _, params = await read_query_document(request)
    return await _query(request, params)


async def _query(request: Request, params: dict[str, str]) -> Response:
    state = request.app.state
    media = neg.response_media_type(request)
    context = neg.link_context(request)
    terms = await state.contexts.terms(context)
    # local=true (clause 6.4.3.2): answer from locally held entities only. This broker holds
    # no context source registrations, so local and distributed answers are the same.
    local = _local(params.get("local"))
    if params.get("csf") is not None:
        # csf filters context source registrations (q syntax, clause 4.9); with none held,
        # it is validated but selects nothing away.
        try:
            parse_q(params["csf"])
        except BadRequestData as error:
            raise BadRequestData(f"csf: {error.detail}") from None
    scope_text = params.get("scopeQ")
    if scope_text is not None and request.method == "GET":
        # "+" is the one-level wildcard of scopeQ, but form decoding turns a literal "+" of
        # the URL into a space (which no scope may contain): take the value undecoded.
        scope_text = _url_param(request, "scopeQ")
    geo = parse_geo_query(
        params.get("georel"), params.get("geometry"), params.get("coordinates"),
        params.get("geoproperty"),
    )
    # type=* selects entities of every type and, by the spec, implies local=true (4.17)
    all_types = params.get("type", "").strip() == "*"
    local = local or all_types
    query = EntityQuery(
        type_groups=None if all_types else _type_groups(params.get("type"), terms),
        ids=_list(params.get("id")),
        id_pattern=params.get("idPattern"),
        attrs=[terms.expand(a) for a in _list(params.get("attrs")) or []] or None,
        limit=_int(params.get("limit"), "limit", 20),
        offset=_int(params.get("offset"), "offset", 0),
        geo=geo,
        q=parse_q(params["q"]) if params.get("q") else None,
        expand=terms.expand,
        count=params.get("count") == "true",
        scope_q=parse_scope_q(scope_text) if scope_text is not None else None,
    )
    if not (
        query.type_groups or query.ids or query.id_pattern or query.attrs or query.geo or query.q
        or query.scope_q or local
    ):
        raise BadRequestData(
            "Query needs at least one of type, id, idPattern, attrs, q, geoQ, scopeQ "
            "or local=true"
        )
    if query.limit > state.settings.max_limit:
        raise TooManyResults(f"limit must not exceed {state.settings.max_limit}")
    options = _render_options(request, terms, params)
    entities, total = await state.entities.query(neg.tenant_of(request), query)
    bodies = [_project(render_entity(e, terms, options), params) for e in entities]
    headers = {}
    if params.get("count") == "true":
        headers["NGSILD-Results-Count"] = str(total)
    if media == neg.GEO_JSON:
        pairs = zip(bodies, entities, strict=True)
        features = [render_geojson(body, _geometry(e.attrs)) for body, e in pairs]
        payload: Any = {"type": "FeatureCollection", "features": features}
        return JSONResponse(payload, media_type=neg.GEO_JSON, headers=headers)
    return _respond_list(bodies, media, context, headers)


def _project(body: dict[str, Any], params: dict[str, str]) -> dict[str, Any]:
    """``pick``/``omit`` (clause 4.21): keep or drop entity members by name."""
    pick, omit = _list(params.get("pick")), _list(params.get("omit"))
    if pick and omit:
        raise BadRequestData("pick and omit cannot be combined")
    if pick:
        return {k: v for k, v in body.items() if k in pick}
    if omit:
        return {k: v for k, v in body.items() if k not in omit}
    return body


def _respond(body: dict[str, Any], media: str, context: Any, attrs: dict) -> Response:
    if media == neg.GEO_JSON:
        return JSONResponse(render_geojson(body, _geometry(attrs)), media_type=neg.GEO_JSON)
    if media == neg.JSON_LD:
        body = {"@context": context or Contexts.response_url(context), **body}
        return JSONResponse(body, media_type=neg.JSON_LD)
    return JSONResponse(body, headers={"Link": neg.link_header(Contexts.response_url(context))})


def _respond_list(bodies: list, media: str, context: Any, headers: dict[str, str]) -> Response:
    url = Contexts.response_url(context)
    if media == neg.JSON_LD:
        bodies = [{"@context": context or url, **b} for b in bodies]
        return JSONResponse(bodies, media_type=neg.JSON_LD, headers=headers)
    return JSONResponse(bodies, headers={**headers, "Link": neg.link_header(url)})


def _render_options(
    request: Request, terms: Any, params: dict[str, str] | None = None
) -> RenderOptions:
    params = dict(request.query_params) if params is None else params
    options = set(_list(params.get("options")) or [])
    unknown = options - {"keyValues", "concise", "normalized", "sysAttrs"}
    if unknown:
        raise BadRequestData(f"Unknown options: {', '.join(sorted(unknown))}")
    fmt = params.get("format")
    representation = fmt or next(
        (o for o in ("keyValues", "concise") if o in options), "normalized"
    )
    if representation not in ("keyValues", "concise", "normalized"):
        raise BadRequestData(f"Unknown format {representation!r}")
    attrs = _list(params.get("attrs"))
    lang = params.get("lang")
    return RenderOptions(
        representation=representation,
        sys_attrs="sysAttrs" in options,
        attrs=frozenset(terms.expand(a) for a in attrs) if attrs else None,
        lang=parse_language_filter(lang) if lang is not None else None,
    )


def _local(value: str | None) -> bool:
    """The boolean ``local`` parameter; anything but true/false is BadRequestData."""
    if value is None or value == "false":
        return False
    if value == "true":
        return True
    raise BadRequestData(f"local must be true or false, got {value[:40]!r}")


def _url_param(request: Request, name: str) -> str | None:
    """The last value of a URL query parameter, percent-decoded only ("+" stays "+")."""
    found = None
    for pair in request.url.query.split("&"):
        key, _, value = pair.partition("=")
        if unquote(key) == name:
            found = unquote(value)
    return found


def _type_groups(expression: str | None, terms: Any) -> list[list[str]] | None:
    """``A,B`` and ``A|B`` are alternatives, ``A;B`` needs both (clause 4.17)."""
    if not expression:
        return None
    if "(" in expression or ")" in expression:
        raise BadRequestData("Parentheses in type expressions are not supported yet")
    groups = []
    for alternative in expression.replace("|", ",").split(","):
        names = [n.strip() for n in alternative.split(";") if n.strip()]
        if not names:
            raise BadRequestData(f"Empty type in {expression!r}")
        groups.append([terms.expand(n) for n in names])
    return groups


def _list(value: str | None) -> list[str] | None:
    if value is None:
        return None
    items = [item.strip() for item in value.split(",") if item.strip()]
    return items or None


def _int(value: str | None, name: str, default: int) -> int:
    if value is None:
        return default
    try:
        number = int(value)
    except ValueError as error:
        raise BadRequestData(f"{name} must be an integer, got {value!r}") from error
    if number < 0:
        raise BadRequestData(f"{name} must not be negative")
    return number


def _geometry(attrs: dict[str, list[dict[str, Any]]]) -> dict[str, Any] | None:
    for name in ("https://uri.etsi.org/ngsi-ld/location", *attrs):
        for instance in attrs.get(name, []):
            if instance.get("type") == "GeoProperty":
                return instance["value"]
    return None
