"""Term maps: user @contexts expand and compact like full JSON-LD processing, and are cached.

The oracle is PyLD's JSON-LD 1.1 expansion (and compaction) of whole sample entities, with the
core context appended as NGSI-LD prescribes; the term map must give the same IRIs for every
attribute name, sub-attribute name, entity type, attribute type and vocab value.
"""

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
from ngsild_broker.jsonld import (
    CORE_CONTEXT_ALIASES,
    CORE_CONTEXT_URL,
    ContextResolver,
    ContextService,
    InvalidContext,
    LdContextNotAvailable,
    TermMap,
    core_context,
)
from pyld import jsonld

FIXTURES = Path(__file__).parent / "fixtures"
CONTEXTS = FIXTURES / "contexts"
SAMPLES = sorted((FIXTURES / "jsonld-samples").glob("*.jsonld"))
SDM_URL = "https://smart-data-models.github.io/dataModel.Environment/context.jsonld"
PROJECT_URL = "https://contexts.smartregion-ostfriesland.de/ngsi-ld/ostfriesland.jsonld"
CLASH_URL = "https://example.org/contexts/protected-clash.jsonld"
MALFORMED_URL = "https://example.org/contexts/malformed.jsonld"
SDM = "https://smartdatamodels.org/dataModel.Environment/"
NGSI_LD = "https://uri.etsi.org/ngsi-ld/"
ATTRIBUTE_TYPES = {
    "Property", "Relationship", "GeoProperty", "LanguageProperty", "ListProperty",
    "VocabProperty",
}


def service(**options: Any) -> ContextService:
    return ContextService(CONTEXTS, **options)


def terms_for(context: Any) -> TermMap:
    return asyncio.run(service().term_map_for(context))


def pyld_loader():
    """PyLD's document loader over the same fixtures: its own, independent route to them."""
    index = json.loads((CONTEXTS / "index.json").read_text())
    documents = {url: json.loads((CONTEXTS / name).read_text()) for url, name in index.items()}
    documents.update({url: core_context() for url in CORE_CONTEXT_ALIASES})

    def load(url, options=None):
        return {"contextUrl": None, "documentUrl": url, "document": documents[url]}

    return load


def with_core_last(context: Any) -> list[Any]:
    return [*(context if isinstance(context, list) else [context]), CORE_CONTEXT_URL]


# -- user contexts --------------------------------------------------------------------------


def test_smart_data_models_context_from_the_preload_directory():
    terms = terms_for(SDM_URL)
    assert terms.expand("WaterObserved") == SDM + "WaterObserved"
    assert terms.expand("height") == SDM + "height"
    assert terms.expand("measuredAt") == SDM + "measuredAt"
    assert terms.expand("sdm-env:flowRate") == SDM + "flowRate"
    assert terms.expand("location") == NGSI_LD + "location"
    assert terms.expand("unknownThing") == NGSI_LD + "default-context/unknownThing"
    assert terms.compact(SDM + "height") == "height"
    assert terms.compact(SDM + "WaterObserved") == "WaterObserved"
    assert terms.compact(SDM + "flowRate") == "sdm-env:flowRate"
    assert terms.urls == {SDM_URL}


def test_core_terms_win_over_user_terms():
    # the subject context maps description to ngsi-ld:description; the core maps it to dct
    assert terms_for(SDM_URL).expand("description") == "http://purl.org/dc/terms/description"


def test_term_mapped_to_null_is_treated_as_undefined():
    """JSON-LD would drop a null-mapped term; the broker stores it vocabulary-relative
    (found by the OpenAPI fuzz test: a NULL entity type broke every later read)."""
    terms = terms_for({"T": None, "a": None})
    assert terms.expand("T") == NGSI_LD + "default-context/T"
    assert terms.expand("a") == NGSI_LD + "default-context/a"
    # "T" itself cannot be the compact form (it is defined, as null), so a prefixed
    # name is used, as JSON-LD compaction does; it expands back to the same IRI
    compacted = terms.compact(NGSI_LD + "default-context/T")
    assert compacted != "T" and terms.expand(compacted) == NGSI_LD + "default-context/T"


def test_nested_project_context_with_alias_and_prefix():
    terms = terms_for(PROJECT_URL)
    assert terms.expand("Pegel") == SDM + "WaterObserved"
    assert terms.compact(SDM + "WaterObserved") == "Pegel"  # the shortest term wins
    assert terms.expand("gaugeNumber") == "https://smartregion-ostfriesland.de/ns/gaugeNumber"
    assert terms.expand("sro:operator") == "https://smartregion-ostfriesland.de/ns/operator"
    assert terms.expand("height") == SDM + "height"
    assert terms.urls == {PROJECT_URL, SDM_URL}


def test_protected_user_context_cannot_block_the_core():
    # Spec-literal JSON-LD rejects this context list; NGSI-LD applies the core last anyway.
    with pytest.raises(jsonld.JsonLdError):
        jsonld.expand(
            {"@context": with_core_last(CLASH_URL), "description": "x"},
            {"documentLoader": pyld_loader()},
        )
    terms = terms_for(CLASH_URL)
    assert terms.expand("description") == "http://purl.org/dc/terms/description"
    assert terms.expand("brightness") == "https://example.org/lighting/brightness"


# -- equivalence with full JSON-LD expansion ------------------------------------------------


def expected_names(node: dict[str, Any], expanded: dict[str, Any], terms: TermMap) -> None:
    """Compare one entity or attribute object with PyLD's expansion of it, recursively."""
    names = [name for name in node if name != "@context"]
    assert {terms.expand(name) for name in names} == set(expanded)
    kinds = node["type"] if isinstance(node["type"], list) else [node["type"]]
    assert expanded["@type"] == [terms.expand(kind) for kind in kinds]
    for name in names:
        value = node[name]
        if isinstance(value, dict) and value.get("type") in ATTRIBUTE_TYPES:
            [attribute] = expanded[terms.expand(name)]
            expected_names(value, attribute, terms)
            if value["type"] == "VocabProperty":
                assert attribute[terms.expand("vocab")] == [{"@id": terms.expand(value["vocab"])}]


@pytest.mark.parametrize("sample", SAMPLES, ids=lambda path: path.stem)
def test_expansion_matches_pyld(sample):
    entity = json.loads(sample.read_text())
    [expanded] = jsonld.expand(
        {**entity, "@context": with_core_last(entity["@context"])},
        {"documentLoader": pyld_loader()},
    )
    terms = terms_for(entity["@context"])
    assert expanded["@id"] == entity["id"]
    expected_names(entity, expanded, terms)


@pytest.mark.parametrize("sample", SAMPLES, ids=lambda path: path.stem)
def test_compaction_matches_pyld_for_untyped_terms(sample):
    entity = json.loads(sample.read_text())
    context = with_core_last(entity["@context"])
    loader = pyld_loader()
    expanded = jsonld.expand({**entity, "@context": context}, {"documentLoader": loader})
    compacted = jsonld.compact(expanded, {"@context": context}, {"documentLoader": loader})
    terms = terms_for(entity["@context"])
    ours = {terms.compact(terms.expand(name)) for name in entity if name != "@context"}
    theirs = {name for name in compacted if name != "@context"}
    for name in ours - theirs:
        # Full compaction skips a term whose @type coercion does not fit an attribute object
        # and prints a CURIE or IRI; NGSI-LD clients expect the term, so the map gives it.
        definition = terms.definition(name)
        assert definition is not None and definition.type not in (None, "@id"), name
    kinds = entity["type"] if isinstance(entity["type"], list) else [entity["type"]]
    compact_kinds = [terms.compact(terms.expand(kind)) for kind in kinds]
    assert compact_kinds == (compacted["type"] if isinstance(compacted["type"], list)
                             else [compacted["type"]])


def test_compaction_round_trips_every_sample_name():
    for sample in SAMPLES:
        entity = json.loads(sample.read_text())
        terms = terms_for(entity["@context"])
        for name in entity:
            if name != "@context":
                assert terms.expand(terms.compact(terms.expand(name))) == terms.expand(name)


# -- failures -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "context",
    [
        MALFORMED_URL,
        {"height": 42},
        {"@vocab": 5},
        {"flow": {"@id": "https://example.org/flow", "@container": "@nonsense"}},
        [SDM_URL, 42],
        42,
        "relative/context.jsonld",
    ],
    ids=["remote", "term-number", "vocab-number", "bad-container", "array-member", "number",
         "relative-url"],
)
def test_malformed_context_is_invalid(context):
    with pytest.raises(InvalidContext):
        terms_for(context)


def test_unknown_context_without_downloads_is_not_available():
    with pytest.raises(LdContextNotAvailable, match="downloads are disabled"):
        terms_for("https://example.org/contexts/unknown.jsonld")


# -- the term-map cache ---------------------------------------------------------------------


def test_same_context_value_gives_the_same_object():
    contexts = service()
    inline = {"ex": "https://example.org/", "brightness": "ex:brightness"}
    reordered = {"brightness": "ex:brightness", "ex": "https://example.org/"}

    async def lookups():
        return (
            await contexts.term_map_for([SDM_URL, inline]),
            await contexts.term_map_for([SDM_URL, reordered]),
            await contexts.term_map_for([SDM_URL]),
            await contexts.term_map_for(None),
            await contexts.term_map_for("https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context.jsonld"),
        )

    first, again, other, core, core_by_url = asyncio.run(lookups())
    assert first is again
    assert first is not other
    assert core is core_by_url
    assert len(contexts) == 3


def test_concurrent_requests_share_one_build():
    class CountingResolver(ContextResolver):
        calls = 0

        async def resolve(self, url):
            CountingResolver.calls += 1
            await asyncio.sleep(0.01)
            return await super().resolve(url)

    contexts = ContextService(resolver=CountingResolver(CONTEXTS))

    async def many():
        return await asyncio.gather(*(contexts.term_map_for(PROJECT_URL) for _ in range(10)))

    maps = asyncio.run(many())
    assert all(terms is maps[0] for terms in maps)
    assert CountingResolver.calls == 4  # project, its SDM context, its core reference, core


def test_least_recently_used_map_is_evicted():
    contexts = service(max_term_maps=2)

    async def scenario():
        a = await contexts.term_map_for(SDM_URL)
        b = await contexts.term_map_for(PROJECT_URL)
        assert await contexts.term_map_for(SDM_URL) is a  # a is now the most recent
        await contexts.term_map_for(None)  # evicts b
        return a, b, await contexts.term_map_for(SDM_URL), await contexts.term_map_for(PROJECT_URL)

    a, b, a_again, b_again = asyncio.run(scenario())
    assert a_again is a
    assert b_again is not b
    assert len(contexts) == 2


def test_changing_a_hosted_context_drops_the_maps_built_from_it():
    contexts = service()
    url = "http://127.0.0.1:1026/ngsi-ld/v1/jsonldContexts/lamps"

    async def scenario():
        contexts.resolver.add(url, {"@context": {"brightness": "https://example.org/v1/brightness"}})
        first = await contexts.term_map_for([url, SDM_URL])
        untouched = await contexts.term_map_for(SDM_URL)
        contexts.resolver.add(url, {"@context": {"brightness": "https://example.org/v2/brightness"}})
        second = await contexts.term_map_for([url, SDM_URL])
        assert await contexts.term_map_for(SDM_URL) is untouched
        contexts.resolver.remove(url)
        with pytest.raises(LdContextNotAvailable):
            await contexts.term_map_for([url, SDM_URL])
        return first, second

    first, second = asyncio.run(scenario())
    assert first.expand("brightness") == "https://example.org/v1/brightness"
    assert second.expand("brightness") == "https://example.org/v2/brightness"


def test_service_takes_a_resolver_or_its_settings_not_both():
    with pytest.raises(TypeError):
        ContextService(CONTEXTS, resolver=ContextResolver())
