"""``csw`` source: a geoportal's CSW 2.0.2 with ISO 19139 records (fixtures/csw: 5 records on
2 pages, one of them a service record, one without the GDI-DE keyword ``opendata``)."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

XML = "application/xml; charset=utf-8"
IDS = {f"5f0c6a2e-1d7b-4c1e-9a51-3b2d4e6f7a0{n}" for n in (1, 3, 4, 5)}  # datasets only


def serve_csw(site: Any, page2: str = "csw/getrecords_page2.xml") -> None:
    def answer(query: dict[str, list[str]], body: bytes) -> tuple[int, bytes, str]:
        if query.get("request", [""])[0].lower() == "getcapabilities":
            return 200, site.fixture("csw/capabilities.xml"), XML
        start = re.search(rb'startPosition="(\d+)"', body)
        if start is None:
            return 200, site.fixture("csw/exception.xml"), XML
        name = "csw/getrecords_page1.xml" if start.group(1) == b"1" else page2
        return 200, site.fixture(name), XML

    site.handle("/csw", answer)


@pytest.fixture
def csw_url(site: Any) -> str:
    serve_csw(site)
    return f"{site.url}/csw"


def test_dataset_records_arrive_mapped_after_geodcat_ap(
        site: Any, csw_url: str, harvest: Any) -> None:
    report = harvest.run(harvest.source("csw", csw_url, page_size=3))
    assert report.errors == [] and len(report.added) == 4  # not the service record
    stored = {d["harvest_guid"]: d for d in harvest.datasets()}
    assert set(stored) == IDS
    plans = stored["5f0c6a2e-1d7b-4c1e-9a51-3b2d4e6f7a01"]
    assert plans["title"] == "Bebauungspläne Landkreis Leer"
    assert plans["identifier"] == ("https://registry.gdi-de.org/id/de.ni.leer/"
                                   "5f0c6a2e-1d7b-4c1e-9a51-3b2d4e6f7a01")
    assert plans["license_id"] == "http://dcat-ap.de/def/licenses/dl-by-de/2.0"
    assert plans["access_rights"].endswith("/access-right/PUBLIC")
    assert plans["modified"].startswith("2026-10-14")
    assert plans["provenance"].startswith("Digitalisiert aus den rechtskräftigen Plänen")
    assert plans["theme"] == ["http://publications.europa.eu/resource/authority/data-theme/REGI"]
    assert plans["url"] == "https://www.lkleer.de/bauleitplanung"
    assert {"Bebauungsplan", "opendata", "Verkehrsnetze"} <= {t["name"] for t in plans["tags"]}
    assert sorted(r["format"] for r in plans["resources"]) == ["SHP", "WFS_SRVC", "WMS_SRVC"]
    ring = json.loads(plans["spatial"])["coordinates"][0]
    assert ring[0] == [7.1, 53.05] and ring[2] == [7.7, 53.4]
    bathing = stored["5f0c6a2e-1d7b-4c1e-9a51-3b2d4e6f7a03"]
    assert bathing["license_id"] == "http://dcat-ap.de/def/licenses/dl-zero-de/2.0"
    assert bathing["temporal_coverage"][0]["start"].startswith("2026-05-15")
    dikes = stored["5f0c6a2e-1d7b-4c1e-9a51-3b2d4e6f7a04"]
    assert dikes["originator"].startswith("Landkreis Leer")
    assert [r for r in site.requests if r.startswith("POST")].__len__() == 2

    second = harvest.run(harvest.source("csw", csw_url, page_size=3))
    assert len(second.unchanged) == 4 and not (second.added or second.updated)


def test_only_records_with_the_required_keyword(csw_url: str, harvest: Any) -> None:
    report = harvest.run(harvest.source("csw", csw_url, page_size=3,
                                        require_keyword="opendata"))
    assert report.errors == [] and len(report.added) == 3
    assert "Radwege Landkreis Leer" not in {d["title"] for d in harvest.datasets()}


def test_a_page_cut_off_mid_record_leaves_the_datasets_in_place(
        site: Any, csw_url: str, harvest: Any) -> None:
    source = harvest.source("csw", csw_url, page_size=3)
    harvest.run(source)
    serve_csw(site, page2="csw/getrecords_page2_broken.xml")
    report = harvest.run(source)
    assert not report.gather_complete and report.withdrawn == []
    assert report.errors[0].stage == "gather"
    assert len(harvest.datasets()) == 4
    serve_csw(site, page2="csw/exception.xml")
    report = harvest.run(source)
    assert "Database connection lost" in report.errors[0].message
    assert len(harvest.datasets()) == 4
