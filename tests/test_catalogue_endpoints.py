"""The catalogue's RDF endpoints and German pages, as GovData and developers use them."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from ckanapi import RemoteCKAN
from rdflib import Graph, Namespace, URIRef
from rdflib.namespace import DCAT, DCTERMS, FOAF, RDF

HYDRA = Namespace("http://www.w3.org/ns/hydra/core#")
DCATDE = Namespace("http://dcat-ap.de/def/dcatde/")
SAMPLE = "pegelstand-emden-neue-seeschleuse"
FORMATS = {"ttl": "turtle", "rdf": "xml", "jsonld": "json-ld"}


def get_graph(url: str, **kwargs: Any) -> Graph:
    response = httpx.get(url, timeout=60, **kwargs)
    assert response.status_code == 200, (url, response.text[:300])
    kind = response.headers["content-type"].split(";")[0]
    fmt = {"text/turtle": "turtle", "application/rdf+xml": "xml", "application/ld+json": "json-ld"}
    return Graph().parse(data=response.text, format=fmt[kind])


def test_catalogue_is_paged_with_hydra_to_the_last_page(
    ckan_url: str, ckan_anonymous: RemoteCKAN
) -> None:
    total = ckan_anonymous.action.package_search(rows=0)["count"]
    url: str | None = f"{ckan_url}/catalog.ttl"
    datasets: set[URIRef] = set()
    pages = 0
    while url:
        page = get_graph(url)
        pages += 1
        datasets |= set(page.subjects(RDF.type, DCAT.Dataset))
        (collection,) = page.subjects(RDF.type, HYDRA.PagedCollection)
        assert int(page.value(collection, HYDRA.totalItems)) == total
        assert page.value(collection, HYDRA.first) is not None
        assert page.value(collection, HYDRA.last) is not None
        nxt = page.value(collection, HYDRA.next)
        url = str(nxt) if nxt else None
        assert pages <= 100
    assert pages > 1, "the test instance pages by 5: several pages expected"
    assert len(datasets) == total


@pytest.mark.parametrize("extension", sorted(FORMATS))
def test_catalogue_and_dataset_in_every_rdf_format(ckan_url: str, extension: str) -> None:
    catalogue = get_graph(f"{ckan_url}/catalog.{extension}")
    assert set(catalogue.subjects(RDF.type, DCAT.Catalog))
    dataset = get_graph(f"{ckan_url}/dataset/{SAMPLE}.{extension}")
    (ref,) = dataset.subjects(RDF.type, DCAT.Dataset)
    assert str(dataset.value(ref, DCTERMS.title)).startswith("Pegelstand")
    assert set(dataset.objects(ref, DCATDE.contributorID))


def test_dataset_page_answers_rdf_by_content_negotiation(ckan_url: str) -> None:
    graph = get_graph(f"{ckan_url}/dataset/{SAMPLE}", headers={"Accept": "text/turtle"})
    assert set(graph.subjects(RDF.type, DCAT.Dataset))
    page = httpx.get(f"{ckan_url}/dataset/{SAMPLE}", headers={"Accept": "text/html"})
    assert page.headers["content-type"].startswith("text/html")


def test_catalogue_record_describes_the_region(ckan_url: str) -> None:
    graph = get_graph(f"{ckan_url}/catalog.ttl")
    (catalogue,) = graph.subjects(RDF.type, DCAT.Catalog)
    publisher = graph.value(catalogue, DCTERMS.publisher)
    assert str(graph.value(publisher, FOAF.name)) == "Smart Region Ostfriesland"
    assert graph.value(publisher, DCTERMS.type) is not None
    assert graph.value(catalogue, FOAF.homepage) is not None
    assert URIRef("http://publications.europa.eu/resource/authority/language/DEU") in set(
        graph.objects(catalogue, DCTERMS.language)
    )
    assert URIRef("http://publications.europa.eu/resource/authority/data-theme") in set(
        graph.objects(catalogue, DCAT.themeTaxonomy)
    )
    spatial = {str(s) for s in graph.objects(catalogue, DCTERMS.spatial)}
    for key in ("03452", "03402", "03457", "03462"):
        assert f"http://dcat-ap.de/def/politicalGeocoding/districtKey/{key}" in spatial


def test_interface_is_german_by_default_and_english_on_request(ckan_url: str) -> None:
    home = httpx.get(f"{ckan_url}/")
    assert '<html lang="de"' in home.text
    assert "Smart Region Ostfriesland" in home.text and "Offene Daten" in home.text
    english = httpx.get(f"{ckan_url}/en/")
    assert english.status_code == 200
    assert '<html lang="en"' in english.text


def test_dataset_page_shows_dcat_ap_de_fields_readably(ckan_url: str) -> None:
    page = httpx.get(f"{ckan_url}/dataset/{SAMPLE}").text
    for label in ("Politische Geokodierung", "Lizenz", "Aktualisierung", "Zugangsrechte"):
        assert label in page, label
    # Values are shown with their German labels, not as vocabulary URIs.
    assert "Stadt Emden (Kreisschlüssel 03402)" in page
    assert "Metadaten (DCAT-AP.de)" in page and f"/dataset/{SAMPLE}.ttl" in page
