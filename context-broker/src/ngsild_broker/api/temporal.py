"""``/ngsi-ld/v1/temporal/entities``: the history of attributes (clause 5.7.3/5.7.4, 6.18-6.21).

Every write of the normal API is recorded by a trigger (``store/history.sql``); this module
serves it in the normalized, simplified (``temporalValues``) and aggregated
(``aggregatedValues``) temporal representations (clause 4.5.7-4.5.9, 4.5.19), and offers the
temporal create/append/delete operations that write the history directly.

Entity selection by ``q``/``geoQ`` is evaluated on the entities' current state; entities
deleted through ``/entities`` keep their history and are still selected by type and id.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

import orjson
from fastapi import APIRouter, Request, Response

from ..errors import BadRequestData, TooManyResults
from ..model.entity import is_uri, parse_attributes, require_entity_id
from ..model.render import RenderOptions, StoredEntity, render_entity
from ..query.geo_query import parse_geo_query
from ..query.q_language import parse_q
from ..store.temporal import (
    AGGREGATIONS,
    TIME_COLUMNS,
    VALUES_MEMBER,
    Duration,
    HistoryEntity,
    Instance,
    SimplifiedAttribute,
    TemporalQuery,
    TemporalRepository,
    TimeWindow,
    format_time,
    utc_time,
)
from . import negotiation as neg
from .entities import (
    _int,
    _list,
    _local,
    _respond,
    _respond_list,
    _type_groups,
    read_attribute_members,
)
from .query_document import URL_PARAMETERS, read_query_document

# Described in api/openapi_doc.py (OPERATIONS, rows "Temporal"), which documents a route
# as soon as the app serves it: wiring this router changes /openapi.json, so the snapshot
# context-broker/tests/snapshots/openapi.json is regenerated with it.
router = APIRouter(prefix="/ngsi-ld/v1")

_VALUE_OF = {
    "Property": "value", "GeoProperty": "value", "Relationship": "object",
    "LanguageProperty": "languageMap", "ListProperty": "valueList", "VocabProperty": "vocab",
}
_DURATION = re.compile(
    r"P(?:(?P<years>\d+)Y)?(?:(?P<months>\d+)M)?(?:(?P<weeks>\d+)W)?(?:(?P<days>\d+)D)?"
    r"(?:T(?:(?P<hours>\d+)H)?(?:(?P<minutes>\d+)M)?(?:(?P<seconds>\d+(?:[.,]\d+)?)S)?)?"
)
MAX_DURATION_PART = 100_000  # years/months/days/hours/...: beyond this the SQL overflows
MAX_AGGREGATION_BUCKETS = 100_000
_OPTIONS = {"temporalValues", "aggregatedValues", "sysAttrs", "normalized"}


# --- parameters ------------------------------------------------------------------------------


def parse_duration(text: str) -> Duration:
    """An ISO 8601 duration (``P1M``, ``PT1H``, ``P1DT12H``, ``PT0S``, ``P2W``)."""
    match = _DURATION.fullmatch(text or "")
    if not match or text in ("P", "PT") or text.endswith("T"):
        raise BadRequestData(f"aggrPeriodDuration must be an ISO 8601 duration, got {text[:40]!r}")
    parts = {k: float(v.replace(",", ".")) for k, v in match.groupdict().items() if v}
    if any(v > MAX_DURATION_PART for v in parts.values()):
        raise BadRequestData("aggrPeriodDuration is too long")
    seconds = parts.get("hours", 0) * 3600 + parts.get("minutes", 0) * 60 + parts.get("seconds", 0)
    return Duration(
        months=int(parts.get("years", 0) * 12 + parts.get("months", 0)),
        days=int(parts.get("weeks", 0) * 7 + parts.get("days", 0)),
        seconds=seconds,
    )


def parse_time(text: str | None, name: str) -> datetime:
    """An ISO 8601 date-time; one without offset is read as UTC."""
    if not isinstance(text, str) or "T" not in text:
        raise BadRequestData(f"{name} must be an ISO 8601 date-time, got {str(text)[:40]!r}")
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError as error:
        raise BadRequestData(f"{name} must be an ISO 8601 date-time, got {text[:40]!r}") from error
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def parse_window(params: dict[str, str]) -> TimeWindow:
    """``timerel``, ``timeAt``, ``endTimeAt``, ``timeproperty`` (clause 6.18.3.2); without
    timerel the whole history (v1.6+ makes timerel optional)."""
    timerel = params.get("timerel")
    prop = params.get("timeproperty") or "observedAt"
    if prop not in TIME_COLUMNS:
        raise BadRequestData(
            f"timeproperty must be one of {', '.join(TIME_COLUMNS)}, got {prop[:40]!r}"
        )
    column = TIME_COLUMNS[prop]
    if timerel is None:
        if params.get("endTimeAt") is not None:
            raise BadRequestData("endTimeAt needs timerel=between")
        return TimeWindow(column=column)
    if timerel not in ("before", "after", "between"):
        raise BadRequestData(f"timerel must be before, after or between, got {timerel[:40]!r}")
    time_at = parse_time(params.get("timeAt"), "timeAt")
    if timerel != "between":
        if params.get("endTimeAt") is not None:
            raise BadRequestData("endTimeAt is only allowed with timerel=between")
        return TimeWindow(timerel, time_at, None, column)
    end = parse_time(params.get("endTimeAt"), "endTimeAt")
    if end <= time_at:
        raise BadRequestData("endTimeAt must be after timeAt")
    return TimeWindow(timerel, time_at, end, column)


def parse_last_n(value: str | None) -> int | None:
    if value is None:
        return None
    if not value.isdigit() or int(value) < 1:
        raise BadRequestData(f"lastN must be a positive integer, got {value[:40]!r}")
    return int(value)


def parse_aggregation(params: dict[str, str]) -> tuple[list[str], Duration]:
    methods = _list(params.get("aggrMethods"))
    if not methods:
        raise BadRequestData("aggregatedValues needs aggrMethods")
    unknown = [m for m in methods if m not in AGGREGATIONS]
    if unknown:
        raise BadRequestData(f"Unknown aggrMethods: {', '.join(unknown)[:200]}")
    period = parse_duration(params.get("aggrPeriodDuration") or "PT0S")
    return list(dict.fromkeys(methods)), period


def _options(params: dict[str, str]) -> set[str]:
    options = set(_list(params.get("options")) or [])
    if params.get("format"):
        options.add(params["format"])
    unknown = options - _OPTIONS
    if unknown:
        raise BadRequestData(f"Unknown options: {', '.join(sorted(unknown))[:200]}")
    if {"temporalValues", "aggregatedValues"} <= options:
        raise BadRequestData("temporalValues and aggregatedValues exclude each other")
    return options


# --- reading ---------------------------------------------------------------------------------


@router.get("/temporal/entities/{entity_id}")
async def retrieve_temporal_entity(request: Request) -> Response:
    """The history of one entity (clause 5.7.3)."""
    entity_id = require_entity_id(request.path_params["entity_id"])
    params = dict(request.query_params)
    reader = await _Reader.start(request, params)
    entity = await _repository(request).entity(reader.tenant, entity_id)
    bodies, content_range = await reader.render([entity])
    response = _respond(bodies[0], reader.media, reader.context, {})
    return _partial(response, content_range)


@router.get("/temporal/entities")
async def query_temporal_entities(request: Request) -> Response:
    """Histories of the entities a query selects (clause 5.7.4)."""
    return await _query(request, dict(request.query_params))


#: URL parameters of the POST form: those of entity queries and the temporal ones.
TEMPORAL_URL_PARAMETERS = (*URL_PARAMETERS, "lastN", "aggrMethods", "aggrPeriodDuration",
                           "datasetId")


@router.post("/temporal/entityOperations/query")
async def query_temporal_by_post(request: Request) -> Response:
    """The temporal query as a Query document (clause 6.24 with ``temporalQ``)."""
    body, params = await read_query_document(request, TEMPORAL_URL_PARAMETERS)
    temporal = body.get("temporalQ")
    if temporal is not None:
        if not isinstance(temporal, dict):
            raise BadRequestData("temporalQ must be an object")
        for member in ("timerel", "timeAt", "endTimeAt", "timeproperty", "lastN"):
            if member in temporal:
                if not isinstance(temporal[member], (str, int)) or isinstance(
                    temporal[member], bool
                ):
                    raise BadRequestData(f"temporalQ.{member} must be a string")
                params[member] = str(temporal[member])
    for member in ("aggrMethods", "aggrPeriodDuration"):
        if member in body:
            value = body[member]
            if isinstance(value, list) and all(isinstance(v, str) for v in value):
                value = ",".join(value)
            if not isinstance(value, str):
                raise BadRequestData(f"{member} must be a string")
            params[member] = value
    return await _query(request, params)


async def _query(request: Request, params: dict[str, str]) -> Response:
    reader = await _Reader.start(request, params)
    terms = reader.terms
    all_types = params.get("type", "").strip() == "*"
    query = TemporalQuery(
        type_groups=None if all_types else _type_groups(params.get("type"), terms),
        ids=_list(params.get("id")),
        id_pattern=params.get("idPattern"),
        attrs=reader.query.attrs,
        q=parse_q(params["q"]) if params.get("q") else None,
        geo=parse_geo_query(
            params.get("georel"), params.get("geometry"), params.get("coordinates"),
            params.get("geoproperty"),
        ),
        expand=terms.expand,
        window=reader.query.window,
        limit=_int(params.get("limit"), "limit", 20),
        offset=_int(params.get("offset"), "offset", 0),
        count=params.get("count") == "true",
        dataset_id=reader.query.dataset_id,
    )
    local = _local(params.get("local")) or all_types
    if not (query.type_groups or query.ids or query.id_pattern or query.attrs or query.q
            or query.geo or local):
        raise BadRequestData(
            "A temporal query needs at least one of type, id, idPattern, attrs, q, geoQ "
            "or local=true"
        )
    if query.limit > request.app.state.settings.max_limit:
        raise TooManyResults(f"limit must not exceed {request.app.state.settings.max_limit}")
    entities, total = await _repository(request).select_entities(reader.tenant, query)
    bodies, content_range = await reader.render(entities, query)
    headers = {"NGSILD-Results-Count": str(total)} if total is not None else {}
    response = _respond_list(bodies, reader.media, reader.context, headers)
    return _partial(response, content_range)


class _Reader:
    """One temporal read: its parameters parsed once, then the entities rendered."""

    def __init__(self, request: Request, params: dict[str, str]) -> None:
        self.request = request
        self.params = params
        self.tenant = neg.tenant_of(request)
        self.media = neg.response_media_type(request, geojson_allowed=False)
        self.context = neg.link_context(request)
        self.terms: Any = None
        self.options: set[str] = set()
        self.last_n: int | None = None
        self.aggregation: tuple[list[str], Duration] | None = None
        self.query = TemporalQuery()

    @classmethod
    async def start(cls, request: Request, params: dict[str, str]) -> _Reader:
        reader = cls(request, params)
        reader.terms = await request.app.state.contexts.terms(reader.context)
        options = _options(params)
        reader.options = options
        reader.last_n = parse_last_n(params.get("lastN"))
        reader.aggregation = (
            parse_aggregation(params) if "aggregatedValues" in options else None
        )
        dataset_id = params.get("datasetId")
        if dataset_id is not None and dataset_id != "@none" and not is_uri(dataset_id):
            raise BadRequestData("datasetId must be a URI (or @none)")
        attrs = _list(params.get("attrs"))
        reader.query = TemporalQuery(
            attrs=[reader.terms.expand(a) for a in attrs] if attrs else None,
            window=parse_window(params),
            dataset_id=None if dataset_id is None else ("" if dataset_id == "@none"
                                                        else dataset_id),
        )
        return reader

    async def render(
        self, entities: list[HistoryEntity], query: TemporalQuery | None = None
    ) -> tuple[list[dict[str, Any]], str | None]:
        """Response bodies, and the Content-Range when instances were left out (206)."""
        query = query or self.query
        repository = _repository(self.request)
        ids = [e.id for e in entities]
        if not ids:
            return [], None
        if self.aggregation is not None:
            methods, period = self.aggregation
            _check_bucket_count(query.window, period)
            buckets = await repository.aggregate(self.tenant, ids, query, methods, period)
            return [self._aggregated(e, buckets.get(e.id, {}), methods) for e in entities], None
        page = self.request.app.state.settings.temporal_page_size
        # lastN within the page size is the client's own limit, not a partial answer; only
        # the page size makes one (one more instance fetched tells that more exist).
        wanted = min(self.last_n, page) if self.last_n else page
        probe = 0 if self.last_n is not None and self.last_n <= page else 1
        newest_first = self.last_n is not None
        if "temporalValues" in self.options:
            simplified = await repository.simplified(
                self.tenant, ids, query, wanted + probe, newest_first=newest_first
            )
            if all(a.count <= wanted for attrs in simplified.values() for a in attrs.values()):
                return [self._simplified_entity(e, simplified.get(e.id, {}))
                        for e in entities], None
            # a partial answer: cut to one common time range from the instances below
        found = await repository.instances(
            self.tenant, ids, query, wanted + probe, newest_first=newest_first
        )
        found, content_range = _page(found, wanted, newest_first=newest_first,
                                     last_n=self.last_n)
        bodies = [self._instances(e, found.get(e.id, {})) for e in entities]
        return bodies, content_range

    def _head(self, entity: HistoryEntity) -> dict[str, Any]:
        types = [self.terms.compact(t) for t in entity.types]
        return {"id": entity.id, "type": types[0] if len(types) == 1 else types}

    def _instances(
        self, entity: HistoryEntity, attrs: dict[str, list[Instance]]
    ) -> dict[str, Any]:
        out = self._head(entity)
        if "temporalValues" in self.options:
            for attr, instances in attrs.items():
                out[self.terms.compact(attr)] = self._simplified(instances)
            return out
        stored = StoredEntity(
            id=entity.id, types=entity.types, scope=None, created_at=_EPOCH, modified_at=_EPOCH,
            attrs={attr: [i.instance for i in instances] for attr, instances in attrs.items()},
        )
        options = RenderOptions(sys_attrs="sysAttrs" in self.options)
        rendered = render_entity(stored, self.terms, options)
        for attr, instances in attrs.items():
            name = self.terms.compact(attr)
            items = rendered[name] if isinstance(rendered[name], list) else [rendered[name]]
            for item, instance in zip(items, instances, strict=True):
                item["instanceId"] = instance.instance_id
            out[name] = items
        return out

    def _simplified_entity(
        self, entity: HistoryEntity, attrs: dict[str, SimplifiedAttribute]
    ) -> dict[str, Any]:
        """``temporalValues`` as PostgreSQL built them, passed through as JSON text unless
        VocabProperty IRIs need compacting."""
        out = self._head(entity)
        for attr, simplified in attrs.items():
            value: Any = orjson.Fragment(simplified.json)
            if simplified.has_vocab:
                value = orjson.loads(simplified.json)
                for group in value if isinstance(value, list) else [value]:
                    if group["type"] == "VocabProperty":
                        group["vocabs"] = [[self._compact_vocab(v), t]
                                           for v, t in group["vocabs"]]
            out[self.terms.compact(attr)] = value
        return out

    def _compact_vocab(self, value: Any) -> Any:
        if isinstance(value, list):
            return [self.terms.compact(v) for v in value]
        return self.terms.compact(value)

    def _simplified(self, instances: list[Instance]) -> Any:
        """``temporalValues``: per datasetId {type, values: [[value, time], ...]}."""
        # per datasetId; an attribute whose type changed over time (a Property that became a
        # Relationship) gets one group per type, each with the member of its type
        groups: dict[tuple[str, str], dict[str, Any]] = {}
        for instance in instances:
            stored = instance.instance
            kind = stored.get("type", "Property")
            dataset = stored.get("datasetId", "")
            value = stored.get(_VALUE_OF.get(kind, "value"))
            if kind == "VocabProperty":
                value = self._compact_vocab(value)
            member = VALUES_MEMBER.get(kind, "values")
            group = groups.setdefault((dataset, kind), {"type": kind, member: []})
            if dataset:
                group["datasetId"] = dataset
            group[member].append([value, format_time(instance.time)])
        items = list(groups.values())
        return items[0] if len(items) == 1 else items

    def _aggregated(
        self, entity: HistoryEntity, attrs: dict[str, list[Any]], methods: list[str]
    ) -> dict[str, Any]:
        """``aggregatedValues`` (clause 4.5.19): per method [[value, startAt, endAt], ...]."""
        out = self._head(entity)
        for attr, rows in attrs.items():
            if self.last_n:
                rows = rows[-self.last_n:]
            item: dict[str, Any] = {"type": "Property"}
            for method in methods:
                item[method] = [
                    [row[method], format_time(utc_time(row["start"])),
                     format_time(utc_time(row["stop"]))]
                    for row in rows
                ]
            out[self.terms.compact(attr)] = item
        return out


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _page(
    found: dict[str, dict[str, list[Instance]]], wanted: int, *, newest_first: bool,
    last_n: int | None,
) -> tuple[dict[str, dict[str, list[Instance]]], str | None]:
    """Cut every attribute to at most ``wanted`` instances and, when some attribute had more,
    all of them to one common time range (clause 6.3.10), so that a client continuing after
    (or, with lastN, before) that range misses nothing.

    The query fetched ``wanted + 1`` per attribute: one more than wanted means "more exist".
    """
    truncated = [
        instances for attrs in found.values() for instances in attrs.values()
        if len(instances) > wanted
    ]
    if not truncated:
        return found, None
    if newest_first:  # the newest ``wanted`` of each: the range reaches back to the latest cut
        kept_lists = [instances[-wanted:] for instances in truncated]
        boundary = max(k[0].time for k in kept_lists)
        keep = lambda i: i.time >= boundary  # noqa: E731
    else:
        kept_lists = [instances[:wanted] for instances in truncated]
        boundary = min(k[-1].time for k in kept_lists)
        keep = lambda i: i.time <= boundary  # noqa: E731
    result: dict[str, dict[str, list[Instance]]] = {}
    times = []
    for entity_id, attrs in found.items():
        for attr, instances in attrs.items():
            cut = instances[-wanted:] if newest_first else instances[:wanted]
            kept = [i for i in cut if keep(i)]
            if kept:
                result.setdefault(entity_id, {})[attr] = kept
                times += [kept[0].time, kept[-1].time]
    first, last = min(times), max(times)
    if newest_first:
        first, last = last, first  # lastN: the range runs from the newest back
    size = str(last_n) if last_n else "*"
    return result, f"date-time {format_time(first)}-{format_time(last)}/{size}"


def _check_bucket_count(window: TimeWindow, period: Duration) -> None:
    """Refuse aggregations into absurdly many buckets before PostgreSQL computes them."""
    if period.is_zero or window.timerel != "between":
        return
    assert window.time_at is not None and window.end_time_at is not None
    span = (window.end_time_at - window.time_at).total_seconds()
    step = period.months * 28 * 86400 + period.days * 86400 + period.seconds
    if step > 0 and span / step > MAX_AGGREGATION_BUCKETS:
        raise TooManyResults(
            f"aggrPeriodDuration gives more than {MAX_AGGREGATION_BUCKETS} periods"
        )


def _partial(response: Response, content_range: str | None) -> Response:
    if content_range is not None:
        response.status_code = 206
        response.headers["Content-Range"] = content_range
    return response


def _repository(request: Request) -> TemporalRepository:
    """The temporal store, made on first use from the entity store's pool and tenants."""
    state = request.app.state
    repository = getattr(state, "temporal", None)
    if repository is None:
        repository = TemporalRepository(
            state.entities.pool, state.entities.tenants, state.entities.query_pool
        )
        state.temporal = repository
    return repository


# --- writing ---------------------------------------------------------------------------------


def _parse_instances(members: dict[str, Any], terms: Any) -> dict[str, list[dict[str, Any]]]:
    """Attribute name → list of instances (temporal representation: several instances with
    the same datasetId at different times are allowed)."""
    attrs: dict[str, list[dict[str, Any]]] = {}
    for name, raw in members.items():
        items = raw if isinstance(raw, list) else [raw]
        if not items:
            raise BadRequestData(f"Attribute {str(name)[:100]!r} has no instances")
        for item in items:
            if not isinstance(item, dict):
                raise BadRequestData(
                    f"Attribute {str(name)[:100]!r}: each instance must be a JSON object"
                )
            for iri, parsed in parse_attributes({name: item}, terms, depth=0).items():
                attrs.setdefault(iri, []).extend(parsed)
    return attrs


_ENTITY_MEMBERS = ("id", "type", "@context", "scope", "createdAt", "modifiedAt")


@router.post("/temporal/entities")
async def create_temporal_entity(request: Request) -> Response:
    """Create or extend an entity's history with the given instances (clause 5.6.11):
    201 when the history is new, 204 when instances were added to an existing one."""
    state = request.app.state
    body, context = await neg.read_body(request, state.settings.max_body_bytes)
    if not isinstance(body, dict):
        raise BadRequestData("The body must be an entity in temporal representation")
    entity_id = body.get("id")
    if not isinstance(entity_id, str) or not is_uri(entity_id):
        raise BadRequestData("Entity id must be a URI")
    types = body.get("type")
    types = [types] if isinstance(types, str) else types
    if not types or not isinstance(types, list) or not all(isinstance(t, str) and t for t in types):
        raise BadRequestData("Entity type must be a non-empty string or list of strings")
    terms = await state.contexts.terms(context)
    attrs = _parse_instances({k: v for k, v in body.items() if k not in _ENTITY_MEMBERS}, terms)
    created = await _repository(request).add(
        neg.tenant_of(request), entity_id, [terms.expand(t) for t in types], attrs, create=True
    )
    if created:
        location = f"/ngsi-ld/v1/temporal/entities/{quote(entity_id, safe=':')}"
        return Response(status_code=201, headers={"Location": location})
    return Response(status_code=204)


@router.post("/temporal/entities/{entity_id}/attrs", status_code=204)
async def append_temporal_attributes(request: Request) -> Response:
    """Add instances to an entity's history (clause 5.6.12)."""
    entity_id = require_entity_id(request.path_params["entity_id"])
    members, terms = await read_attribute_members(request, entity_id, _ENTITY_MEMBERS)
    attrs = _parse_instances(members, terms)
    if not attrs:
        raise BadRequestData("The body has no attributes")
    await _repository(request).add(neg.tenant_of(request), entity_id, None, attrs, create=False)
    return Response(status_code=204)


@router.delete("/temporal/entities/{entity_id}", status_code=204)
async def delete_temporal_entity(request: Request) -> Response:
    """Delete an entity's history (clause 5.6.16); its current state is not touched."""
    entity_id = require_entity_id(request.path_params["entity_id"])
    await _repository(request).delete_entity(neg.tenant_of(request), entity_id)
    return Response(status_code=204)


@router.delete("/temporal/entities/{entity_id}/attrs/{attr}", status_code=204)
async def delete_temporal_attribute(request: Request) -> Response:
    """Delete the history of one attribute (clause 5.6.13): the default instance's, that of
    ``datasetId``, or with ``deleteAll=true`` all of them."""
    entity_id = require_entity_id(request.path_params["entity_id"])
    terms = await request.app.state.contexts.terms(neg.link_context(request))
    delete_all = request.query_params.get("deleteAll")
    if delete_all not in (None, "true", "false"):
        raise BadRequestData("deleteAll must be true or false")
    await _repository(request).delete_attribute(
        neg.tenant_of(request), entity_id, terms.expand(request.path_params["attr"]),
        request.query_params.get("datasetId"), delete_all == "true",
    )
    return Response(status_code=204)


@router.patch("/temporal/entities/{entity_id}/attrs/{attr}/{instance_id}", status_code=204)
async def modify_temporal_instance(request: Request) -> Response:
    """Replace one instance, addressed by its instanceId (clause 5.6.14)."""
    entity_id = require_entity_id(request.path_params["entity_id"])
    state = request.app.state
    body, context = await neg.read_body(request, state.settings.max_body_bytes)
    if not isinstance(body, dict):
        raise BadRequestData("The body must be one attribute instance (a JSON object)")
    terms = await state.contexts.terms(context)
    name = request.path_params["attr"]
    parsed = parse_attributes({name: body}, terms, depth=0)
    (instance,) = next(iter(parsed.values()))
    await _repository(request).replace_instance(
        neg.tenant_of(request), entity_id, terms.expand(name),
        request.path_params["instance_id"], instance,
    )
    return Response(status_code=204)


@router.delete("/temporal/entities/{entity_id}/attrs/{attr}/{instance_id}", status_code=204)
async def delete_temporal_instance(request: Request) -> Response:
    """Delete one instance, addressed by its instanceId (clause 5.6.15)."""
    entity_id = require_entity_id(request.path_params["entity_id"])
    terms = await request.app.state.contexts.terms(neg.link_context(request))
    await _repository(request).delete_instance(
        neg.tenant_of(request), entity_id, terms.expand(request.path_params["attr"]),
        request.path_params["instance_id"],
    )
    return Response(status_code=204)
