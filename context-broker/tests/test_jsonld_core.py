"""The shipped NGSI-LD core @context: its terms, its URLs, and the layer's public surface."""

import asyncio
from functools import cache

import pytest
from ngsild_broker import jsonld
from ngsild_broker.jsonld import (
    CORE_CONTEXT_ALIASES,
    CORE_CONTEXT_URL,
    ContextResolver,
    ContextService,
    core_context,
)
from pyld import jsonld as ld

NGSI_LD = "https://uri.etsi.org/ngsi-ld/"
GEOJSON = "https://purl.org/geojson/vocab#"
DEFAULT = "https://uri.etsi.org/ngsi-ld/default-context/"


def core_terms():
    return asyncio.run(ContextService().term_map_for(None))


def test_public_surface_is_exactly_what_the_broker_uses():
    assert sorted(jsonld.__all__) == sorted(
        [
            "CORE_CONTEXT_ALIASES",
            "CORE_CONTEXT_URL",
            "ContextResolver",
            "ContextService",
            "InvalidContext",
            "LdContextNotAvailable",
            "TermMap",
            "core_context",
        ]
    )
    for name in jsonld.__all__:
        assert getattr(jsonld, name) is not None


def test_core_context_document_follows_annex_b():
    document = core_context()
    context = document["@context"]
    assert context["@vocab"] == DEFAULT
    assert context["@version"] == 1.1
    assert context["@protected"] is True
    assert context["ngsi-ld"] == NGSI_LD
    assert context["id"] == "@id"
    assert context["type"] == "@type"


def test_core_context_returns_a_copy():
    core_context()["@context"]["value"] = "https://example.org/broken"
    assert core_context()["@context"]["value"] == "ngsi-ld:hasValue"


def test_core_urls_cover_the_versions_clients_send():
    assert CORE_CONTEXT_URL == "https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context-v1.8.jsonld"
    assert {
        "https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context-v1.6.jsonld",
        "https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context-v1.7.jsonld",
        "https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context.jsonld",
        CORE_CONTEXT_URL,
    } == set(CORE_CONTEXT_ALIASES)


def test_every_core_url_resolves_offline_to_the_shipped_document():
    resolver = ContextResolver(allow_download=False)

    async def resolve_all():
        return [await resolver.resolve(url) for url in sorted(CORE_CONTEXT_ALIASES)]

    for document in asyncio.run(resolve_all()):
        assert document == core_context()


@pytest.mark.parametrize(
    ("term", "iri"),
    [
        ("id", "@id"),
        ("type", "@type"),
        ("value", NGSI_LD + "hasValue"),
        ("object", NGSI_LD + "hasObject"),
        ("languageMap", NGSI_LD + "hasLanguageMap"),
        ("valueList", NGSI_LD + "hasValueList"),
        ("vocab", NGSI_LD + "hasVocab"),
        ("json", NGSI_LD + "hasJSON"),
        ("Property", NGSI_LD + "Property"),
        ("Relationship", NGSI_LD + "Relationship"),
        ("GeoProperty", NGSI_LD + "GeoProperty"),
        ("LanguageProperty", NGSI_LD + "LanguageProperty"),
        ("ListProperty", NGSI_LD + "ListProperty"),
        ("VocabProperty", NGSI_LD + "VocabProperty"),
        ("observedAt", NGSI_LD + "observedAt"),
        ("createdAt", NGSI_LD + "createdAt"),
        ("modifiedAt", NGSI_LD + "modifiedAt"),
        ("unitCode", NGSI_LD + "unitCode"),
        ("datasetId", NGSI_LD + "datasetId"),
        ("location", NGSI_LD + "location"),
        ("observationSpace", NGSI_LD + "observationSpace"),
        ("operationSpace", NGSI_LD + "operationSpace"),
        ("description", "http://purl.org/dc/terms/description"),
        ("Point", GEOJSON + "Point"),
        ("coordinates", GEOJSON + "coordinates"),
        ("ngsi-ld:name", NGSI_LD + "name"),
        ("urn:ngsi-ld:Device:1", "urn:ngsi-ld:Device:1"),
        ("https://example.org/height", "https://example.org/height"),
        ("height", DEFAULT + "height"),
        ("WaterObserved", DEFAULT + "WaterObserved"),
        ("name", DEFAULT + "name"),
    ],
)
def test_core_terms_expand(term, iri):
    assert core_terms().expand(term) == iri


@pytest.mark.parametrize(
    ("term", "kind", "container"),
    [
        ("object", "@id", ()),
        ("datasetId", "@id", ()),
        ("observedAt", NGSI_LD + "DateTime", ()),
        ("vocab", "@vocab", ()),
        ("languageMap", None, ("@language",)),
        ("valueList", None, ("@list",)),
        ("coordinates", None, ("@list",)),
        ("json", "@json", ()),
    ],
)
def test_core_term_coercions(term, kind, container):
    definition = core_terms().definition(term)
    assert definition is not None
    assert definition.type == kind
    assert definition.container == container


@pytest.mark.parametrize(
    ("iri", "term"),
    [
        (NGSI_LD + "location", "location"),
        (NGSI_LD + "hasValue", "value"),
        (NGSI_LD + "Property", "Property"),
        (GEOJSON + "Point", "Point"),
        ("@id", "id"),
        (DEFAULT + "height", "height"),
        (NGSI_LD + "name", "ngsi-ld:name"),
        ("https://smartdatamodels.org/name", "https://smartdatamodels.org/name"),
        ("urn:ngsi-ld:Device:1", "urn:ngsi-ld:Device:1"),
    ],
)
def test_core_iris_compact(iri, term):
    assert core_terms().compact(iri) == term


def test_a_default_context_name_that_is_a_core_term_is_not_shortened():
    # "location" under the default context is not the core's location; printing "location"
    # would make it read back as ngsi-ld:location.
    terms = core_terms()
    assert terms.compact(DEFAULT + "location") == "ngsi-ld:default-context/location"
    assert terms.expand("ngsi-ld:default-context/location") == DEFAULT + "location"


# -- Annex B, term by term ------------------------------------------------------------------
#
# Expectations transcribed from ETSI GS CIM 009 V1.8.1 (Annex B and the member tables of
# clauses 4.5 and 5.2), family by family: the IRI every term expands to, its @type coercion and
# its @container. Together the families name every term of the shipped document, so a term
# added, dropped, renamed or re-coerced fails here.

DATETIME = NGSI_LD + "DateTime"

#: Classes and attribute types: ``ngsi-ld:<Term>``.
NGSI_LD_CLASSES = [
    "Attribute", "AttributeList", "ContextSourceIdentity", "ContextSourceNotification",
    "ContextSourceRegistration", "Date", "DateTime", "EntityType", "EntityTypeInfo",
    "EntityTypeList", "GeoProperty", "JsonProperty", "LanguageProperty", "ListProperty",
    "ListRelationship", "Notification", "Property", "Relationship", "Subscription",
    "TemporalProperty", "Time", "VocabProperty",
]

#: GeoJSON vocabulary: ``geojson:<term>``; Annex B gives three of them containers.
GEOJSON_TERMS = {
    **{
        name: (None, ())
        for name in [
            "Feature", "FeatureCollection", "GeometryCollection", "LineString", "MultiLineString",
            "MultiPoint", "MultiPolygon", "Point", "Polygon", "geometry", "properties",
        ]
    },
    "bbox": (None, ("@list",)),
    "coordinates": (None, ("@list",)),
    "features": (None, ("@set",)),
}

#: Members whose IRI is not ``ngsi-ld:<term>`` (clause 4.5 / 5.2): term -> (IRI, type, container).
RENAMED_MEMBERS = {
    "value": ("hasValue", None, ()),
    "object": ("hasObject", "@id", ()),
    "objectType": ("hasObjectType", "@vocab", ()),
    "objectList": ("hasObjectList", None, ("@list",)),
    "objects": ("hasObjects", None, ("@list",)),
    "objectsLists": ("hasObjectsLists", None, ("@list",)),
    "languageMap": ("hasLanguageMap", None, ("@language",)),
    "languageMaps": ("hasLanguageMaps", None, ("@list",)),
    "valueList": ("hasValueList", None, ("@list",)),
    "valueLists": ("hasValueLists", None, ("@list",)),
    "values": ("hasValues", None, ("@list",)),
    "vocab": ("hasVocab", "@vocab", ()),
    "vocabs": ("hasVocabs", None, ("@list",)),
    "json": ("hasJSON", "@json", ()),
    "dataset": ("hasDataset", None, ("@index",)),
    "previousValue": ("hasPreviousValue", None, ()),
    "previousObject": ("hasPreviousObject", "@id", ()),
    "previousObjectList": ("hasPreviousObjectList", None, ("@list",)),
    "previousLanguageMap": ("hasPreviousLanguageMap", None, ("@language",)),
    "previousValueList": ("hasPreviousValueList", None, ("@list",)),
    "previousVocab": ("hasPreviousVocab", "@vocab", ()),
    "previousJson": ("hasPreviousJson", "@json", ()),
    "key": ("hasKey", None, ()),
    "entityMap": ("hasEntityMap", None, ()),
    "joinLevel": ("hasJoinLevel", None, ()),
    "containedBy": ("isContainedBy", None, ()),
}

#: Members named ``ngsi-ld:<term>``, by coercion.
DATETIME_MEMBERS = [
    "observedAt", "createdAt", "modifiedAt", "deletedAt", "contextSourceTimeAt", "endAt",
    "endTimeAt", "expiresAt", "lastFailure", "lastNotification", "lastSuccess", "notifiedAt",
    "startAt", "timeAt",
]
ID_MEMBERS = ["datasetId", "instanceId", "entityId", "subscriptionId", "success", "tenant"]
VOCAB_MEMBERS = [
    "attributeList", "attributeName", "attributeNames", "attributeTypes", "attributes",
    "propertyNames", "relationshipNames", "typeList", "typeName", "typeNames", "watchedAttributes",
]
JSON_MEMBERS = ["contextSourceExtras"]
LIST_MEMBERS = [
    "jsons", "avg", "distinctCount", "entityList", "max", "min", "stddev", "sum", "sumsq",
    "totalCount",
]
#: (``pick``, ``omit``, ``jsonKeys`` and ``expandValues`` are V1.8.1 query members that the
#: published V1.8 file carries in its later copies and V1.9 keeps; see the comparison notes.)
PLAIN_MEMBERS = [
    "unitCode", "lang", "scope", "location", "observationSpace", "operationSpace", "accept",
    "attrs", "cacheDuration", "contextSourceAlias", "contextSourceInfo", "contextSourceUptime",
    "cooldown", "csf", "data", "detail", "endpoint", "entities", "entity", "entityCount", "error",
    "errors", "expandValues", "format", "geoQ", "geoproperty", "georel", "idPattern",
    "information", "isActive", "join", "jsonKeys", "linkedMaps", "localOnly", "management",
    "managementInterval", "mode", "notification", "notificationTrigger", "notifierInfo",
    "notUpdated", "observationInterval", "omit", "operations", "pick", "q", "reason",
    "receiverInfo", "refreshRate", "registrationId", "registrationName", "scopeQ", "showChanges",
    "status", "subscriptionName", "sysAttrs", "temporalQ", "throttling", "timeInterval", "timeout",
    "timeproperty", "timerel", "timesFailed", "timesSent", "triggerReason", "unchanged", "updated",
    "uri",
]

#: Dublin Core terms.
DCTERMS = {"description": "http://purl.org/dc/terms/description",
           "title": "http://purl.org/dc/terms/title"}

#: Annex B maps these to themselves, a relative IRI, so they fall to ``@vocab`` (as published).
SELF_MAPPED = ["attributeCount", "attributeDetails"]

#: Keywords, keyword aliases and prefixes.
CONTEXT_KEYS = ["@version", "@protected", "@vocab", "ngsi-ld", "geojson", "id", "type"]


def annex_b_expectations() -> dict[str, tuple[str, str | None, tuple[str, ...]]]:
    """term -> (IRI, @type coercion, @container), every term of Annex B V1.8.1."""
    table: dict[str, tuple[str, str | None, tuple[str, ...]]] = {}

    def add(term, iri, kind=None, container=()):
        assert term not in table, f"{term} listed twice"
        table[term] = (iri, kind, container)

    for name in NGSI_LD_CLASSES:
        add(name, NGSI_LD + name)
    for name, (kind, container) in GEOJSON_TERMS.items():
        add(name, GEOJSON + name, kind, container)
    for name, (local, kind, container) in RENAMED_MEMBERS.items():
        add(name, NGSI_LD + local, kind, container)
    for names, kind, container in (
        (DATETIME_MEMBERS, DATETIME, ()),
        (ID_MEMBERS, "@id", ()),
        (VOCAB_MEMBERS, "@vocab", ()),
        (JSON_MEMBERS, "@json", ()),
        (LIST_MEMBERS, None, ("@list",)),
        (PLAIN_MEMBERS, None, ()),
    ):
        for name in names:
            add(name, NGSI_LD + name, kind, container)
    for name, iri in DCTERMS.items():
        add(name, iri)
    for name in SELF_MAPPED:
        add(name, DEFAULT + name)
    return table


@cache
def shared_core_terms():
    return core_terms()


def test_annex_b_names_exactly_the_terms_of_the_shipped_document():
    shipped = set(core_context()["@context"])
    expected = set(annex_b_expectations()) | set(CONTEXT_KEYS)
    assert sorted(shipped - expected) == [], "terms Annex B V1.8.1 does not define"
    assert sorted(expected - shipped) == [], "Annex B V1.8.1 terms missing from the document"


FAMILIES = {
    "classes": NGSI_LD_CLASSES,
    "geojson": list(GEOJSON_TERMS),
    "renamed": list(RENAMED_MEMBERS),
    "datetime": DATETIME_MEMBERS,
    "id": ID_MEMBERS,
    "vocab": VOCAB_MEMBERS,
    "json": JSON_MEMBERS,
    "list": LIST_MEMBERS,
    "plain": PLAIN_MEMBERS,
    "dcterms": list(DCTERMS),
    "self-mapped": SELF_MAPPED,
}


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_annex_b_term_iris_coercions_and_containers(family):
    terms = shared_core_terms()
    expected = annex_b_expectations()
    wrong = {}
    for name in FAMILIES[family]:
        definition = terms.definition(name)
        got = None if definition is None else (
            definition.iri, definition.type, definition.container
        )
        if got != expected[name]:
            wrong[name] = (got, expected[name])
    assert wrong == {}


def test_annex_b_terms_compact_back_to_themselves():
    terms = shared_core_terms()
    for name, (iri, _, _) in annex_b_expectations().items():
        assert terms.compact(iri) == name, name


@pytest.mark.parametrize(
    "name",
    [
        # V1.9 additions and renamings, which the V1.8 core does not define
        "objectLists", "valueType", "orderBy", "ordering", "collation", "EntityMap",
        "ExecutionResultDetails", "Snapshot", "SnapshotNotification", "problemDetails",
        "langString", "lastUsedAt", "lastN", "ngsildproof", "jsonldContext", "splitEntities",
        "entityMapLifetime", "aggrMethods", "resultStatus",
        # the V1.7 name of VocabProperty
        "VocabularyProperty",
        # a URL parameter one implementer's copy carries, in no published core context
        "geometryProperty",
    ],
)
def test_names_outside_annex_b_v1_8_fall_to_the_default_context(name):
    assert name not in core_context()["@context"]
    assert shared_core_terms().expand(name) == DEFAULT + name


# -- full JSON-LD processing with the shipped document --------------------------------------


def pyld_options() -> dict:
    documents = {url: core_context() for url in CORE_CONTEXT_ALIASES}

    def load(url, options=None):
        return {"contextUrl": None, "documentUrl": url, "document": documents[url]}

    return {"documentLoader": load}


#: One attribute of each NGSI-LD type, written as the examples of clauses 4.5 and C.
PARKING = {
    "id": "urn:ngsi-ld:OffStreetParking:Downtown1",
    "type": "OffStreetParking",
    "scope": "/Madrid/Centro",
    "availableSpotNumber": {
        "type": "Property",
        "value": 121,
        "observedAt": "2017-07-29T12:05:02Z",
        "unitCode": "C62",
        "datasetId": "urn:ngsi-ld:Dataset:camera",
        "providedBy": {"type": "Relationship", "object": "urn:ngsi-ld:Camera:C1"},
    },
    "isInCity": {
        "type": "Relationship",
        "object": "urn:ngsi-ld:City:Madrid",
        "objectType": "City",
    },
    "location": {
        "type": "GeoProperty",
        "value": {"type": "Point", "coordinates": [-3.80356167695194, 43.46296641666926]},
    },
    "street": {
        "type": "LanguageProperty",
        "languageMap": {"fr": "Grand Place", "nl": "Grote Markt"},
    },
    "category": {"type": "VocabProperty", "vocab": "commercial"},
    "occupancy": {"type": "ListProperty", "valueList": [0.25, 0.5]},
    "operators": {
        "type": "ListRelationship",
        "objectList": [{"object": "urn:ngsi-ld:Person:1"}, {"object": "urn:ngsi-ld:Person:2"}],
    },
    "settings": {"type": "JsonProperty", "json": {"mode": "auto", "levels": [1, 2]}},
    "description": {"type": "Property", "value": "Municipal car park"},
}


def values(*items):
    return [{"@value": item} for item in items]


PARKING_EXPANDED = {
    "@id": "urn:ngsi-ld:OffStreetParking:Downtown1",
    "@type": [DEFAULT + "OffStreetParking"],
    NGSI_LD + "scope": values("/Madrid/Centro"),
    DEFAULT + "availableSpotNumber": [{
        "@type": [NGSI_LD + "Property"],
        NGSI_LD + "hasValue": values(121),
        NGSI_LD + "observedAt": [{"@type": DATETIME, "@value": "2017-07-29T12:05:02Z"}],
        NGSI_LD + "unitCode": values("C62"),
        NGSI_LD + "datasetId": [{"@id": "urn:ngsi-ld:Dataset:camera"}],
        DEFAULT + "providedBy": [{
            "@type": [NGSI_LD + "Relationship"],
            NGSI_LD + "hasObject": [{"@id": "urn:ngsi-ld:Camera:C1"}],
        }],
    }],
    DEFAULT + "isInCity": [{
        "@type": [NGSI_LD + "Relationship"],
        NGSI_LD + "hasObject": [{"@id": "urn:ngsi-ld:City:Madrid"}],
        NGSI_LD + "hasObjectType": [{"@id": DEFAULT + "City"}],
    }],
    NGSI_LD + "location": [{
        "@type": [NGSI_LD + "GeoProperty"],
        NGSI_LD + "hasValue": [{
            "@type": [GEOJSON + "Point"],
            GEOJSON + "coordinates": [{"@list": values(-3.80356167695194, 43.46296641666926)}],
        }],
    }],
    DEFAULT + "street": [{
        "@type": [NGSI_LD + "LanguageProperty"],
        NGSI_LD + "hasLanguageMap": [
            {"@value": "Grand Place", "@language": "fr"},
            {"@value": "Grote Markt", "@language": "nl"},
        ],
    }],
    DEFAULT + "category": [{
        "@type": [NGSI_LD + "VocabProperty"],
        NGSI_LD + "hasVocab": [{"@id": DEFAULT + "commercial"}],
    }],
    DEFAULT + "occupancy": [{
        "@type": [NGSI_LD + "ListProperty"],
        NGSI_LD + "hasValueList": [{"@list": values(0.25, 0.5)}],
    }],
    DEFAULT + "operators": [{
        "@type": [NGSI_LD + "ListRelationship"],
        NGSI_LD + "hasObjectList": [{"@list": [
            {NGSI_LD + "hasObject": [{"@id": "urn:ngsi-ld:Person:1"}]},
            {NGSI_LD + "hasObject": [{"@id": "urn:ngsi-ld:Person:2"}]},
        ]}],
    }],
    DEFAULT + "settings": [{
        "@type": [NGSI_LD + "JsonProperty"],
        NGSI_LD + "hasJSON": [{"@type": "@json", "@value": {"mode": "auto", "levels": [1, 2]}}],
    }],
    "http://purl.org/dc/terms/description": [{
        "@type": [NGSI_LD + "Property"],
        NGSI_LD + "hasValue": values("Municipal car park"),
    }],
}


def test_pyld_expands_an_entity_with_every_attribute_type_to_the_spec_iris():
    [expanded] = ld.expand({**PARKING, "@context": CORE_CONTEXT_URL}, pyld_options())
    assert expanded == PARKING_EXPANDED


def test_pyld_compacts_the_expanded_entity_back_to_its_ngsi_ld_form():
    compacted = ld.compact(PARKING_EXPANDED, CORE_CONTEXT_URL, pyld_options())
    assert compacted == {"@context": CORE_CONTEXT_URL, **PARKING}


def test_pyld_expands_the_temporal_and_simplified_members_as_lists():
    # temporal "simplified" representation (clause 4.5.9) of each attribute type
    entity = {
        "id": "urn:ngsi-ld:Vehicle:B9211",
        "type": "Vehicle",
        "speed": {"type": "Property", "values": [[120, "2018-08-01T12:03:00Z"]]},
        "passengers": {"type": "ListProperty", "valueLists": [[[1, 2], "2018-08-01T12:03:00Z"]]},
        "driver": {"type": "Relationship", "objects": [["urn:ngsi-ld:Person:1", "2018-08-01"]]},
        "crew": {"type": "ListRelationship", "objectsLists": [[["urn:ngsi-ld:Person:1"], "t"]]},
        "name": {"type": "LanguageProperty", "languageMaps": [[{"en": "bus"}, "t"]]},
        "colour": {"type": "VocabProperty", "vocabs": [["red", "t"]]},
        "config": {"type": "JsonProperty", "jsons": [[{"@value": "x"}, "t"]]},
    }
    [expanded] = ld.expand({**entity, "@context": CORE_CONTEXT_URL}, pyld_options())
    members = {
        "speed": "hasValues", "passengers": "hasValueLists", "driver": "hasObjects",
        "crew": "hasObjectsLists", "name": "hasLanguageMaps", "colour": "hasVocabs",
        "config": "jsons",
    }
    for attribute, member in members.items():
        [node] = expanded[DEFAULT + attribute]
        [value] = node[NGSI_LD + member]
        assert set(value) == {"@list"}, attribute
    [speed] = expanded[DEFAULT + "speed"]
    assert speed[NGSI_LD + "hasValues"] == [
        {"@list": [{"@list": values(120, "2018-08-01T12:03:00Z")}]}
    ]


def test_pyld_expands_the_self_mapped_annex_b_terms_with_the_default_vocabulary():
    document = {"@context": CORE_CONTEXT_URL, "attributeCount": 3, "attributeDetails": "x"}
    [expanded] = ld.expand(document, pyld_options())
    assert expanded == {
        DEFAULT + "attributeCount": values(3),
        DEFAULT + "attributeDetails": values("x"),
    }


def test_every_core_url_expands_identically_with_pyld():
    results = {
        url: ld.expand({**PARKING, "@context": url}, pyld_options())
        for url in CORE_CONTEXT_ALIASES
    }
    assert all(result == [PARKING_EXPANDED] for result in results.values())


# -- @protected -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "term", ["type", "value", "object", "location", "observedAt", "Point", "coordinates",
             "languageMap", "vocab", "json", "description", "datasetId"],
)
def test_a_context_after_the_core_cannot_redefine_a_core_term(term):
    clash = {term: "https://example.org/other/" + term}
    with pytest.raises(ld.JsonLdError) as raised:
        ld.expand({"@context": [CORE_CONTEXT_URL, clash], "id": "urn:x:1", "type": "T"},
                      pyld_options())
    assert raised.value.code == "protected term redefinition"


def test_the_core_may_be_repeated_and_followed_by_new_terms():
    document = {
        "@context": [CORE_CONTEXT_URL, {"value": "ngsi-ld:hasValue",
                                        "brightness": "https://example.org/brightness"}],
        "id": "urn:x:1", "type": "Lamp", "brightness": {"type": "Property", "value": 7},
    }
    [expanded] = ld.expand(document, pyld_options())
    [brightness] = expanded["https://example.org/brightness"]
    assert brightness[NGSI_LD + "hasValue"] == values(7)


def test_the_core_context_cannot_be_cleared_by_a_null_context():
    with pytest.raises(ld.JsonLdError) as raised:
        ld.expand({"@context": [CORE_CONTEXT_URL, None], "id": "urn:x:1", "type": "T"},
                      pyld_options())
    assert raised.value.code == "invalid context nullification"


def test_the_core_applied_last_overrides_a_clashing_user_context():
    # NGSI-LD appends the core after the user's @context; the core's terms then win.
    clash = {"value": "https://example.org/value", "location": "https://example.org/where"}
    [expanded] = ld.expand(
        {"@context": [clash, CORE_CONTEXT_URL], "id": "urn:x:1", "type": "T",
         "location": {"type": "GeoProperty", "value": {"type": "Point", "coordinates": [1, 2]}}},
        pyld_options(),
    )
    assert NGSI_LD + "location" in expanded
    terms = asyncio.run(ContextService().term_map_for(clash))
    assert terms.expand("value") == NGSI_LD + "hasValue"
    assert terms.expand("location") == NGSI_LD + "location"
