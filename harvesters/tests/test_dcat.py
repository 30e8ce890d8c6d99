"""``dcat`` source: a paged DCAT-AP.de catalogue of another portal into the regional one.

The sample catalogue (fixtures/dcat, 12 datasets on 3 hydra pages) is served locally; the
datasets go through the test instance's CKAN and come out of its DCAT-AP.de endpoint.
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import httpx
import pytest
from rdflib import Graph, URIRef
from rdflib.namespace import DCAT

from smartregion.settings import PlatformSettings

TURTLE = "text/turtle; charset=utf-8"
VALIDATOR = Path(__file__).resolve().parents[3] / "shared/conformance/dcat-ap-de/validate"


def fixture_guids(site: Any, pages: tuple[int, ...] = (1, 2, 3)) -> set[str]:
    """The dataset URIs of the sample pages, read with rdflib independently of the harvester."""
    found: set[str] = set()
    for page in pages:
        graph = Graph().parse(data=site.fixture(f"dcat/catalog-page{page}.ttl").decode(),
                              format="turtle")
        found |= {str(s) for s in graph.subjects(None, DCAT.Dataset)}
    return found


def serve_catalogue(site: Any, pages: dict[int, tuple[int, bytes]] | None = None) -> None:
    """``/dcat/catalog.ttl?page=N``; ``pages`` overrides the answer of single pages."""
    overrides = pages or {}

    def answer(query: dict[str, list[str]], _: bytes) -> tuple[int, bytes, str]:
        page = int(query.get("page", ["1"])[0])
        if page in overrides:
            status, body = overrides[page]
            return status, body, TURTLE
        return 200, site.fixture(f"dcat/catalog-page{page}.ttl"), TURTLE

    site.handle("/dcat/catalog.ttl", answer)


@pytest.fixture
def catalogue_url(site: Any) -> str:
    serve_catalogue(site)
    return f"{site.url}/dcat/catalog.ttl?page=1"


def test_every_dataset_of_all_pages_arrives_and_a_second_run_changes_nothing(
        site: Any, catalogue_url: str, harvest: Any) -> None:
    source = harvest.source("dcat", catalogue_url)
    first = harvest.run(source)
    assert first.errors == [], first.errors
    assert first.gather_complete
    expected = fixture_guids(site)
    assert len(expected) == 12
    stored = harvest.datasets()
    assert {d["harvest_guid"] for d in stored} == expected
    assert len(first.added) == 12 and not first.updated
    assert {d["harvest_source_id"] for d in stored} == {"testpartner/dcat"}
    assert all(d["harvest_time"] and d["harvest_source_url"] == catalogue_url for d in stored)
    # all three pages were read, in order
    pages = [r for r in site.requests if r.startswith("GET /dcat/")]
    assert [p.rsplit("=", 1)[-1] for p in pages] == ["1", "2", "3"]

    second = harvest.run(source)
    assert second.errors == []
    assert sorted(second.unchanged) == sorted(first.added)
    assert not (second.added or second.updated or second.withdrawn)
    again = {d["name"]: d["metadata_modified"] for d in harvest.datasets()}
    assert again == {d["name"]: d["metadata_modified"] for d in stored}


def test_the_records_keep_their_dcat_ap_de_properties(
        catalogue_url: str, harvest: Any) -> None:
    harvest.run(harvest.source("dcat", catalogue_url))
    by_guid = {d["harvest_guid"]: d for d in harvest.datasets()}
    tree = by_guid["https://opendata.oldenburg.example/dataset/baumkataster"]
    assert tree["license_id"] == "http://dcat-ap.de/def/licenses/dl-zero-de/2.0"
    assert tree["political_geocoding_uri"] == [
        "http://dcat-ap.de/def/politicalGeocoding/districtKey/03403"]
    assert sorted(t["name"] for t in tree["tags"]) == ["Bäume", "Stadtgrün", "Umwelt"]
    assert {r["format"] for r in tree["resources"]} == {"GEOJSON", "CSV"}
    # legacy DCAT-AP.de namespace (dcatde/1.0.1/) is read as well
    wms = by_guid["https://opendata.oldenburg.example/dataset/stadtplan-wms"]
    assert wms["political_geocoding_uri"] == [
        "http://dcat-ap.de/def/politicalGeocoding/districtKey/03403"]
    assert wms["resources"][0]["format"] == "WMS_SRVC"
    # a format given as literal "CSV" becomes the EU file type
    bathing = by_guid["https://opendata.oldenburg.example/dataset/badegewaesser"]
    assert bathing["resources"][0]["format"] == "CSV"
    # no keyword at the source: the partner's default keyword, and a warning in the report
    monuments = by_guid["https://opendata.oldenburg.example/dataset/denkmalliste"]
    assert [t["name"] for t in monuments["tags"]] == ["Ostfriesland"]


def test_the_regional_catalogue_still_passes_govdata_shacl(
        catalogue_url: str, harvest: Any, ckan_url: str,
        platform_settings: PlatformSettings) -> None:
    report = harvest.run(harvest.source("dcat", catalogue_url))
    assert len(report.added) == 12
    # the harvested datasets are in the served catalogue …
    served = Graph()
    for name in report.added[:3]:
        answer = httpx.get(f"{ckan_url}/dataset/{name}.ttl", timeout=30)
        assert answer.status_code == 200
        served.parse(data=answer.text, format="turtle")
    assert len(set(served.subjects(None, DCAT.Dataset))) == 3
    # … and GovData's own shapes find no violation in the whole catalogue
    result = subprocess.run([str(VALIDATOR), f"{ckan_url}/catalog.ttl"], capture_output=True,
                            text=True, timeout=900)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]


def test_a_source_failing_mid_gather_leaves_its_datasets_in_place(
        site: Any, catalogue_url: str, harvest: Any) -> None:
    source = harvest.source("dcat", catalogue_url)
    harvest.run(source)
    before = {d["name"] for d in harvest.datasets()}
    assert len(before) == 12

    serve_catalogue(site, {2: (500, b"Internal Server Error")})
    failed = harvest.run(source)
    assert failed.status == "failed" and not failed.gather_complete
    assert "HTTP 500" in failed.errors[0].message
    assert failed.withdrawn == []
    assert len(failed.unchanged) == 5  # page 1 was read before the failure
    assert {d["name"] for d in harvest.datasets()} == before

    serve_catalogue(site, {3: (200, b"<html>Wartungsarbeiten</html> @prefix")})
    garbage = harvest.run(source)
    assert not garbage.gather_complete and garbage.withdrawn == []
    assert "RDF" in garbage.errors[0].message
    assert {d["name"] for d in harvest.datasets()} == before


def test_only_a_complete_gather_withdraws_and_a_returning_record_is_revived(
        site: Any, catalogue_url: str, harvest: Any) -> None:
    source = harvest.source("dcat", catalogue_url)
    harvest.run(source)
    page3 = site.fixture("dcat/catalog-page3.ttl").decode()
    graph = Graph().parse(data=page3, format="turtle")
    dropped = URIRef("https://opendata.oldenburg.example/dataset/ladesaeulen-oldenburg")
    for triple in list(graph.triples((dropped, None, None))):
        graph.remove(triple)
    for triple in list(graph.triples((None, None, dropped))):
        graph.remove(triple)
    serve_catalogue(site, {3: (200, graph.serialize(format="turtle").encode())})

    shrunk = harvest.run(source)
    assert shrunk.errors == []
    assert len(shrunk.withdrawn) == 1
    active = {d["harvest_guid"] for d in harvest.datasets()}
    assert str(dropped) not in active and len(active) == 11

    serve_catalogue(site)
    back = harvest.run(source)
    assert back.updated == shrunk.withdrawn and not back.added
    active = {d["harvest_guid"] for d in harvest.datasets()}
    assert str(dropped) in active


def test_a_source_that_suddenly_lists_nothing_withdraws_nothing(
        site: Any, catalogue_url: str, harvest: Any) -> None:
    source = harvest.source("dcat", catalogue_url)
    harvest.run(source)
    empty = b"@prefix dcat: <http://www.w3.org/ns/dcat#> .\n<http://x/c> a dcat:Catalog ."
    site.serve("/dcat/catalog.ttl", body=empty, content_type=TURTLE)
    report = harvest.run(source)
    assert report.withdrawn == [] and report.errors[0].stage == "withdraw"
    assert len(harvest.datasets()) == 12
    emptied = harvest.run(source, allow_empty=True)
    assert len(emptied.withdrawn) == 12
    assert harvest.datasets() == []


def test_a_hand_made_dataset_is_never_overwritten(
        catalogue_url: str, harvest: Any) -> None:
    from smartregion_harvesters.mapping import dataset_name

    guid = "https://opendata.oldenburg.example/dataset/kitas"
    taken = dataset_name("Kindertagesstätten", f"testpartner/dcat {guid}")
    by_hand = harvest.ckan.action.package_create(
        name=taken, title="Kitas (von Hand)", notes="Von Hand gepflegt.",
        owner_org=harvest.organization, tag_string="Kita",
        license_id="http://dcat-ap.de/def/licenses/cc-by/4.0")
    report = harvest.run(harvest.source("dcat", catalogue_url))
    assert report.errors == [] and len(report.added) == 12
    assert taken not in report.added
    kept = harvest.ckan.action.package_show(id=taken)
    assert kept["title"] == "Kitas (von Hand)"
    assert kept["metadata_modified"] == by_hand["metadata_modified"]
