"""``ckan`` source: another CKAN's package_search, paged (fixtures/ckan: 5 datasets, 2 pages
of 3), and duplicates across sources by dct:identifier."""

from __future__ import annotations

import json
from typing import Any

import pytest

JSON = "application/json"


def serve_ckan(site: Any, failing_start: int | None = None) -> None:
    def answer(query: dict[str, list[str]], _: bytes) -> tuple[int, bytes, str]:
        start = int(query.get("start", ["0"])[0])
        if start == failing_start:
            return 200, site.fixture("ckan/package_search_error.json"), JSON
        return 200, site.fixture(f"ckan/package_search_start{start}.json"), JSON

    site.handle("/api/3/action/package_search", answer)


@pytest.fixture
def ckan_source(site: Any) -> str:
    serve_ckan(site)
    return site.url


def remote_ids(site: Any) -> set[str]:
    return {d["id"] for start in (0, 3)
            for d in json.loads(site.fixture(f"ckan/package_search_start{start}.json"))
            ["result"]["results"]}


def test_all_pages_arrive_mapped_and_a_second_run_skips_unmodified(
        site: Any, ckan_source: str, harvest: Any) -> None:
    source = harvest.source("ckan", ckan_source, rows=3)
    report = harvest.run(source)
    assert report.errors == [] and len(report.added) == 5
    stored = {d["harvest_guid"]: d for d in harvest.datasets()}
    assert set(stored) == remote_ids(site)
    streets = stored["7c1e0f3a-0000-4000-8000-000000000001"]
    assert streets["license_id"] == "http://dcat-ap.de/def/licenses/dl-by-de/2.0"
    assert streets["political_geocoding_uri"] == [
        "http://dcat-ap.de/def/politicalGeocoding/municipalityKey/034520019"]
    assert streets["harvest_original_url"] == f"{ckan_source}/dataset/strassenverzeichnis"
    assert streets["resources"][0]["format"] == "CSV"
    events = stored["7c1e0f3a-0000-4000-8000-000000000003"]
    assert events["notes"] == events["title"]  # no description at the source
    assert events["resources"][0]["format"] == "OCTET"  # iCalendar: no EU code offered
    assert events["theme"] == ["http://publications.europa.eu/resource/authority/data-theme/EDUC"]
    warned = {(w.guid, w.message.split(":")[0]) for w in report.warnings}
    assert ("7c1e0f3a-0000-4000-8000-000000000003", "no description") in warned
    assert json.loads(stored["7c1e0f3a-0000-4000-8000-000000000002"]["spatial"])["type"] == "Point"

    second = harvest.run(source)
    assert len(second.unchanged) == 5 and not (second.added or second.updated)
    assert [r for r in site.requests if "start=" in r][-2:] == [
        r for r in site.requests if "start=" in r][:2]  # same two pages again


def test_an_error_answer_on_page_two_leaves_everything_in_place(
        site: Any, ckan_source: str, harvest: Any) -> None:
    source = harvest.source("ckan", ckan_source, rows=3)
    harvest.run(source)
    serve_ckan(site, failing_start=3)
    report = harvest.run(source)
    assert report.status == "failed" and "Search Index Error" in report.errors[0].message
    assert report.withdrawn == [] and len(harvest.datasets()) == 5


def test_a_record_another_source_already_brought_is_reported_not_imported_twice(
        site: Any, ckan_source: str, harvest: Any) -> None:
    harvest.run(harvest.source("ckan", ckan_source, rows=3))
    # the same portal configured a second time, under another source name
    twin = harvest.source("ckan", ckan_source, rows=3)
    twin = type(twin)(twin.partner_name, twin.partner,
                      twin.source.model_copy(update={"name": "ckan-twin"}))
    report = harvest.run(twin)
    assert report.added == [] and len(report.duplicates) == 5
    assert {d["existing"][0]["source"] for d in report.duplicates} == {"testpartner/ckan"}
    assert len(harvest.datasets()) == 5
