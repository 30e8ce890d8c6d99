"""Which recorded changes (``entity_changes``) concern a subscription, as SQL.

A subscription becomes one ``SELECT … FROM entity_changes`` (several are UNIONed into one
``INSERT INTO notification_outbox``) whose WHERE clause holds its entity selectors,
``notificationTrigger`` with ``watchedAttributes``, ``q`` (the same SQL as
``GET /entities?q=``, on the entity after the change, or before it for a deletion) and
``geoQ`` (on the entity's current GeoProperty rows, so a deleted entity never matches a
geoQ). Periodic subscriptions (``timeInterval``) are matched against ``entities`` instead.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..model.entity import Terms
from ..query.geo_query import geo_to_sql
from ..query.q_language import parse_q, q_to_sql
from .subscription import DEFAULT_TRIGGERS, parse_geo

_OUTBOX_COLUMNS = (
    "tenant, subscription_id, seq, kind, entity_id, types, attrs, previous, changed_at"
)
#: The changes as rows shaped like ``entities`` (``id``, ``attrs``), so that q_to_sql and
#: geo_to_sql apply unchanged.
_CHANGES = (
    "(SELECT seq, tenant, entity_id AS id, kind, types, attrs AS new_attrs, previous, "
    "coalesce(attrs, previous) AS attrs, created, updated, deleted, changed_at "
    "FROM entity_changes) AS entities"
)


@dataclass(frozen=True)
class Statement:
    sql: str
    params: list[object]


def change_statement(tenant: str, sub_id: str, stored: dict[str, Any], terms: Terms) -> Statement:
    """Copy the changes of ``$3`` (an array of seq) that match into the outbox."""
    params: list[object] = [tenant, sub_id, None]
    bind = _binder(params)
    conditions = [
        "entities.tenant = $1", "seq = ANY($3::bigint[])",
        trigger_sql(stored, terms, bind), *_filters(stored, terms, bind),
    ]
    sql = (
        f"INSERT INTO notification_outbox ({_OUTBOX_COLUMNS}) "
        "SELECT entities.tenant, $2, seq, kind, id, types, new_attrs, previous, changed_at "
        f"FROM {_CHANGES} WHERE {' AND '.join(conditions)} ORDER BY seq"
    )
    return Statement(sql, params)


def combined_change_statement(
    subscriptions: list[tuple[str, str, dict[str, Any], Terms]],
) -> Statement:
    """All given subscriptions' matches of the changes ``$1`` in one statement (one round
    trip and plan instead of one per subscription), outbox rows in change order."""
    params: list[object] = [None]
    bind = _binder(params)
    branches = []
    for tenant, sub_id, stored, terms in subscriptions:
        conditions = [
            f"entities.tenant = {bind(tenant)}", "seq = ANY($1::bigint[])",
            trigger_sql(stored, terms, bind), *_filters(stored, terms, bind),
        ]
        branches.append(
            f"SELECT entities.tenant, {bind(sub_id)}::text AS subscription_id, seq, kind, id, "
            f"types, new_attrs, previous, changed_at FROM {_CHANGES} "
            f"WHERE {' AND '.join(conditions)}"
        )
    sql = (
        f"INSERT INTO notification_outbox ({_OUTBOX_COLUMNS}) SELECT * FROM ("
        + " UNION ALL ".join(branches) + ") AS matched ORDER BY seq"
    )
    return Statement(sql, params)


def periodic_statement(
    tenant: str, sub_id: str, stored: dict[str, Any], terms: Terms, limit: int = 1000
) -> Statement:
    """Queue the current state of every matching entity (``timeInterval``)."""
    params: list[object] = [tenant, sub_id]
    bind = _binder(params)
    conditions = ["entities.tenant = $1", *_filters(stored, terms, bind)]
    sql = (
        f"INSERT INTO notification_outbox ({_OUTBOX_COLUMNS}) "
        "SELECT entities.tenant, $2, 0, 'periodic', id, types, attrs, NULL, modified_at "
        f"FROM entities WHERE {' AND '.join(conditions)} ORDER BY id LIMIT {int(limit)}"
    )
    return Statement(sql, params)


def trigger_sql(stored: dict[str, Any], terms: Terms, bind: Callable[[object], str]) -> str:
    """notificationTrigger (clause 5.2.12) combined with watchedAttributes.

    An attribute trigger fires when an attribute of its kind (created/updated/deleted)
    is watched, or any is when nothing is watched; ``entityUpdated`` fires on any watched
    change. A new entity counts as all its attributes created.
    """
    triggers = set(stored.get("notificationTrigger", DEFAULT_TRIGGERS))
    watched = stored.get("watchedAttributes")
    placeholder = bind(watched) if watched else None

    def hit(column: str) -> str:
        if placeholder is None:
            return f"cardinality({column}) > 0"
        return f"{column} && {placeholder}::text[]"

    created = ["false"]
    if "entityCreated" in triggers:
        created.append("true" if placeholder is None else hit("created"))
    if "attributeCreated" in triggers:
        created.append(hit("created"))
    updated = ["false"]
    if "entityUpdated" in triggers:
        updated.append(hit("(created || updated || deleted)"))
    for trigger, column in (
        ("attributeCreated", "created"), ("attributeUpdated", "updated"),
        ("attributeDeleted", "deleted"),
    ):
        if trigger in triggers:
            updated.append(hit(column))
    deleted = "true" if "entityDeleted" in triggers else "false"
    return (
        f"((kind = 'created' AND ({' OR '.join(created)})) "
        f"OR (kind = 'updated' AND ({' OR '.join(updated)})) "
        f"OR (kind = 'deleted' AND {deleted}))"
    )


def _filters(stored: dict[str, Any], terms: Terms, bind: Callable[[object], str]) -> list[str]:
    conditions = []
    selectors = stored.get("entities")
    if selectors:
        alternatives = []
        for selector in selectors:
            parts = [f"types @> ARRAY[{bind(selector['type'])}::text]"]
            if "id" in selector:
                parts.append(f"id = {bind(selector['id'])}")
            if "idPattern" in selector:
                parts.append(f"id ~ {bind(selector['idPattern'])}")
            alternatives.append("(" + " AND ".join(parts) + ")")
        conditions.append("(" + " OR ".join(alternatives) + ")")
    if stored.get("q"):
        conditions.append(q_to_sql(parse_q(stored["q"]), terms.expand, bind))
    if stored.get("geoQ"):
        conditions.append(geo_to_sql(parse_geo(stored["geoQ"]), terms.expand, bind))
    return conditions


def _binder(params: list[object]) -> Callable[[object], str]:
    def bind(value: object) -> str:
        params.append(value)
        return f"${len(params)}"

    return bind
