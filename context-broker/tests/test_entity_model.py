"""Entity bodies are validated and brought into stored form before touching the database."""

import pytest
from ngsild_broker.errors import BadRequestData
from ngsild_broker.model.entity import parse_entity
from ngsild_broker.model.render import RenderOptions, StoredEntity, render_entity

DEFAULT = "https://uri.etsi.org/ngsi-ld/default-context/"
CORE = {"location": "https://uri.etsi.org/ngsi-ld/location"}


class Terms:
    """Core names plus the default vocabulary, as the core context alone gives them."""

    def expand(self, term: str) -> str:
        return term if ":" in term else CORE.get(term, DEFAULT + term)

    def compact(self, iri: str) -> str:
        for term, full in CORE.items():
            if iri == full:
                return term
        return iri.removeprefix(DEFAULT)


def test_normalized_entity_with_every_attribute_kind():
    entity = parse_entity(
        {
            "id": "urn:ngsi-ld:WaterObserved:emd:1",
            "type": "WaterObserved",
            "height": {"type": "Property", "value": 4.3, "unitCode": "MTR",
                       "observedAt": "2026-11-22T10:00:00Z",
                       "quality": {"type": "Property", "value": "good"}},
            "location": {"type": "GeoProperty",
                         "value": {"type": "Point", "coordinates": [7.2, 53.3]}},
            "refDevice": {"type": "Relationship", "object": "urn:ngsi-ld:Device:1"},
            "name": {"type": "LanguageProperty", "languageMap": {"de": "Pegel"}},
            "readings": {"type": "ListProperty", "valueList": [1, 2]},
            "category": {"type": "VocabProperty", "vocab": "tide"},
        },
        Terms(),
    )
    assert entity.types == [DEFAULT + "WaterObserved"]
    height = entity.attrs[DEFAULT + "height"][0]
    assert height["unitCode"] == "MTR" and height[DEFAULT + "quality"][0]["value"] == "good"
    assert entity.attrs[DEFAULT + "category"][0]["vocab"] == DEFAULT + "tide"
    assert entity.geo_instances() == [
        (CORE["location"], "", {"type": "Point", "coordinates": [7.2, 53.3]})
    ]


def test_concise_values_get_their_types():
    entity = parse_entity(
        {"id": "urn:x:1", "type": "T", "flow": 3, "ref": {"object": "urn:x:2"},
         "location": {"value": {"type": "Point", "coordinates": [1, 2]}}},
        Terms(),
    )
    (flow,) = entity.attrs[DEFAULT + "flow"]
    assert {k: v for k, v in flow.items() if k not in ("createdAt", "modifiedAt")} == {
        "type": "Property", "value": 3
    }
    assert flow["createdAt"] == flow["modifiedAt"] and flow["createdAt"].endswith("Z")
    assert entity.attrs[DEFAULT + "ref"][0]["type"] == "Relationship"
    assert entity.attrs[CORE["location"]][0]["type"] == "GeoProperty"


def test_multi_attribute_instances_need_distinct_dataset_ids():
    body = {"id": "urn:x:1", "type": "T", "temp": [
        {"type": "Property", "value": 1, "datasetId": "urn:ds:a"},
        {"type": "Property", "value": 2, "datasetId": "urn:ds:b"},
    ]}
    assert len(parse_entity(body, Terms()).attrs[DEFAULT + "temp"]) == 2
    body["temp"][1]["datasetId"] = "urn:ds:a"
    with pytest.raises(BadRequestData, match="same datasetId"):
        parse_entity(body, Terms())


@pytest.mark.parametrize(
    "body, message",
    [
        ([], "JSON object"),
        ({"type": "T"}, "URI"),
        ({"id": "urn:x:1"}, "type"),
        ({"id": "urn:x:1", "type": "T", "a": {"type": "Property"}}, "needs 'value'"),
        ({"id": "urn:x:1", "type": "T", "a": {"type": "Relationship", "object": "nope"}}, "URI"),
        ({"id": "urn:x:1", "type": "T", "a": {"type": "Magic", "value": 1}}, "unknown"),
        ({"id": "urn:x:1", "type": "T", "location": {"type": "GeoProperty",
          "value": {"type": "Point", "coordinates": [200, 1]}}}, "GeoJSON"),
        ({"id": "urn:x:1", "type": "T", "a": {"value": 1, "observedAt": "gestern"}}, "ISO 8601"),
    ],
)
def test_invalid_bodies_are_refused_with_a_reason(body, message):
    with pytest.raises(BadRequestData, match=message):
        parse_entity(body, Terms())


def test_deep_nesting_is_refused():
    attribute: dict = {"type": "Property", "value": 0}
    for _ in range(12):
        attribute = {"type": "Property", "value": 0, "sub": attribute}
    with pytest.raises(BadRequestData, match="nested"):
        parse_entity({"id": "urn:x:1", "type": "T", "a": attribute}, Terms())


def test_rendering_compacts_and_simplifies():
    entity = parse_entity(
        {"id": "urn:x:1", "type": "T", "a": {"value": 1, "unitCode": "CEL"}}, Terms()
    )
    from datetime import UTC, datetime

    stored = StoredEntity(entity.id, entity.types, entity.attrs, None,
                          datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 1, 2, tzinfo=UTC))
    normalized = render_entity(stored, Terms(), RenderOptions())
    assert normalized == {"id": "urn:x:1", "type": "T",
                          "a": {"type": "Property", "value": 1, "unitCode": "CEL"}}
    assert render_entity(stored, Terms(), RenderOptions("keyValues"))["a"] == 1
    assert render_entity(stored, Terms(), RenderOptions("concise"))["a"] == {
        "value": 1, "unitCode": "CEL"}
    with_sys = render_entity(stored, Terms(), RenderOptions(sys_attrs=True))
    assert with_sys["createdAt"] == "2026-01-01T00:00:00Z"


@pytest.mark.parametrize("vocab", [False, 3, [], ["ok", None], {"a": 1}])
def test_vocab_must_be_terms(vocab):
    body = {"id": "urn:x:1", "type": "T", "category": {"type": "VocabProperty", "vocab": vocab}}
    with pytest.raises(BadRequestData, match="vocab"):
        parse_entity(body, Terms())
