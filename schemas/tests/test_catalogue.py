"""The catalogue vocabularies load, validate and agree with the published code lists."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

import pytest
import rdflib
import yaml
from rdflib.namespace import RDF, SKOS
from smartregion_schemas import catalogue
from smartregion_schemas.catalogue import (
    ADMS_PUBLISHER_TYPE_BASE,
    DCATAP_DE_LICENSE_BASE,
    EU_ACCESS_RIGHT_BASE,
    EU_DATA_THEME_BASE,
    EU_FILE_TYPE_BASE,
    EU_FREQUENCY_BASE,
    EU_LANGUAGE_BASE,
    EU_PLANNED_AVAILABILITY_BASE,
    GEOCODING_LEVEL_BASE,
)

# The shared project folder sits beside the repository (also in CI).
SHARED = Path(__file__).parents[2] / ".." / "shared"
LICENSES_RDF = SHARED / "conformance" / "dcat-ap-de" / "vocab" / "licenses.rdf"

DATA_FILES = sorted(
    entry.name
    for entry in resources.files("smartregion_schemas.catalogue").iterdir()
    if entry.name.endswith(".yaml")
)

VOCABULARIES = [
    (catalogue.eu_themes, EU_DATA_THEME_BASE),
    (catalogue.file_types, EU_FILE_TYPE_BASE),
    (catalogue.frequencies, EU_FREQUENCY_BASE),
    (catalogue.availabilities, EU_PLANNED_AVAILABILITY_BASE),
    (catalogue.access_rights, EU_ACCESS_RIGHT_BASE),
    (catalogue.geocoding_levels, GEOCODING_LEVEL_BASE),
    (catalogue.languages, EU_LANGUAGE_BASE),
    (catalogue.publisher_types, ADMS_PUBLISHER_TYPE_BASE),
]

ARCHITECTURE_DISTRICT_KEYS = {
    "landkreis-aurich": "03452",
    "stadt-emden": "03402",
    "landkreis-leer": "03457",
    "landkreis-wittmund": "03462",
}


def test_all_data_files_are_shipped_and_name_their_source() -> None:
    assert DATA_FILES == [
        "access_rights.yaml",
        "availability.yaml",
        "file_types.yaml",
        "frequencies.yaml",
        "geocoding_levels.yaml",
        "languages.yaml",
        "licenses.yaml",
        "partners.yaml",
        "publisher_types.yaml",
        "themes.yaml",
    ]
    for name in DATA_FILES:
        text = resources.files("smartregion_schemas.catalogue").joinpath(name).read_text("utf-8")
        assert text.startswith("# "), f"{name} lacks its header comment"
        assert "Source" in text.split("\n\n", 1)[0], f"{name}: header names no source"
        assert isinstance(yaml.safe_load(text), dict)


@pytest.mark.parametrize(("loader", "base"), VOCABULARIES, ids=lambda v: getattr(v, "__name__", ""))
def test_vocabulary_items_have_base_uri_unique_codes_and_labels(loader, base) -> None:
    items = loader()
    assert items
    codes = [item.code for item in items]
    assert len(codes) == len(set(codes))
    for item in items:
        assert item.uri == base + item.code
        assert item.label.strip()


def test_loaders_are_cached_and_immutable() -> None:
    assert catalogue.partners() is catalogue.partners()
    with pytest.raises(ValueError):
        catalogue.partners()[0].title = "Anders"  # type: ignore[misc]


def test_eu_data_theme_table_is_complete() -> None:
    assert [t.code for t in catalogue.eu_themes()] == [
        "AGRI", "ECON", "EDUC", "ENER", "ENVI", "GOVE", "HEAL",
        "INTR", "JUST", "REGI", "SOCI", "TECH", "TRAN", "OP_DATPRO",
    ]  # fmt: skip


def test_groups_map_to_the_architectures_eu_themes() -> None:
    mapping = {t.name: set(t.eu_themes) for t in catalogue.themes()}
    assert mapping == {
        "bildung": {"EDUC"},
        "daten-verwaltung": {"GOVE"},
        "klima-energie": {"ENVI", "ENER"},
        "region": {"REGI"},
        "gesundheit": {"HEAL"},
        "wirtschaft": {"ECON"},
        "mobilitaet": {"TRAN"},
        "tourismus": {"ECON", "REGI"},
    }
    tourismus = next(t for t in catalogue.themes() if t.name == "tourismus")
    assert tourismus.eu_theme_uris == [EU_DATA_THEME_BASE + "ECON", EU_DATA_THEME_BASE + "REGI"]


def test_partners_have_the_architectures_district_keys() -> None:
    by_name = {p.name: p for p in catalogue.partners()}
    assert set(by_name) == {*ARCHITECTURE_DISTRICT_KEYS, "smart-region-ostfriesland"}
    for name, key in ARCHITECTURE_DISTRICT_KEYS.items():
        assert by_name[name].district_key == key
        assert f"http://dcat-ap.de/def/politicalGeocoding/districtKey/{key}" in (
            by_name[name].political_geocoding_uri
        )
        assert by_name[name].publisher_type.endswith("/LocalAuthority")
    emden = by_name["stadt-emden"]
    assert "http://dcat-ap.de/def/politicalGeocoding/municipalityKey/03402000" in (
        emden.political_geocoding_uri
    )
    region = by_name["smart-region-ostfriesland"]
    assert region.district_key is None
    assert region.publisher_type == "http://purl.org/adms/publishertype/RegionalAuthority"
    assert set(region.political_geocoding_uri) == {
        f"http://dcat-ap.de/def/politicalGeocoding/districtKey/{k}"
        for k in ARCHITECTURE_DISTRICT_KEYS.values()
    }
    for p in catalogue.partners():
        assert p.political_geocoding_level_uri == GEOCODING_LEVEL_BASE + "administrativeDistrict"
        assert not p.contact_email.endswith(".invalid")
        # Every partner lies inside the region's box (East Frisia, North Sea coast).
        minx, miny, maxx, maxy = p.bbox
        rminx, rminy, rmaxx, rmaxy = region.bbox
        assert rminx <= minx < maxx <= rmaxx and rminy <= miny < maxy <= rmaxy, p.name
    assert catalogue.partner("stadt-emden") is emden
    assert catalogue.partner("nirgendwo") is None


def test_partner_spatial_is_a_closed_geojson_polygon() -> None:
    geometry = json.loads(catalogue.partner("landkreis-leer").spatial)
    ring = geometry["coordinates"][0]
    assert geometry["type"] == "Polygon" and ring[0] == ring[-1] and len(ring) == 5


def test_every_licence_is_in_the_published_dcat_ap_de_list() -> None:
    assert LICENSES_RDF.is_file(), f"shared conformance kit not found at {LICENSES_RDF}"
    graph = rdflib.Graph()
    graph.parse(LICENSES_RDF)
    published = {
        str(s): str(graph.value(s, SKOS.prefLabel)).strip()
        for s in graph.subjects(RDF.type, SKOS.Concept)
    }
    ours = {item.uri: item.title for item in catalogue.licenses()}
    assert set(ours) == set(published)  # all of them, nothing invented
    assert ours == published  # titles are the list's German labels
    is_open = rdflib.URIRef("http://govdata.de/mqa/#isOpenLicense")
    for item in catalogue.licenses():
        assert item.uri.startswith(DCATAP_DE_LICENSE_BASE)
        assert item.open == (str(graph.value(rdflib.URIRef(item.uri), is_open)) == "true")


def test_ckan_license_register_uses_dcat_ap_de_uris_as_ids() -> None:
    register = catalogue.ckan_license_register()
    assert [entry["id"] for entry in register] == [item.uri for item in catalogue.licenses()]
    by_id = {entry["id"]: entry for entry in register}
    dl_by = by_id["http://dcat-ap.de/def/licenses/dl-by-de/2.0"]
    assert dl_by == {
        "id": "http://dcat-ap.de/def/licenses/dl-by-de/2.0",
        "title": "Datenlizenz Deutschland Namensnennung 2.0",
        "url": "https://www.govdata.de/dl-de/by-2-0",
        "od_conformance": "approved",
        "osd_conformance": "not reviewed",
        "status": "active",
        "family": "",
    }
    assert by_id["http://dcat-ap.de/def/licenses/other-closed"]["od_conformance"] == (
        "not reviewed"
    )
    json.dumps(register)  # serialisable as CKAN reads it


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("CSV", "CSV"),
        ("csv", "CSV"),
        ("GeoJSON", "GEOJSON"),
        ("application/geo+json", "GEOJSON"),
        ("text/csv; charset=utf-8", "CSV"),
        ("https://www.iana.org/assignments/media-types/application/json", "JSON"),
        ("http://publications.europa.eu/resource/authority/file-type/WMS_SRVC", "WMS_SRVC"),
        ("WMS", "WMS_SRVC"),
        ("OGC:WFS", "WFS_SRVC"),
        ("Shapefile", "SHP"),
        ("ESRI Shapefile", "SHP"),
        ("Excel", "XLSX"),
        ("xls", "XLS"),
        (" Turtle ", "RDF_TURTLE"),
        ("Esri Shapefile", "SHP"),
    ],
)
def test_file_type_for_resolves_codes_aliases_labels_and_media_types(text, code) -> None:
    found = catalogue.file_type_for(text)
    assert found is not None, text
    assert found.code == code
    assert found.uri == EU_FILE_TYPE_BASE + code


@pytest.mark.parametrize("text", ["", None, "bitmap", "application/x-unknown"])
def test_file_type_for_unknown_is_none(text) -> None:
    assert catalogue.file_type_for(text) is None


def test_file_type_aliases_and_media_types_are_unambiguous() -> None:
    aliases = [a for item in catalogue.file_types() for a in item.aliases]
    assert len(aliases) == len(set(aliases))
    media = [item.media_type for item in catalogue.file_types() if item.media_type]
    assert len(media) == len(set(media))
    geojson = catalogue.file_type_for("geojson")
    assert geojson.media_type_uri == (
        "https://www.iana.org/assignments/media-types/application/geo+json"
    )


def test_choices_for_every_form_field() -> None:
    expected = {
        "license": catalogue.licenses,
        "frequency": catalogue.frequencies,
        "availability": catalogue.availabilities,
        "access_rights": catalogue.access_rights,
        "geocoding_level": catalogue.geocoding_levels,
        "eu_theme": catalogue.eu_themes,
        "language": catalogue.languages,
        "publisher_type": catalogue.publisher_types,
    }
    assert set(catalogue.CHOICE_NAMES) == {*expected, "file_type", "political_geocoding"}
    for name, loader in expected.items():
        options = catalogue.choices(name)
        assert [o["value"] for o in options] == [item.uri for item in loader()], name
        assert all(set(o) == {"value", "label"} and o["label"] for o in options), name
    assert [o["value"] for o in catalogue.choices("file_type")] == [
        t.code for t in catalogue.file_types()
    ]
    geocoding = {o["value"]: o["label"] for o in catalogue.choices("political_geocoding")}
    assert len(geocoding) == 5  # four district keys and Emden's municipality key, no duplicates
    assert geocoding["http://dcat-ap.de/def/politicalGeocoding/municipalityKey/03402000"] == (
        "Stadt Emden (Gemeindeschlüssel 03402000)"
    )
    with pytest.raises(KeyError, match="no choices named"):
        catalogue.choices("colour")


def test_default_contributor_id() -> None:
    assert catalogue.DEFAULT_CONTRIBUTOR_ID == (
        "http://dcat-ap.de/def/contributors/smartRegionOstfriesland"
    )


@pytest.mark.parametrize(
    "text, uri_tail",
    [
        ("cc-by", "cc-by/4.0"),  # CKAN's built-in licence register
        ("odc-odbl", "odbl"),
        ("dl-de-by-2.0", "dl-by-de/2.0"),  # older GovData id
        ("http://dcat-ap.de/def/licenses/dl-zero-de/2.0", "dl-zero-de/2.0"),
        ("DL-BY-DE/2.0", "dl-by-de/2.0"),
    ],
)
def test_license_for_maps_ids_of_other_registers(text, uri_tail) -> None:
    found = catalogue.license_for(text)
    assert found is not None, text
    assert found.uri == "http://dcat-ap.de/def/licenses/" + uri_tail


def test_license_aliases_are_unambiguous() -> None:
    seen: dict[str, str] = {}
    for item in catalogue.licenses():
        for alias in item.aliases:
            assert seen.setdefault(alias.lower(), item.uri) == item.uri, alias
