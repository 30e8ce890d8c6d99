"""``smartregion harvest run|status`` as an operator uses them: ad-hoc and configured
sources, exit codes, JSON report, job history in PostgreSQL, ``${VAR}`` in the config."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

TURTLE = "text/turtle"


def smartregion(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    command = [str(Path(sys.executable).parent / "smartregion"), *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=600,
                          env={**os.environ, **(env or {})})


def serve_pages(site: Any) -> None:
    site.handle("/dcat/catalog.ttl", lambda query, _: (
        200, site.fixture(f"dcat/catalog-page{query.get('page', ['1'])[0]}.ttl"), TURTLE))


def test_ad_hoc_run_prints_a_summary_writes_a_report_and_records_the_job(
        site: Any, organization: str) -> None:
    serve_pages(site)
    result = smartregion("harvest", "run", "--instance", "test", "--quiet", "--type", "dcat",
                         "--url", f"{site.url}/dcat/catalog.ttl?page=1",
                         "--organization", organization)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"{organization}/ad-hoc (dcat): 12 neu/added" in result.stdout
    report_path = Path(result.stdout.rsplit("Bericht / report: ", 1)[1].strip())
    report = json.loads(report_path.read_text())
    assert report["totals"]["added"] == 12 and report["status"] == "ok"
    status = smartregion("harvest", "status", "--instance", "test")
    assert status.returncode == 0
    (line,) = [row for row in status.stdout.splitlines() if f"{organization}/ad-hoc" in row]
    assert " ok " in line and " 12 " in line


def test_a_failing_source_makes_the_exit_code_non_zero_and_the_others_still_run(
        site: Any, organization: str, tmp_path: Path) -> None:
    serve_pages(site)
    config = tmp_path / "harvest.yaml"
    config.write_text(f"""
partners:
  testpartner:
    organization: {organization}
    schedule: PT6H
    themes:
      - match: "kita|schule"
        theme: EDUC
    sources:
      - name: broken
        type: dcat
        url: http://127.0.0.1:9/catalog.ttl
        timeout_seconds: 2
      - name: portal
        type: dcat
        url: "${{PORTAL_URL}}"
""", encoding="utf-8")
    result = smartregion("harvest", "run", "--instance", "test", "--quiet", "--config",
                         str(config), "testpartner",
                         env={"PORTAL_URL": f"{site.url}/dcat/catalog.ttl?page=1"})
    assert result.returncode == 1, result.stdout + result.stderr
    assert "testpartner/broken (dcat): 0 neu/added" in result.stdout
    assert "testpartner/portal (dcat): 12 neu/added" in result.stdout
    assert "[gather]" in result.stdout and "not reachable" in result.stdout
    status = smartregion("harvest", "status", "--instance", "test", "--config", str(config),
                         env={"PORTAL_URL": "http://unused"})
    rows = {row.split()[0]: row for row in status.stdout.splitlines()[1:]}
    assert " failed " in rows["testpartner/broken"] and "ja/yes" in rows["testpartner/broken"]
    assert " ok " in rows["testpartner/portal"] and "nein/no" in rows["testpartner/portal"]


def test_a_missing_variable_is_named(tmp_path: Path) -> None:
    config = tmp_path / "harvest.yaml"
    config.write_text("partners:\n  p:\n    organization: x\n    sources:\n"
                      "      - {name: a, type: dcat, url: '${NOT_SET_ANYWHERE}'}\n")
    result = smartregion("harvest", "run", "--instance", "test", "--config", str(config), "--all")
    assert result.returncode == 1
    assert "NOT_SET_ANYWHERE" in result.stderr
