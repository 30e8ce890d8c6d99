"""The live-data vocabulary: schemas, examples, @context, unit codes, ids and validation.

The oracles are independent of the code under test where it matters: the expected Smart
Data Models IRIs below were transcribed separately from the SDM subject contexts, JSON-LD
expansion is PyLD's (with the broker's shipped core context, no network), and the invalid
entities are built by hand from the shipped examples.
"""

from __future__ import annotations

import asyncio
import copy
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from pyld import jsonld
from referencing import Registry, Resource
from smartregion_schemas import catalogue, live
from smartregion_schemas.live import (
    CONTEXT_URL,
    CORE_CONTEXT_URL,
    ENTITY_TYPES,
    PROJECT_NAMESPACE,
    EntityValidationError,
)

REPO = Path(__file__).parents[2]
CORE_CONTEXT_FILE = (
    REPO / "context-broker" / "src" / "ngsild_broker" / "jsonld" / "core-context-v1.8.jsonld"
)
MODELS = Path(live.__file__).parent / "models"
SDM = "https://smartdatamodels.org/"
DEFAULT_VOCAB = "https://uri.etsi.org/ngsi-ld/default-context/"
NGSI_LD = "https://uri.etsi.org/ngsi-ld/"

#: Smart Data Models subject of each entity type (smart-data-models/dataModel.<subject>).
SUBJECT = {
    "WaterObserved": "Environment",
    "WeatherObserved": "Weather",
    "AirQualityObserved": "Environment",
    "EVChargingStation": "Transportation",
    "Device": "Device",
    "OffStreetParking": "Parking",
}
#: A sample of attribute IRIs, read off the SDM subject contexts (dataModel.*/context.jsonld).
EXPECTED_IRIS = {
    "height": SDM + "dataModel.Environment/height",
    "pm25": SDM + "dataModel.Environment/pm25",
    "temperature": SDM + "dataModel.Weather/temperature",
    "windDirection": SDM + "dataModel.Weather/windDirection",
    "socketType": SDM + "dataModel.Transportation/socketType",
    "availableSpotNumber": SDM + "dataModel.Parking/availableSpotNumber",
    "batteryLevel": SDM + "dataModel.Device/batteryLevel",
    "controlledProperty": SDM + "dataModel.Device/controlledProperty",
    "dataProvider": SDM + "dataProvider",
    "dateObserved": SDM + "dateObserved",
    "name": SDM + "name",
    "description": "http://purl.org/dc/terms/description",
    "location": NGSI_LD + "location",
    "value": NGSI_LD + "hasValue",
    "refCatalogueDataset": "https://smartregion-ostfriesland.de/ns/refCatalogueDataset",
    "partner": "https://smartregion-ostfriesland.de/ns/partner",
}
PLATFORM_REQUIRED = {"id", "type", "location", "dataProvider", "partner", "refCatalogueDataset"}
#: Members of NGSI-LD attributes and GeoJSON geometries: defined by the core @context.
STRUCTURAL_MEMBERS = {"type", "value", "object", "observedAt", "unitCode", "coordinates"}

CASES = [(t, r) for t in ENTITY_TYPES for r in ("normalized", "keyValues")]


def _core_document() -> dict[str, Any]:
    document: dict[str, Any] = json.loads(CORE_CONTEXT_FILE.read_text(encoding="utf-8"))
    return document


def _core_terms() -> set[str]:
    return {term for term in _core_document()["@context"] if not term.startswith("@")}


def _offline_loader(url: str, options: Any = None) -> dict[str, Any]:
    """PyLD document loader: the core context from the broker's file, ours from the package."""
    if url == CORE_CONTEXT_URL:
        document = _core_document()
    elif url == CONTEXT_URL:
        document = json.loads(live.context_path().read_text(encoding="utf-8"))
    else:
        raise AssertionError(f"the test loader has no document for {url}")
    return {"contextUrl": None, "documentUrl": url, "document": document}


def _expand(document: dict[str, Any]) -> dict[str, Any]:
    expanded = jsonld.expand(document, {"documentLoader": _offline_loader})
    assert len(expanded) == 1
    node: dict[str, Any] = expanded[0]
    return node


def _problems(entity: Any, representation: str = "normalized") -> dict[str, str]:
    with pytest.raises(EntityValidationError) as raised:
        live.validate_entity(entity, representation)
    assert raised.value.problems, "an EntityValidationError must name at least one problem"
    return {problem.path: problem.message for problem in raised.value.problems}


def _keys(value: Any) -> Iterator[str]:
    """Every object key in a JSON value, at any depth."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield key
            yield from _keys(item)
    elif isinstance(value, list):
        for item in value:
            yield from _keys(item)


def _schema_property_names(schema: Any) -> Iterator[str]:
    """Every name under ``properties`` in a schema, nested ones included."""
    if isinstance(schema, dict):
        for name, sub in schema.get("properties", {}).items():
            yield name
            yield from _schema_property_names(sub)
        for key in ("$defs", "items", "prefixItems", "anyOf", "oneOf", "allOf"):
            sub = schema.get(key)
            for item in sub.values() if isinstance(sub, dict) else sub or []:
                yield from _schema_property_names(item)


# Files ------------------------------------------------------------------------------------------


def test_one_folder_per_entity_type_with_schema_and_both_examples() -> None:
    folders = {p.name for p in MODELS.iterdir() if p.is_dir() and not p.name.startswith("_")}
    assert folders == set(ENTITY_TYPES)
    for entity_type in ENTITY_TYPES:
        names = {p.name for p in (MODELS / entity_type).iterdir()}
        assert {"schema.json", "example-normalized.json", "example-keyvalues.json"} <= names


@pytest.mark.parametrize("entity_type", ENTITY_TYPES)
def test_schema_is_draft_2020_12_and_follows_the_platform_rules(entity_type: str) -> None:
    schema = live.entity_schema(entity_type)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    Draft202012Validator.check_schema(schema)
    assert set(schema["required"]) >= PLATFORM_REQUIRED
    assert schema["additionalProperties"] is False
    assert schema["properties"]["type"] == {**schema["properties"]["type"], "const": entity_type}
    for name, spec in schema["properties"].items():
        if name in ("@context", "id", "type"):
            continue
        assert spec.get("x-ngsi-ld-type") in live.ATTRIBUTE_TYPES, name
    assert live.attribute_kinds(entity_type)["location"] == "GeoProperty"


def test_shipped_json_files_name_their_sources() -> None:
    """Every schema says which Smart Data Models definition it follows."""
    for entity_type in ENTITY_TYPES:
        description = live.entity_schema(entity_type)["description"]
        assert f"smart-data-models/dataModel.{SUBJECT[entity_type]}" in description
        assert f"{entity_type}/schema.json" in description


# Examples against the schemas ---------------------------------------------------------------------


@pytest.mark.parametrize(("entity_type", "representation"), CASES)
def test_every_example_validates(entity_type: str, representation: str) -> None:
    entity = live.example(entity_type, representation)  # type: ignore[arg-type]
    assert entity["type"] == entity_type
    keyvalues = live.validate_entity(entity, representation)
    assert keyvalues["id"] == entity["id"]


@pytest.mark.parametrize("entity_type", ENTITY_TYPES)
def test_keyvalues_example_passes_a_plain_jsonschema_validator(entity_type: str) -> None:
    """The schema files alone (common.schema.json for $ref) accept the keyValues example."""
    files = [MODELS / "common.schema.json", MODELS / entity_type / "schema.json"]
    schemas = [json.loads(path.read_text(encoding="utf-8")) for path in files]
    registry: Registry = Registry().with_resources(
        (s["$id"], Resource.from_contents(s)) for s in schemas
    )
    validator = Draft202012Validator(schemas[1], registry=registry)
    errors = list(validator.iter_errors(live.example(entity_type, "keyValues")))
    assert errors == []
    broken = live.example(entity_type, "keyValues")
    del broken["location"]
    assert list(validator.iter_errors(broken))


@pytest.mark.parametrize("entity_type", ENTITY_TYPES)
def test_normalized_example_converts_to_the_keyvalues_example(entity_type: str) -> None:
    converted = live.to_keyvalues(live.example(entity_type, "normalized"))
    assert converted == live.example(entity_type, "keyValues")


def test_conversion_takes_the_content_member_of_each_attribute_type() -> None:
    entity = {
        "id": "urn:ngsi-ld:Device:EMD:x",
        "type": "Device",
        "p": {"type": "Property", "value": 1.5, "observedAt": "2026-01-01T00:00:00Z"},
        "r": {"type": "Relationship", "object": "urn:ngsi-ld:Device:EMD:y"},
        "g": {"type": "GeoProperty", "value": {"type": "Point", "coordinates": [7.2, 53.4]}},
        "l": {"type": "LanguageProperty", "languageMap": {"de": "Pegel", "en": "gauge"}},
        "v": {"type": "ListProperty", "valueList": [1, 2]},
        "w": {"type": "VocabProperty", "vocab": "waterLevel"},
        "multi": [
            {"type": "Property", "value": 2, "datasetId": "urn:ngsi-ld:Dataset:b"},
            {"type": "Property", "value": 1},
        ],
        "createdAt": "2026-01-01T00:00:00Z",
    }
    assert live.to_keyvalues(entity) == {
        "id": "urn:ngsi-ld:Device:EMD:x",
        "type": "Device",
        "p": 1.5,
        "r": "urn:ngsi-ld:Device:EMD:y",
        "g": {"type": "Point", "coordinates": [7.2, 53.4]},
        "l": {"de": "Pegel", "en": "gauge"},
        "v": [1, 2],
        "w": "waterLevel",
        "multi": 1,
    }


def test_conversion_refuses_what_is_not_an_attribute() -> None:
    with pytest.raises(EntityValidationError) as raised:
        live.to_keyvalues({"id": "urn:x", "type": "Device", "name": "plain text"})
    assert [p.path for p in raised.value.problems] == ["name"]


# Invalid entities ---------------------------------------------------------------------------------


def test_missing_type_is_reported_at_type() -> None:
    entity = live.example("WaterObserved")
    del entity["type"]
    assert "type" in _problems(entity)
    entity = live.example("WaterObserved", "keyValues")
    entity["type"] = "Pegel"
    assert "Pegel" in _problems(entity, "keyValues")["type"]


def test_missing_required_attribute_is_reported_by_name() -> None:
    entity = live.example("WeatherObserved")
    del entity["dateObserved"], entity["refCatalogueDataset"]
    problems = _problems(entity)
    assert "dateObserved" in problems and "refCatalogueDataset" in problems


def test_wrong_value_type_is_reported_at_the_value() -> None:
    entity = live.example("WaterObserved")
    entity["height"]["value"] = "hoch"
    assert "number" in _problems(entity)["height.value"]
    entity = live.example("WaterObserved", "keyValues")
    entity["height"] = "hoch"
    assert "number" in _problems(entity, "keyValues")["height"]
    entity = live.example("EVChargingStation")
    entity["socketType"]["value"] = ["Schuko-Steckdose"]
    assert "socketType.value[0]" in _problems(entity)
    entity = live.example("WeatherObserved")
    entity["relativeHumidity"]["value"] = 87  # percent, but SDM wants 0..1
    assert "relativeHumidity.value" in _problems(entity)


def test_location_must_be_a_wgs84_point() -> None:
    entity = live.example("AirQualityObserved")
    entity["location"]["value"]["coordinates"] = [7.6, 153.3]
    assert "location.value.coordinates[1]" in _problems(entity)
    entity = live.example("AirQualityObserved")
    entity["location"]["value"] = {"type": "Polygon", "coordinates": [[[7, 53], [8, 53], [7, 54]]]}
    assert "location.value.type" in _problems(entity)


@pytest.mark.parametrize(
    "bad_id",
    [
        "urn:ngsi-ld:WaterObserved:EMD",  # no source id
        "WaterObserved:EMD:1",  # no urn:ngsi-ld:
        "urn:ngsi-ld:WaterObserved:EMD:a b",  # space in the source id
        "urn:ngsi-ld:WeatherObserved:EMD:1",  # another type
    ],
)
def test_bad_id_is_reported_at_id(bad_id: str) -> None:
    entity = live.example("WaterObserved")
    entity["id"] = bad_id
    assert "id" in _problems(entity)
    entity = live.example("WaterObserved", "keyValues")
    entity["id"] = bad_id
    assert "id" in _problems(entity, "keyValues")


def test_unknown_partner_is_reported_in_id_and_attribute() -> None:
    entity = live.example("OffStreetParking")
    entity["id"] = "urn:ngsi-ld:OffStreetParking:XXX:p1"
    assert "unknown partner 'XXX'" in _problems(entity)["id"]
    entity = live.example("OffStreetParking")
    entity["partner"]["value"] = "landkreis-friesland"
    assert "unknown partner" in _problems(entity)["partner"]
    entity = live.example("OffStreetParking")  # a WTM id, but another partner named
    entity["partner"]["value"] = "stadt-emden"
    assert "WTM" in _problems(entity)["partner"]


def test_observed_at_must_be_utc() -> None:
    for stamp in ("2026-11-22T07:45:00", "2026-11-22T08:45:00+01:00", "gestern"):
        entity = live.example("WaterObserved")
        entity["height"]["observedAt"] = stamp
        assert "UTC" in _problems(entity)["height.observedAt"]
    entity = live.example("WaterObserved", "keyValues")
    entity["dateObserved"] = "2026-11-22T08:45:00+01:00"
    assert "dateObserved" in _problems(entity, "keyValues")


@pytest.mark.parametrize(
    ("attribute", "replacement", "path"),
    [
        ("flow", {"type": "Propertie", "value": 1}, "flow.type"),
        ("name", "Emden", "name"),
        ("name", {"type": "Property"}, "name.value"),
        ("name", {"type": "Property", "value": "x", "object": "urn:x:y"}, "name.object"),
        ("refCatalogueDataset", {"type": "Relationship", "object": "kein uri"},
         "refCatalogueDataset.object"),
        ("refCatalogueDataset", {"type": "Property", "value": "https://example.org/d"},
         "refCatalogueDataset.type"),
        ("location", {"type": "GeoProperty", "value": "53.3,7.2"}, "location.value"),
        ("height", {"type": "Property", "value": 5, "unitCode": "CMT",
                    "observedAt": "2026-11-22T07:45:00Z", "qualityFlag": {"type": "Property",
                                                                          "value": 1}},
         "height.qualityFlag"),
    ],
)
def test_malformed_attribute_is_reported_at_its_path(
    attribute: str, replacement: Any, path: str
) -> None:
    entity = live.example("WaterObserved")
    entity[attribute] = replacement
    assert path in _problems(entity)


def test_unit_code_must_be_the_registered_one() -> None:
    entity = live.example("WaterObserved")
    entity["height"]["unitCode"] = "MTR"
    assert "CMT" in _problems(entity)["height.unitCode"]
    del entity["height"]["unitCode"]
    assert "CMT" in _problems(entity)["height.unitCode"]
    entity = live.example("OffStreetParking")
    entity["totalSpotNumber"]["unitCode"] = "C62"
    assert "totalSpotNumber.unitCode" in _problems(entity)


def test_unknown_attribute_is_reported_by_name() -> None:
    entity = live.example("WeatherObserved")
    entity["temprature"] = copy.deepcopy(entity.pop("temperature"))
    assert "temprature" in _problems(entity)
    entity = live.example("WeatherObserved")
    entity["address"]["value"]["strasse"] = "Am Delft 1"
    assert "address.value.strasse" in _problems(entity)
    entity = live.example("WeatherObserved", "keyValues")
    entity["address"]["strasse"] = "Am Delft 1"
    assert "address.strasse" in _problems(entity, "keyValues")


def test_every_problem_is_listed_at_once() -> None:
    entity = live.example("WaterObserved")
    entity["id"] = "urn:ngsi-ld:WaterObserved:XYZ:1"
    entity["height"]["value"] = -3
    entity["height"]["observedAt"] = "2026-11-22T07:45:00"
    entity["flow"] = {"type": "Propertie", "value": 1}
    with pytest.raises(EntityValidationError) as raised:
        live.validate_entity(entity)
    paths = {p.path for p in raised.value.problems}
    assert {"id", "height.value", "height.observedAt", "flow.type"} <= paths
    for path in paths:
        assert path in str(raised.value)


def test_representation_must_be_known() -> None:
    with pytest.raises(ValueError):
        live.validate_entity(live.example("Device"), "concise")
    with pytest.raises(KeyError):
        live.example("Device", "concise")  # type: ignore[arg-type]
    with pytest.raises(KeyError):
        live.entity_schema("Pegel")


# Entity ids ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("entity_type", ENTITY_TYPES)
def test_entity_id_uses_the_partner_short_code(entity_type: str) -> None:
    for partner in catalogue.partners():
        by_name = live.entity_id(entity_type, partner.name, "05839")
        assert by_name == live.entity_id(entity_type, partner.short_code, "05839")
        assert by_name == f"urn:ngsi-ld:{entity_type}:{partner.short_code}:05839"
        parsed = live.parse_entity_id(by_name)
        assert (parsed.entity_type, parsed.partner_code, parsed.source_id) == (
            entity_type, partner.short_code, "05839"
        )


def test_entity_id_encodes_the_source_id_and_is_stable() -> None:
    built = live.entity_id("WaterObserved", "stadt-emden", "EMDEN NEUE SEESCHLEUSE: W")
    assert built == "urn:ngsi-ld:WaterObserved:EMD:EMDEN%20NEUE%20SEESCHLEUSE%3A%20W"
    assert built == live.entity_id("WaterObserved", "EMD", "EMDEN NEUE SEESCHLEUSE: W")
    assert live.parse_entity_id(built).partner_code == "EMD"
    example = live.example("WaterObserved", "keyValues")
    live.validate_entity({**example, "id": built}, "keyValues")


def test_entity_id_refuses_unknown_partner_type_and_empty_source() -> None:
    with pytest.raises(ValueError, match="unknown partner"):
        live.entity_id("WaterObserved", "landkreis-friesland", "1")
    with pytest.raises(ValueError, match="unknown entity type"):
        live.entity_id("Pegel", "stadt-emden", "1")
    with pytest.raises(ValueError, match="empty"):
        live.entity_id("WaterObserved", "stadt-emden", " ")
    with pytest.raises(ValueError, match="unknown partner"):
        live.parse_entity_id("urn:ngsi-ld:WaterObserved:XYZ:1")


@pytest.mark.parametrize(("entity_type", "representation"), CASES)
def test_example_ids_and_partners_come_from_the_registry(
    entity_type: str, representation: str
) -> None:
    entity = live.example(entity_type, representation)  # type: ignore[arg-type]
    parsed = live.parse_entity_id(entity["id"])
    partner_value = entity["partner"]["value"] if representation == "normalized" else entity[
        "partner"
    ]
    owner = catalogue.partner(partner_value)
    assert owner is not None and owner.short_code == parsed.partner_code
    minx, miny, maxx, maxy = owner.bbox
    location = entity["location"]["value"] if representation == "normalized" else entity[
        "location"
    ]
    lon, lat = location["coordinates"][:2]
    assert minx <= lon <= maxx and miny <= lat <= maxy, "example outside its partner's area"


# The @context -------------------------------------------------------------------------------------


def test_context_document_includes_the_core_first_then_our_terms() -> None:
    document = live.context_document()
    first, *rest = document["@context"]
    # The URL ETSI GS CIM 009 v1.8 names for its core @context.
    assert first == CORE_CONTEXT_URL
    assert CORE_CONTEXT_URL == "https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context-v1.8.jsonld"
    assert len(rest) == 1 and isinstance(rest[0], dict)
    assert document == json.loads(live.context_path().read_text(encoding="utf-8"))


def test_context_terms_map_to_sdm_or_project_iris_and_do_not_touch_the_core() -> None:
    terms = live.context_terms()
    assert not set(terms) & _core_terms(), "a core term redefined (protected in the core)"
    for term, iri in terms.items():
        assert iri.startswith((SDM, PROJECT_NAMESPACE)), (term, iri)
        if iri.startswith(SDM):
            assert iri.rsplit("/", 1)[1] == term, (term, iri)
    assert terms["refCatalogueDataset"] == PROJECT_NAMESPACE + "refCatalogueDataset"
    assert terms["partner"] == PROJECT_NAMESPACE + "partner"
    for entity_type, subject in SUBJECT.items():
        assert terms[entity_type] == f"{SDM}dataModel.{subject}/{entity_type}"


def test_every_term_in_schemas_and_examples_is_defined() -> None:
    """Nothing is left to the core's @vocab (default-context IRIs)."""
    defined = set(live.context_terms()) | _core_terms()
    used: set[str] = set()
    for entity_type in ENTITY_TYPES:
        used |= set(_schema_property_names(live.entity_schema(entity_type)))
        for representation in ("normalized", "keyValues"):
            used |= set(_keys(live.example(entity_type, representation)))  # type: ignore[arg-type]
    used |= set(_schema_property_names(json.loads(
        (MODELS / "common.schema.json").read_text(encoding="utf-8"))))
    used = {term for term in used if not term.startswith("@")}
    assert used - defined == set()
    assert _core_terms() >= STRUCTURAL_MEMBERS


@pytest.mark.parametrize("entity_type", ENTITY_TYPES)
def test_normalized_example_expands_to_the_sdm_iris(entity_type: str) -> None:
    node = _expand(live.example(entity_type, "normalized"))
    assert node["@type"] == [f"{SDM}dataModel.{SUBJECT[entity_type]}/{entity_type}"]
    attributes = {key for key in node if not key.startswith("@")}
    assert attributes, "no attribute expanded"
    for iri in attributes:
        assert iri.startswith(("https://", "http://")), iri
        assert not iri.startswith(DEFAULT_VOCAB), f"{iri} came from @vocab"
    short_names = {k for k in live.example(entity_type, "normalized") if not k.startswith("@")}
    for name in short_names & set(EXPECTED_IRIS):
        assert EXPECTED_IRIS[name] in node, (name, sorted(attributes))
    assert len(attributes) == len(short_names - {"id", "type"})


def test_keyvalues_address_members_expand_too() -> None:
    node = _expand(live.example("EVChargingStation", "normalized"))
    address = node[SDM + "address"][0][NGSI_LD + "hasValue"][0]
    assert SDM + "streetAddress" in address and SDM + "postalCode" in address


# Preload directory and broker ---------------------------------------------------------------------


def test_preload_index_maps_the_context_url_to_the_shipped_file() -> None:
    directory = live.contexts_dir()
    index = json.loads((directory / "index.json").read_text(encoding="utf-8"))
    assert index == {CONTEXT_URL: live.context_path().name}
    assert (directory / index[CONTEXT_URL]).resolve() == live.context_path().resolve()
    assert live.context_path().is_file()


def test_broker_preloads_the_directory_and_expands_like_pyld() -> None:
    jsonld_pkg = pytest.importorskip("ngsild_broker.jsonld")
    from ngsild_broker.jsonld.terms import build_term_map

    resolver = jsonld_pkg.ContextResolver(preload=live.contexts_dir(), allow_download=False)

    async def run() -> tuple[dict[str, Any], Any]:
        document = await resolver.resolve(CONTEXT_URL)
        return document, await build_term_map(CONTEXT_URL, resolver)

    document, terms = asyncio.run(run())
    assert document == live.context_document()
    node = _expand(live.example("WeatherObserved", "normalized"))
    for name in live.example("WeatherObserved", "normalized"):
        if name not in ("@context", "id", "type"):
            assert terms.expand(name) in node, name
    assert terms.expand("WeatherObserved") == node["@type"][0]


# Unit codes ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("entity_type", ENTITY_TYPES)
def test_every_unit_code_in_the_examples_is_registered(entity_type: str) -> None:
    entity = live.example(entity_type, "normalized")
    for name, attribute in entity.items():
        if isinstance(attribute, dict) and "unitCode" in attribute:
            assert live.unit_code(entity_type, name) == attribute["unitCode"], name


def test_units_belong_to_numeric_attributes_and_declared_codes() -> None:
    declared = {c.code: c for c in live.unit_codes()}
    assert live.units(), "no units loaded"
    for item in live.units():
        assert item.code in declared
        spec = live.entity_schema(item.entity_type)["properties"][item.attribute]
        assert "number" in json.dumps(spec), (item.entity_type, item.attribute)
        assert item.unit.label.startswith(item.unit.name)
    # Spot checks against UN/CEFACT Recommendation 20, Annex II.
    assert (declared["CMT"].name, declared["A97"].symbol) == ("centimetre", "hPa")
    assert declared["GQ"].name == "microgram per cubic metre"
    assert live.unit_code("WaterObserved", "height") == "CMT"
    assert live.unit_code("AirQualityObserved", "pm25") == "GQ"


def test_unit_code_none_for_unitless_and_keyerror_for_unknown() -> None:
    assert live.unit_code("OffStreetParking", "availableSpotNumber") is None
    assert live.unit_code("EVChargingStation", "name") is None
    with pytest.raises(KeyError):
        live.unit_code("WaterObserved", "heigth")
    with pytest.raises(KeyError):
        live.unit_code("Pegel", "height")
