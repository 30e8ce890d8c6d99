"""The catalogue's own description: publisher, language, theme taxonomy, the region.

ckanext-dcat writes title, description, homepage and modification date of the
catalogue; DCAT-AP.de makes the publisher mandatory and recommends language, theme
taxonomy and spatial coverage. All of them are taken from the region's organisation.
"""

from __future__ import annotations

from rdflib import Graph, Literal, URIRef
from rdflib.term import Node

from ckanext.dcat.profiles import DCAT, DCT, FOAF, RDF

from . import vocabulary
from .enrich import GERMAN, Lookups
from .namespaces import DATA_THEME_SCHEME


def add_region_description(graph: Graph, catalog_ref: Node, lookups: Lookups) -> None:
    graph.remove((catalog_ref, DCT.language, None))
    graph.add((catalog_ref, DCT.language, URIRef(GERMAN)))
    graph.add((URIRef(GERMAN), RDF.type, DCT.LinguisticSystem))
    graph.add((catalog_ref, DCAT.themeTaxonomy, URIRef(DATA_THEME_SCHEME)))
    region = lookups.organization(vocabulary.region_organization())
    if not region:
        return
    publisher = URIRef(lookups.organization_uri(region))
    graph.add((catalog_ref, DCT.publisher, publisher))
    graph.add((publisher, RDF.type, FOAF.Agent))
    graph.add((publisher, FOAF.name, Literal(region.get("title") or region["name"])))
    if region.get("publisher_type"):
        graph.add((publisher, DCT.type, URIRef(region["publisher_type"])))
    if region.get("homepage"):
        graph.add((publisher, FOAF.homepage, URIRef(region["homepage"])))
    if region.get("contact_email"):
        graph.add((publisher, FOAF.mbox, URIRef("mailto:" + region["contact_email"])))
    for uri in region.get("political_geocoding_uri") or []:
        graph.add((catalog_ref, DCT.spatial, URIRef(uri)))
        graph.add((URIRef(uri), RDF.type, DCT.Location))
