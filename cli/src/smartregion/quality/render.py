"""Write a :class:`Report` as text for people or as JSON for tools."""

from __future__ import annotations

import json

from smartregion.quality.report import Group, GroupKind, Report
from smartregion.quality.shacl import Level

HEADINGS = {
    GroupKind.CATALOGUE: "Katalog / catalogue",
    GroupKind.DATASET: "Datensatz / dataset",
    GroupKind.UNATTACHED: "Ohne Datensatz / not attached to a dataset",
}
LEVEL_MARK = {Level.VIOLATION: "VERSTOSS", Level.WARNING: "Warnung ", Level.INFO: "Hinweis "}


def _group_lines(group: Group) -> list[str]:
    lines = [f"{HEADINGS[group.kind]}: {group.title}", f"  {group.iri}"]
    if group.landing_page and group.landing_page != group.iri:
        lines.append(f"  Webseite / landing page: {group.landing_page}")
    for e in group.entries:
        lines.append(f"  [{e.profile}] {LEVEL_MARK[e.level]} {e.severity}  {e.path}")
        lines.append(f"      {e.message}")
        where = [f"bei / at: {e.at}"] if e.at else []
        if e.value is not None:
            where.append(f"Wert / value: {e.value}")
        if where:
            lines.append("      " + "; ".join(where))
    return lines


def text(report: Report) -> str:
    lines = [
        f"DCAT-AP.de-Prüfung / validation: {report.source}",
        f"  {report.pages} Seite(n) / page(s), {report.triples} Tripel / triples, "
        f"{report.datasets} Datensätze / datasets; Shapes: {report.shapes_dir}",
    ]
    lines += [f"  Hinweis / note: {note}" for note in report.notes]
    for group in report.groups:
        lines.append("")
        lines += _group_lines(group)
    lines += ["", "Zusammenfassung / summary"]
    for p in report.profiles:
        lines.append(
            f"  {p.key:<10} Verstöße / violations {p.violations} "
            f"(in {p.datasets_with_violations}/{report.datasets} Datensätzen / datasets), "
            f"Warnungen / warnings {p.warnings}, Hinweise / infos {p.infos}"
        )
        lines.append(f"  {'':<10} {p.label}")
        if p.counters:
            counted = ", ".join(f"{k}={v}" for k, v in p.counters.items())
            lines.append(f"  {'':<10} Zähler, keine Verstöße / counters, not violations: {counted}")
    verdict = (
        "keine Verstöße / no violations" if report.exit_code == 0
        else f"{report.violations} Verstöße / violations"
    )
    lines.append(f"Ergebnis / result: {verdict}")
    return "\n".join(lines) + "\n"


def json_text(report: Report) -> str:
    return json.dumps(report.to_dict(), ensure_ascii=False, indent=2) + "\n"
