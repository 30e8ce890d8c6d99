"""`smartregion catalogue validate`: SHACL findings per dataset, exit codes, paging, load errors.

Runs the installed CLI as an operator would (subprocess), against a record created in the
running test instance and against small hand-made Turtle files. The shapes are GovData's, from
the shared folder next to the checkout (`../shared/conformance/dcat-ap-de`).
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import sys
import threading
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from ckanapi import NotFound, RemoteCKAN
from rdflib import Graph, Literal, URIRef
from rdflib import namespace as ns  # not its names: pytest probes test-module globals

from smartregion.quality import CatalogueLoadError, load_catalogue

REPO = Path(__file__).resolve().parents[1]
SMARTREGION = str(Path(sys.executable).with_name("smartregion"))
VALID_RECORD = REPO / "tests" / "fixtures" / "dcat-ap-de" / "minimal-valid-dataset.ttl"
VALID_DATASET = URIRef("https://daten.example.org/dataset/pegel-leer")


def _validate(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SMARTREGION_INSTANCE": "test"}
    env.pop("SMARTREGION_SHACL_DIR", None)
    return subprocess.run(
        [SMARTREGION, "catalogue", "validate", *args],
        capture_output=True, text=True, env=env, cwd=REPO, timeout=600, check=False,
    )


def _json_report(result: subprocess.CompletedProcess[str]) -> dict[str, Any]:
    assert result.stdout, result.stderr
    report: dict[str, Any] = json.loads(result.stdout)
    return report


def _group(report: dict[str, Any], iri: str) -> dict[str, Any]:
    groups = [g for g in report["groups"] if g["iri"] == iri]
    assert len(groups) == 1, [g["iri"] for g in report["groups"]]
    return groups[0]


def _profile(report: dict[str, Any], key: str) -> dict[str, Any]:
    return next(p for p in report["profiles"] if p["key"] == key)


# (a) a broken record from the real catalogue ----------------------------------------------


@pytest.fixture()
def ckan_dataset(ckan_admin: RemoteCKAN) -> Iterator[dict[str, Any]]:
    """A dataset with one CSV distribution in a throwaway organisation."""
    suffix = uuid.uuid4().hex[:10]
    org_name, name = f"qa-wegwerf-{suffix}", f"qa-kaputt-{suffix}"
    ckan_admin.action.organization_create(name=org_name, title=f"QA-Wegwerforganisation {suffix}")
    try:
        yield ckan_admin.action.package_create(
            name=name,
            title=f"Kaputter Testdatensatz {suffix}",
            owner_org=org_name,
            notes="Angelegt von tests/test_catalogue_validate.py und gleich wieder gelöscht.",
            tags=[{"name": "Test"}],
            resources=[{"name": "Messwerte", "url": "https://example.org/werte.csv",
                        "format": "CSV"}],
        )
    finally:
        for action, ident in (("dataset_purge", name), ("organization_purge", org_name)):
            with contextlib.suppress(NotFound):
                ckan_admin.call_action(action, {"id": ident})


def _break(graph: Graph) -> Graph:
    """No licence anywhere, and every distribution's format the literal "Exotisch".

    Done on the serialised record because the dataset schema no longer lets such a record
    into CKAN (formats are a choice list, the licence has a default); harvested or legacy
    records can still look like this.
    """
    graph.remove((None, ns.DCTERMS.license, None))
    for distribution in set(graph.subjects(ns.RDF.type, ns.DCAT.Distribution)):
        graph.remove((distribution, ns.DCTERMS.format, None))
        graph.add((distribution, ns.DCTERMS.format, Literal("Exotisch")))
    return graph


def test_broken_record_is_reported_under_its_dataset(
    ckan_dataset: dict[str, Any], ckan_url: str, tmp_path: Path
) -> None:
    response = httpx.get(f"{ckan_url}/dataset/{ckan_dataset['name']}.ttl", timeout=60)
    assert response.status_code == 200, response.text
    graph = _break(Graph().parse(data=response.text, format="turtle"))
    dataset_iri = str(next(graph.subjects(ns.RDF.type, ns.DCAT.Dataset)))
    record = tmp_path / "kaputt.ttl"
    graph.serialize(record, format="turtle")

    result = _validate("--url", str(record), "--json")

    assert result.returncode == 1, result.stdout[-3000:] + result.stderr
    group = _group(_json_report(result), dataset_iri)
    assert group["kind"] == "dataset"
    assert group["title"] == ckan_dataset["title"]
    violations = [e for e in group["entries"] if e["level"] == "violation"]
    # The missing licence is reported at the distribution, under its dataset.
    assert any(
        e["path"] == "dct:license" and e["at"] == "dcat:Distribution «Messwerte»"
        for e in violations
    ), group["entries"]
    # The format is a literal, not an EU file-type IRI: reported with its value.
    assert any(
        e["path"].startswith("dct:format") and e["value"] == '"Exotisch"' for e in violations
    ), group["entries"]

    text = _validate("--url", str(record))
    assert text.returncode == 1
    assert f"Datensatz / dataset: {ckan_dataset['title']}" in text.stdout
    assert dataset_iri in text.stdout


# (b) grouping and exit codes on hand-made records -----------------------------------------


def _without_publisher(graph: Graph, dataset: URIRef) -> Graph:
    graph.remove((dataset, ns.DCTERMS.publisher, None))
    return graph


def test_valid_record_passes_every_profile() -> None:
    result = _validate("--url", str(VALID_RECORD))

    assert result.returncode == 0, result.stdout + result.stderr
    assert "Ergebnis / result: keine Verstöße / no violations" in result.stdout
    # GovData's count_* rules fire for every distribution; they are counted, not failures.
    assert "govdata:count_Distributions=1" in result.stdout


def test_dataset_without_publisher_fails_v20_and_is_listed_alone(tmp_path: Path) -> None:
    graph = Graph().parse(VALID_RECORD)
    # A second dataset, identical but without dct:publisher (K36: mandatory in v20).
    broken = URIRef("https://daten.example.org/dataset/pegel-leer-ohne-herausgeber")
    for p, o in list(graph.predicate_objects(VALID_DATASET)):
        if p == ns.DCTERMS.title:
            o = type(o)("Pegelstände Leda ohne Herausgeber", lang="de")
        graph.add((broken, p, o))
    _without_publisher(graph, broken)
    for catalogue in graph.subjects(ns.RDF.type, ns.DCAT.Catalog):
        graph.add((catalogue, ns.DCAT.dataset, broken))
    record = tmp_path / "zwei-datensaetze.ttl"
    graph.serialize(record, format="turtle")

    result = _validate("--url", str(record), "--profile", "v20", "--json")

    assert result.returncode == 1, result.stdout + result.stderr
    report = _json_report(result)
    assert report["datasets"] == 2
    assert [g["iri"] for g in report["groups"] if g["kind"] == "dataset"] == [str(broken)]
    group = _group(report, str(broken))
    assert group["title"] == "Pegelstände Leda ohne Herausgeber"
    assert [(e["profile"], e["level"], e["path"]) for e in group["entries"]] == [
        ("v20", "violation", "dct:publisher")
    ]
    assert "K36" in group["entries"][0]["message"]
    summary = _profile(report, "v20")
    assert (summary["violations"], summary["datasets_with_violations"]) == (1, 1)
    assert [p["key"] for p in report["profiles"]] == ["v20"]

    text = _validate("--url", str(record), "--profile", "v20").stdout
    heading = "Datensatz / dataset: Pegelstände Leda ohne Herausgeber"
    block = text.split(heading, 1)[1].split("\n\n", 1)[0]
    assert "[v20] VERSTOSS sh:Violation  dct:publisher" in block
    assert "Datensatz / dataset: Pegelstände Leda\n" not in text


def test_only_the_record_without_publisher_changes_the_exit_code(tmp_path: Path) -> None:
    record = tmp_path / "ohne-herausgeber.ttl"
    _without_publisher(Graph().parse(VALID_RECORD), VALID_DATASET).serialize(record, "turtle")

    assert _validate("--url", str(VALID_RECORD), "--profile", "v20").returncode == 0
    assert _validate("--url", str(record), "--profile", "v20").returncode == 1


# (c) what cannot be loaded -----------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_unreachable_url_exits_2_with_the_url() -> None:
    url = f"http://127.0.0.1:{_free_port()}/catalog.ttl"

    result = _validate("--url", url)

    assert result.returncode == 2, result.stdout + result.stderr
    assert result.stdout == ""
    assert url in result.stderr
    assert "nicht erreichbar / unreachable" in result.stderr


def test_http_error_exits_2_with_the_status(ckan_url: str) -> None:
    url = f"{ckan_url}/dataset/gibt-es-nicht-{uuid.uuid4().hex[:8]}.ttl"

    result = _validate("--url", url)

    assert result.returncode == 2, result.stdout + result.stderr
    assert f"{url}: HTTP 404" in result.stderr


def test_unparseable_file_exits_2(tmp_path: Path) -> None:
    record = tmp_path / "kaputt.ttl"
    record.write_text("<https://example.org/a> dcat:title 'unbekanntes Präfix' .\n")

    result = _validate("--url", str(record))

    assert result.returncode == 2, result.stdout + result.stderr
    assert "not valid RDF" in result.stderr


def test_missing_shapes_exit_2_and_say_where_to_get_them(tmp_path: Path) -> None:
    result = _validate("--url", str(VALID_RECORD), "--shapes-dir", str(tmp_path / "nichts"))

    assert result.returncode == 2, result.stdout + result.stderr
    assert "--shapes-dir" in result.stderr
    assert "SMARTREGION_SHACL_DIR" in result.stderr
    assert "GovDataOfficial/DCAT-AP.de-SHACL-Validation" in result.stderr


# paging ------------------------------------------------------------------------------------

PAGE = """@prefix dcat: <http://www.w3.org/ns/dcat#> .
@prefix dct: <http://purl.org/dc/terms/> .
@prefix hydra: <http://www.w3.org/ns/hydra/core#> .
<{base}/catalog.ttl?page={n}> a hydra:PagedCollection {next} .
<{base}> a dcat:Catalog ; dcat:dataset <{base}/dataset/d{n}> .
<{base}/dataset/d{n}> a dcat:Dataset ; dct:title "Datensatz {n}" .
"""


@contextlib.contextmanager
def _catalogue_server(next_of: dict[int, int | None]) -> Iterator[str]:
    """Serves /catalog.ttl?page=N, each page linking page next_of[N] with hydra:next."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            n = int(self.path.rsplit("=", 1)[1]) if "page=" in self.path else 1
            nxt = next_of.get(n)
            link = f'; hydra:next "{base}/catalog.ttl?page={nxt}"' if nxt else ""
            body = PAGE.format(base=base, n=n, next=link).encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/turtle; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    base = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield base
    finally:
        server.shutdown()
        server.server_close()


def _titles(graph: Graph) -> set[str]:
    datasets = graph.subjects(ns.RDF.type, ns.DCAT.Dataset)
    return {str(t) for d in datasets for t in graph.objects(d, ns.DCTERMS.title)}


def test_all_hydra_pages_are_read() -> None:
    with _catalogue_server({1: 2, 2: 3, 3: None}) as base:
        loaded = load_catalogue(f"{base}/catalog.ttl")

    assert len(loaded.pages) == 3
    assert _titles(loaded.graph) == {"Datensatz 1", "Datensatz 2", "Datensatz 3"}
    assert loaded.notes == []


def test_a_page_loop_ends_with_a_note() -> None:
    with _catalogue_server({1: 2, 2: 1}) as base:
        loaded = load_catalogue(f"{base}/catalog.ttl?page=1")

    assert len(loaded.pages) == 2
    assert _titles(loaded.graph) == {"Datensatz 1", "Datensatz 2"}
    assert "points back" in loaded.notes[0]


def test_more_pages_than_the_limit_is_an_error() -> None:
    with _catalogue_server({1: 2, 2: 3, 3: None}) as base, pytest.raises(
        CatalogueLoadError, match="more than 2 pages"
    ):
        load_catalogue(f"{base}/catalog.ttl", max_pages=2)
