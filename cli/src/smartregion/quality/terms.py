"""Namespaces and short, readable names for RDF terms in reports."""

from __future__ import annotations

from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.collection import Collection
from rdflib.namespace import DCAT, DCTERMS, FOAF, RDF, RDFS, SH, SKOS, XSD
from rdflib.term import Node

DCATDE = Namespace("http://dcat-ap.de/def/dcatde/")
DCATAP = Namespace("http://data.europa.eu/r5r/")
GOVDATA = Namespace("http://govdata.de/mqa/#")
HYDRA = Namespace("http://www.w3.org/ns/hydra/core#")

# Prefixes as the DCAT-AP.de specification writes them (dct rather than the 3.0 "dcterms": the
# IRIs are the same, and dct is what ckanext-dcat and most tooling print).
PREFIXES: dict[str, str] = {
    "dct": str(DCTERMS),
    "dcat": str(DCAT),
    "dcatde": str(DCATDE),
    "dcatap": str(DCATAP),
    "govdata": str(GOVDATA),
    "foaf": str(FOAF),
    "vcard": "http://www.w3.org/2006/vcard/ns#",
    "skos": str(SKOS),
    "locn": "http://www.w3.org/ns/locn#",
    "gsp": "http://www.opengis.net/ont/geosparql#",
    "geodcatap": "http://data.europa.eu/930/",
    "adms": "http://www.w3.org/ns/adms#",
    "spdx": "http://spdx.org/rdf/terms#",
    "prov": "http://www.w3.org/ns/prov#",
    "odrl": "http://www.w3.org/ns/odrl/2/",
    "schema": "http://schema.org/",
    "org": "http://www.w3.org/ns/org#",
    "time": "http://www.w3.org/2006/time#",
    "dqv": "http://www.w3.org/ns/dqv#",
    "hydra": str(HYDRA),
    "sh": str(SH),
    "rdf": str(RDF),
    "rdfs": str(RDFS),
    "xsd": str(XSD),
}
# Longest namespace first, so that no namespace shadows a longer one that starts with it.
_BY_LENGTH = sorted(PREFIXES.items(), key=lambda item: -len(item[1]))


def short(term: Node | None) -> str:
    """``dct:license`` for an IRI in a known namespace, the IRI itself otherwise."""
    if term is None:
        return ""
    text = str(term)
    if isinstance(term, URIRef):
        for prefix, namespace in _BY_LENGTH:
            if text.startswith(namespace) and len(text) > len(namespace):
                return f"{prefix}:{text[len(namespace):]}"
    return text


def show_value(term: Node | None) -> str:
    """A value as a person should read it: literals quoted, IRIs shortened, blank nodes named."""
    if term is None:
        return ""
    if isinstance(term, Literal):
        return f'"{term}"'
    if isinstance(term, BNode):
        return "[Blank Node]"
    return short(term)


def path_text(graph: Graph, path: Node | None, depth: int = 0) -> str:
    """A SHACL property path in SPARQL-like notation: ``dct:publisher/foaf:name``, ``^dcat:x``."""
    if path is None:
        return ""
    if isinstance(path, URIRef) or depth > 8:
        return short(path)
    if graph.value(path, RDF.first) is not None:
        return "/".join(path_text(graph, step, depth + 1) for step in Collection(graph, path))
    for predicate, template in (
        (SH.inversePath, "^{}"),
        (SH.zeroOrMorePath, "{}*"),
        (SH.oneOrMorePath, "{}+"),
        (SH.zeroOrOnePath, "{}?"),
    ):
        inner = graph.value(path, predicate)
        if inner is not None:
            return template.format(path_text(graph, inner, depth + 1))
    alternatives = graph.value(path, SH.alternativePath)
    if alternatives is not None:
        options = (path_text(graph, p, depth + 1) for p in Collection(graph, alternatives))
        return "(" + "|".join(options) + ")"
    return show_value(path)


def preferred_text(graph: Graph, subject: Node, predicate: URIRef) -> str | None:
    """The German value of a (possibly multilingual) property, else one without or any language."""
    values = [v for v in graph.objects(subject, predicate) if isinstance(v, Literal)]
    for wanted in ("de", None):
        for value in values:
            if value.language == wanted:
                return str(value)
    return str(values[0]) if values else None
