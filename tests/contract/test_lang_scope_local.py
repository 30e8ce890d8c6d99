"""The language filter ``lang`` (clause 4.15), scopes and ``scopeQ`` (clause 4.19), and the
``local``/``csf`` parameters of entity queries (clauses 6.4.3.2, 6.5.3.1, 5.2.23).

Every expectation is derived from the entities created here, not from earlier broker output.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import httpx
import pytest

from .conftest import water_observed
from .test_entities import assert_problem

# ----------------------------------------------------------------------------- lang

NAME = {"de": "Emden Neue Seeschleuse", "en": "Emden New Sea Lock", "nds": "Emden Nie Sluus"}
DESCRIPTION = {"de": "Pegelstand am Außenhaupt", "en": "Water level at the outer gate"}
REGIONAL = {"de-DE": "Hafenbehörde", "en-US": "Port authority"}
WITH_NONE = {"@none": "EMD-SL-1", "de": "Schleuse 1"}
OPERATORS = {
    "urn:ngsi-ld:Dataset:owner": {"de": "Land Niedersachsen", "en": "State of Lower Saxony"},
    "urn:ngsi-ld:Dataset:operator": {"de": "Niedersachsen Ports", "en": "Lower Saxony Ports"},
}


def multilingual(entity_id: str) -> dict:
    """A tide gauge with LanguageProperties at entity level, as a sub-attribute, with
    regional tags, with an ``@none`` entry and as two datasetId instances."""
    entity = water_observed(entity_id)
    entity["name"] = {"type": "LanguageProperty", "languageMap": NAME}
    entity["height"]["description"] = {"type": "LanguageProperty", "languageMap": DESCRIPTION}
    entity["authority"] = {"type": "LanguageProperty", "languageMap": REGIONAL}
    entity["lockName"] = {"type": "LanguageProperty", "languageMap": WITH_NONE}
    entity["operator"] = [
        {"type": "LanguageProperty", "languageMap": texts, "datasetId": dataset}
        for dataset, texts in OPERATORS.items()
    ]
    return entity


@pytest.fixture
def gauge(broker: httpx.Client, entity_id: str) -> Iterator[str]:
    created = broker.post("/entities", json=multilingual(entity_id), headers=broker.write_headers)
    assert created.status_code == 201, created.text
    yield entity_id
    broker.delete(f"/entities/{entity_id}", headers=broker.write_headers)


def retrieve(broker: httpx.Client, entity_id: str, **params: str) -> dict:
    response = broker.get(f"/entities/{entity_id}", params=params)
    assert response.status_code == 200, response.text
    return response.json()


def by_dataset(instances: list[dict]) -> dict[str, dict]:
    return {instance["datasetId"]: instance for instance in instances}


def test_lang_turns_language_properties_into_properties(broker: httpx.Client, gauge: str) -> None:
    body = retrieve(broker, gauge, lang="de")
    assert body["name"] == {"type": "Property", "value": NAME["de"], "lang": "de"}
    # a sub-attribute is converted the same way; its parent stays as it was
    assert body["height"]["value"] == 432.0 and body["height"]["unitCode"] == "CMT"
    assert body["height"]["description"] == {
        "type": "Property", "value": DESCRIPTION["de"], "lang": "de"}
    # every instance of a multi-instance attribute, keeping its datasetId
    operators = by_dataset(body["operator"])
    for dataset, texts in OPERATORS.items():
        assert operators[dataset] == {
            "type": "Property", "value": texts["de"], "lang": "de", "datasetId": dataset}
    # other attribute kinds are untouched
    assert body["refDevice"] == {"type": "Relationship", "object": "urn:ngsi-ld:Device:emd:gauge-1"}

    english = retrieve(broker, gauge, lang="en")
    assert english["name"] == {"type": "Property", "value": NAME["en"], "lang": "en"}
    assert english["height"]["description"]["value"] == DESCRIPTION["en"]


def test_without_lang_the_language_map_is_returned(broker: httpx.Client, gauge: str) -> None:
    body = retrieve(broker, gauge)
    assert body["name"] == {"type": "LanguageProperty", "languageMap": NAME}
    assert body["height"]["description"]["languageMap"] == DESCRIPTION


def test_lang_in_every_representation(broker: httpx.Client, gauge: str) -> None:
    key_values = retrieve(broker, gauge, lang="en", options="keyValues")
    assert key_values["name"] == NAME["en"]
    assert key_values["lockName"] == WITH_NONE["@none"]  # no English text: the @none entry
    assert key_values["height"] == 432.0
    assert sorted(key_values["operator"]) == sorted(t["en"] for t in OPERATORS.values())

    concise = retrieve(broker, gauge, lang="en", options="concise")
    assert concise["name"] == {"value": NAME["en"], "lang": "en"}
    assert concise["height"]["description"] == {"value": DESCRIPTION["en"], "lang": "en"}

    normalized = retrieve(broker, gauge, lang="en", options="normalized")
    assert normalized["name"] == {"type": "Property", "value": NAME["en"], "lang": "en"}
    assert retrieve(broker, gauge, lang="en", format="keyValues")["name"] == NAME["en"]


def test_language_ranges_and_quality_values(broker: httpx.Client, gauge: str) -> None:
    def name(lang: str) -> tuple[str, str]:
        value = retrieve(broker, gauge, lang=lang)["name"]
        return value["lang"], value["value"]

    assert name("nds") == ("nds", NAME["nds"])
    assert name("fr,en") == ("en", NAME["en"])  # first available in list order
    assert name("en,de") == ("en", NAME["en"])
    # quality values outrank list position (RFC 9110 Accept-Language)
    assert name("fr;q=0.5,de;q=0.2,en;q=0.9") == ("en", NAME["en"])
    assert name("de-CH,fr;q=0.9,en;q=0.8,*;q=0.5") == ("de", NAME["de"])
    assert name("DE") == ("de", NAME["de"])  # tags compare case-insensitively
    assert name("de-AT") == ("de", NAME["de"])  # a longer range falls back to the language
    assert name("de;q=0,en") == ("en", NAME["en"])
    # a shorter range finds a regional tag
    authority = retrieve(broker, gauge, lang="en")["authority"]
    assert authority == {"type": "Property", "value": REGIONAL["en-US"], "lang": "en-US"}
    assert retrieve(broker, gauge, lang="de-DE")["authority"]["value"] == REGIONAL["de-DE"]


def test_any_language_and_no_matching_language(broker: httpx.Client, gauge: str) -> None:
    # "*": one of the languages, named in "lang" (not the whole map)
    name = retrieve(broker, gauge, lang="*")["name"]
    assert name["type"] == "Property" and name["lang"] in NAME
    assert name["value"] == NAME[name["lang"]]
    assert retrieve(broker, gauge, lang="*", options="keyValues")["name"] in NAME.values()

    # No requested language present: the broker "shall default to any supported language"
    # (clause 4.15): the text without language (@none) if there is one ...
    body = retrieve(broker, gauge, lang="fr")
    assert body["lockName"] == {"type": "Property", "value": WITH_NONE["@none"], "lang": "@none"}
    # ... else some language of the map, and "lang" says which
    assert body["name"]["lang"] in NAME and body["name"]["value"] == NAME[body["name"]["lang"]]
    assert "languageMap" not in body["name"]


def test_lang_on_queries_get_and_post(broker: httpx.Client, gauge: str) -> None:
    expected = {"type": "Property", "value": NAME["en"], "lang": "en"}
    found = broker.get("/entities", params={"id": gauge, "type": "WaterObserved", "lang": "en"})
    assert found.status_code == 200, found.text
    assert [e["name"] for e in found.json()] == [expected]

    posted = broker.post("/entityOperations/query", json={
        "type": "Query", "entities": [{"type": "WaterObserved", "id": gauge}], "lang": "en"})
    assert posted.status_code == 200, posted.text
    assert [e["name"] for e in posted.json()] == [expected]
    posted_kv = broker.post("/entityOperations/query", params={"options": "keyValues"}, json={
        "type": "Query", "entities": [{"type": "WaterObserved", "id": gauge}], "lang": "de"})
    assert [e["name"] for e in posted_kv.json()] == [NAME["de"]]


@pytest.mark.parametrize(
    "lang", ["", "de;q=2", "de;q=0.1234", "de;x=1", "d e", "de,,en", "toolonglanguage",
             "@none", "de-", "de;q="])
def test_bad_lang_is_bad_request(broker: httpx.Client, gauge: str, lang: str) -> None:
    assert_problem(broker.get(f"/entities/{gauge}", params={"lang": lang}), 400,
                   "BadRequestData")
    assert_problem(broker.get("/entities", params={"type": "WaterObserved", "lang": lang}), 400,
                   "BadRequestData")


def test_bad_lang_in_query_body_is_bad_request(broker: httpx.Client) -> None:
    for lang in (5, ["de"], "de;q=9"):
        assert_problem(broker.post("/entityOperations/query", json={
            "type": "Query", "entities": [{"type": "WaterObserved"}], "lang": lang}),
            400, "BadRequestData")


# ----------------------------------------------------------------------------- scopeQ

#: name -> scope of a gauge (None: no scope). Queried in a tenant of their own, so that the
#: expected sets below are exact.
SCOPES: dict[str, str | list[str] | None] = {
    "ostfriesland": "/Ostfriesland",
    "emden": "/Ostfriesland/Emden",
    "emden-hafen": ["/Ostfriesland/Emden/Hafen", "/Betreiber/NPorts"],
    "leer": "/Ostfriesland/Leer",
    "papenburg": ["/Emsland/Papenburg", "/Betreiber/NPorts"],
    "ostfriesland-plus": "/OstfrieslandPlus/Emden",
    "unscoped": None,
}


@pytest.fixture(scope="module")
def scoped(broker_url: str, write_headers: dict) -> Iterator[dict[str, str]]:
    """A tenant holding one WaterObserved per SCOPES entry; yields the tenant header."""
    headers = {"NGSILD-Tenant": f"s{uuid.uuid4().hex[:10]}"}
    entities = []
    for name, scope in SCOPES.items():
        entity = water_observed(f"urn:ngsi-ld:WaterObserved:test:{name}")
        if scope is not None:
            entity["scope"] = scope
        entities.append(entity)
    with httpx.Client(base_url=f"{broker_url}/ngsi-ld/v1") as client:
        created = client.post("/entityOperations/create", headers={**write_headers, **headers},
                              json=entities)
        assert created.status_code == 201, created.text
        yield headers
        client.post("/entityOperations/delete", headers={**write_headers, **headers},
                    json=[e["id"] for e in entities])


def names(response: httpx.Response) -> set[str]:
    assert response.status_code == 200, response.text
    return {entity["id"].rsplit(":", 1)[1] for entity in response.json()}


SCOPE_CASES = [
    ("/Ostfriesland/Emden", {"emden"}),
    ("/Ostfriesland", {"ostfriesland"}),
    # "#": the scope itself and everything below it, but not a longer name
    ("/Ostfriesland/#", {"ostfriesland", "emden", "emden-hafen", "leer"}),
    ("/Ostfriesland/Emden/#", {"emden", "emden-hafen"}),
    ("/#", set(SCOPES) - {"unscoped"}),
    # "+": exactly one level
    ("/Ostfriesland/+", {"emden", "leer"}),
    ("/+/Emden", {"emden", "ostfriesland-plus"}),
    ("/+/+/Hafen", {"emden-hafen"}),
    # ";" AND, "," and "|" OR, parentheses
    ("/Ostfriesland/#;/Betreiber/NPorts", {"emden-hafen"}),
    ("/Ostfriesland/Leer,/Emsland/#", {"leer", "papenburg"}),
    ("/Ostfriesland/Leer|/Emsland/#", {"leer", "papenburg"}),
    ("/Betreiber/NPorts;/Ostfriesland/#,/Ostfriesland", {"emden-hafen", "ostfriesland"}),
    ("/Betreiber/NPorts;(/Emsland/#,/Ostfriesland)", {"papenburg"}),
    ("/Ostfriesland/Emden;/Emsland/Papenburg", set()),
]


@pytest.mark.parametrize(("scope_q", "expected"), SCOPE_CASES,
                         ids=[case[0] for case in SCOPE_CASES])
def test_scope_q(broker: httpx.Client, scoped: dict, scope_q: str, expected: set[str]) -> None:
    # scopeQ alone is a valid query
    assert names(broker.get("/entities", headers=scoped, params={"scopeQ": scope_q})) == expected
    # ... and combines with type and q
    assert names(broker.get("/entities", headers=scoped, params={
        "scopeQ": scope_q, "type": "WaterObserved", "q": "height==432"})) == expected
    posted = broker.post("/entityOperations/query", headers=scoped,
                         json={"type": "Query", "scopeQ": scope_q})
    assert names(posted) == expected


def test_scope_q_counts_and_returns_the_scope(broker: httpx.Client, scoped: dict) -> None:
    found = broker.get("/entities", headers=scoped,
                       params={"scopeQ": "/Betreiber/NPorts", "count": "true"})
    assert found.headers["ngsild-results-count"] == "2"
    scopes = {e["id"].rsplit(":", 1)[1]: e["scope"] for e in found.json()}
    assert scopes == {name: SCOPES[name] for name in ("emden-hafen", "papenburg")}


def test_unencoded_plus_in_the_url_is_the_wildcard(broker: httpx.Client, scoped: dict) -> None:
    # A literal "+" in a query string is often decoded as a space; scopeQ keeps it.
    found = broker.get("/entities?scopeQ=/Ostfriesland/+", headers=scoped)
    assert names(found) == {"emden", "leer"}


@pytest.mark.parametrize("scope_q", [
    "", "Ostfriesland", "/Ostfriesland/", "//Emden", "/Ostfriesland/#/Emden", "/Ost+", "(/a",
    "/a)", "/a;", ",/a", "/a /b", "/a b", "/a|,/b", "(" * 500 + "/a" + ")" * 500])
def test_bad_scope_q_is_bad_request(broker: httpx.Client, scoped: dict, scope_q: str) -> None:
    assert_problem(broker.get("/entities", headers=scoped, params={"scopeQ": scope_q}), 400,
                   "BadRequestData")
    assert_problem(broker.post("/entityOperations/query", headers=scoped,
                               json={"type": "Query", "scopeQ": scope_q}), 400, "BadRequestData")


def test_scope_q_in_body_must_be_a_string(broker: httpx.Client, scoped: dict) -> None:
    assert_problem(broker.post("/entityOperations/query", headers=scoped,
                               json={"type": "Query", "scopeQ": ["/Ostfriesland"]}),
                   400, "BadRequestData")


# ----------------------------------------------------------------------------- local, csf


def test_local_true_gives_the_same_answer(broker: httpx.Client, scoped: dict) -> None:
    params = {"type": "WaterObserved", "q": "height==432"}
    plain = names(broker.get("/entities", headers=scoped, params=params))
    assert plain == set(SCOPES)
    assert names(broker.get("/entities", headers=scoped,
                            params={**params, "local": "true"})) == plain
    assert names(broker.get("/entities", headers=scoped,
                            params={**params, "local": "false"})) == plain
    posted = broker.post("/entityOperations/query", headers=scoped, params={"local": "true"},
                         json={"type": "Query", "entities": [{"type": "WaterObserved"}]})
    assert names(posted) == plain


def test_local_true_alone_is_a_query_of_everything(broker: httpx.Client, scoped: dict) -> None:
    # clause 5.7.2: with local=true no type, attrs, q or geoQ is needed (all local entities)
    assert names(broker.get("/entities", headers=scoped, params={"local": "true"})) == set(SCOPES)
    assert_problem(broker.get("/entities", headers=scoped, params={"local": "false"}), 400,
                   "BadRequestData")


def test_local_on_retrieve(broker: httpx.Client, gauge: str) -> None:
    assert retrieve(broker, gauge, local="true")["id"] == gauge
    assert_problem(broker.get(f"/entities/{gauge}", params={"local": "yes"}), 400,
                   "BadRequestData")


@pytest.mark.parametrize("value", ["yes", "TRUE", "1", ""])
def test_bad_local_is_bad_request(broker: httpx.Client, scoped: dict, value: str) -> None:
    assert_problem(broker.get("/entities", headers=scoped,
                              params={"type": "WaterObserved", "local": value}),
                   400, "BadRequestData")


def test_csf_is_validated_and_filters_no_local_entity(broker: httpx.Client, scoped: dict) -> None:
    # csf selects context source registrations; this broker holds none
    found = broker.get("/entities", headers=scoped,
                       params={"type": "WaterObserved", "csf": "endpoint==\"http://x\""})
    assert names(found) == set(SCOPES)
    posted = broker.post("/entityOperations/query", headers=scoped, json={
        "type": "Query", "entities": [{"type": "WaterObserved"}], "csf": "mode==\"inclusive\""})
    assert names(posted) == set(SCOPES)
    for csf in ("((", "a>>1", ""):
        assert_problem(broker.get("/entities", headers=scoped,
                                  params={"type": "WaterObserved", "csf": csf}),
                       400, "BadRequestData")


def test_type_star_selects_every_type(broker: httpx.Client, scoped: dict) -> None:
    """type=* (clause 4.17): entities of all types, like local=true alone; combinable."""
    everything = names(broker.get("/entities", headers=scoped, params={"type": "*"}))
    assert everything == set(SCOPES)
    narrowed = names(broker.get("/entities", headers=scoped,
                                params={"type": "*", "scopeQ": "/Ostfriesland/#"}))
    assert narrowed == names(broker.get("/entities", headers=scoped,
                                        params={"local": "true", "scopeQ": "/Ostfriesland/#"}))
