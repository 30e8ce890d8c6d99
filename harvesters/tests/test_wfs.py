"""``wfs`` source: WFS 2.0 feature types in EPSG:25832 become datasets with a WGS84 GeoJSON
distribution in CKAN's file store (fixtures/wfs: GML 3.2, positions listed in
known_points.csv)."""

from __future__ import annotations

import csv
import json
from typing import Any

import httpx
import pytest
from pyproj import Geod

from smartregion.settings import PlatformSettings

XML = "text/xml; charset=utf-8"
GEOD = Geod(ellps="WGS84")


def serve_wfs(site: Any, failing: set[str] = frozenset()) -> None:
    def answer(query: dict[str, list[str]], _: bytes) -> tuple[int, bytes, str]:
        request = query.get("request", [""])[0].lower()
        if request == "getcapabilities":
            return 200, site.fixture("wfs/capabilities.xml"), XML
        if request == "getfeature":
            typename = (query.get("typenames") or query.get("typename") or [""])[0]
            if typename in failing:
                return 200, site.fixture("wfs/exception.xml"), XML
            return 200, site.fixture(f"wfs/features_{typename.split(':')[-1]}.xml"), XML
        return 400, b"unsupported", "text/plain"

    site.handle("/wfs", answer)


@pytest.fixture
def wfs_url(site: Any) -> str:
    serve_wfs(site)
    return f"{site.url}/wfs"


def known_points(site: Any) -> list[dict[str, str]]:
    return list(csv.DictReader(site.fixture("wfs/known_points.csv").decode().splitlines()))


def uploaded_geojson(dataset: dict[str, Any], token: str) -> dict[str, Any]:
    (resource,) = [r for r in dataset["resources"] if r["format"] == "GEOJSON"]
    assert resource["url_type"] == "upload"
    answer = httpx.get(resource["url"], headers={"Authorization": token}, timeout=30)
    assert answer.status_code == 200
    return json.loads(answer.content)


def test_features_arrive_in_wgs84_within_a_metre(
        site: Any, wfs_url: str, harvest: Any, platform_settings: PlatformSettings) -> None:
    report = harvest.run(harvest.source("wfs", wfs_url))
    assert report.errors == [] and len(report.added) == 3
    token = platform_settings.api_token_file.read_text().strip()
    by_type = {d["harvest_guid"].rsplit("#", 1)[-1]: d for d in harvest.datasets()}
    assert set(by_type) == {"emd:schulen", "emd:spielplaetze", "emd:radwege"}
    checked = 0
    for type_name in ("emd:schulen", "emd:spielplaetze"):
        collection = uploaded_geojson(by_type[type_name], token)
        positions = {f["properties"]["name"]: f["geometry"]["coordinates"]
                     for f in collection["features"]}
        for point in known_points(site):
            if point["feature_type"] != type_name:
                continue
            lon, lat = positions[point["name"]]
            _, _, metres = GEOD.inv(float(point["lon"]), float(point["lat"]), lon, lat)
            assert metres < 1.0, (point["name"], metres)
            checked += 1
    assert checked == 9
    lines = uploaded_geojson(by_type["emd:radwege"], token)
    assert {f["geometry"]["type"] for f in lines["features"]} == {"LineString"}


def test_the_dataset_describes_the_feature_type_and_links_the_service(
        wfs_url: str, harvest: Any) -> None:
    harvest.run(harvest.source("wfs", wfs_url))
    schools = next(d for d in harvest.datasets() if d["harvest_guid"].endswith("#emd:schulen"))
    assert schools["title"] == "Schulen in Emden"
    assert schools["license_id"] == "http://dcat-ap.de/def/licenses/dl-by-de/2.0"
    assert {"Schulen", "Bildung"} <= {t["name"] for t in schools["tags"]}
    west, south, east, north = bbox(json.loads(schools["spatial"]))
    assert 7.15 < west < east < 7.24 and 53.35 < south < north < 53.38
    service = next(r for r in schools["resources"] if r["format"] == "WFS_SRVC")
    assert "REQUEST=GetCapabilities" in service["url"]
    assert "EPSG:25832" in next(r for r in schools["resources"]
                                if r["format"] == "GEOJSON")["description"]


def test_unchanged_features_are_not_uploaded_again(wfs_url: str, harvest: Any) -> None:
    source = harvest.source("wfs", wfs_url)
    harvest.run(source)
    second = harvest.run(source)
    assert len(second.unchanged) == 3 and not second.updated


def test_a_feature_type_the_service_fails_on_is_an_error_the_others_arrive(
        site: Any, harvest: Any) -> None:
    serve_wfs(site, failing={"emd:radwege"})
    report = harvest.run(harvest.source("wfs", f"{site.url}/wfs"))
    assert len(report.added) == 2
    (error,) = report.errors
    assert error.stage == "fetch" and "Backend database not available" in error.message


def test_an_unreachable_service_is_a_gather_error(harvest: Any) -> None:
    report = harvest.run(harvest.source("wfs", "http://127.0.0.1:9/wfs"))
    assert not report.gather_complete and report.errors[0].stage == "gather"
    assert report.added == []


def bbox(geometry: dict[str, Any]) -> tuple[float, float, float, float]:
    ring = geometry["coordinates"][0]
    xs, ys = [p[0] for p in ring], [p[1] for p in ring]
    return min(xs), min(ys), max(xs), max(ys)
