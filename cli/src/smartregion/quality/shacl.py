"""Run one profile's shapes with pySHACL and read its report into :class:`Finding` objects.

Severities: ``sh:Violation``, ``sh:Warning`` and ``sh:Info`` as usual. GovData's dashboard shapes
use their own severities (``govdata:no_license`` …); each of those is a violation, except the
``govdata:count_*`` rules, which fire once per distribution or licence on purpose so that the
dashboard can relate findings to totals: they are counters, not findings.
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field
from enum import StrEnum

from pyshacl import validate
from rdflib import Graph, Literal
from rdflib.namespace import SH
from rdflib.term import Node

from smartregion.quality.shapes import Profile
from smartregion.quality.terms import GOVDATA, path_text, short

COUNTER_PREFIX = str(GOVDATA) + "count_"


class Level(StrEnum):
    VIOLATION = "violation"
    WARNING = "warning"
    INFO = "info"
    COUNTER = "counter"


def level_of(severity: Node | None) -> Level:
    if severity == SH.Warning:
        return Level.WARNING
    if severity == SH.Info:
        return Level.INFO
    if str(severity).startswith(COUNTER_PREFIX):
        return Level.COUNTER
    return Level.VIOLATION  # sh:Violation and GovData's own severities


@dataclass(frozen=True)
class Finding:
    """One result of one profile, with the nodes kept for attribution to a dataset."""

    profile: str
    severity: str
    level: Level
    path: str
    message: str
    focus: Node
    value: Node | None
    shape: Node | None
    component: str
    focus_is_value: bool = False  # reported by a nested shape: focus is a value, not a resource


@dataclass
class ProfileRun:
    profile: Profile
    shapes: Graph
    findings: list[Finding] = field(default_factory=list)
    counters: Counter[str] = field(default_factory=Counter)
    seconds: float = 0.0


def _message(report: Graph, result: Node) -> str:
    """The German message if the shape has one, else an untagged one (pySHACL's English text)."""
    messages = [m for m in report.objects(result, SH.resultMessage) if isinstance(m, Literal)]
    for wanted in ("de", None):
        for message in messages:
            if message.language == wanted:
                return str(message).strip()
    return str(messages[0]).strip() if messages else ""


def _full_path(report: Graph, result: Node, shapes: Graph) -> tuple[str, bool]:
    """The result path, prefixed by the paths of the property shapes it is nested in.

    A nested shape checks the values of its parent's path: its result for the literal "CSV" says
    only ``skos:inScheme``; ``dct:format/skos:inScheme`` tells where that value sits. The flag
    says whether the shape was nested, i.e. whether the focus node is such a value.
    """
    steps = [path_text(report, report.value(result, SH.resultPath))]
    shape = report.value(result, SH.sourceShape)
    for _ in range(4):  # the official shapes nest two levels at most
        parents = {
            path_text(shapes, path): parent
            for parent in shapes.subjects(SH.property, shape)
            if (path := shapes.value(parent, SH.path)) is not None
        }
        if len(parents) != 1:
            break
        parent_path, shape = parents.popitem()
        steps.insert(0, parent_path)
    return "/".join(steps), len(steps) > 1


def read_report(
    report: Graph, profile: Profile, shapes: Graph
) -> tuple[list[Finding], Counter[str]]:
    findings: list[Finding] = []
    counters: Counter[str] = Counter()
    for result in report.subjects(SH.resultSeverity, None):
        severity = report.value(result, SH.resultSeverity)
        level = level_of(severity)
        if level is Level.COUNTER:
            counters[short(severity)] += 1
            continue
        focus = report.value(result, SH.focusNode)
        if focus is None:
            continue  # not a validation result (pySHACL always sets a focus node)
        path, nested = _full_path(report, result, shapes)
        findings.append(
            Finding(
                profile=profile.key,
                severity=short(severity),
                level=level,
                path=path,
                message=_message(report, result),
                focus=focus,
                value=report.value(result, SH.value),
                shape=report.value(result, SH.sourceShape),
                component=short(report.value(result, SH.sourceConstraintComponent)),
                focus_is_value=nested or isinstance(focus, Literal),
            )
        )
    return findings, counters


def run_profile(data: Graph, profile: Profile, shapes: Graph) -> ProfileRun:
    """Validate ``data`` (catalogue plus background vocabularies) against one profile.

    No inference: the shapes are written for the graph as published, and RDFS/OWL reasoning over
    a whole catalogue multiplies the run time. With inference off pySHACL does not copy ``data``.
    """
    started = time.monotonic()
    _conforms, report, _text = validate(
        data, shacl_graph=shapes, inference="none", advanced=False, abort_on_first=False
    )
    findings, counters = read_report(report, profile, shapes)
    return ProfileRun(profile, shapes, findings, counters, time.monotonic() - started)
