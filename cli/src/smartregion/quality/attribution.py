"""Find the dataset a SHACL result belongs to.

A result's focus node is the dataset itself, or something the dataset points to: a distribution
(``dcat:distribution``), a publisher, contact point, location or licence node, or a plain value
(a format literal, a language code) checked by a nested property shape. From the focus node the
walk goes "upwards" along incoming triples until it reaches ``dcat:Dataset`` (or
``dcat:DatasetSeries``) nodes. A catalogue record leads to its ``foaf:primaryTopic``. What only
the catalogue reaches is a catalogue finding; what nothing reaches stays unattached.

A value such as the literal ``"CSV"`` is one node however many distributions use it. When the
result comes from a nested property shape, the parent shape's path (``dct:format``) and the class
its node shape targets (``dcat:Distribution``) select the nodes that actually hold the value, so
that a catalogue's ``dct:language "de"`` is not blamed on every dataset with the same literal.
"""

from __future__ import annotations

from collections import deque

from rdflib import Graph, URIRef
from rdflib.namespace import DCAT, FOAF, RDF, SH
from rdflib.term import Node

from smartregion.quality.shacl import Finding

DATASET_CLASSES = (DCAT.Dataset, URIRef(f"{DCAT}DatasetSeries"))  # rdflib's DCAT lacks DCAT 3
MAX_DEPTH = 6  # Catalog > Dataset > Distribution > DataService > publisher > ... is never deeper


class Attribution:
    def __init__(self, graph: Graph) -> None:
        self.graph = graph
        self.datasets = {s for cls in DATASET_CLASSES for s in graph.subjects(RDF.type, cls)}
        self.catalogues = set(graph.subjects(RDF.type, DCAT.Catalog))
        self.records = set(graph.subjects(RDF.type, DCAT.CatalogRecord))
        self._holders: dict[tuple[Node, Node | None, int], tuple[Node, ...]] = {}
        self._owners: dict[Node, frozenset[Node]] = {}

    def attribute(self, finding: Finding, shapes: Graph) -> dict[Node, tuple[Node, ...]]:
        """The datasets of ``finding`` (else the catalogues holding it; else nothing), each with
        the nodes in it that hold the focus as a value (empty when the focus is the owner)."""
        focus = finding.focus
        if focus in self.datasets or focus in self.catalogues or focus in self.records:
            return {owner: () for owner in self.owners_of(focus)}
        by_owner: dict[Node, list[Node]] = {}
        for holder in self.holders(finding, shapes):
            for owner in self.owners_of(holder):
                by_owner.setdefault(owner, []).append(holder)
        datasets = {o: tuple(h) for o, h in by_owner.items() if o in self.datasets}
        return datasets or {o: tuple(h) for o, h in by_owner.items()}

    def owners_of(self, node: Node) -> frozenset[Node]:
        """Datasets (else catalogues) reached from ``node`` upwards, ``node`` included."""
        if node not in self._owners:
            self._owners[node] = self._walk_up(node)
        return self._owners[node]

    def holders(self, finding: Finding, shapes: Graph) -> tuple[Node, ...]:
        """Nodes that have the focus as a value, narrowed by the shape that reported it."""
        key = (finding.focus, finding.shape, id(shapes))
        if key not in self._holders:
            self._holders[key] = tuple(dict.fromkeys(
                self._find_holders(finding.focus, finding.shape, shapes)
            ))
        return self._holders[key]

    def _find_holders(self, focus: Node, shape: Node | None, shapes: Graph) -> list[Node]:
        everyone = [s for s, p in self.graph.subject_predicates(focus) if p != RDF.type]
        if shape is None:
            return everyone
        parents = list(shapes.subjects(SH.property, shape))
        predicates = {p for p in (shapes.value(parent, SH.path) for parent in parents)
                      if isinstance(p, URIRef)}
        if not predicates:  # a top-level property shape: the focus is the target itself
            return everyone
        holders = [s for p in predicates for s in self.graph.subjects(p, focus)]
        classes = {
            cls
            for parent in parents
            for node_shape in shapes.subjects(SH.property, parent)
            for cls in shapes.objects(node_shape, SH.targetClass)
        }
        typed = [h for h in holders if any((h, RDF.type, c) in self.graph for c in classes)]
        return typed or holders or everyone

    def _walk_up(self, start: Node) -> frozenset[Node]:
        found_datasets: set[Node] = set()
        found_catalogues: set[Node] = set()
        seen: set[Node] = set()
        queue: deque[tuple[Node, int]] = deque([(start, 0)])
        while queue:
            node, depth = queue.popleft()
            if node in seen:
                continue
            seen.add(node)
            if node in self.datasets:
                found_datasets.add(node)
                continue  # the dataset is the owner; do not climb to the catalogue
            if node in self.catalogues:
                found_catalogues.add(node)
                continue
            if node in self.records:
                topics = set(self.graph.objects(node, FOAF.primaryTopic)) & self.datasets
                if topics:
                    found_datasets |= topics
                    continue
            if depth < MAX_DEPTH:
                queue.extend(
                    (s, depth + 1)
                    for s, p in self.graph.subject_predicates(node)
                    if p != RDF.type and s not in seen
                )
        return frozenset(found_datasets or found_catalogues)
