"""The BNetzA Ladesäulenregister adapter against hand-made CSV files served over local HTTP."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from smartregion_adapters.base import AdapterSettings, SourceError, adapter_class
from smartregion_adapters.sources.bnetza_charging import (
    BnetzaChargingAdapter,
    decimal,
    decode,
    source_id,
)
from smartregion_schemas.live import entity_id, validate_entity

from .conftest import FIXTURES, SampleServer

BNETZA = FIXTURES / "bnetza"
PATH = "/register.csv"
CSV = "text/csv"
BOM_FILE = "ladesaeulen_utf8_bom.csv"
CP1252_FILE = "ladesaeulen_cp1252.csv"


@pytest.fixture
def client() -> Iterator[httpx.Client]:
    with httpx.Client() as http:
        yield http


def adapter(server: SampleServer, client: httpx.Client, partner: str,
            fixture: str = BOM_FILE) -> BnetzaChargingAdapter:
    server.serve_fixture(PATH, f"bnetza/{fixture}", content_type=CSV)
    return BnetzaChargingAdapter(
        AdapterSettings(adapter="bnetza-charging", partner=partner, url=server.url,
                        options={"path": PATH}), client)


def fixture_rows(fixture: str, encoding: str) -> list[dict[str, str]]:
    """The fixture's data rows, read independently of the adapter (known encoding)."""
    lines = (BNETZA / fixture).read_text(encoding=encoding).splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(("Ladeeinrichtungs-ID",
                                                                        "Betreiber;")))
    return list(csv.DictReader(lines[start:], delimiter=";"))


def by_operator_street(entities: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {entity["address"]["value"]["streetAddress"]: entity for entity in entities}


def test_registered() -> None:
    assert adapter_class("bnetza-charging") is BnetzaChargingAdapter


def test_decoding_and_decimals() -> None:
    text = "Ladesäulenregister;Straße"
    assert decode(b"\xef\xbb\xbf" + text.encode("utf-8")) == text
    assert decode(text.encode("cp1252")) == text
    assert decode(text.encode("utf-8")) == text
    assert decimal("53,36712") == 53.36712
    with pytest.raises(ValueError):
        decimal("53,6x12")


def test_leer_from_bom_file(sample_server: SampleServer, client: httpx.Client) -> None:
    batch = adapter(sample_server, client, "landkreis-leer").collect()
    assert batch.problems == []
    rows = {row["Ladeeinrichtungs-ID"]: row for row in fixture_rows(BOM_FILE, "utf-8-sig")}
    # Mühlenstraße (Kreis column "Landkreis Leer") and Borkum (empty Kreis, inside the bbox).
    assert {entity["id"] for entity in batch.entities} == {
        entity_id("EVChargingStation", "LER", "900002"),
        entity_id("EVChargingStation", "LER", "900006")}
    entity = next(e for e in batch.entities if e["id"].endswith(":900002"))
    validate_entity(entity, "normalized")
    row = rows["900002"]
    assert entity["location"]["value"]["coordinates"] == [
        float(row["Längengrad"].replace(",", ".")), float(row["Breitengrad"].replace(",", "."))]
    assert entity["socketType"]["value"] == ["CCS/SAE", "CHAdeMO", "Type2"]
    assert entity["capacity"]["value"] == int(row["Anzahl Ladepunkte"])
    assert entity["socketNumber"]["value"] == 2
    assert entity["operator"]["value"] == row["Betreiber"]
    assert entity["address"]["value"] == {
        "streetAddress": f"{row['Straße']} {row['Hausnummer']}", "postalCode": "26789",
        "addressLocality": "Leer (Ostfriesland)", "addressCountry": "DE"}
    assert entity["name"]["value"] == "Schnelllader Mühlenstraße"
    assert entity["openingHours"]["value"] == "Mo-Su 00:00-24:00"


def test_emden_matches_kreisfreie_stadt(sample_server: SampleServer,
                                        client: httpx.Client) -> None:
    batch = adapter(sample_server, client, "stadt-emden").collect()
    assert batch.problems == []
    assert [entity["id"] for entity in batch.entities] == [
        entity_id("EVChargingStation", "EMD", "900001")]
    assert batch.entities[0]["socketType"]["value"] == ["Type2"]


def test_region_filters_outside_and_reports_broken_coordinates(
        sample_server: SampleServer, client: httpx.Client) -> None:
    batch = adapter(sample_server, client, "smart-region-ostfriesland").collect()
    ids = {entity["id"].rsplit(":", 1)[1] for entity in batch.entities}
    assert ids == {"900001", "900002", "900003", "900006"}  # not Oldenburg (900004)
    assert len(batch.problems) == 1
    assert "900005" in batch.problems[0] and "coordinates" in batch.problems[0]
    for entity in batch.entities:
        validate_entity(entity, "normalized")
    wittmund = next(e for e in batch.entities if e["id"].endswith(":900003"))
    assert wittmund["socketType"]["value"] == ["Wall_Euro"]
    assert "openingHours" not in wittmund  # "Keine Angabe"


def test_cp1252_file_old_layout(sample_server: SampleServer, client: httpx.Client) -> None:
    batch = adapter(sample_server, client, "landkreis-aurich", CP1252_FILE).collect()
    assert batch.problems == []
    rows = [row for row in fixture_rows(CP1252_FILE, "cp1252")
            if row["Kreis/kreisfreie Stadt"] == "Landkreis Aurich"]
    entities = by_operator_street(batch.entities)
    assert len(entities) == len(rows) == 2  # Landkreis Friesland filtered out
    for row in rows:
        latitude, longitude = decimal(row["Breitengrad"]), decimal(row["Längengrad"])
        entity = entities[f"{row['Straße']} {row['Hausnummer']}"]
        validate_entity(entity, "normalized")
        # No row id in the old layout: the deterministic hash is the source id.
        assert entity["id"] == entity_id("EVChargingStation", "AUR",
                                         source_id(row, latitude, longitude))
        assert entity["operator"]["value"] == row["Betreiber"]
        assert entity["address"]["value"]["addressLocality"] == row["Ort"]
        assert entity["capacity"]["value"] == int(row["Anzahl Ladepunkte"])
    grossefehn = entities["Kanalstraße Süd 14"]
    assert grossefehn["operator"]["value"] == "Gemeindewerke Großefehn (Beispiel)"
    assert grossefehn["address"]["value"]["addressLocality"] == "Großefehn"
    assert entities["Mühlenweg 3"]["socketType"]["value"] == ["CCS/SAE", "CHAdeMO", "Type2"]
    assert entities["Mühlenweg 3"]["socketNumber"]["value"] == 3


def test_ids_are_stable(sample_server: SampleServer, client: httpx.Client) -> None:
    first = adapter(sample_server, client, "landkreis-aurich", CP1252_FILE).collect()
    second = adapter(sample_server, client, "landkreis-aurich", CP1252_FILE).collect()
    assert [e["id"] for e in first.entities] == [e["id"] for e in second.entities]
    assert all(e["id"].split(":")[-1].startswith("h") for e in first.entities)


def test_same_rows_in_both_encodings(sample_server: SampleServer, client: httpx.Client) -> None:
    data = (BNETZA / BOM_FILE).read_bytes()[3:].decode("utf-8").encode("cp1252")
    sample_server.serve(PATH, data, content_type=CSV)
    settings = AdapterSettings(adapter="bnetza-charging", partner="landkreis-leer",
                               url=sample_server.url, options={"path": PATH})
    from_cp1252 = BnetzaChargingAdapter(settings, client).collect()
    from_bom = adapter(sample_server, client, "landkreis-leer").collect()
    assert from_cp1252.entities == from_bom.entities


def test_http_500_is_a_source_error(sample_server: SampleServer, client: httpx.Client) -> None:
    instance = adapter(sample_server, client, "landkreis-leer")
    sample_server.serve(PATH, "Internal Server Error", status=500, content_type="text/plain")
    with pytest.raises(SourceError, match="HTTP 500"):
        instance.collect()


def test_not_a_register_is_a_source_error(sample_server: SampleServer,
                                          client: httpx.Client) -> None:
    instance = adapter(sample_server, client, "landkreis-leer")
    sample_server.serve(PATH, "<html>Wartungsarbeiten</html>", content_type="text/html")
    with pytest.raises(SourceError, match="header"):
        instance.collect()
