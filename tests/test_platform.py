"""End-to-end checks of the one-machine platform (test instance) as an operator would see it."""

from __future__ import annotations

import configparser
import contextlib
import os
import shutil
import stat
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import httpx
import psycopg2
import pytest
import redis
from ckanapi import NotAuthorized, NotFound, RemoteCKAN
from smartregion_schemas import catalogue

from smartregion import sample
from smartregion.settings import DEFAULT_PORTS, PlatformSettings
from smartregion.stack import Stack

SYSTEM_PORTS = {5432, 6379, 1883}
SERVICES = ("postgresql", "redis", "mosquitto", "ckan", "broker", "demo-feed", "adapters")
SAMPLE_ORGS = {
    "landkreis-aurich",
    "stadt-emden",
    "landkreis-leer",
    "landkreis-wittmund",
    "smart-region-ostfriesland",
}
SAMPLE_DATASET = "pegelstand-emden-neue-seeschleuse"
SMARTREGION = str(Path(sys.executable).with_name("smartregion"))


def _pids(settings: PlatformSettings) -> dict[str, int | None]:
    return {st.name: st.pid for st in Stack(settings).states()}


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SMARTREGION_INSTANCE": "test"}
    return subprocess.run(
        [SMARTREGION, *args], capture_output=True, text=True, env=env, timeout=300, check=False
    )


# services --------------------------------------------------------------------------------


def test_status_reports_all_services_running(platform_settings: PlatformSettings) -> None:
    result = _cli("status", "--instance", "test")
    assert result.returncode == 0, result.stdout + result.stderr
    for name in SERVICES:
        line = next(ln for ln in result.stdout.splitlines() if ln.strip().startswith(name))
        assert " running " in line, line


def test_up_is_idempotent(platform_settings: PlatformSettings) -> None:
    before = _pids(platform_settings)
    assert all(before.values()), before

    result = _cli("up", "--instance", "test")

    assert result.returncode == 0, result.stdout + result.stderr
    assert _pids(platform_settings) == before
    assert result.stdout.count("already running") == len(SERVICES), result.stdout
    assert "Passwort des Administrators" not in result.stdout  # shown on first creation only


def test_services_listen_on_test_ports_not_system_ports(
    platform_settings: PlatformSettings,
) -> None:
    ports = {name: platform_settings.port(name) for name in DEFAULT_PORTS["test"]}
    assert not SYSTEM_PORTS & set(ports.values())
    assert not set(DEFAULT_PORTS["default"].values()) & set(ports.values())

    # The process listening on each port is the one in our pidfile (ss is in iproute2).
    ss = shutil.which("ss") or "/usr/bin/ss"
    for st in Stack(platform_settings).states():
        if not st.port:  # the adapters are a client, they listen nowhere
            continue
        listeners = subprocess.run(
            [ss, "-Hltnp", f"sport = :{st.port}"], capture_output=True, text=True, check=True
        ).stdout
        assert f"{platform_settings.host}:{st.port}" in listeners, (st.name, listeners)
        assert f"pid={st.pid}," in listeners, (st.name, st.pid, listeners)


def test_ckan_ini_points_at_the_test_services(platform_settings: PlatformSettings) -> None:
    parser = configparser.RawConfigParser(strict=False)
    parser.read(platform_settings.ckan_ini)
    app = parser["app:main"]
    assert urlparse(app["sqlalchemy.url"]).port == platform_settings.port("pg_port")
    assert urlparse(app["ckan.redis.url"]).port == platform_settings.port("redis_port")
    assert app["ckan.site_url"] == platform_settings.ckan_url
    assert app["ckan.plugins"].split()[0] == "pgsearch"


def test_redis_answers(platform_settings: PlatformSettings) -> None:
    client = redis.Redis(host=platform_settings.host, port=platform_settings.port("redis_port"))
    try:
        assert client.ping() is True
    finally:
        client.close()


def test_mosquitto_delivers_a_message(platform_settings: PlatformSettings) -> None:
    host, port = platform_settings.host, str(platform_settings.port("mqtt_port"))
    topic = f"smartregion/test/{uuid.uuid4().hex}"
    subscriber = subprocess.Popen(
        ["mosquitto_sub", "-h", host, "-p", port, "-t", topic, "-C", "1", "-W", "15"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        # Retained, so delivery does not depend on the subscriber having connected first.
        subprocess.run(
            ["mosquitto_pub", "-h", host, "-p", port, "-t", topic, "-m", "Tide", "-r"],
            check=True,
            timeout=15,
        )
        out, _ = subscriber.communicate(timeout=20)
    finally:
        subscriber.kill()
        subprocess.run(
            ["mosquitto_pub", "-h", host, "-p", port, "-t", topic, "-r", "-n"], check=False
        )
    assert out.strip() == "Tide"


def test_database_role_is_not_superuser_and_has_extensions(ckan_db_dsn: str) -> None:
    with psycopg2.connect(ckan_db_dsn) as conn, conn.cursor() as cur:
        cur.execute("SELECT current_user, rolsuper FROM pg_roles WHERE rolname = current_user")
        assert cur.fetchone() == ("ckan", False)
        cur.execute("SELECT extname FROM pg_extension")
        assert {"postgis", "pg_trgm"} <= {row[0] for row in cur.fetchall()}
    conn.close()


def test_secrets_are_private(platform_settings: PlatformSettings) -> None:
    for path in (platform_settings.secrets_file, platform_settings.api_token_file):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path


# CKAN web and API ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path", ["/", "/dataset", "/organization", f"/dataset/{SAMPLE_DATASET}"]
)
def test_web_page_answers(ckan_url: str, path: str) -> None:
    response = httpx.get(ckan_url + path, timeout=60, trust_env=False)
    assert response.status_code == 200, response.text[:500]


def _field(shown: dict[str, Any], key: str) -> Any:
    """A dataset field: top-level (scheming schema active) or from extras (without it)."""
    if key in shown:
        return shown[key]
    return next((e["value"] for e in shown.get("extras", []) if e["key"] == key), None)


def test_sample_catalogue_is_loaded(ckan_anonymous: RemoteCKAN) -> None:
    # Organisations and theme groups come from schemas/ (smartregion catalogue init).
    assert {p.name for p in catalogue.partners()} == SAMPLE_ORGS
    assert set(ckan_anonymous.action.organization_list()) >= SAMPLE_ORGS
    theme_groups = {t.name for t in catalogue.themes()}
    assert len(theme_groups) == 8
    assert set(ckan_anonymous.action.group_list()) >= theme_groups

    bundled = sample.load_bundled()
    assert len(bundled.datasets) >= 12
    assert {d.owner_org for d in bundled.datasets} == SAMPLE_ORGS  # every partner has data
    assert {g for d in bundled.datasets for g in d.groups} == theme_groups  # every theme too
    for dataset in bundled.datasets:
        shown = ckan_anonymous.action.package_show(id=dataset.name)
        assert shown["organization"]["name"] == dataset.owner_org
        assert _field(shown, "spatial"), dataset.name

    # A dataset first shipped with the DCAT-AP.de sample (older instances keep older copies
    # of the other names: the loader never overwrites).
    leerort = ckan_anonymous.action.package_show(id="pegelstand-leerort")
    assert {g["name"] for g in leerort["groups"]} == {"mobilitaet", "klima-energie"}
    assert leerort["license_id"] == "http://dcat-ap.de/def/licenses/dl-zero-de/2.0"
    assert "districtKey/03457" in str(_field(leerort, "political_geocoding_uri"))
    assert "data-theme/TRAN" in str(_field(leerort, "theme"))
    assert [r["format"] for r in leerort["resources"]] == ["JSON"]


def test_anonymous_cannot_write(ckan_anonymous: RemoteCKAN) -> None:
    with pytest.raises(NotAuthorized):
        ckan_anonymous.action.organization_create(name=f"anon-{uuid.uuid4().hex[:8]}")


def test_admin_token_can_create_and_purge_a_dataset(
    ckan_admin: RemoteCKAN, ckan_anonymous: RemoteCKAN
) -> None:
    suffix = uuid.uuid4().hex[:10]
    org_name, dataset_name = f"test-org-{suffix}", f"test-datensatz-{suffix}"
    ckan_admin.action.organization_create(name=org_name, title=f"Testorganisation {suffix}")
    try:
        created = ckan_admin.action.package_create(
            name=dataset_name,
            title="Testdatensatz Wasserstand",
            owner_org=org_name,
            private=False,
            notes="Angelegt von tests/test_platform.py und gleich wieder gelöscht.",
            tags=[{"name": "Test"}],
            resources=[
                {"name": "Messwerte", "url": "https://example.org/werte.csv", "format": "CSV"}
            ],
        )
        assert created["state"] == "active"
        shown = ckan_anonymous.action.package_show(id=dataset_name)
        assert shown["id"] == created["id"]
        assert shown["organization"]["name"] == org_name
    finally:
        for action, ident in (("dataset_purge", dataset_name), ("organization_purge", org_name)):
            with contextlib.suppress(NotFound):
                ckan_admin.call_action(action, {"id": ident})
    assert dataset_name not in ckan_anonymous.action.package_list()
