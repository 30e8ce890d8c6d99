"""The broker's OpenAPI document: what each NGSI-LD operation takes and answers.

The handlers read query parameters, headers and bodies from the raw request (NGSI-LD's
parameters are comma lists, JSON-LD bodies and @contexts that FastAPI's models cannot
express), so FastAPI alone documents little more than the paths. This module adds the rest
from tables: shared parameter, header, schema, request-body and response definitions, and
one row per operation that names which of them it uses. The ProblemDetails responses are
derived from :mod:`ngsild_broker.errors` and the security requirement from the write rule of
:mod:`ngsild_broker.guard`, so the document cannot drift from what the broker enforces.

:func:`install` replaces ``app.openapi`` with :func:`build_document`. Regenerate the
snapshot the tests compare against with::

    PYTHONPATH=context-broker/src .venv/bin/python -m ngsild_broker.api.openapi_doc \\
        > context-broker/tests/snapshots/openapi.json
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from .. import errors
from ..guard import READ_ONLY_POST_SUFFIXES, WRITE_METHODS
from ..jsonld import CORE_CONTEXT_URL
from ..query.geo_query import GEOMETRY_DEPTH, GEORELS
from ..settings import BrokerSettings
from . import negotiation as neg
from .batch import MAX_BATCH

Json = dict[str, Any]

SPEC = "ETSI GS CIM 009 v1.8"
PREFIX = "/ngsi-ld/v1"
CORE_LINK = neg.link_header(CORE_CONTEXT_URL)
EXAMPLE_ID = "urn:ngsi-ld:WaterObserved:emd-neue-seeschleuse"
GEOMETRIES = list(GEOMETRY_DEPTH)
#: near takes maxDistance and/or minDistance in metres; the other relations take nothing.
GEOREL_PATTERN = ("^(near(;(maxDistance|minDistance)==[0-9]+(\\.[0-9]+)?)+|"
                  + "|".join(r for r in GEORELS if r != "near") + ")$")
#: FastAPI's path parameter names → the names the spec uses (clause 6); same URLs.
PATH_NAMES = {"entity_id": "entityId", "attr": "attrId", "attr_id": "attrId",
              "type_name": "type", "context_id": "contextId",
              "subscription_id": "subscriptionId", "sub_id": "subscriptionId",
              "instance_id": "instanceId"}


def _ref(kind: str, name: str) -> Json:
    return {"$ref": f"#/components/{kind}/{name}"}


def _schema(name: str) -> Json:
    return _ref("schemas", name)


def _examples(**values: Any) -> Json:
    """Named Example Objects: ``_examples(one=1)`` → ``{"one": {"value": 1}}``."""
    return {name: {"value": value} for name, value in values.items()}


# -- JSON Schemas ----------------------------------------------------------------------------

_URI = {"type": "string", "format": "uri", "examples": [EXAMPLE_ID]}
_DATE_TIME = {"type": "string", "format": "date-time", "examples": ["2026-11-22T10:00:00Z"]}
_NAMES = {"type": "array", "items": {"type": "string"}}
_SUB_ATTRIBUTES = {
    "additionalProperties": _schema("AttributeValue"),
    "description": "Other members are sub-attributes (Properties, Relationships, …).",
}
_COMMON_ATTRIBUTE_MEMBERS: Json = {
    "observedAt": _DATE_TIME,
    "datasetId": {**_URI, "examples": ["urn:ngsi-ld:Dataset:pegelonline"]},
    "createdAt": {**_DATE_TIME, "readOnly": True},
    "modifiedAt": {**_DATE_TIME, "readOnly": True},
}


def _attribute(kind: str, member: str, value: Json, description: str, **extra: Json) -> Json:
    """One normalized NGSI-LD attribute type (clause 4.5): ``type`` plus its value member."""
    return {
        "type": "object",
        "description": description,
        "required": ["type", member],
        "properties": {
            "type": {"const": kind},
            member: value,
            **extra,
            **_COMMON_ATTRIBUTE_MEMBERS,
        },
        **_SUB_ATTRIBUTES,
    }


_POSITION = {
    "type": "array", "minItems": 2, "maxItems": 3,
    "prefixItems": [
        {"type": "number", "minimum": -180, "maximum": 180, "description": "longitude"},
        {"type": "number", "minimum": -90, "maximum": 90, "description": "latitude"},
    ],
    "items": {"type": "number", "description": "altitude (m)"},
}


def _nested(levels: int, min_items: int = 1) -> Json:
    """``levels`` arrays around GeoJSON positions."""
    schema = _schema("Position")
    for _ in range(levels):
        schema = {"type": "array", "minItems": min_items, "items": schema}
    return schema


def _geometry(kind: str, coordinates: Json) -> Json:
    return {"type": "object", "required": ["type", "coordinates"],
            "properties": {"type": {"const": kind}, "coordinates": coordinates}}


_ENTITY_MEMBERS: Json = {
    "id": {**_URI, "description": "The entity id: a URI (usually urn:ngsi-ld:<Type>:<local id>)."},
    "type": {
        "description": "Entity type name(s), expanded with the request's @context.",
        "oneOf": [{"type": "string", "minLength": 1},
                  {"type": "array", "minItems": 1, "items": {"type": "string", "minLength": 1}}],
        "examples": ["WaterObserved"],
    },
    "scope": {
        "description": "Scope(s) of the entity, e.g. /Ostfriesland/Emden.",
        "oneOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}],
    },
    "@context": _schema("LdContext"),
    "createdAt": {**_DATE_TIME, "readOnly": True},
    "modifiedAt": {**_DATE_TIME, "readOnly": True},
}


def _entity(required: list[str], description: str) -> Json:
    return {"type": "object", "description": description, "required": required,
            "properties": _ENTITY_MEMBERS,
            "additionalProperties": _schema("AttributeValue")}


SCHEMAS: Json = {
    "ProblemDetails": {
        "type": "object",
        "description": "RFC 7807 ProblemDetails with an NGSI-LD error type URI (clause 5.5.2).",
        "required": ["type", "title"],
        "properties": {
            "type": {"type": "string", "format": "uri",
                     "examples": [errors.ERROR_BASE + "BadRequestData"]},
            "title": {"type": "string"},
            "status": {"type": "integer", "minimum": 400, "maximum": 599},
            "detail": {"type": "string"},
            "instance": {"type": "string", "format": "uri-reference"},
        },
    },
    "LdContext": {
        "description": "A JSON-LD @context: a URL, an inline object, or an array of both.",
        "oneOf": [
            {"type": "string", "format": "uri"},
            {"type": "object"},
            {"type": "array", "items": {"oneOf": [{"type": "string", "format": "uri"},
                                                  {"type": "object"}]}},
        ],
        "examples": [CORE_CONTEXT_URL],
    },
    "Property": _attribute(
        "Property", "value", {"description": "Any JSON value except null."},
        "A Property: a value with optional unit, time and dataset.",
        unitCode={"type": "string", "description": "UN/CEFACT code", "examples": ["CMT"]},
    ),
    "Relationship": _attribute(
        "Relationship", "object",
        {"oneOf": [_URI, {"type": "array", "items": _URI}]},
        "A Relationship: points to another entity by id.",
        objectType={"type": "string"},
    ),
    "GeoProperty": _attribute(
        "GeoProperty", "value", _schema("Geometry"),
        "A GeoProperty: a GeoJSON geometry in WGS 84 (longitude, latitude).",
    ),
    "LanguageProperty": _attribute(
        "LanguageProperty", "languageMap",
        {"type": "object", "additionalProperties": {"type": "string"},
         "examples": [{"de": "Emden Neue Seeschleuse", "en": "Emden new sea lock"}]},
        "A LanguageProperty: one string per language tag (see the lang parameter).",
    ),
    "ListProperty": _attribute(
        "ListProperty", "valueList", {"type": "array"}, "A ListProperty: an ordered list.",
    ),
    "VocabProperty": _attribute(
        "VocabProperty", "vocab",
        {"oneOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]},
        "A VocabProperty: term(s) expanded with the @context.",
    ),
    "Attribute": {
        "description": "One attribute instance in normalized form.",
        "oneOf": [_schema(kind) for kind in (
            "Property", "Relationship", "GeoProperty", "LanguageProperty", "ListProperty",
            "VocabProperty")],
    },
    "AttributeValue": {
        "description": (
            "An attribute as sent or returned: normalized (one instance, or an array of "
            "instances with distinct datasetId), concise (the type is inferred from the "
            "members) or, in keyValues answers, the bare value."
        ),
        "anyOf": [
            _schema("Attribute"),
            {"type": "array", "minItems": 1, "items": _schema("Attribute")},
            {"description": "concise or keyValues form: any JSON value except null",
             "type": ["string", "number", "boolean", "object", "array"]},
        ],
    },
    "Position": _POSITION,
    "Geometry": {
        "description": "GeoJSON geometry (RFC 7946); other geometry types are rejected.",
        "oneOf": [
            _geometry("Point", _schema("Position")),
            _geometry("MultiPoint", _nested(1)),
            _geometry("LineString", _nested(1, 2)),
            _geometry("MultiLineString", _nested(2)),
            _geometry("Polygon", {"type": "array", "minItems": 1,
                                  "items": {"type": "array", "minItems": 4,
                                            "items": _schema("Position")}}),
            _geometry("MultiPolygon", _nested(3)),
        ],
        "examples": [{"type": "Point", "coordinates": [7.19, 53.34]}],
    },
    "Entity": _entity(["id", "type"], (
        "An NGSI-LD entity (clause 4.5). Members other than id, type, scope, @context, "
        "createdAt and modifiedAt are attributes, named as terms of the @context."
    )),
    "EntityResult": _entity([], (
        "An entity as the broker returns it, in the representation asked for (normalized, "
        "concise or keyValues). Any member may be missing when pick or omit removed it."
    )),
    "EntityReplacement": _entity(["type"], (
        "The whole new entity for PUT; id may be left out (it is taken from the URL) and must "
        "match the URL if given."
    )),
    "EntityFragment": {
        "type": "object", "minProperties": 1,
        "description": (
            "Attributes to add or change. id (if present) must match the entity; type, scope "
            "and @context members are not attributes and are ignored as such."
        ),
        "properties": {"id": _URI, "type": _ENTITY_MEMBERS["type"], "@context":
                       _schema("LdContext")},
        "additionalProperties": _schema("AttributeValue"),
    },
    "BatchEntityFragment": {
        "allOf": [_schema("EntityFragment"), {"required": ["id"]}],
        "description": "Attributes to merge into the existing entity with this id.",
    },
    "UpdateResult": {
        "type": "object",
        "description": "Which attributes were changed and which were not, and why.",
        "required": ["updated", "notUpdated"],
        "properties": {
            "updated": _NAMES,
            "notUpdated": {"type": "array", "items": {
                "type": "object", "required": ["attributeName", "reason"],
                "properties": {"attributeName": {"type": "string"},
                               "reason": {"type": "string"}},
            }},
        },
    },
    "BatchOperationResult": {
        "type": "object",
        "description": (
            "Outcome per entity: each entity is written in its own "
            "transaction, so the ids in success were stored completely and the others not "
            "at all."
        ),
        "required": ["success", "errors"],
        "properties": {
            "success": {"type": "array", "items": _URI},
            "errors": {"type": "array", "items": {
                "type": "object", "required": ["entityId", "error"],
                "properties": {"entityId": {"type": ["string", "null"]},
                               "error": _schema("ProblemDetails")},
            }},
        },
    },
    "EntitySelector": {
        "type": "object",
        "description": "Which entities: by id, id pattern and/or type expression.",
        "properties": {"id": _URI, "idPattern": {"type": "string", "format": "regex"},
                       "type": {"type": "string", "examples": ["WaterObserved"]}},
    },
    "GeoQuery": {
        "type": "object",
        "description": "A geo-query (clause 4.10), as the georel/geometry/coordinates/"
                       "geoproperty parameters of GET /entities.",
        "required": ["georel", "geometry", "coordinates"],
        "properties": {
            "georel": {"type": "string", "examples": ["near;maxDistance==2000"]},
            "geometry": {"type": "string", "enum": GEOMETRIES},
            "coordinates": {"type": "array", "examples": [[7.19, 53.34]]},
            "geoproperty": {"type": "string", "default": "location"},
        },
    },
    "Query": {
        "type": "object",
        "description": (
            "A query as a JSON document: the same filters as GET /entities. "
            "Terms are expanded with the @context of the Link header."
        ),
        "required": ["type"],
        "properties": {
            "type": {"const": "Query"},
            "entities": {"type": "array", "maxItems": 1, "items": _schema("EntitySelector"),
                         "description": "At most one selector is supported."},
            "attrs": _NAMES,
            "q": {"type": "string", "description": "NGSI-LD query language (clause 4.9)."},
            "geoQ": _schema("GeoQuery"),
            "lang": {"type": "string", "description": "Language filter, as the lang parameter.",
                     "examples": ["de"]},
            "scopeQ": {"type": "string", "description": "Scope query, as the scopeQ parameter.",
                       "examples": ["/Ostfriesland/#"]},
            "csf": {"type": "string", "description": "As the csf parameter of GET /entities."},
            "@context": _schema("LdContext"),
        },
    },
    "ContextDocument": {
        "type": "object",
        "description": "A JSON-LD document with an @context member (clause 5.13).",
        "required": ["@context"],
        "properties": {"@context": _schema("LdContext")},
    },
    "ContextEntry": {
        "type": "object",
        "description": "One stored @context (details=true).",
        "required": ["URL", "localId", "kind", "createdAt", "numberOfHits"],
        "properties": {
            "URL": {"type": "string", "format": "uri"},
            "localId": {"type": "string"},
            "kind": {"type": "string", "enum": ["Cached", "Hosted"]},
            "createdAt": _DATE_TIME,
            "lastUsage": {"type": ["string", "null"], "format": "date-time"},
            "numberOfHits": {"type": "integer", "minimum": 0},
        },
    },
    "EntityTypeList": {
        "type": "object", "required": ["id", "type", "typeList"],
        "properties": {"id": _URI, "type": {"const": "EntityTypeList"}, "typeList": _NAMES},
    },
    "EntityType": {
        "type": "object", "required": ["id", "type", "typeName", "attributeNames"],
        "properties": {"id": _URI, "type": {"const": "EntityType"},
                       "typeName": {"type": "string"}, "attributeNames": _NAMES},
    },
    "EntityTypeInfo": {
        "type": "object", "required": ["id", "type", "typeName", "entityCount"],
        "properties": {
            "id": _URI, "type": {"const": "EntityTypeInfo"}, "typeName": {"type": "string"},
            "entityCount": {"type": "integer", "minimum": 0},
            "attributeDetails": {"type": "array", "items": {
                "type": "object", "properties": {
                    "id": _URI, "type": {"const": "Attribute"},
                    "attributeName": {"type": "string"}, "attributeTypes": _NAMES}}},
        },
    },
    "AttributeList": {
        "type": "object", "required": ["id", "type", "attributeList"],
        "properties": {"id": _URI, "type": {"const": "AttributeList"},
                       "attributeList": _NAMES},
    },
    "AttributeInfo": {
        "type": "object", "required": ["id", "type", "attributeName"],
        "description": "An attribute name in use; counts only for one name.",
        "properties": {
            "id": _URI, "type": {"const": "Attribute"}, "attributeName": {"type": "string"},
            "attributeCount": {"type": "integer", "minimum": 0},
            "attributeTypes": _NAMES, "typeNames": _NAMES,
        },
    },
    "Feature": {
        "type": "object", "required": ["id", "type", "geometry", "properties"],
        "description": "An entity as GeoJSON Feature (clause 4.5.16): the geometry of its "
                       "location (else its first GeoProperty).",
        "properties": {"id": _URI, "type": {"const": "Feature"},
                       "geometry": {"oneOf": [_schema("Geometry"), {"type": "null"}]},
                       "properties": {"type": "object"}},
    },
    "FeatureCollection": {
        "type": "object", "required": ["type", "features"],
        "properties": {"type": {"const": "FeatureCollection"},
                       "features": {"type": "array", "items": _schema("Feature")}},
    },
    "Version": {
        "type": "object", "required": ["broker", "version", "ngsiLdSpec"],
        "properties": {"broker": {"type": "string"}, "version": {"type": "string"},
                       "ngsiLdSpec": {"type": "string"}},
    },
}
SCHEMAS["ProblemDetails"]["examples"] = [{
    "type": errors.ERROR_BASE + "BadRequestData", "title": "Bad request data", "status": 400,
    "detail": "Entity id must be a URI, got 'x'"}]


# -- Subscriptions (clauses 5.2.12-5.2.15, 5.8) and notifications (clause 5.3.1) -------------

NOTIFICATION_TRIGGERS = ("entityCreated", "entityUpdated", "entityDeleted",
                         "attributeCreated", "attributeUpdated", "attributeDeleted")
#: Clause 5.2.12: without notificationTrigger, attribute creations and updates notify.
DEFAULT_TRIGGERS = ["attributeCreated", "attributeUpdated"]
REPRESENTATIONS = ["normalized", "keyValues", "concise"]
SUBSCRIPTION_ID = "urn:ngsi-ld:Subscription:emden-high-water"
_READ_ONLY_TIME = {**_DATE_TIME, "readOnly": True}
_COUNTER = {"type": "integer", "minimum": 0, "readOnly": True}
_SECONDS = {"type": "number", "exclusiveMinimum": 0}


def _key_values(description: str, example: dict[str, str]) -> Json:
    """A KeyValuePair list: ``[{"key": …, "value": …}, …]``."""
    return {"type": "array", "description": description, "items": {
        "type": "object", "required": ["key", "value"], "additionalProperties": False,
        "properties": {"key": {"type": "string", "minLength": 1}, "value": {"type": "string"}},
    }, "examples": [[{"key": key, "value": value} for key, value in example.items()]]}


_SUBSCRIPTION_MEMBERS: Json = {
    "id": {**_URI, "examples": [SUBSCRIPTION_ID],
           "description": "Generated (urn:ngsi-ld:Subscription:<UUID>) when left out."},
    "type": {"const": "Subscription"},
    "subscriptionName": {"type": "string", "examples": ["High water in Emden"]},
    "description": {"type": "string"},
    "entities": {"type": "array", "minItems": 1,
                 "items": _schema("SubscriptionEntitySelector"),
                 "description": "Entities to watch (any selector matches)."},
    "watchedAttributes": {
        **_NAMES, "minItems": 1,
        "description": "Notify only on changes of these attributes (default: any).",
    },
    "notificationTrigger": {
        "type": "array", "minItems": 1, "uniqueItems": True,
        "items": {"type": "string", "enum": list(NOTIFICATION_TRIGGERS)},
        "default": DEFAULT_TRIGGERS, "description": "Which kinds of change notify.",
    },
    "q": {"type": "string", "description": "Query language filter (clause 4.9) the changed "
                                           "entity must match.", "examples": ["height>500"]},
    "geoQ": _schema("GeoQuery"),
    "scopeQ": {"type": "string", "description": "Scope query, as the scopeQ parameter."},
    "lang": {"type": "string", "description": "Language filter of the notified entities, as "
                                              "the lang parameter."},
    "timeInterval": {**_SECONDS, "description": (
        "Seconds between periodic notifications (instead of notifying on change); not with "
        "watchedAttributes, throttling or notificationTrigger.")},
    "throttling": {**_SECONDS, "description": "Minimum seconds between two notifications."},
    "expiresAt": {**_DATE_TIME, "description": "From then on the subscription is expired."},
    "isActive": {"type": "boolean", "default": True, "description": "false pauses it."},
    "status": {"type": "string", "enum": ["active", "paused", "expired"], "readOnly": True,
               "description": "paused: isActive is false; expired: expiresAt has passed."},
    "notification": _schema("NotificationParams"),
    "jsonldContext": {"type": "string", "format": "uri", "readOnly": True, "description": (
        "URL of the @context the subscription was created with; it expands the terms of "
        "q, attributes and types when notifying.")},
    "@context": _schema("LdContext"),
}
_EXCLUDED_BY_TIME_INTERVAL = ("watchedAttributes", "throttling", "notificationTrigger")

SCHEMAS.update({
    "SubscriptionEntitySelector": {
        "allOf": [_schema("EntitySelector"), {"required": ["type"]}],
        "description": "Entities of this type, optionally restricted by id or idPattern.",
    },
    "Endpoint": {
        "type": "object",
        "description": "Where notifications go (clause 5.2.15).",
        "properties": {
            "uri": {
                "type": "string", "format": "uri", "pattern": "^(https?|mqtts?)://",
                "description": "http(s)://… receives an HTTP POST per notification; "
                               "mqtt(s)://host[:port]/topic an MQTT message on the topic.",
                "examples": ["https://alerts.example.org/ngsi-ld/notify",
                             "mqtt://mqtt.example.org:1883/emden/water"],
            },
            "accept": {"type": "string", "enum": [neg.JSON, neg.JSON_LD], "default": neg.JSON,
                       "description": "Media type of the notifications."},
            "receiverInfo": _key_values(
                "Sent with each notification: as HTTP headers, or in the metadata of the MQTT "
                "message.",
                {"X-Api-Key": "secret"}),
            "notifierInfo": _key_values(
                "Settings of the delivery, e.g. MQTT-QoS (0 or 1).", {"MQTT-QoS": "1"}),
        },
    },
    "NotificationParams": {
        "type": "object",
        "description": "What to send and where (clause 5.2.14), and how delivery went "
                       "(read-only members).",
        "properties": {
            "attributes": {**_NAMES, "description": "Attributes to include (default: all)."},
            "format": {"type": "string", "enum": REPRESENTATIONS, "default": "normalized"},
            "showChanges": {"type": "boolean", "default": False, "description": (
                "true: changed instances also carry their previous value (previousValue, "
                "previousObject, …).")},
            "sysAttrs": {"type": "boolean", "default": False,
                         "description": "true: with createdAt/modifiedAt."},
            "endpoint": _schema("Endpoint"),
            "status": {"type": "string", "enum": ["ok", "failed"], "readOnly": True,
                       "description": "Outcome of the last notification."},
            "timesSent": _COUNTER,
            "timesFailed": _COUNTER,
            "lastNotification": _READ_ONLY_TIME,
            "lastSuccess": _READ_ONLY_TIME,
            "lastFailure": _READ_ONLY_TIME,
        },
    },
    "Subscription": {
        "type": "object",
        "description": (
            "A subscription (clause 5.2.12): which changes of which entities are notified, to "
            "which endpoint (see the notification callback of POST /subscriptions for what "
            "the endpoint receives). Entity types and attribute names are terms of the "
            "@context."
        ),
        "required": ["type", "notification"],
        "properties": _SUBSCRIPTION_MEMBERS,
        "anyOf": [{"required": ["entities"]}, {"required": ["watchedAttributes"]}],
        "allOf": [{"properties": {"notification": {
            "required": ["endpoint"], "properties": {"endpoint": {"required": ["uri"]}}}}}],
        "dependentSchemas": {"timeInterval": {"not": {"anyOf": [
            {"required": [member]} for member in _EXCLUDED_BY_TIME_INTERVAL]}}},
    },
    "SubscriptionFragment": {
        "type": "object", "minProperties": 1,
        "description": (
            "Members to add or replace (clause 5.8.2); notification and its endpoint are "
            "merged member by member. The id cannot be changed; the result must again be a "
            "valid subscription."
        ),
        "properties": _SUBSCRIPTION_MEMBERS,
    },
    "Notification": {
        "type": "object",
        "description": (
            "What a subscription's endpoint receives (clause 5.3.1): an HTTP POST body, or "
            "the body of an MQTT message."
        ),
        "required": ["id", "type", "subscriptionId", "notifiedAt", "data"],
        "properties": {
            "id": {**_URI, "examples": ["urn:ngsi-ld:Notification:7d0c4b7e"]},
            "type": {"const": "Notification"},
            "subscriptionId": {**_URI, "examples": [SUBSCRIPTION_ID]},
            "notifiedAt": _DATE_TIME,
            "data": {"type": "array", "minItems": 1, "items": _schema("EntityResult"),
                     "description": "The changed entities in the subscription's format and "
                                    "attributes; a deleted entity as id, type and deletedAt."},
            "@context": _schema("LdContext"),
        },
    },
})


# -- Temporal representation (clauses 4.5.7-4.5.9, 4.5.19, 4.11, 5.2.21) ---------------------

TIMERELS = ["before", "after", "between"]
TIME_PROPERTIES = ["observedAt", "createdAt", "modifiedAt"]
AGGR_METHODS = ["totalCount", "distinctCount", "sum", "avg", "min", "max", "stddev", "sumsq"]
#: Simplified temporal representation (temporalValues): the member holding [value, time]
#: pairs, per attribute type.
TEMPORAL_VALUE_MEMBERS = {
    "Property": "values", "GeoProperty": "values", "Relationship": "objects",
    "LanguageProperty": "languageMaps", "ListProperty": "valueLists", "VocabProperty": "vocabs",
}
#: ISO 8601 duration such as PT1H or P1DT12H.
DURATION_PATTERN = (r"^P(?!$)(\d+Y)?(\d+M)?(\d+W)?(\d+D)?"
                    r"(T(?=\d)(\d+H)?(\d+M)?(\d+(\.\d+)?S)?)?$")
_VALUE_AT = {"type": "array", "minItems": 2, "maxItems": 2,
             "prefixItems": [{"description": "the value"},
                             {**_DATE_TIME, "description": "its time (timeproperty)"}]}
_AGGREGATE = {"type": "array", "minItems": 3, "maxItems": 3,
              "prefixItems": [{"description": "the aggregate (null: no instance)"},
                              {**_DATE_TIME, "description": "period start"},
                              {**_DATE_TIME, "description": "period end"}]}


def _temporal_entity(attribute: str, description: str) -> Json:
    """An attribute with several datasetIds (or whose type changed) is a list of them."""
    return {"type": "object", "description": description, "required": ["id", "type"],
            "properties": _ENTITY_MEMBERS, "additionalProperties": {"anyOf": [
                _schema(attribute), {"type": "array", "items": _schema(attribute)}]}}


SCHEMAS.update({
    "AttributeInstance": {
        "description": "One instance of an attribute's history: the attribute with the time "
                       "it applies to (observedAt) and the broker-assigned instanceId.",
        "allOf": [_schema("Attribute"), {"properties": {"instanceId": {
            **_URI, "examples": ["urn:ngsi-ld:Instance:0a6c2f"],
            "description": "Names the instance in .../attrs/{attrId}/{instanceId}."}}}],
    },
    "TemporalAttribute": {
        "description": "The instances of one attribute, normalized (clause 4.5.7).",
        "anyOf": [_schema("AttributeInstance"),
                  {"type": "array", "minItems": 1, "items": _schema("AttributeInstance")}],
    },
    "TemporalValues": {
        "description": (
            "Simplified temporal representation (temporalValues, clause 4.5.9): [value, time] "
            "pairs in a member named after the attribute type: "
            + ", ".join(f"{kind} {member}" for kind, member in TEMPORAL_VALUE_MEMBERS.items())
            + "."
        ),
        "oneOf": [{"type": "object", "required": ["type", member], "properties": {
            "type": {"const": kind}, member: {"type": "array", "items": _VALUE_AT}}}
            for kind, member in TEMPORAL_VALUE_MEMBERS.items()],
    },
    "AggregatedValues": {
        "type": "object", "minProperties": 2,
        "description": (
            "Aggregated temporal representation (aggregatedValues, clause 4.5.19): one member "
            "per method of aggrMethods, each a list of [aggregate, period start, period end]."
        ),
        "required": ["type"],
        "properties": {"type": {"type": "string", "enum": list(TEMPORAL_VALUE_MEMBERS)},
                       **{method: {"type": "array", "items": _AGGREGATE}
                          for method in AGGR_METHODS}},
    },
    "TemporalEntity": _temporal_entity("TemporalAttribute", (
        "The temporal evolution of an entity, normalized: each attribute is the list of its "
        "instances, each with observedAt (and, as returned, instanceId)."
    )),
    "TemporalEntityValues": _temporal_entity(
        "TemporalValues", "The temporal evolution of an entity, simplified (temporalValues)."),
    "TemporalEntityAggregated": _temporal_entity(
        "AggregatedValues", "Aggregates of an entity's attributes (aggregatedValues)."),
    "TemporalEntityResult": {
        "description": "A temporal entity in the representation asked for.",
        "anyOf": [_schema(name) for name in (
            "TemporalEntity", "TemporalEntityValues", "TemporalEntityAggregated")],
    },
    "TemporalEntityFragment": {
        "type": "object", "minProperties": 1,
        "description": "Attribute instances to add, as in a temporal entity.",
        "properties": {"id": _URI, "type": _ENTITY_MEMBERS["type"],
                       "@context": _schema("LdContext")},
        "additionalProperties": _schema("TemporalAttribute"),
    },
    "TemporalQ": {
        "type": "object",
        "description": "Temporal restriction (clause 5.2.21), as the timerel, timeAt, "
                       "endTimeAt, timeproperty and lastN parameters.",
        "properties": {
            "timerel": {"type": "string", "enum": TIMERELS},
            "timeAt": _DATE_TIME,
            "endTimeAt": _DATE_TIME,
            "timeproperty": {"type": "string", "enum": TIME_PROPERTIES,
                             "default": "observedAt"},
            "lastN": {"type": "integer", "minimum": 1, "description": "As the lastN parameter."},
        },
        "dependentRequired": {"timerel": ["timeAt"]},
        "if": {"required": ["timerel"], "properties": {"timerel": {"const": "between"}}},
        "then": {"required": ["endTimeAt"]},
    },
    "TemporalQuery": {
        "description": "The query document of POST /entityOperations/query with temporalQ.",
        "allOf": [_schema("Query"), {"properties": {"temporalQ": _schema("TemporalQ")}}],
    },
})


def _with_context(schema: Json) -> Json:
    return {"allOf": [schema, {"required": ["@context"]}]}


# -- Example payloads ------------------------------------------------------------------------

WATER_OBSERVED: Json = {
    "id": EXAMPLE_ID,
    "type": "WaterObserved",
    "height": {"type": "Property", "value": 432.0, "unitCode": "CMT",
               "observedAt": "2026-11-22T10:00:00Z"},
    "location": {"type": "GeoProperty", "value": {"type": "Point", "coordinates": [7.19, 53.34]}},
    "refDevice": {"type": "Relationship", "object": "urn:ngsi-ld:Device:emd:gauge-1"},
    "name": {"type": "LanguageProperty", "languageMap": {"de": "Emden Neue Seeschleuse"}},
}
CONCISE = {"id": EXAMPLE_ID, "type": "WaterObserved", "height": {"value": 432.0,
                                                                 "unitCode": "CMT"},
           "refDevice": {"object": "urn:ngsi-ld:Device:emd:gauge-1"}}
KEY_VALUES = {"id": EXAMPLE_ID, "type": "WaterObserved", "height": 432.0,
              "refDevice": "urn:ngsi-ld:Device:emd:gauge-1"}
HEIGHT = {"height": {"type": "Property", "value": 440.0, "observedAt": "2026-11-22T10:15:00Z"}}
BATCH_RESULT = {"success": [EXAMPLE_ID], "errors": [{
    "entityId": "urn:ngsi-ld:WaterObserved:x",
    "error": {"type": errors.ERROR_BASE + "AlreadyExists", "title": "Already exists",
              "status": 409, "detail": "Entity urn:ngsi-ld:WaterObserved:x already exists"}}]}
SUBSCRIPTION: Json = {
    "id": SUBSCRIPTION_ID, "type": "Subscription", "subscriptionName": "High water in Emden",
    "entities": [{"type": "WaterObserved"}], "watchedAttributes": ["height"],
    "q": "height>500",
    "notification": {"attributes": ["height"], "format": "keyValues", "endpoint": {
        "uri": "https://alerts.example.org/ngsi-ld/notify", "accept": neg.JSON,
        "receiverInfo": [{"key": "X-Api-Key", "value": "secret"}]}},
}
MQTT_SUBSCRIPTION: Json = {
    "type": "Subscription",
    "entities": [{"type": "WaterObserved", "idPattern": "^urn:ngsi-ld:WaterObserved:emd-.*"}],
    "notificationTrigger": ["entityCreated", "attributeUpdated"], "throttling": 60,
    "notification": {"format": "concise", "endpoint": {
        "uri": "mqtt://mqtt.example.org:1883/emden/water",
        "notifierInfo": [{"key": "MQTT-QoS", "value": "1"}]}},
}
STORED_SUBSCRIPTION: Json = {
    **SUBSCRIPTION, "isActive": True, "status": "active",
    "notification": {**SUBSCRIPTION["notification"], "status": "ok", "timesSent": 3,
                     "timesFailed": 0, "lastNotification": "2026-11-22T10:15:01Z",
                     "lastSuccess": "2026-11-22T10:15:01Z"},
}
NOTIFICATION: Json = {
    "id": "urn:ngsi-ld:Notification:7d0c4b7e", "type": "Notification",
    "subscriptionId": SUBSCRIPTION_ID, "notifiedAt": "2026-11-22T10:15:01Z",
    "data": [{"id": EXAMPLE_ID, "type": "WaterObserved", "height": 512.0}],
}


def _height_history(instance_ids: bool) -> list[Json]:
    values = ((432.0, "2026-11-22T10:00:00Z"), (440.0, "2026-11-22T10:15:00Z"))
    return [{"type": "Property", "value": value, "unitCode": "CMT", "observedAt": at,
             **({"instanceId": f"urn:ngsi-ld:Instance:{n}"} if instance_ids else {})}
            for n, (value, at) in enumerate(values, 1)]


_TEMPORAL_HEAD = {"id": EXAMPLE_ID, "type": "WaterObserved"}
TEMPORAL_ENTITY: Json = {**_TEMPORAL_HEAD, "height": _height_history(instance_ids=False)}
TEMPORAL_EXAMPLES: Json = _examples(
    normalized={**_TEMPORAL_HEAD, "height": _height_history(instance_ids=True)},
    temporalValues={**_TEMPORAL_HEAD, "height": {"type": "Property", "values": [
        [432.0, "2026-11-22T10:00:00Z"], [440.0, "2026-11-22T10:15:00Z"]]}},
    aggregatedValues={**_TEMPORAL_HEAD, "height": {
        "type": "Property",
        "avg": [[436.0, "2026-11-22T10:00:00Z", "2026-11-22T11:00:00Z"]],
        "max": [[440.0, "2026-11-22T10:00:00Z", "2026-11-22T11:00:00Z"]]}},
)


# -- Parameters and headers ------------------------------------------------------------------


def _param(where: str, name: str, description: str, schema: Json, *, required: bool = False,
           examples: Json | None = None, explode: bool | None = None) -> Json:
    param: Json = {"name": name, "in": where, "description": description,
                   "required": required or where == "path", "schema": schema}
    if explode is not None:  # comma-separated lists: ?attrs=a,b
        param.update(style="form", explode=explode)
    if examples:
        param["examples"] = examples
    return param


def _list_param(name: str, description: str, items: Json, **examples: Any) -> Json:
    return _param("query", name, description, {"type": "array", "items": items},
                  explode=False, examples=_examples(**examples))


def _options(description: str, values: list[str], **examples: Any) -> Json:
    return _list_param("options", description, {"type": "string", "enum": values}, **examples)


def parameters(settings: BrokerSettings) -> Json:
    """Every parameter the broker reads, keyed by component name (several are ``options``)."""
    boolean = {"type": "boolean", "default": False}
    return {
        "tenant": _param(
            "header", neg.TENANT_HEADER,
            "Tenant; absent = the default tenant. Writes create a tenant; "
            "reads of a tenant that was never written answer 404 NonexistentTenant.",
            {"type": "string", "pattern": "^[A-Za-z0-9_-]{1,64}$"},
            examples=_examples(tenant="emden"),
        ),
        "link": _param(
            "header", "Link",
            "The @context for the terms of this request, as "
            f'<URL>; rel="{neg.JSON_LD_CONTEXT_REL}". Without it the core @context applies. '
            "Not allowed together with an application/ld+json body (400).",
            {"type": "string"}, examples=_examples(core=CORE_LINK),
        ),
        "entityId": _param("path", "entityId", "Id of the entity (a URI; URL-encode it).",
                           {"type": "string"}, examples=_examples(id=EXAMPLE_ID)),
        "attrId": _param("path", "attrId",
                         "Attribute name, expanded with the @context of the Link header.",
                         {"type": "string"}, examples=_examples(name="height")),
        "typeName": _param("path", "type", "Entity type name (expanded with the @context).",
                           {"type": "string"}, examples=_examples(name="WaterObserved")),
        "contextId": _param(
            "path", "contextId",
            "localId of a stored @context (see GET /jsonldContexts?details=true), or its "
            "URL-encoded URL.",
            {"type": "string"}, examples=_examples(localId="0f8a3c2e5b7d4e1f9a6b2c8d0e3f5a7b"),
        ),
        "type": _param(
            "query", "type",
            "Entity type selection (clause 4.17): a type name, or A,B / A|B (any of) and A;B "
            "(all of). Parentheses are not supported (400).",
            {"type": "string", "minLength": 1},
            examples=_examples(one="WaterObserved", anyOf="WaterObserved,WeatherObserved",
                               allOf="Device;WaterObserved"),
        ),
        "id": _list_param("id", "Entity ids, comma-separated.", {"type": "string",
                                                                   "format": "uri"},
                          one=[EXAMPLE_ID]),
        "idPattern": _param(
            "query", "idPattern", "Regular expression the entity id must match.",
            {"type": "string", "format": "regex"},
            examples=_examples(prefix="^urn:ngsi-ld:WaterObserved:emd-.*"),
        ),
        "attrs": _list_param(
            "attrs",
            "Attributes to return. In a query, also a filter: entities having at least one "
            "of them.",
            {"type": "string"}, two=["height", "location"],
        ),
        "pick": _list_param(
            "pick", "Entity members to keep (clause 4.21): id, type, attribute names. Not with "
            "omit (400).", {"type": "string"}, members=["id", "height"],
        ),
        "omit": _list_param(
            "omit", "Entity members to drop (clause 4.21). Not with pick (400).",
            {"type": "string"}, members=["location"],
        ),
        "q": _param(
            "query", "q",
            "NGSI-LD query language (clause 4.9): ; = and, | = or, ==, !=, >, <, >=, <=, "
            "~= (regex), !~=, ranges a..b, lists, paths attr.sub and attr[key].",
            {"type": "string", "maxLength": 4096},
            examples=_examples(
                compare="height>400",
                both='height>400;refDevice=="urn:ngsi-ld:Device:emd:gauge-1"',
                range="height==400..500",
            ),
        ),
        "georel": _param(
            "query", "georel",
            "Geo-relation (clause 4.10): near;maxDistance==<m> and/or minDistance==<m>, "
            "within, contains, intersects, disjoint, equals or overlaps. Needs geometry and "
            "coordinates.",
            {"type": "string", "pattern": GEOREL_PATTERN},
            examples=_examples(near="near;maxDistance==2000", within="within"),
        ),
        "geometry": _param(
            "query", "geometry", "GeoJSON geometry type of coordinates.",
            {"type": "string", "enum": GEOMETRIES},
            examples=_examples(point="Point", polygon="Polygon"),
        ),
        "coordinates": _param(
            "query", "coordinates",
            "GeoJSON coordinates of the query geometry as JSON text (longitude, latitude).",
            {"type": "string", "maxLength": 1_000_000},
            examples=_examples(
                point="[7.19,53.34]",
                polygon="[[[7.1,53.3],[7.3,53.3],[7.3,53.4],[7.1,53.4],[7.1,53.3]]]",
            ),
        ),
        "geoproperty": _param(
            "query", "geoproperty", "GeoProperty the geo-query applies to.",
            {"type": "string", "default": "location"}, examples=_examples(core="location"),
        ),
        "limit": _param(
            "query", "limit",
            f"Page size. Above {settings.max_limit}: 403 TooManyResults.",
            {"type": "integer", "minimum": 0, "maximum": settings.max_limit, "default": 20},
            examples=_examples(page=100),
        ),
        "offset": _param("query", "offset", "Results to skip (pagination).",
                         {"type": "integer", "minimum": 0, "default": 0},
                         examples=_examples(second_page=100)),
        "count": _param(
            "query", "count",
            "true: the total number of matches is sent in the NGSILD-Results-Count header.",
            boolean, examples=_examples(yes=True),
        ),
        "renderOptions": _options(
            "Representation: keyValues (bare values), concise, normalized (default); "
            "sysAttrs adds createdAt/modifiedAt.",
            ["keyValues", "concise", "normalized", "sysAttrs"],
            keyValues=["keyValues"], sysAttrs=["concise", "sysAttrs"],
        ),
        "format": _param(
            "query", "format", "Representation; takes precedence over options.",
            {"type": "string", "enum": ["normalized", "keyValues", "concise"]},
            examples=_examples(simple="keyValues"),
        ),
        "lang": _param(
            "query", "lang",
            "Language filter: LanguageProperties are returned as the string of the best "
            "matching language: language ranges, comma-separated, with optional ;q= weights; "
            "* = any.",
            {"type": "string"},
            examples=_examples(german="de", preference="fr-CH,fr;q=0.9,en;q=0.8,*;q=0.5"),
        ),
        "local": _param(
            "query", "local",
            "true: only entities held by this broker, no distributed operation. "
            "This broker has no context sources, so the answer is the same.",
            boolean, examples=_examples(yes=True),
        ),
        "scopeQ": _param(
            "query", "scopeQ",
            "Scope query: /A/B matches that scope, /A/+/C any one level in between, /A/# A "
            "and everything below it; ; = and, , or | = or, parentheses group.",
            {"type": "string"}, examples=_examples(city="/Ostfriesland/Emden",
                                                   subtree="/Ostfriesland/#"),
        ),
        "csf": _param(
            "query", "csf",
            "Context source filter (query language syntax). This broker holds no context "
            "source registrations: csf is validated (400 if malformed) but filters nothing.",
            {"type": "string"}, examples=_examples(endpoint='endpoint=="http://localhost"'),
        ),
        "appendOptions": _options(
            "noOverwrite: keep attributes the entity already has; they are reported in a 207 "
            "answer.", ["noOverwrite"], keep=["noOverwrite"],
        ),
        "upsertOptions": _options(
            "replace (default): existing entities are replaced; update: attributes are merged "
            "into them.", ["replace", "update"], merge=["update"],
        ),
        "datasetId": _param(
            "query", "datasetId", "Delete only the instance with this datasetId.",
            {"type": "string", "format": "uri"},
            examples=_examples(dataset="urn:ngsi-ld:Dataset:pegelonline"),
        ),
        "deleteAll": _param("query", "deleteAll", "true: delete every instance (datasetId).",
                            boolean, examples=_examples(yes=True)),
        "details": _param("query", "details", "true: full descriptions instead of a name list.",
                          boolean, examples=_examples(yes=True)),
        "kind": _param("query", "kind", "Only @contexts of this kind.",
                       {"type": "string", "enum": ["Cached", "Hosted"]},
                       examples=_examples(hosted="Hosted")),
        **_subscription_and_temporal_parameters(),
    }


def _subscription_and_temporal_parameters() -> Json:
    date_time = {"type": "string", "format": "date-time"}
    return {
        "subscriptionId": _param("path", "subscriptionId",
                                 "Id of the subscription (a URI; URL-encode it).",
                                 {"type": "string"}, examples=_examples(id=SUBSCRIPTION_ID)),
        "instanceId": _param(
            "path", "instanceId",
            "instanceId of the attribute instance, as in the normalized temporal "
            "representation.", {"type": "string"},
            examples=_examples(id="urn:ngsi-ld:Instance:1"),
        ),
        "timerel": _param(
            "query", "timerel",
            "Temporal relation (clause 4.11) of timeproperty to timeAt: before, after, or "
            "between timeAt and endTimeAt. Needs timeAt (between: also endTimeAt). Without "
            "timerel the whole history is considered.",
            {"type": "string", "enum": TIMERELS}, examples=_examples(since="after"),
        ),
        "timeAt": _param("query", "timeAt", "Reference time of timerel (ISO 8601, UTC).",
                         date_time, examples=_examples(morning="2026-11-22T06:00:00Z")),
        "endTimeAt": _param("query", "endTimeAt", "End of the range of timerel=between.",
                            date_time, examples=_examples(noon="2026-11-22T12:00:00Z")),
        "timeproperty": _param(
            "query", "timeproperty", "The time of an instance that timerel compares.",
            {"type": "string", "enum": TIME_PROPERTIES, "default": "observedAt"},
            examples=_examples(stored="createdAt"),
        ),
        "lastN": _param(
            "query", "lastN",
            "Only the N most recent instances of each attribute (within the time range).",
            {"type": "integer", "minimum": 1}, examples=_examples(ten=10),
        ),
        "aggrMethods": _list_param(
            "aggrMethods",
            "Aggregation methods for the aggregatedValues representation (clause 4.5.19).",
            {"type": "string", "enum": AGGR_METHODS}, avgMax=["avg", "max"],
        ),
        "aggrPeriodDuration": _param(
            "query", "aggrPeriodDuration",
            "Length of each aggregation period (ISO 8601 duration); absent or PT0S: one "
            "period over the whole time range.",
            {"type": "string", "format": "duration", "pattern": DURATION_PATTERN,
             "default": "PT0S"},
            examples=_examples(hourly="PT1H", daily="P1D"),
        ),
        "temporalOptions": _options(
            "Representation: temporalValues (simplified: [value, time] pairs), "
            "aggregatedValues (needs aggrMethods), normalized (default); sysAttrs adds "
            "createdAt/modifiedAt to each instance.",
            ["temporalValues", "aggregatedValues", "normalized", "sysAttrs"],
            simplified=["temporalValues"], aggregated=["aggregatedValues"],
        ),
        "datasetIdFilter": _param(
            "query", "datasetId", "Only instances with this datasetId; @none: only those "
            "without one.", {"type": "string"},
            examples=_examples(dataset="urn:ngsi-ld:Dataset:pegelonline", default="@none"),
        ),
        "temporalFormat": _param(
            "query", "format", "Representation; takes precedence over options.",
            {"type": "string", "enum": ["normalized", "temporalValues", "aggregatedValues"]},
            examples=_examples(simplified="temporalValues"),
        ),
    }


HEADERS: Json = {
    "Location": {"description": "URL path of the created resource.",
                 "schema": {"type": "string", "format": "uri-reference"}},
    "Link": {
        "description": "The @context the answer's terms are compacted with (application/json "
                       "answers only; application/ld+json answers carry @context in the body).",
        "schema": {"type": "string", "examples": [CORE_LINK]},
    },
    "NGSILD-Results-Count": {"description": "Total number of matches (only with count=true).",
                             "schema": {"type": "integer", "minimum": 0}},
    "Content-Range": {
        "description": (
            "The time range of the instances returned, 'date-time <start>-<end>/<size>' "
            "(clause 6.3.10): size is lastN, else *. Without lastN the range runs forwards "
            "(continue with timerel=after and timeAt=<end>); with lastN backwards, "
            "from the most recent instance (continue with timerel=before and timeAt=<end>)."
        ),
        "schema": {"type": "string", "pattern": r"^date-time \S+-\S+/([0-9]+|\*)$",
                   "examples": ["date-time 2026-11-22T00:00:00Z-2026-11-22T08:00:00Z/*"]},
    },
}


# -- Request bodies --------------------------------------------------------------------------


@dataclass(frozen=True)
class Body:
    """A request body: its schema, and whether application/ld+json items must carry
    @context (NGSI-LD payloads do; the query document and id lists do not)."""

    description: str
    schema: str
    array: tuple[int, int] | None = None  # (minItems, maxItems) of a batch array
    ld_needs_context: bool = True
    examples: Json = field(default_factory=dict)

    def render(self) -> Json:
        item = _schema(self.schema)
        ld_item = _with_context(item) if self.ld_needs_context else item
        plain, ld = item, ld_item
        if self.array:
            low, high = self.array
            plain, ld = ({"type": "array", "minItems": low, "maxItems": high, "items": schema}
                         for schema in (item, ld_item))
        ld_examples = {
            name: {"value": _add_context(example["value"])} for name, example in
            self.examples.items()
        } if self.ld_needs_context else self.examples
        where = " of each item" if self.array else ""
        note = (f" With application/json the @context comes from the Link header, with "
                f"application/ld+json from the @context member{where}.")
        return {
            "required": True,
            "description": self.description + (note if self.ld_needs_context else ""),
            "content": {
                neg.JSON: {"schema": plain, "examples": self.examples},
                neg.JSON_LD: {"schema": ld, "examples": ld_examples},
            },
        }


def _add_context(value: Any) -> Any:
    if isinstance(value, list):
        return [_add_context(item) for item in value]
    if isinstance(value, dict):
        return {**value, "@context": CORE_CONTEXT_URL}
    return value


BODIES: dict[str, Body] = {
    "Entity": Body("The entity to create.", "Entity", examples=_examples(
        normalized=WATER_OBSERVED, concise=CONCISE)),
    "EntityReplacement": Body("The entity's new content.", "EntityReplacement",
                              examples=_examples(normalized=WATER_OBSERVED)),
    "EntityFragment": Body("Attributes, as in an entity.", "EntityFragment",
                           examples=_examples(height=HEIGHT)),
    "Attribute": Body("The new attribute instance.", "Attribute", examples=_examples(
        height=HEIGHT["height"])),
    "Entities": Body(f"1 to {MAX_BATCH} entities.", "Entity", array=(1, MAX_BATCH),
                     examples=_examples(one=[WATER_OBSERVED])),
    "EntityFragments": Body(f"1 to {MAX_BATCH} entity fragments, each with id.",
                            "BatchEntityFragment", array=(1, MAX_BATCH),
                            examples=_examples(one=[{"id": EXAMPLE_ID, **HEIGHT}])),
    "EntityIds": Body(f"1 to {MAX_BATCH} entity ids.", "EntityIdArray",
                      ld_needs_context=False, examples=_examples(two=[
                          EXAMPLE_ID, "urn:ngsi-ld:WaterObserved:leer"])),
    "Query": Body("The query.", "Query", ld_needs_context=False, examples=_examples(
        byType={"type": "Query", "entities": [{"type": "WaterObserved"}],
                "q": "height>400"},
        near={"type": "Query", "entities": [{"type": "WaterObserved"}],
              "geoQ": {"georel": "near;maxDistance==2000", "geometry": "Point",
                       "coordinates": [7.19, 53.34]}},
    )),
    "ContextDocument": Body("The @context document to host.", "ContextDocument",
                            ld_needs_context=False, examples=_examples(inline={
                                "@context": {"height": "https://smartdatamodels.org/"
                                                       "dataModel.Environment/height"}})),
    "Subscription": Body("The subscription.", "Subscription", examples=_examples(
        http=SUBSCRIPTION, mqtt=MQTT_SUBSCRIPTION)),
    "SubscriptionFragment": Body("Members to change.", "SubscriptionFragment",
                                 examples=_examples(pause={"isActive": False}, throttle={
                                     "throttling": 300, "notification": {"format": "concise"}})),
    "TemporalEntity": Body("The entity with the attribute instances to store.",
                           "TemporalEntity", examples=_examples(normalized=TEMPORAL_ENTITY)),
    "TemporalEntityFragment": Body(
        "Attribute instances to add.", "TemporalEntityFragment",
        examples=_examples(height={"height": _height_history(instance_ids=False)})),
    "TemporalQuery": Body("The query.", "TemporalQuery", ld_needs_context=False,
                          examples=_examples(lastHours={
                              "type": "Query", "entities": [{"type": "WaterObserved"}],
                              "attrs": ["height"], "temporalQ": {
                                  "timerel": "between", "timeAt": "2026-11-22T06:00:00Z",
                                  "endTimeAt": "2026-11-22T12:00:00Z"}})),
}
SCHEMAS["EntityIdArray"] = {"type": "array", "minItems": 1, "maxItems": MAX_BATCH,
                            "items": _URI}


# -- Responses -------------------------------------------------------------------------------

#: What each error status means here; the NGSI-LD types come from errors.py.
ERROR_MEANINGS = {
    400: "The request is malformed (InvalidRequest: not JSON, bad Link or Content-Type use) "
         "or its data is invalid (BadRequestData: ids, attributes, parameters, @context).",
    401: "A write without the right 'Authorization: Bearer <token>' header.",
    403: "TooManyResults: limit above the maximum, or a batch above its size limit.",
    404: "ResourceNotFound: no such entity, attribute, attribute instance, type, "
         "subscription or @context; NonexistentTenant: the NGSILD-Tenant was never written to.",
    406: "None of the media types in Accept can be produced.",
    409: "AlreadyExists: an entity or subscription with this id exists.",
    413: "The request body is larger than the broker's limit.",
    415: "The Content-Type is neither application/json nor application/ld+json.",
    422: "OperationNotSupported: a feature the broker does not implement.",
    500: "An unexpected failure of the broker (see its log).",
    503: "LdContextNotAvailable: an @context named by the request could not be loaded.",
}


def error_types() -> dict[int, list[type[errors.NgsiLdError]]]:
    """NGSI-LD error classes by HTTP status, from errors.py."""
    found: dict[int, list[type[errors.NgsiLdError]]] = {}
    pending: list[type[errors.NgsiLdError]] = [errors.NgsiLdError]
    while pending:
        cls = pending.pop()
        found.setdefault(cls.status, []).append(cls)
        pending.extend(cls.__subclasses__())
    return {status: sorted(classes, key=lambda c: c.__name__)
            for status, classes in sorted(found.items())}


def problem_response(status: int, classes: Iterable[type[errors.NgsiLdError]]) -> Json:
    """A ProblemDetails response whose ``type`` is one of the classes' NGSI-LD error URIs."""
    classes = list(classes)
    types = sorted({errors.ERROR_BASE + cls.error_type for cls in classes})
    examples = {
        cls.__name__: {"value": {"type": errors.ERROR_BASE + cls.error_type,
                                 "title": cls.title, "status": status, "detail": "…"}}
        for cls in classes
    }
    return {
        "description": ERROR_MEANINGS.get(status, "Error"),
        "content": {neg.JSON: {
            "schema": {"allOf": [_schema("ProblemDetails"), {"properties": {
                "type": {"enum": types}, "status": {"const": status}}}]},
            "examples": examples,
        }},
    }


def _content(media: Mapping[str, Json]) -> Json:
    return {name: {"schema": schema} for name, schema in media.items()}


def _listing(item: str, details: str) -> Json:
    """A discovery answer: the name list, or (details=true) an array of descriptions."""
    return {"oneOf": [_schema(item), {"type": "array", "items": _schema(details)}]}


_LINKED = {"Link": _ref("headers", "Link")}
_COUNTED = {**_LINKED, "NGSILD-Results-Count": _ref("headers", "NGSILD-Results-Count")}
_ENTITY_LD = _with_context(_schema("EntityResult"))


def success_responses() -> Json:
    """Shared success answers; named after what they carry."""
    discovery = (neg.JSON, neg.JSON_LD)  # no GeoJSON for discovery answers
    return {
        "Created": {"description": "Created; Location names the new resource.",
                    "headers": {"Location": _ref("headers", "Location")}},
        "NoContent": {"description": "Done."},
        "Entity": {
            "description": "The entity, in the representation asked for; as GeoJSON Feature "
                           "with Accept: application/geo+json.",
            "headers": _LINKED,
            "content": {
                neg.JSON: {"schema": _schema("EntityResult"), "examples": _examples(
                    normalized=WATER_OBSERVED, keyValues=KEY_VALUES)},
                neg.JSON_LD: {"schema": _ENTITY_LD},
                neg.GEO_JSON: {"schema": _schema("Feature")},
            },
        },
        "Entities": {
            "description": "The matching entities (one page); a GeoJSON FeatureCollection "
                           "with Accept: application/geo+json.",
            "headers": _COUNTED,
            "content": {
                neg.JSON: {"schema": {"type": "array", "items": _schema("EntityResult")},
                           "examples": _examples(keyValues=[KEY_VALUES])},
                neg.JSON_LD: {"schema": {"type": "array", "items": _ENTITY_LD}},
                neg.GEO_JSON: {"schema": _schema("FeatureCollection")},
            },
        },
        "AttributesPartly": {
            "description": "Some attributes were not changed (see notUpdated).",
            "content": {neg.JSON: {"schema": _schema("UpdateResult"), "examples": _examples(
                kept={"updated": [], "notUpdated": [
                    {"attributeName": "height",
                     "reason": "not changed (see request options)"}]})}},
        },
        "BatchCreated": {
            "description": "Every entity was created; the body lists their ids.",
            "content": {neg.JSON: {"schema": {"type": "array", "items": _URI}}},
        },
        "BatchResult": {
            "description": "At least one entity failed: per-entity outcome.",
            "content": {neg.JSON: {"schema": _schema("BatchOperationResult"),
                                   "examples": _examples(mixed=BATCH_RESULT)}},
        },
        "EntityTypes": {"description": "Entity types in use (details=true: with attributes).",
                        "headers": _LINKED,
                        "content": _content(dict.fromkeys(
                            discovery, _listing("EntityTypeList", "EntityType")))},
        "EntityTypeInfo": {"description": "The type's entity count and attributes.",
                           "headers": _LINKED,
                           "content": _content(dict.fromkeys(
                               discovery, _schema("EntityTypeInfo")))},
        "Attributes": {"description": "Attribute names in use (details=true: with types).",
                       "headers": _LINKED,
                       "content": _content(dict.fromkeys(
                           discovery, _listing("AttributeList", "AttributeInfo")))},
        "AttributeInfo": {"description": "The attribute's count, kinds and entity types.",
                          "headers": _LINKED,
                          "content": _content(dict.fromkeys(
                              discovery, _schema("AttributeInfo")))},
        "Contexts": {
            "description": "URLs of the stored @contexts (details=true: descriptions).",
            "content": {neg.JSON: {"schema": {"anyOf": [  # [] is both
                {"type": "array", "items": {"type": "string", "format": "uri"}},
                {"type": "array", "items": _schema("ContextEntry")},
            ]}, "examples": _examples(urls=[CORE_CONTEXT_URL])}},
        },
        "Context": {"description": "The @context document.",
                    "content": {neg.JSON_LD: {"schema": _schema("ContextDocument")}}},
        "Version": {"description": "Broker name and versions.",
                    "content": {neg.JSON: {"schema": _schema("Version")}}},
        "Subscription": {
            "description": "The subscription, with its status and delivery counters.",
            "headers": _LINKED,
            "content": {neg.JSON: {"schema": _schema("Subscription"), "examples": _examples(
                                       stored=STORED_SUBSCRIPTION)},
                        neg.JSON_LD: {"schema": _with_context(_schema("Subscription"))}},
        },
        "Subscriptions": {
            "description": "The subscriptions (one page).",
            "headers": _COUNTED,
            "content": {
                neg.JSON: {"schema": {"type": "array", "items": _schema("Subscription")},
                           "examples": _examples(one=[STORED_SUBSCRIPTION])},
                neg.JSON_LD: {"schema": {"type": "array",
                                         "items": _with_context(_schema("Subscription"))}},
            },
        },
        **{name: _temporal_answer(array, partial) for name, array, partial in (
            ("TemporalEntity", False, False), ("TemporalEntityPartial", False, True),
            ("TemporalEntities", True, False), ("TemporalEntitiesPartial", True, True))},
    }


def _temporal_answer(array: bool, partial: bool) -> Json:
    """A temporal read's answer: one entity or a page of them, all instances (200) or only
    the time range named by Content-Range (206)."""
    what = "The matching temporal entities (one page)" if array else "The temporal entity"
    if partial:
        what += ("; only part of the instances (the broker's per-attribute limit or lastN "
                 "applied): Content-Range names their time range")
    headers = {**(_COUNTED if array else _LINKED),
               **({"Content-Range": _ref("headers", "Content-Range")} if partial else {})}
    item, ld_item = _schema("TemporalEntityResult"), _with_context(_schema("TemporalEntityResult"))
    examples = TEMPORAL_EXAMPLES
    if array:
        item, ld_item = ({"type": "array", "items": schema} for schema in (item, ld_item))
        examples = {name: {"value": [example["value"]]} for name, example in examples.items()}
    return {"description": f"{what}, in the representation asked for.", "headers": headers,
            "content": {neg.JSON: {"schema": item, "examples": examples},
                        neg.JSON_LD: {"schema": ld_item}}}


#: Requests the broker makes (OpenAPI callbacks), keyed by name.
CALLBACKS: Json = {"notification": {"{$request.body#/notification/endpoint/uri}": {"post": {
    "summary": "Notification of a subscription",
    "description": (
        "Sent to notification.endpoint.uri when matching entities change (or every "
        "timeInterval seconds). HTTP endpoints receive it as a POST with the @context in a "
        "Link header (application/json) or an @context member (application/ld+json, see "
        "endpoint.accept), the NGSILD-Tenant of the subscription and the receiverInfo "
        "headers. MQTT endpoints (mqtt://host:port/topic) receive a message on the topic "
        "(QoS from notifierInfo MQTT-QoS) whose payload is {\"metadata\": {those headers}, "
        "\"body\": <this notification>}. Failed deliveries are retried and counted in "
        "timesFailed."
    ),
    "requestBody": {"required": True, "content": {
        neg.JSON: {"schema": _schema("Notification"),
                   "examples": _examples(keyValues=NOTIFICATION)},
        neg.JSON_LD: {"schema": _with_context(_schema("Notification"))},
    }},
    "responses": {"2XX": {"description": "Received; any other answer counts as a failure."}},
}}}}


# -- Operations ------------------------------------------------------------------------------

#: Parameter groups shared by several operations.
TENANT_LINK = ("tenant", "link")
ENTITY_FILTERS = ("type", "id", "idPattern", "attrs", "q", "georel", "geometry", "coordinates",
                  "geoproperty")
QUERY_FILTERS = (*ENTITY_FILTERS, "scopeQ", "csf")
RENDERING = ("renderOptions", "format", "pick", "omit", "lang", "local")
PAGING = ("limit", "offset", "count")
TEMPORAL_QUERY = ("timerel", "timeAt", "endTimeAt", "timeproperty")
#: What temporal reads return: representation, aggregation, which instances.
TEMPORAL_RENDERING = ("temporalOptions", "temporalFormat", "lastN", "aggrMethods",
                      "aggrPeriodDuration", "datasetIdFilter")
#: Answers of temporal reads: everything, or (206) the time range named by Content-Range.
TEMPORAL_ENTITY = {200: "TemporalEntity", 206: "TemporalEntityPartial"}
TEMPORAL_ENTITIES = {200: "TemporalEntities", 206: "TemporalEntitiesPartial"}
#: Error groups: every NGSI-LD operation can answer 400; reads that negotiate 406; operations
#: that resolve an @context 503; 401 (writes) and 413/415 (bodies) are added automatically.
READ_ERRORS = (400, 404, 406, 503)
WRITE_ERRORS = (400, 404, 503)


@dataclass(frozen=True)
class Operation:
    """One row of the table: what an operation is, takes and answers (by shared names)."""

    operation_id: str
    tag: str
    summary: str
    clause: str
    description: str
    parameters: tuple[str, ...] = ()
    body: str | None = None
    responses: Mapping[int, str] = field(default_factory=dict)
    errors: tuple[int, ...] = (400,)
    callbacks: tuple[str, ...] = ()  # names in CALLBACKS: requests the broker makes

    def render(self, method: str, path: str) -> Json:
        write = is_write(method, path)
        statuses = set(self.errors) | ({401} if write else set())
        if self.body:
            statuses |= {413, 415}
        responses: Json = {str(code): _ref("responses", name)
                           for code, name in sorted(self.responses.items())}
        responses.update({str(code): _ref("responses", f"Problem{code}")
                          for code in sorted(statuses)})
        auth = ("Needs 'Authorization: Bearer <token>'." if write
                else "Public: no token needed.")
        reference = f"{SPEC}, clause {self.clause}. " if self.clause else ""
        operation: Json = {
            "tags": [self.tag],
            "summary": self.summary,
            "description": f"{self.description}\n\n{reference}{auth}",
            "operationId": self.operation_id,
            "parameters": [_ref("parameters", name) for name in self.parameters],
        }
        if self.body:
            operation["requestBody"] = _ref("requestBodies", self.body)
        operation["responses"] = responses
        if self.callbacks:
            operation["callbacks"] = {name: _ref("callbacks", name) for name in self.callbacks}
        if write:
            operation["security"] = [{"bearerAuth": []}]
        return operation


def is_write(method: str, path: str) -> bool:
    """The write rule of :class:`ngsild_broker.guard.WriteGuard`: these need the token."""
    return method.upper() in WRITE_METHODS and not path.endswith(READ_ONLY_POST_SUFFIXES)


_E = PREFIX + "/entities"
_ENTITY = _E + "/{entityId}"
_OPS = PREFIX + "/entityOperations"
_CONTEXTS = PREFIX + "/jsonldContexts"
_SUBS = PREFIX + "/subscriptions"
_SUB = _SUBS + "/{subscriptionId}"
_T = PREFIX + "/temporal/entities"
_T_ENTITY = _T + "/{entityId}"
_T_ATTR = _T_ENTITY + "/attrs/{attrId}"
_BATCH_ANSWERS = "Each entity is processed on its own; failures are reported per entity (207)."

#: (METHOD, path with the spec's parameter names) → operation. Rows whose route does not
#: exist (yet, or with include_in_schema=False) are left out of the document.
OPERATIONS: dict[tuple[str, str], Operation] = {
    ("POST", _E): Operation(
        "createEntity", "Entities", "Create an entity", "5.6.1",
        "Stores a new entity. Attribute names and types are expanded with the request's "
        "@context.",
        TENANT_LINK, "Entity", {201: "Created"}, (*WRITE_ERRORS, 409),
    ),
    ("GET", _E): Operation(
        "queryEntities", "Entities", "Query entities", "5.7.2",
        "Entities matching all given filters, one page at a time. At least one of type, id, "
        "idPattern, attrs, q, a geo-query (georel, geometry, coordinates), scopeQ or "
        "local=true is needed (400 otherwise).",
        (*TENANT_LINK, *QUERY_FILTERS, *RENDERING, *PAGING), None,
        {200: "Entities"}, (*READ_ERRORS, 403),
    ),
    ("GET", _ENTITY): Operation(
        "retrieveEntity", "Entities", "Retrieve an entity", "5.7.1",
        "One entity, optionally reduced to some attributes or members.",
        ("entityId", *TENANT_LINK, "attrs", *RENDERING), None,
        {200: "Entity"}, READ_ERRORS,
    ),
    ("PUT", _ENTITY): Operation(
        "replaceEntity", "Entities", "Replace an entity", "5.6.18",
        "Replaces all attributes (and the type) of an existing entity.",
        ("entityId", *TENANT_LINK), "EntityReplacement", {204: "NoContent"}, WRITE_ERRORS,
    ),
    ("PATCH", _ENTITY): Operation(
        "mergeEntity", "Entities", "Merge attributes into an entity", "5.6.17",
        "Adds the given attributes and replaces existing ones of the same name.",
        ("entityId", *TENANT_LINK), "EntityFragment",
        {204: "NoContent", 207: "AttributesPartly"}, WRITE_ERRORS,
    ),
    ("DELETE", _ENTITY): Operation(
        "deleteEntity", "Entities", "Delete an entity", "5.6.6", "Deletes the entity.",
        ("entityId", "tenant"), None, {204: "NoContent"}, (400, 404),
    ),
    ("POST", _ENTITY + "/attrs"): Operation(
        "appendAttributes", "Entities", "Append attributes", "5.6.3",
        "Adds attributes; existing ones are overwritten unless options=noOverwrite (then "
        "they are kept and reported in a 207 answer).",
        ("entityId", *TENANT_LINK, "appendOptions"), "EntityFragment",
        {204: "NoContent", 207: "AttributesPartly"}, WRITE_ERRORS,
    ),
    ("PATCH", _ENTITY + "/attrs"): Operation(
        "updateAttributes", "Entities", "Update attributes", "5.6.2",
        "Replaces existing attributes only; attributes the entity does not have are reported "
        "in a 207 answer.",
        ("entityId", *TENANT_LINK), "EntityFragment",
        {204: "NoContent", 207: "AttributesPartly"}, WRITE_ERRORS,
    ),
    ("PATCH", _ENTITY + "/attrs/{attrId}"): Operation(
        "partialAttributeUpdate", "Entities", "Update one attribute", "5.6.4",
        "Replaces the instance of one existing attribute (404 if the entity lacks it).",
        ("entityId", "attrId", *TENANT_LINK), "Attribute", {204: "NoContent"}, WRITE_ERRORS,
    ),
    ("DELETE", _ENTITY + "/attrs/{attrId}"): Operation(
        "deleteAttribute", "Entities", "Delete an attribute", "5.6.5",
        "Deletes the attribute: its default instance, the one with datasetId, or all "
        "instances with deleteAll=true.",
        ("entityId", "attrId", *TENANT_LINK, "datasetId", "deleteAll"), None,
        {204: "NoContent"}, WRITE_ERRORS,
    ),
    ("POST", _OPS + "/create"): Operation(
        "batchCreate", "Batch operations", "Create entities", "5.6.7",
        "Creates each entity. " + _BATCH_ANSWERS,
        TENANT_LINK, "Entities", {201: "BatchCreated", 207: "BatchResult"},
        (*WRITE_ERRORS, 403),
    ),
    ("POST", _OPS + "/upsert"): Operation(
        "batchUpsert", "Batch operations", "Create or replace/update entities", "5.6.8",
        "Creates entities that do not exist; replaces (default) or updates "
        "(options=update) those that do. 201 lists the created ids, 204 if none was new. "
        + _BATCH_ANSWERS,
        (*TENANT_LINK, "upsertOptions"), "Entities",
        {201: "BatchCreated", 204: "NoContent", 207: "BatchResult"}, (*WRITE_ERRORS, 403),
    ),
    ("POST", _OPS + "/update"): Operation(
        "batchUpdate", "Batch operations", "Update attributes of entities", "5.6.9",
        "Appends the attributes to each existing entity (options=noOverwrite keeps existing "
        "ones). " + _BATCH_ANSWERS,
        (*TENANT_LINK, "appendOptions"), "EntityFragments",
        {204: "NoContent", 207: "BatchResult"}, (*WRITE_ERRORS, 403),
    ),
    # Batch merge: same body and answers as /update. A row whose route does not exist is
    # left out of the document, so this one may stay if the route is ever removed.
    ("POST", _OPS + "/merge"): Operation(
        "batchMerge", "Batch operations", "Merge attributes into entities", "5.6.20",
        "Merges the attributes into each existing entity, like PATCH /entities/{entityId}. "
        + _BATCH_ANSWERS,
        TENANT_LINK, "EntityFragments",
        {204: "NoContent", 207: "BatchResult"}, (*WRITE_ERRORS, 403),
    ),
    ("POST", _OPS + "/delete"): Operation(
        "batchDelete", "Batch operations", "Delete entities", "5.6.10",
        "Deletes each entity. " + _BATCH_ANSWERS,
        TENANT_LINK, "EntityIds", {204: "NoContent", 207: "BatchResult"},
        (*WRITE_ERRORS, 403),
    ),
    ("POST", _OPS + "/query"): Operation(
        "queryEntitiesByPost", "Entities", "Query entities (query document)", "5.7.2",
        "GET /entities with the filters in a JSON body, for queries too long for a URL (a "
        "read: no token needed). Representation, paging and local are query parameters.",
        (*TENANT_LINK, *PAGING, "renderOptions", "format", "local"), "Query",
        {200: "Entities"}, (*READ_ERRORS, 403),
    ),
    ("GET", PREFIX + "/types"): Operation(
        "listEntityTypes", "Discovery", "List entity types", "5.7.5, 5.7.6 (details=true)",
        "Entity types of the stored entities.",
        (*TENANT_LINK, "details"), None, {200: "EntityTypes"}, READ_ERRORS,
    ),
    ("GET", PREFIX + "/types/{type}"): Operation(
        "retrieveEntityType", "Discovery", "Describe an entity type", "5.7.7",
        "Number of entities of the type and their attributes.",
        ("typeName", *TENANT_LINK), None, {200: "EntityTypeInfo"}, READ_ERRORS,
    ),
    ("GET", PREFIX + "/attributes"): Operation(
        "listAttributes", "Discovery", "List attributes", "5.7.8, 5.7.9 (details=true)",
        "Attribute names of the stored entities.",
        (*TENANT_LINK, "details"), None, {200: "Attributes"}, READ_ERRORS,
    ),
    ("GET", PREFIX + "/attributes/{attrId}"): Operation(
        "retrieveAttribute", "Discovery", "Describe an attribute", "5.7.10",
        "How many entities have the attribute, of which kinds and types.",
        ("attrId", *TENANT_LINK), None, {200: "AttributeInfo"}, READ_ERRORS,
    ),
    ("GET", _CONTEXTS): Operation(
        "listContexts", "@context management", "List @contexts", "5.13.3",
        "The core @context and every hosted or cached one.",
        ("details", "kind"), None, {200: "Contexts"}, (400,),
    ),
    ("POST", _CONTEXTS): Operation(
        "addContext", "@context management", "Host an @context", "5.13.2",
        "Stores the document under a URL of this broker (the Location), usable in Link "
        "headers and @context members.",
        (), "ContextDocument", {201: "Created"}, (400,),
    ),
    ("GET", _CONTEXTS + "/{contextId}"): Operation(
        "serveContext", "@context management", "Serve an @context", "5.13.4",
        "The stored document.", ("contextId",), None, {200: "Context"}, (400, 404, 503),
    ),
    ("DELETE", _CONTEXTS + "/{contextId}"): Operation(
        "deleteContext", "@context management", "Delete an @context", "5.13.5",
        "Forgets a hosted or cached @context; the core one cannot be deleted (400).",
        ("contextId",), None, {204: "NoContent"}, (400, 404),
    ),
    ("POST", _SUBS): Operation(
        "createSubscription", "Subscriptions", "Create a subscription", "5.8.1",
        "Stores the subscription; from then on the broker notifies its endpoint of changes "
        "of matching entities (see the notification callback). Without id the broker "
        "assigns one; Location names it.",
        TENANT_LINK, "Subscription", {201: "Created"}, (*WRITE_ERRORS, 409),
        callbacks=("notification",),
    ),
    ("GET", _SUBS): Operation(
        "querySubscriptions", "Subscriptions", "List subscriptions", "5.8.4",
        "The tenant's subscriptions, one page at a time.",
        (*TENANT_LINK, *PAGING), None, {200: "Subscriptions"}, (*READ_ERRORS, 403),
    ),
    ("GET", _SUB): Operation(
        "retrieveSubscription", "Subscriptions", "Retrieve a subscription", "5.8.3",
        "The subscription with its status and delivery counters; terms are compacted with "
        "the Link header's @context, else the subscription's own.",
        ("subscriptionId", *TENANT_LINK), None, {200: "Subscription"}, READ_ERRORS,
    ),
    ("PATCH", _SUB): Operation(
        "updateSubscription", "Subscriptions", "Update a subscription", "5.8.2",
        "Merges the given members into the subscription (e.g. isActive=false pauses it).",
        ("subscriptionId", *TENANT_LINK), "SubscriptionFragment", {204: "NoContent"},
        WRITE_ERRORS,
    ),
    ("DELETE", _SUB): Operation(
        "deleteSubscription", "Subscriptions", "Delete a subscription", "5.8.5",
        "Deletes the subscription; it notifies no more.",
        ("subscriptionId", "tenant"), None, {204: "NoContent"}, (400, 404),
    ),
    ("POST", _T): Operation(
        "createOrUpdateTemporalEntity", "Temporal", "Create or extend an entity's history",
        "5.6.11",
        "Stores the attribute instances of the entity: 201 if its temporal evolution is new "
        "(Location names it), 204 if the instances were added to an existing one.",
        TENANT_LINK, "TemporalEntity", {201: "Created", 204: "NoContent"}, WRITE_ERRORS,
    ),
    ("GET", _T): Operation(
        "queryTemporalEntities", "Temporal", "Query the history of entities", "5.7.4",
        "The temporal evolution of the entities matching the filters (as GET /entities), "
        "restricted to the time range of timerel/timeAt/endTimeAt, one page of entities at "
        "a time; 206 if not all instances of the time range fit (see Content-Range). At "
        "least one of type, id, idPattern, attrs, q, a geo-query or local=true is needed "
        "(400 otherwise).",
        (*TENANT_LINK, *ENTITY_FILTERS, *TEMPORAL_QUERY, *TEMPORAL_RENDERING, "local",
         *PAGING), None, TEMPORAL_ENTITIES, (*READ_ERRORS, 403),
    ),
    ("GET", _T_ENTITY): Operation(
        "retrieveTemporalEntity", "Temporal", "Retrieve an entity's history", "5.7.3",
        "The temporal evolution of one entity, optionally restricted to some attributes and "
        "a time range; 206 if not all instances fit (see Content-Range).",
        ("entityId", *TENANT_LINK, "attrs", *TEMPORAL_QUERY, *TEMPORAL_RENDERING), None,
        TEMPORAL_ENTITY, (*READ_ERRORS, 403),
    ),
    ("DELETE", _T_ENTITY): Operation(
        "deleteTemporalEntity", "Temporal", "Delete an entity's history", "5.6.16",
        "Deletes the temporal evolution of the entity.",
        ("entityId", "tenant"), None, {204: "NoContent"}, (400, 404),
    ),
    ("POST", _T_ENTITY + "/attrs"): Operation(
        "appendTemporalAttributes", "Temporal", "Add attribute instances", "5.6.12",
        "Adds the attribute instances to the entity's temporal evolution.",
        ("entityId", *TENANT_LINK), "TemporalEntityFragment", {204: "NoContent"},
        WRITE_ERRORS,
    ),
    ("DELETE", _T_ATTR): Operation(
        "deleteTemporalAttribute", "Temporal", "Delete an attribute's history", "5.6.13",
        "Deletes the instances of the attribute: those without datasetId, those with the "
        "given datasetId, or all with deleteAll=true.",
        ("entityId", "attrId", *TENANT_LINK, "datasetId", "deleteAll"), None,
        {204: "NoContent"}, WRITE_ERRORS,
    ),
    ("PATCH", _T_ATTR + "/{instanceId}"): Operation(
        "updateTemporalAttributeInstance", "Temporal", "Modify an attribute instance",
        "5.6.14", "Replaces the members of one instance of the attribute's history.",
        ("entityId", "attrId", "instanceId", *TENANT_LINK), "Attribute", {204: "NoContent"},
        WRITE_ERRORS,
    ),
    ("DELETE", _T_ATTR + "/{instanceId}"): Operation(
        "deleteTemporalAttributeInstance", "Temporal", "Delete an attribute instance",
        "5.6.15", "Deletes one instance of the attribute's history.",
        ("entityId", "attrId", "instanceId", *TENANT_LINK), None, {204: "NoContent"},
        WRITE_ERRORS,
    ),
    ("POST", PREFIX + "/temporal/entityOperations/query"): Operation(
        "queryTemporalEntitiesByPost", "Temporal", "Query the history of entities (query "
        "document)", "5.7.4",
        "GET /temporal/entities with the filters and temporalQ in a JSON body (a read: no "
        "token needed). Representation, aggregation and paging are query parameters.",
        (*TENANT_LINK, *PAGING, *TEMPORAL_RENDERING, "local"), "TemporalQuery",
        TEMPORAL_ENTITIES,
        (*READ_ERRORS, 403),
    ),
    ("GET", "/version"): Operation(
        "version", "Meta", "Broker version", "",
        "Name and versions of the broker; also its health check.",
        (), None, {200: "Version"}, (),
    ),
}

TAGS = [
    {"name": "Entities", "description": "Create, read, change and query entities."},
    {"name": "Batch operations", "description": f"Up to {MAX_BATCH} entities per request."},
    {"name": "Discovery", "description": "Entity types and attributes in use."},
    {"name": "@context management", "description": "Hosted and cached @context documents."},
    {"name": "Subscriptions", "description": (
        "Notifications of entity changes to HTTP(S) or MQTT endpoints; what an endpoint "
        "receives is the notification callback of POST /subscriptions.")},
    {"name": "Temporal", "description": (
        "The history of entities: attribute instances over time (normalized), as [value, "
        "time] pairs (temporalValues) or aggregated per period (aggregatedValues). Long "
        "histories come in parts: 206 Partial Content with a Content-Range header.")},
    {"name": "Meta", "description": "Not part of NGSI-LD."},
]

DESCRIPTION = f"""NGSI-LD API ({SPEC}) on PostgreSQL/PostGIS.

**@context.** Terms (type and attribute names) are expanded with the request's @context:
the `Link` header for `application/json` bodies and for reads, the `@context` member for
`application/ld+json` bodies (then no `Link` header). Without one the core @context applies.
Answers compact terms with the same @context and name it in a `Link` header
(`application/json`) or an `@context` member (`application/ld+json`).

**Media types.** Bodies: `Content-Type: application/json` or `application/ld+json` (else
415). Answers follow `Accept`: `application/json` (default), `application/ld+json`, and for
entities `application/geo+json` (else 406).

**Tenants.** `NGSILD-Tenant` selects the tenant; writes create it.

**Authorization.** Writes (POST, PUT, PATCH, DELETE, except the queries
`POST /entityOperations/query` and `POST /temporal/entityOperations/query`) need
`Authorization: Bearer <token>` (security scheme bearerAuth); reads are public.

**Errors.** Every 4xx/5xx answer is an `application/json` ProblemDetails whose `type` is an
NGSI-LD error type URI ({errors.ERROR_BASE}…).
"""


# -- Assembly --------------------------------------------------------------------------------


def components(settings: BrokerSettings) -> Json:
    problems = {f"Problem{status}": problem_response(status, classes)
                for status, classes in error_types().items()}
    problems["Problem413"]["description"] += f" ({settings.max_body_bytes} bytes)"
    return {
        "schemas": SCHEMAS,
        "parameters": parameters(settings),
        "headers": HEADERS,
        "requestBodies": {name: body.render() for name, body in BODIES.items()},
        "responses": {**success_responses(), **dict(sorted(problems.items()))},
        "callbacks": CALLBACKS,
        "securitySchemes": {"bearerAuth": {
            "type": "http", "scheme": "bearer",
            "description": "The broker's write token (BROKER_TOKEN).",
        }},
    }


def spec_path(path: str) -> str:
    """FastAPI's path template with the spec's parameter names."""
    for ours, theirs in PATH_NAMES.items():
        path = path.replace("{" + ours + "}", "{" + theirs + "}")
    return path


def build_document(app: FastAPI) -> Json:
    """FastAPI's document of ``app`` with every tabled operation replaced by its full
    description. Operations missing from the table keep FastAPI's stub (the tests fail on
    them) minus its 422 responses, which this app never sends (it answers 400)."""
    settings: BrokerSettings = app.state.settings
    generated = get_openapi(
        title=app.title, version=app.version, openapi_version=app.openapi_version,
        description=DESCRIPTION, routes=app.routes, tags=TAGS,
    )
    paths: Json = {}
    for raw_path, methods in generated["paths"].items():
        path = spec_path(raw_path)
        for method, stub in methods.items():
            operation = OPERATIONS.get((method.upper(), path))
            if operation is not None:
                paths.setdefault(path, {})[method] = operation.render(method, path)
            else:
                stub.get("responses", {}).pop("422", None)
                paths.setdefault(path, {})[method] = stub
    generated["paths"] = paths
    used = {tag for item in paths.values() for op in item.values() for tag in op.get("tags", ())}
    generated["tags"] = [tag for tag in TAGS if tag["name"] in used]  # none without operations
    generated["components"] = components(settings)
    return generated


def install(app: FastAPI) -> None:
    """Serve :func:`build_document` at /openapi.json (built once, on first request)."""

    def openapi() -> Json:
        if app.openapi_schema is None:
            app.openapi_schema = build_document(app)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def main() -> None:
    """Print the document of a default broker (the snapshot of the tests)."""
    from ..app import create_app  # here, not at the top: app.py imports this module

    app = create_app(BrokerSettings(database_dsn="postgresql://unused/x", open_writes=True))
    text = json.dumps(app.openapi(), indent=2, ensure_ascii=False) + "\n"
    sys.stdout.buffer.write(text.encode("utf-8"))


if __name__ == "__main__":
    main()
