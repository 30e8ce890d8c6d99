"""``smartregion catalogue init`` against the running test instance: the organisations and theme
groups of schemas/ are in CKAN, a second run writes nothing, and drift is repaired.

Values are read back from top-level fields (ckanext-scheming schemas active) or from
``extras`` (without them), like the init command itself does.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

from ckanapi import RemoteCKAN
from smartregion_schemas import catalogue

from smartregion.settings import PlatformSettings

SMARTREGION = str(Path(sys.executable).with_name("smartregion"))
DISTRICT_KEY = "http://dcat-ap.de/def/politicalGeocoding/districtKey/"
ADMINISTRATIVE_DISTRICT = "http://dcat-ap.de/def/politicalGeocoding/Level/administrativeDistrict"
THEME = "http://publications.europa.eu/resource/authority/data-theme/"


def _init() -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SMARTREGION_INSTANCE": "test"}
    return subprocess.run(
        [SMARTREGION, "catalogue", "init", "--instance", "test"],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )


def _value(shown: dict[str, Any], key: str) -> Any:
    """A field of a shown organisation/group, top-level or from extras (lists JSON-decoded)."""
    if key in shown:
        value = shown[key]
    else:
        extras = {e["key"]: e["value"] for e in shown.get("extras") or []}
        value = extras.get(key)
    if isinstance(value, str) and value.startswith("["):
        value = json.loads(value)
    return value


def test_five_partner_organisations_with_geocoding(ckan_anonymous: RemoteCKAN) -> None:
    expected_keys = {
        "landkreis-aurich": "03452",
        "stadt-emden": "03402",
        "landkreis-leer": "03457",
        "landkreis-wittmund": "03462",
    }
    for name, key in expected_keys.items():
        org = ckan_anonymous.action.organization_show(id=name)
        assert _value(org, "district_key") == key, org
        assert DISTRICT_KEY + key in _value(org, "political_geocoding_uri")
        assert _value(org, "political_geocoding_level_uri") == ADMINISTRATIVE_DISTRICT
        assert _value(org, "publisher_type") == "http://purl.org/adms/publishertype/LocalAuthority"
        assert _value(org, "contact_email").startswith("opendata@")
        assert _value(org, "homepage").startswith("https://")
    emden = ckan_anonymous.action.organization_show(id="stadt-emden")
    assert _value(emden, "short_code") == "EMD"
    assert sorted(_value(emden, "political_geocoding_uri")) == [
        DISTRICT_KEY + "03402",
        "http://dcat-ap.de/def/politicalGeocoding/municipalityKey/03402000",
    ]
    region = ckan_anonymous.action.organization_show(id="smart-region-ostfriesland")
    assert region["title"] == "Smart Region Ostfriesland"
    assert sorted(_value(region, "political_geocoding_uri")) == sorted(
        DISTRICT_KEY + key for key in expected_keys.values()
    )
    assert _value(region, "publisher_type") == (
        "http://purl.org/adms/publishertype/RegionalAuthority"
    )


def test_eight_theme_groups_with_eu_themes(ckan_anonymous: RemoteCKAN) -> None:
    groups = set(ckan_anonymous.action.group_list())
    expected = {
        "bildung": {"EDUC"},
        "daten-verwaltung": {"GOVE"},
        "klima-energie": {"ENVI", "ENER"},
        "region": {"REGI"},
        "gesundheit": {"HEAL"},
        "wirtschaft": {"ECON"},
        "mobilitaet": {"TRAN"},
        "tourismus": {"ECON", "REGI"},
    }
    assert groups >= set(expected)
    for name, codes in expected.items():
        group = ckan_anonymous.action.group_show(id=name, include_datasets=False)
        assert set(_value(group, "eu_themes")) == {THEME + code for code in codes}, group
    assert ckan_anonymous.action.group_show(id="mobilitaet")["title"] == "Mobilität"


def test_second_run_changes_nothing(platform_settings: PlatformSettings) -> None:
    first = _init()  # brings the instance in step, whatever other tests did before
    assert first.returncode == 0, first.stdout + first.stderr
    second = _init()
    assert second.returncode == 0, second.stdout + second.stderr
    total = len(catalogue.partners()) + len(catalogue.themes())
    assert second.stdout.count("unverändert / unchanged") == total + 1, second.stdout  # + summary
    assert f"unverändert / unchanged {total}" in second.stdout
    assert "neu / created 0" in second.stdout and "aktualisiert / updated 0" in second.stdout
    assert json.loads(platform_settings.licenses_file.read_text("utf-8")) == (
        catalogue.ckan_license_register()
    )


def test_altered_title_is_restored(ckan_admin: RemoteCKAN) -> None:
    name = "landkreis-wittmund"
    ckan_admin.action.organization_patch(id=name, title="Kreis Wittmund (geändert im Test)")
    try:
        result = _init()
        assert result.returncode == 0, result.stdout + result.stderr
        assert f"Organisation {name}: aktualisiert / updated (title)" in result.stdout
        assert "aktualisiert / updated 1" in result.stdout
    finally:
        restored = ckan_admin.action.organization_show(id=name)
        if restored["title"] != "Landkreis Wittmund":  # leave the instance as we found it
            ckan_admin.action.organization_patch(id=name, title="Landkreis Wittmund")
    assert restored["title"] == "Landkreis Wittmund"
    # Fields init does not own survive the update.
    assert _value(restored, "district_key") == "03462"


def test_init_reports_api_errors_with_non_zero_exit(tmp_path: Path) -> None:
    # An instance whose CKAN does not answer: a free port, a token, a data directory.
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        free_port = probe.getsockname()[1]
    (tmp_path / "ckan").mkdir()
    (tmp_path / "api-token").write_text("not-a-token\n")
    env = {
        **os.environ,
        "SMARTREGION_INSTANCE": "test",
        "SMARTREGION_DATA_DIR": str(tmp_path),
        "SMARTREGION_CKAN_PORT": str(free_port),
    }
    result = subprocess.run(
        [SMARTREGION, "catalogue", "init", "--instance", "test"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert result.returncode == 1, result.stdout + result.stderr
    assert "smartregion: Fehler / error: CKAN-API-Fehler / API error" in result.stderr
    assert "Traceback" not in result.stderr
