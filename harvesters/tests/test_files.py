"""``files`` source: CSV (cp1252 and UTF-8 with BOM), XLSX, GeoJSON and a zipped Shapefile
in EPSG:25832, listed in YAML or by a web server's directory index (fixtures/files)."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import httpx
import pytest

from smartregion.settings import PlatformSettings

FILES = ("spielplaetze_wittmund.csv", "abfallkalender_2027.csv", "schulen_wittmund.xlsx",
         "badestellen.geojson", "verwaltungsstandorte.zip")


@pytest.fixture
def file_server(site: Any) -> Any:
    for name in FILES:
        site.serve(f"/files/{name}", f"files/{name}", "application/octet-stream")
    site.serve("/files/files.yaml", "files/files.yaml", "application/yaml")
    site.serve("/files/", "files/index.html", "text/html; charset=utf-8")
    return site


def download(resource: dict[str, Any], settings: PlatformSettings) -> bytes:
    token = settings.api_token_file.read_text().strip()
    answer = httpx.get(resource["url"], headers={"Authorization": token}, timeout=30)
    assert answer.status_code == 200
    return answer.content


def test_a_yaml_list_of_files_becomes_previewable_datasets(
        file_server: Any, harvest: Any, platform_settings: PlatformSettings) -> None:
    report = harvest.run(harvest.source("files", f"{file_server.url}/files/files.yaml"))
    assert report.errors == [] and len(report.added) == 5
    by_file = {d["harvest_guid"].rsplit("/", 1)[-1]: d for d in harvest.datasets()}
    assert set(by_file) == set(FILES)

    playgrounds = by_file["spielplaetze_wittmund.csv"]
    assert playgrounds["title"] == "Spielplätze im Landkreis Wittmund"
    assert "Windows-1252" in playgrounds["notes"] and "Fläche m²" in playgrounds["notes"]
    copy = next(r for r in playgrounds["resources"] if r.get("url_type") == "upload")
    rows = list(csv.reader(io.StringIO(download(copy, platform_settings).decode("utf-8"))))
    assert rows[0] == ["Name", "Straße", "Fläche m²", "Geräte"]
    assert rows[1][2] == "1250,5" and len(rows) == 4
    original = next(r for r in playgrounds["resources"] if r.get("url_type") != "upload")
    assert original["url"].endswith("/files/spielplaetze_wittmund.csv")

    calendar = by_file["abfallkalender_2027.csv"]
    assert calendar["license_id"] == "http://dcat-ap.de/def/licenses/dl-zero-de/2.0"
    assert "UTF-8" in calendar["notes"] and "bezirk" in calendar["notes"]  # BOM dropped

    schools = by_file["schulen_wittmund.xlsx"]
    copy = next(r for r in schools["resources"] if r.get("url_type") == "upload")
    assert download(copy, platform_settings).decode().splitlines()[1] == (
        "Alexander-von-Humboldt-Schule,Wittmund,812")

    offices = by_file["verwaltungsstandorte.zip"]
    geojson = next(r for r in offices["resources"] if r["format"] == "GEOJSON")
    features = json.loads(download(geojson, platform_settings))["features"]
    lon, lat = features[0]["geometry"]["coordinates"]
    assert abs(lon - 7.7838) < 1e-5 and abs(lat - 53.5768) < 1e-5  # from EPSG:25832
    bathing = by_file["badestellen.geojson"]
    assert json.loads(bathing["spatial"])["type"] == "Polygon"

    second = harvest.run(harvest.source("files", f"{file_server.url}/files/files.yaml"))
    assert len(second.unchanged) == 5 and not second.updated


def test_a_directory_listing_is_read_for_files_of_known_types(
        file_server: Any, harvest: Any) -> None:
    report = harvest.run(harvest.source("files", f"{file_server.url}/files/"))
    assert report.errors == [] and len(report.added) == 3  # liesmich.txt is not a data file
    titles = {d["title"] for d in harvest.datasets()}
    assert titles == {"Abfallkalender 2027", "Badestellen", "Spielplaetze wittmund"}


def test_a_missing_file_is_an_error_of_that_file_only(file_server: Any, harvest: Any) -> None:
    file_server.serve("/files/schulen_wittmund.xlsx", body=b"gone", status=404)
    report = harvest.run(harvest.source("files", f"{file_server.url}/files/files.yaml"))
    assert len(report.added) == 4
    (error,) = report.errors
    assert error.guid.endswith("schulen_wittmund.xlsx") and "HTTP 404" in error.message
