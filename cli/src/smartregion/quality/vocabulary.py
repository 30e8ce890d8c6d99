"""Background knowledge for the shapes: which IRIs are concepts of which code list.

The shapes check a controlled value by asking for ``skos:inScheme <list>`` on it, so the lists
must be in the graph being validated. Offline, that is:

- the published dcat-ap.de lists shipped with the shapes (licences, contributor IDs, plus
  ``contributors-pending.ttl``) and FOAF, vCard and ORG, from ``vocab/``;
- for the big EU code lists (data themes, file types, languages, frequencies, access rights,
  planned availability, ...) and the political geocoding lists, which are not shipped, the same
  rule GovData's offline validator applies: an IRI made of the list's base IRI and a code counts
  as a concept of that list. Whether the code exists is checked online only, so real codes
  matter even when this passes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from rdflib import Graph, URIRef
from rdflib.namespace import RDF, SKOS

VOCAB_SUFFIXES = {".rdf": "xml", ".ttl": "turtle"}


@dataclass(frozen=True)
class CodeList:
    """IRIs matching ``pattern`` are concepts of a scheme.

    ``pattern`` must have a group ``scheme`` (the base IRI without its trailing separator) and
    require a non-empty code after it; ``scheme`` overrides the scheme IRI when the list's IRI is
    not its base (ADMS and SPDX name theirs differently).
    """

    pattern: re.Pattern[str]
    scheme: str | None = None

    def scheme_of(self, iri: str) -> str | None:
        match = self.pattern.match(iri)
        if match is None:
            return None
        return self.scheme or match.group("scheme")


CODE_LISTS: tuple[CodeList, ...] = (
    # EU Publications Office authority tables: .../authority/<table>/<CODE>
    CodeList(re.compile(r"(?P<scheme>http://publications\.europa\.eu/resource/authority/[a-z-]+)/.+")),
    # dcat-ap.de political geocoding: .../politicalGeocoding/<list>/<code>
    CodeList(re.compile(r"(?P<scheme>http://dcat-ap\.de/def/politicalGeocoding/[A-Za-z]+)/.+")),
    CodeList(re.compile(r"(?P<scheme>http://purl\.org/adms/publishertype)/.+"),
             "http://purl.org/adms/publishertype/1.0"),
    CodeList(re.compile(r"(?P<scheme>http://purl\.org/adms/status)/.+"),
             "http://purl.org/adms/status/1.0"),
    CodeList(re.compile(r"(?P<scheme>http://spdx\.org/rdf/terms#checksumAlgorithm_).+"),
             "http://spdx.org/rdf/terms#ChecksumAlgorithmVocabulary"),
)


def vocabulary_files(shapes_dir: Path) -> list[Path]:
    folder = shapes_dir / "vocab"
    return sorted(p for p in folder.iterdir() if p.suffix in VOCAB_SUFFIXES)


def load_vocabularies(shapes_dir: Path) -> Graph:
    """The shipped code lists and ontologies, parsed once per run."""
    graph = Graph()
    for path in vocabulary_files(shapes_dir):
        graph.parse(path, format=VOCAB_SUFFIXES[path.suffix])
    return graph


def accepted_codes(data: Graph) -> Graph:
    """``skos:Concept`` + ``skos:inScheme`` for every IRI in ``data`` that is a code of a list."""
    concepts = Graph()
    iris = {t for t in data.all_nodes() if isinstance(t, URIRef)}
    for iri in iris:
        for code_list in CODE_LISTS:
            scheme = code_list.scheme_of(str(iri))
            if scheme is not None:
                concepts.add((iri, RDF.type, SKOS.Concept))
                concepts.add((iri, SKOS.inScheme, URIRef(scheme)))
    return concepts
