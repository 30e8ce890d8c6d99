"""Benchmark of the DCAT harvester against raw ``package_create`` calls, in one run.

``--records`` synthetic DCAT-AP.de datasets (two distributions each, keywords, themes,
political geocoding) are served as a paged Turtle catalogue (``--page-size`` per page,
``hydra:next``) from a local HTTP server. Then, in the ``bench`` instance's CKAN:

1. **harvest**: ``smartregion_harvesters`` harvests the catalogue into a fresh
   organisation — paging, parsing, mapping, validation, index of the catalogue, import;
2. **raw**: the same records, parsed beforehand (not timed) with the catalogue's
   ``dcatap_de`` profile, are created with one ``package_create`` call each into another
   fresh organisation — the least any import must do. (In this order because the harvester
   would rightly refuse the records as duplicates of the raw ones.)

Reported: records/s of both and their ratio; issue #7 asks for a harvest rate of ≥ 70 % of
the raw rate. Both organisations are purged afterwards (``--keep`` keeps them).
Results: ``bench/results/harvest-<timestamp>.json``.
"""

from __future__ import annotations

import argparse
import os
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from ckanapi import RemoteCKAN
from smartregion_harvesters import ckan_runtime
from smartregion_harvesters.catalogue import Catalogue
from smartregion_harvesters.config import PartnerConfig, SourceConfig
from smartregion_harvesters.runner import PlannedSource, Runner

from bench.results import save_report
from smartregion import credentials
from smartregion.settings import PlatformSettings

THEMES = ("ENVI", "TRAN", "GOVE", "SOCI", "EDUC", "ECON")
PREFIXES = """@prefix dcat: <http://www.w3.org/ns/dcat#> .
@prefix dct: <http://purl.org/dc/terms/> .
@prefix dcatde: <http://dcat-ap.de/def/dcatde/> .
@prefix hydra: <http://www.w3.org/ns/hydra/core#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@prefix vcard: <http://www.w3.org/2006/vcard/ns#> .
"""
BASE = "https://daten.bench.example"


def record(n: int) -> str:
    uri = f"{BASE}/dataset/d{n}"
    theme = THEMES[n % len(THEMES)]
    distributions = ""
    for kind, media in (("CSV", "text/csv"), ("GEOJSON", "application/geo+json")):
        distributions += (
            f"<{uri}/{kind}> a dcat:Distribution ; dct:title \"Daten {n} ({kind})\"@de ;\n"
            f"  dcat:accessURL <{BASE}/files/d{n}.{kind.lower()}> ;\n"
            f"  dcat:downloadURL <{BASE}/files/d{n}.{kind.lower()}> ;\n"
            f"  dct:format <http://publications.europa.eu/resource/authority/file-type/{kind}> ;\n"
            f"  dcat:mediaType <https://www.iana.org/assignments/media-types/{media}> ;\n"
            "  dct:license <http://dcat-ap.de/def/licenses/dl-by-de/2.0> .\n")
    return (
        f"<{uri}> a dcat:Dataset ;\n"
        f"  dct:title \"Beispieldatensatz {n}: Messwerte Bezirk {n % 37}\"@de ;\n"
        f"  dct:description \"Synthetischer Datensatz {n} für den Harvesting-Benchmark, mit "
        f"Schlagworten, Thema und zwei Distributionen.\"@de ;\n"
        f"  dct:identifier \"{uri}\" ;\n"
        f"  dct:modified \"2026-11-{1 + n % 28:02d}T10:00:00\"^^xsd:dateTime ;\n"
        f"  dcat:keyword \"Messwerte\"@de, \"Bezirk {n % 37}\"@de, \"Benchmark\"@de ;\n"
        f"  dcat:theme <http://publications.europa.eu/resource/authority/data-theme/{theme}> ;\n"
        "  dcatde:politicalGeocodingURI "
        "<http://dcat-ap.de/def/politicalGeocoding/districtKey/03402> ;\n"
        "  dcat:contactPoint [ a vcard:Organization ; vcard:fn \"Bench-Stelle\" ; "
        "vcard:hasEmail <mailto:bench@bench.example> ] ;\n"
        f"  dcat:distribution <{uri}/CSV>, <{uri}/GEOJSON> .\n" + distributions)


def pages(records: int, page_size: int, url: str) -> dict[int, bytes]:
    count = (records + page_size - 1) // page_size
    served: dict[int, bytes] = {}
    for page in range(1, count + 1):
        numbers = range((page - 1) * page_size, min(page * page_size, records))
        following = f'  hydra:next "{url}?page={page + 1}" ;\n' if page < count else ""
        served[page] = (
            PREFIXES + f"<{url}?page={page}> a hydra:PagedCollection ;\n{following}"
            f"  hydra:totalItems {records} ; hydra:itemsPerPage {page_size} .\n"
            + "".join(record(n) for n in numbers)).encode()
    return served


def serve(served: dict[int, bytes]) -> tuple[ThreadingHTTPServer, str]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            page = int(parse_qs(urlsplit(self.path).query).get("page", ["1"])[0])
            body = served.get(page, b"")
            self.send_response(200 if body else 404)
            self.send_header("Content-Type", "text/turtle")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}/catalog.ttl"


def raw_creates(ckan: RemoteCKAN, served: dict[int, bytes], organization: str) -> float:
    """Seconds for one package_create per record (parsing beforehand, not timed)."""
    datasets: list[dict[str, Any]] = []
    for body in served.values():
        parser = ckan_runtime.rdf_parser(["dcatap_de"])
        parser.parse(body.decode(), _format="turtle")
        datasets.extend(parser.datasets())
    started = time.perf_counter()
    for n, dataset in enumerate(datasets):
        dataset.pop("id", None)
        ckan.action.package_create(**{**dataset, "name": f"{organization}-{n}",
                                      "owner_org": organization})
    return time.perf_counter() - started


def harvest(ckan: RemoteCKAN, url: str, organization: str) -> tuple[float, dict[str, int]]:
    source = SourceConfig(name="bench", type="dcat", url=url, timeout_seconds=120)
    partner = PartnerConfig(organization=organization, sources=[source])
    started = time.perf_counter()
    job = Runner(Catalogue(ckan)).run([PlannedSource("bench", partner, source)])
    seconds = time.perf_counter() - started
    (report,) = job.sources
    if report.errors or report.duplicates:
        raise SystemExit(f"harvest reported errors or duplicates: "
                         f"{(report.errors + report.duplicates)[:3]}")
    return seconds, report.counts()


def purge(ckan: RemoteCKAN, organization: str) -> None:
    while True:
        found = ckan.action.package_search(fq=f"organization:{organization}", rows=1000,
                                           include_private=True)["results"]
        if not found:
            break
        for dataset in found:
            ckan.action.dataset_purge(id=dataset["id"])
    ckan.action.organization_purge(id=organization)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--instance", default="bench")
    parser.add_argument("--records", type=int, default=5000)
    parser.add_argument("--page-size", type=int, default=500)
    parser.add_argument("--keep", action="store_true", help="keep the two organisations")
    args = parser.parse_args()
    settings = PlatformSettings(instance=args.instance)
    os.environ["CKAN_INI"] = str(settings.ckan_ini)
    ckan = RemoteCKAN(settings.ckan_url,
                      apikey=credentials.read_token(settings.api_token_file))
    run_id = uuid.uuid4().hex[:6]
    raw_org, harvest_org = f"bench-raw-{run_id}", f"bench-harvest-{run_id}"
    for name in (raw_org, harvest_org):
        ckan.action.organization_create(name=name, title=name)
    served: dict[int, bytes] = {}
    server, url = serve(served)  # the pages name the server's URL in hydra:next
    served.update(pages(args.records, args.page_size, url))
    try:
        # harvest first: it reports records already in the catalogue (same dct:identifier)
        # as duplicates instead of importing them a second time
        harvest_seconds, counts = harvest(ckan, url + "?page=1", harvest_org)
        raw_seconds = raw_creates(ckan, served, raw_org)
    finally:
        server.shutdown()
        if not args.keep:
            purge(ckan, raw_org)
            purge(ckan, harvest_org)
    raw_rate = args.records / raw_seconds
    harvest_rate = counts["added"] / harvest_seconds
    report = {"records": args.records, "page_size": args.page_size,
              "raw_package_create_per_s": round(raw_rate, 1),
              "harvest_per_s": round(harvest_rate, 1),
              "ratio": round(harvest_rate / raw_rate, 3), "harvest_counts": counts,
              "raw_seconds": round(raw_seconds, 1), "harvest_seconds": round(harvest_seconds, 1)}
    path = save_report("harvest", report)
    print(f"raw package_create: {raw_rate:.1f} records/s ({raw_seconds:.0f} s)")
    print(f"harvest (dcat):     {harvest_rate:.1f} records/s ({harvest_seconds:.0f} s)")
    print(f"ratio:              {harvest_rate / raw_rate:.1%} (issue #7: ≥ 70 %)  → {path}")


if __name__ == "__main__":
    main()
