"""The quality report: findings grouped per dataset, counted per profile.

Counting is per dataset: a result pySHACL reports once per distribution for one shared value
(the literal ``"CSV"`` used by three distributions of a dataset) is listed once for that dataset.
A finding on a node several datasets share (one publisher) is listed with each of them.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import DCAT, DCTERMS, FOAF, RDF
from rdflib.term import Node

from smartregion.quality.attribution import Attribution
from smartregion.quality.shacl import Finding, Level, ProfileRun
from smartregion.quality.source import LoadedCatalogue
from smartregion.quality.terms import preferred_text, short, show_value

VCARD_FN = URIRef("http://www.w3.org/2006/vcard/ns#fn")
LEVEL_ORDER = {Level.VIOLATION: 0, Level.WARNING: 1, Level.INFO: 2}


class GroupKind(StrEnum):
    CATALOGUE = "catalogue"
    DATASET = "dataset"
    UNATTACHED = "unattached"


@dataclass(frozen=True)
class Entry:
    """One finding as listed under its dataset."""

    profile: str
    severity: str
    level: Level
    path: str
    message: str
    at: str | None  # the distribution, publisher … when the finding is not on the dataset itself
    value: str | None


@dataclass
class Group:
    kind: GroupKind
    iri: str
    title: str
    landing_page: str | None = None
    entries: list[Entry] = field(default_factory=list)

    def count(self, profile: str, level: Level) -> int:
        return sum(1 for e in self.entries if e.profile == profile and e.level is level)


@dataclass
class ProfileSummary:
    key: str
    label: str
    violations: int
    warnings: int
    infos: int
    datasets_with_violations: int
    counters: dict[str, int]
    raw_results: int
    seconds: float


@dataclass
class Report:
    source: str
    shapes_dir: str
    pages: int
    triples: int
    datasets: int
    profiles: list[ProfileSummary]
    groups: list[Group]
    notes: list[str] = field(default_factory=list)

    @property
    def violations(self) -> int:
        return sum(p.violations for p in self.profiles)

    @property
    def exit_code(self) -> int:
        return 1 if self.violations else 0

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["violations"] = self.violations
        data["exit_code"] = self.exit_code
        return data


def _label(graph: Graph, node: Node) -> str | None:
    for predicate in (DCTERMS.title, FOAF.name, VCARD_FN):
        text = preferred_text(graph, node, predicate)
        if text:
            return text
    return None


def describe(graph: Graph, node: Node) -> str | None:
    """``dcat:Distribution «CSV-Download»`` for the node a finding is on, None for values."""
    if isinstance(node, Literal):
        return None
    types = sorted(short(t) for t in graph.objects(node, RDF.type))
    kind = next((t for t in types if t.startswith("dcat:")), types[0] if types else "")
    label = _label(graph, node)
    name = f"«{label}»" if label else (f"<{node}>" if isinstance(node, URIRef) else "[Blank Node]")
    return f"{kind} {name}".strip()


class _Describer:
    """``describe`` with a cache: the same distribution is named in many entries."""

    def __init__(self, graph: Graph) -> None:
        self.graph = graph
        self._cache: dict[Node, str | None] = {}

    def __call__(self, node: Node) -> str | None:
        if node not in self._cache:
            self._cache[node] = describe(self.graph, node)
        return self._cache[node]


def _entry(
    describer: _Describer, finding: Finding, owner: Node, holders: tuple[Node, ...]
) -> Entry:
    focus = finding.focus
    value = finding.value
    if finding.focus_is_value:
        # A value checked by a nested shape: name the owner's nodes that hold it.
        if value is None:
            value = focus
        names = {d for h in holders if h != owner and (d := describer(h))}
        at = ", ".join(sorted(names)) or None
    else:
        at = None if focus == owner else describer(focus)
    return Entry(
        profile=finding.profile,
        severity=finding.severity,
        level=finding.level,
        path=finding.path,
        message=finding.message,
        at=at,
        value=show_value(value) if value is not None else None,
    )


def _new_group(graph: Graph, owner: Node, kind: GroupKind) -> Group:
    title = _label(graph, owner) or "(ohne Titel / untitled)"
    landing = graph.value(owner, DCAT.landingPage)
    iri = str(owner) if not isinstance(owner, BNode) else "[Blank Node]"
    return Group(kind, iri, title, str(landing) if landing is not None else None)


def _sort_key(group: Group) -> tuple[int, bool, str, str]:
    """Catalogue first, then datasets with violations, then those with warnings only."""
    order = {GroupKind.CATALOGUE: 0, GroupKind.DATASET: 1, GroupKind.UNATTACHED: 2}
    clean = all(e.level is not Level.VIOLATION for e in group.entries)
    return order[group.kind], clean, group.title.casefold(), group.iri


def build_report(
    catalogue: LoadedCatalogue,
    graph: Graph,
    runs: list[ProfileRun],
    shapes_dir: Path,
) -> Report:
    """Group every finding of every run under its dataset(s) and summarise per profile."""
    attribution = Attribution(graph)
    describer = _Describer(graph)
    groups: dict[Node, Group] = {}
    seen: set[tuple[Node, Entry]] = set()
    for run in runs:
        # pySHACL repeats a nested shape's result for a shared value once per parent node.
        for finding in dict.fromkeys(run.findings):
            owners = attribution.attribute(finding, run.shapes) or {finding.focus: ()}
            for owner, holders in owners.items():
                if owner not in groups:
                    kind = (GroupKind.DATASET if owner in attribution.datasets
                            else GroupKind.CATALOGUE if owner in attribution.catalogues
                            else GroupKind.UNATTACHED)
                    groups[owner] = _new_group(graph, owner, kind)
                entry = _entry(describer, finding, owner, holders)
                if (owner, entry) not in seen:
                    seen.add((owner, entry))
                    groups[owner].entries.append(entry)
    ordered = sorted(groups.values(), key=_sort_key)
    profile_order = {run.profile.key: i for i, run in enumerate(runs)}
    for group in ordered:
        group.entries.sort(key=lambda e: (profile_order[e.profile], LEVEL_ORDER[e.level],
                                          e.path, e.at or "", e.message))
    summaries = [_summary(run, ordered) for run in runs]
    n_datasets = len(attribution.datasets)
    return Report(
        source=catalogue.source,
        shapes_dir=str(shapes_dir.resolve()),
        pages=len(catalogue.pages),
        triples=len(catalogue.graph),
        datasets=n_datasets,
        profiles=summaries,
        groups=ordered,
        notes=list(catalogue.notes),
    )


def _summary(run: ProfileRun, groups: list[Group]) -> ProfileSummary:
    key = run.profile.key
    levels: Counter[Level] = Counter()
    for group in groups:
        for level in (Level.VIOLATION, Level.WARNING, Level.INFO):
            levels[level] += group.count(key, level)
    return ProfileSummary(
        key=key,
        label=run.profile.label,
        violations=levels[Level.VIOLATION],
        warnings=levels[Level.WARNING],
        infos=levels[Level.INFO],
        datasets_with_violations=sum(
            1 for g in groups if g.kind is GroupKind.DATASET and g.count(key, Level.VIOLATION)
        ),
        counters=dict(sorted(run.counters.items())),
        raw_results=len(run.findings),
        seconds=round(run.seconds, 2),
    )
