"""A PostgreSQL-backed object with the part of pysolr's ``Solr`` interface CKAN uses.

CKAN core calls ``add``, ``delete``, ``commit`` and ``search`` on whatever
``ckan.lib.search.common.make_connection`` returns. Writes go through CKAN's own
SQLAlchemy session, so an index row is committed or rolled back together with the
dataset change that produced it. Searches use a separate pooled connection, so a
failing search can never poison the session of the request that runs it.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from . import fields as F
from .documents import IndexRow, row_from_document, to_json
from .query_ast import Node
from .query_parser import QuerySyntaxError, parse_query
from .schema import ensure_schema, sort_collation
from .search_request import SearchRequest, SortKey, parse_request
from .sql_builder import SqlBuilder, TextQuery

log = logging.getLogger(__name__)

_DATETIME_RE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d+)?Z$")

#: Writes one index row (used by ``add``; the benchmark times it as the floor of a create).
UPSERT_SQL = """
INSERT INTO pgsearch_index (
    index_id, id, site_id, name, title_string, metadata_modified, metadata_created,
    state, capacity, dataset_type, entity_type, organization, owner_org, license_id,
    permission_labels, groups, tags, res_format,
    fields, doc, data_dict, validated_data_dict, search_vector, geom, indexed_at)
VALUES (
    :index_id, :id, :site_id, :name, :title_string, :metadata_modified, :metadata_created,
    :state, :capacity, :dataset_type, :entity_type, :organization, :owner_org, :license_id,
    :permission_labels, :groups, :tags, :res_format,
    CAST(:fields AS jsonb), CAST(:doc AS jsonb), :data_dict, :validated_data_dict,
    setweight(to_tsvector(CAST(:config AS regconfig), :text_a), 'A')
      || setweight(to_tsvector(CAST(:config AS regconfig), :text_b), 'B')
      || setweight(to_tsvector(CAST(:config AS regconfig), :text_c), 'C'),
    pgsearch_try_geometry(:wkt), now())
ON CONFLICT (index_id) DO UPDATE SET
    id = EXCLUDED.id, site_id = EXCLUDED.site_id, name = EXCLUDED.name,
    title_string = EXCLUDED.title_string, metadata_modified = EXCLUDED.metadata_modified,
    metadata_created = EXCLUDED.metadata_created, state = EXCLUDED.state,
    capacity = EXCLUDED.capacity, dataset_type = EXCLUDED.dataset_type,
    entity_type = EXCLUDED.entity_type, organization = EXCLUDED.organization,
    owner_org = EXCLUDED.owner_org, license_id = EXCLUDED.license_id,
    permission_labels = EXCLUDED.permission_labels, groups = EXCLUDED.groups,
    tags = EXCLUDED.tags, res_format = EXCLUDED.res_format,
    fields = EXCLUDED.fields, doc = EXCLUDED.doc,
    data_dict = EXCLUDED.data_dict, validated_data_dict = EXCLUDED.validated_data_dict,
    search_vector = EXCLUDED.search_vector, geom = EXCLUDED.geom, indexed_at = now()
"""

_TEXT_QUERY_SQL = {
    "plainto_tsquery": "plainto_tsquery(CAST(:config AS regconfig), {param})::text",
    "phraseto_tsquery": "phraseto_tsquery(CAST(:config AS regconfig), {param})::text",
    "prefix": "to_tsquery(CAST(:config AS regconfig), quote_literal({param}) || ':*')::text",
}


#: Second statement of a search: the stored documents of one result page.
FETCH_DOCS_SQL = (
    "SELECT index_id, doc, data_dict, validated_data_dict "
    "FROM pgsearch_index WHERE index_id = ANY(:ids)"
)


class PgSearchError(Exception):
    """Base for errors of this backend that CKAN's search layer turns into messages."""


class SearchBackendError(PgSearchError):
    """The database failed while searching or indexing."""


@dataclass(frozen=True)
class BackendSettings:
    """What the connection needs to know from CKAN's configuration."""

    text_search_config: str = "german"
    spatial_field: str = "spatial_geom"


class SearchResults:
    """pysolr's ``Results``: ``docs``, ``hits`` and Solr-shaped ``facets``."""

    def __init__(
        self, docs: list[dict[str, Any]], hits: int, facet_fields: dict[str, list[Any]]
    ) -> None:
        self.docs = docs
        self.hits = hits
        self.facets = {"facet_fields": facet_fields}
        self.raw_response = {
            "response": {"numFound": hits, "docs": docs},
            "facet_counts": self.facets,
        }

    def __len__(self) -> int:
        return len(self.docs)

    def __iter__(self):
        return iter(self.docs)


class PostgresSearchConnection:
    """Drop-in for ``pysolr.Solr`` as far as CKAN is concerned."""

    url = "postgresql://(ckan database)/pgsearch_index"

    def __init__(self, engine: Engine, settings: BackendSettings, *, decode_dates: bool = True):
        self.engine = engine
        self.settings = settings
        self.decode_dates = decode_dates
        self.builder = SqlBuilder(
            text_config=settings.text_search_config, spatial_field=settings.spatial_field
        )
        ensure_schema(engine)

    # -- writes (inside CKAN's transaction) ------------------------------------------

    def add(self, docs: Sequence[dict[str, Any]], commit: bool = True, **_: Any) -> None:
        """Index documents in the current CKAN transaction.

        ``commit`` is ignored on purpose: CKAN commits the dataset change right after
        indexing it, and the row must not become visible before the dataset does.
        """
        session = _session()
        for document in docs:
            row = row_from_document(document, spatial_field=self.settings.spatial_field)
            session.execute(text(UPSERT_SQL), self.row_params(row))

    def delete(
        self, id: str | None = None, q: str | None = None, commit: bool = True, **_: Any
    ) -> None:
        """Delete by ``id`` (index id) or by a query, like Solr's delete."""
        session = _session()
        if id is not None:
            session.execute(text("DELETE FROM pgsearch_index WHERE index_id = :id"), {"id": id})
            return
        if not q:
            raise SearchBackendError("delete needs an id or a query")
        condition = self.builder.compile(
            [parse_query(q)], lambda wanted: self._resolve_text(session.connection(), wanted)
        )
        session.execute(text(f"DELETE FROM pgsearch_index WHERE {condition.sql}"), condition.params)

    def commit(self, **_: Any) -> None:
        """Commit pending index writes (used by ``ckan search-index`` commands)."""
        _session().commit()

    # -- reads ---------------------------------------------------------------------------

    def search(self, q: str | None = None, **params: Any) -> SearchResults:
        """Run a Solr-style search; raises ``SearchQueryError`` on unsupported syntax."""
        from ckan.lib.search.common import SearchError, SearchQueryError

        try:
            request = parse_request(q, params)
            with self.engine.connect() as connection:
                return self._search(connection, request)
        except QuerySyntaxError as error:
            raise SearchQueryError(str(error)) from error
        except (DBAPIError, SQLAlchemyError) as error:
            log.exception("pgsearch query failed")
            raise SearchError(f"search index query failed: {_short(error)}") from error

    def plan(self, q: str | None = None, **params: Any) -> tuple[str, dict[str, Any]]:
        """The main SQL statement and parameters a search runs (for benchmarks, debugging)."""
        with self.engine.connect() as connection:
            return self._plan(connection, parse_request(q, params))

    def _search(self, connection: Connection, request: SearchRequest) -> SearchResults:
        sql, params = self._plan(connection, request)
        row = connection.execute(text(sql), params).one()
        page = [(entry[0], entry[1]) for entry in row.page]
        docs = self._fetch_docs(connection, page, request.fields)
        facets = {
            name: [v for pair in pairs for v in pair] for name, pairs in (row.facets or {}).items()
        }
        return SearchResults(docs, int(row.hits), facets)

    def _plan(self, connection: Connection, request: SearchRequest) -> tuple[str, dict[str, Any]]:
        nodes: list[Node] = [request.query, *request.filters]
        condition = self.builder.compile(
            nodes,
            lambda wanted: self._resolve_text(connection, wanted),
            default_field=request.default_field,
        )
        params: dict[str, Any] = dict(condition.params)
        score = "0.0::float4"
        if condition.rank_tsquery:
            params["rank_q"] = condition.rank_tsquery
            score = "ts_rank_cd(search_vector, CAST(:rank_q AS tsquery))"
        sort_columns, order_by = self._sort_sql(request.sort, params)
        facet_columns, facet_json = _facet_sql(request, params)
        params.update(rows=request.rows, start=request.start)
        sql = f"""
            WITH matched AS MATERIALIZED (
                SELECT index_id, {score} AS score{sort_columns}{facet_columns}
                FROM pgsearch_index WHERE {condition.sql}
            )
            SELECT
                (SELECT count(*) FROM matched) AS hits,
                (SELECT coalesce(json_agg(json_build_array(index_id, score)), '[]'::json)
                   FROM (SELECT index_id, score FROM matched
                         ORDER BY {order_by} LIMIT :rows OFFSET :start) AS page) AS page,
                {facet_json} AS facets
        """
        return sql, params

    def _sort_sql(self, keys: list[SortKey], params: dict[str, Any]) -> tuple[str, str]:
        columns: list[str] = []
        order: list[str] = []
        collation = sort_collation(self.engine)
        for position, key in enumerate(keys):
            direction = "DESC NULLS LAST" if key.descending else "ASC NULLS LAST"
            if key.field == "score":
                order.append(f"score {direction}")
                continue
            if key.field == "title_string" and collation != "default":
                expression = f'title_string COLLATE "{collation}"'
            elif key.field in F.SCALAR_COLUMNS:
                expression = key.field
            else:
                params[f"sort{position}"] = key.field
                expression = f"fields -> :sort{position} ->> 0"
            columns.append(f", {expression} AS s{position}")
            order.append(f"s{position} {direction}")
        order.append("index_id")
        return "".join(columns), ", ".join(order)

    def _fetch_docs(
        self, connection: Connection, page: list[tuple[str, float]], wanted: list[str]
    ) -> list[dict[str, Any]]:
        if not page:
            return []
        everything = "*" in wanted
        rows = connection.execute(
            text(FETCH_DOCS_SQL),
            {"ids": [index_id for index_id, _ in page]},
        ).mappings()
        by_id = {row["index_id"]: row for row in rows}
        docs = []
        for index_id, score in page:
            row = by_id.get(index_id)
            if row is None:  # deleted between the two statements
                continue
            source = dict(row["doc"])
            source["data_dict"] = row["data_dict"]
            source["validated_data_dict"] = row["validated_data_dict"]
            source["score"] = score
            if everything:
                doc = {k: v for k, v in source.items() if k != "score" or "score" in wanted}
            else:
                doc = {name: source[name] for name in wanted if source.get(name) is not None}
            docs.append(_decode_dates(doc) if self.decode_dates else doc)
        return docs

    # -- helpers -------------------------------------------------------------------------

    def _resolve_text(self, connection: Connection, wanted: Sequence[TextQuery]) -> list[str]:
        """Normalise full-text terms with PostgreSQL's own parser and stemmer."""
        params: dict[str, Any] = {"config": self.settings.text_search_config}
        selects = []
        for position, (function, value) in enumerate(wanted):
            params[f"t{position}"] = value
            selects.append(_TEXT_QUERY_SQL[function].format(param=f":t{position}"))
        row = connection.execute(text("SELECT " + ", ".join(selects)), params).one()
        return [value or "" for value in row]

    def row_params(self, row: IndexRow) -> dict[str, Any]:
        """Bind parameters of :data:`UPSERT_SQL` for one row."""
        wkt = row.geometries_wkt
        typed: dict[str, Any] = {}
        for name in F.SCALAR_COLUMNS - F.TIMESTAMP_COLUMNS:
            values = row.fields.get(name)
            typed[name] = values[0] if values else None
        for name in F.ARRAY_COLUMNS:
            typed[name] = row.fields.get(name, [])
        return {
            **typed,
            "index_id": row.index_id,
            "id": row.id,
            "site_id": row.site_id,
            "name": row.name,
            "title_string": row.title_string,
            "metadata_modified": row.metadata_modified,
            "metadata_created": row.metadata_created,
            "fields": json.dumps(row.fields, ensure_ascii=False),
            "doc": to_json(row.doc),
            "data_dict": row.data_dict,
            "validated_data_dict": row.validated_data_dict,
            "config": self.settings.text_search_config,
            "text_a": row.text_a,
            "text_b": row.text_b,
            "text_c": row.text_c,
            "wkt": (wkt[0] if len(wkt) == 1 else f"GEOMETRYCOLLECTION({', '.join(wkt)})")
            if wkt
            else None,
        }


def _facet_sql(request: SearchRequest, params: dict[str, Any]) -> tuple[str, str]:
    """Columns to carry into ``matched`` and the JSON object of facet counts.

    Facets on typed columns group plain values; any other field is unnested from
    the ``fields`` jsonb, which is slower but works for every field CKAN indexes.
    """
    if not request.facet_fields:
        return "", "'{}'::json"
    params["facet_limit"] = request.facet_limit
    params["facet_mincount"] = request.facet_mincount
    columns = []
    entries = []
    for position, name in enumerate(request.facet_fields):
        params[f"facet{position}"] = name
        column = f"f{position}"
        if name in F.SCALAR_COLUMNS:
            columns.append(f", {name}::text AS {column}")
            source = f"(SELECT {column} AS value FROM matched WHERE {column} IS NOT NULL) AS s"
        elif name in F.ARRAY_COLUMNS:
            columns.append(f", {name} AS {column}")
            # A set-returning function in the select list (ProjectSet) is about twice as
            # fast as a lateral join over every matched row.
            source = f"(SELECT unnest({column}) AS value FROM matched) AS s"
        else:
            columns.append(f", fields -> :facet{position} AS {column}")
            source = f"(SELECT jsonb_array_elements_text({column}) AS value FROM matched) AS s"
        entries.append(
            f""":facet{position}, (
                SELECT coalesce(json_agg(json_build_array(value, n) ORDER BY n DESC, value),
                                '[]'::json)
                FROM (SELECT value, count(*) AS n FROM {source}
                      GROUP BY value HAVING count(*) >= :facet_mincount
                      ORDER BY n DESC, value LIMIT :facet_limit) AS counts)"""
        )
    return "".join(columns), "json_build_object(" + ", ".join(entries) + ")"


def _decode_dates(doc: dict[str, Any]) -> dict[str, Any]:
    """What CKAN's ``solr_datetime_decoder`` does to top-level date strings."""
    for key, value in doc.items():
        if isinstance(value, str) and (match := _DATETIME_RE.match(value)):
            doc[key] = dt.datetime(*(int(part) for part in match.groups()[:6]))
    return doc


def _session():
    from ckan import model

    return model.Session


def _short(error: Exception) -> str:
    message = str(getattr(error, "orig", None) or error)
    return message.splitlines()[0][:300]
