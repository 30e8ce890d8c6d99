"""Round trip: a DCAT-AP.de record parsed by the ``dcatap_de`` profile, stored in CKAN and
served again keeps every DCAT-AP.de property.

Parsing runs in-process with the test instance's own configuration (so ckanext-scheming's
schema is active, as when harvesting); storing and serialising go through the running
test instance (Action API, ``/dataset/<name>.ttl``).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from ckanapi import RemoteCKAN
from rdflib import Graph, Namespace, URIRef
from rdflib.namespace import DCAT, DCTERMS, FOAF, RDF

from smartregion.settings import PlatformSettings

EXAMPLES = Path(__file__).resolve().parents[2] / "shared/conformance/dcat-ap-de/examples"
#: Open namespace: rdflib's closed DCTERMS lacks the dcterms:mediaType the examples use.
DCT = Namespace("http://purl.org/dc/terms/")
DCATDE = Namespace("http://dcat-ap.de/def/dcatde/")
DCATAP = Namespace("http://data.europa.eu/r5r/")
LOCN = Namespace("http://www.w3.org/ns/locn#")
OWN_CONTRIBUTOR = URIRef("http://dcat-ap.de/def/contributors/smartRegionOstfriesland")

#: Properties rewritten on purpose, each to what GovData's conventions and shapes demand.
REWRITTEN = {
    DCT.mediaType: DCAT.mediaType,  # the official example uses dcterms:, DCAT defines dcat:
    LOCN.geometry: DCAT.bbox,  # no locn:geometry satisfies both the 2.0 and 3.0 shapes
}


@pytest.fixture(scope="module")
def parse(platform_settings: PlatformSettings) -> Iterator[Any]:
    """Parse Turtle with the dcatap_de profile inside a CKAN app built from the test ini."""
    from ckan.cli import CKANConfigLoader
    from ckan.config.middleware import make_app

    app = make_app(CKANConfigLoader(str(platform_settings.ckan_ini)).get_config())
    with app._wsgi_app.test_request_context():
        from ckanext.dcat.processors import RDFParser

        def parse_turtle(text: str) -> list[dict[str, Any]]:
            parser = RDFParser(profiles=["dcatap_de"])
            parser.parse(text, _format="turtle")
            return list(parser.datasets())

        yield parse_turtle


@pytest.fixture(scope="module")
def org(ckan_admin: RemoteCKAN) -> Iterator[str]:
    name = f"roundtrip-{uuid.uuid4().hex[:8]}"
    ckan_admin.action.organization_create(name=name, title="Rundreise-Test")
    yield name
    for dataset in ckan_admin.action.package_search(fq=f"organization:{name}", rows=100)["results"]:
        ckan_admin.action.dataset_purge(id=dataset["id"])
    ckan_admin.action.organization_purge(id=name)


def store_and_serve(ckan_admin: RemoteCKAN, ckan_url: str, dataset: dict, org: str) -> Graph:
    """Create the parsed dataset in CKAN and read its DCAT-AP.de back."""
    dataset = {**dataset, "name": f"{org}-{uuid.uuid4().hex[:6]}", "owner_org": org}
    dataset.pop("id", None)
    created = ckan_admin.action.package_create(**dataset)
    response = httpx.get(f"{ckan_url}/dataset/{created['name']}.ttl")
    assert response.status_code == 200, response.text[:500]
    return Graph().parse(data=response.text, format="turtle")


def the_dataset(graph: Graph) -> URIRef:
    (dataset,) = graph.subjects(RDF.type, DCAT.Dataset)
    return dataset


#: Dropped on purpose: GovData's 2.0 shapes want dcat:byteSize as xsd:decimal, the 3.0 shapes
#: as xsd:nonNegativeInteger; no literal passes both, and the property is optional.
DROPPED = {DCAT.byteSize}


def predicates(graph: Graph, subject) -> set[URIRef]:
    return {REWRITTEN.get(p, p) for p in graph.predicates(subject, None)} - DROPPED


def distributions_by_url(graph: Graph, dataset) -> dict[str, Any]:
    return {
        str(graph.value(d, DCAT.accessURL)): d for d in graph.objects(dataset, DCAT.distribution)
    }


def assert_round_trip_keeps_properties(original: Graph, served: Graph) -> None:
    source, copy = the_dataset(original), the_dataset(served)
    missing = predicates(original, source) - predicates(served, copy)
    assert not missing, f"dataset properties lost: {sorted(missing)}"
    for field in (
        DCATDE.politicalGeocodingURI,
        DCATDE.politicalGeocodingLevelURI,
        DCATDE.geocodingDescription,
        DCATAP.availability,
        DCAT.theme,
        DCTERMS.accrualPeriodicity,
        DCTERMS.accessRights,
        DCTERMS.references,
        DCTERMS.identifier,
    ):
        assert set(original.objects(source, field)) == set(served.objects(copy, field)), field
    assert set(served.objects(copy, DCATDE.contributorID)) >= {OWN_CONTRIBUTOR}
    for agent in (DCATDE.maintainer, DCTERMS.publisher):
        names = {original.value(a, FOAF.name) for a in original.objects(source, agent)}
        assert names <= {served.value(a, FOAF.name) for a in served.objects(copy, agent)}, agent

    served_distributions = distributions_by_url(served, copy)
    for url, distribution in distributions_by_url(original, source).items():
        twin = served_distributions[url]
        lost = predicates(original, distribution) - predicates(served, twin)
        assert not lost, f"distribution {url} lost {sorted(lost)}"
        for field in (
            DCTERMS.license, DCTERMS["format"], DCATDE.licenseAttributionByText,
            DCATAP.availability, DCAT.downloadURL,
        ):
            assert set(original.objects(distribution, field)) == set(served.objects(twin, field))


def test_official_dcat_ap_de_example_survives_the_round_trip(
    parse: Any, ckan_admin: RemoteCKAN, ckan_url: str, org: str
) -> None:
    text = (EXAMPLES / "official-v3-Dataset-und-Distribution.ttl").read_text()
    (parsed,) = parse(text)
    assert parsed["political_geocoding_uri"] == [
        "http://dcat-ap.de/def/politicalGeocoding/stateKey/17"
    ]
    assert parsed["resources"][1]["license_attribution_by_text"] == "Finanzministerium Musterland"
    served = store_and_serve(ckan_admin, ckan_url, parsed, org)
    assert_round_trip_keeps_properties(Graph().parse(data=text, format="turtle"), served)


def test_own_record_survives_the_round_trip(
    parse: Any, ckan_admin: RemoteCKAN, ckan_anonymous: RemoteCKAN, ckan_url: str, org: str
) -> None:
    sample = ckan_anonymous.action.package_show(id="pegelstand-emden-neue-seeschleuse")
    text = httpx.get(f"{ckan_url}/dataset/{sample['name']}.ttl").text
    (parsed,) = parse(text)
    served = store_and_serve(ckan_admin, ckan_url, parsed, org)
    original = Graph().parse(data=text, format="turtle")
    assert_round_trip_keeps_properties(original, served)
    # Our own record names its partner's geocoding; the copy keeps it although it now
    # belongs to another organisation.
    assert set(served.objects(the_dataset(served), DCATDE.politicalGeocodingURI)) == set(
        original.objects(the_dataset(original), DCATDE.politicalGeocodingURI)
    )
