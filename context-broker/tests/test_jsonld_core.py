"""The shipped NGSI-LD core @context: its terms, its URLs, and the layer's public surface."""

import asyncio

import pytest
from ngsild_broker import jsonld
from ngsild_broker.jsonld import (
    CORE_CONTEXT_ALIASES,
    CORE_CONTEXT_URL,
    ContextResolver,
    ContextService,
    core_context,
)

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
