"""A partner editor (not a sysadmin) publishes a dataset through the German web form.

End to end over HTTP like a browser: log in, fill in only the required fields of the
dataset form, add one distribution, publish. The result must be valid DCAT-AP.de for
GovData (zero violations in all three official shape sets).
"""

from __future__ import annotations

import html
import re
import subprocess
import uuid
from collections.abc import Iterator

import httpx
import pytest
from ckanapi import RemoteCKAN

from smartregion.settings import PlatformSettings

HIDDEN_INPUT = re.compile(r'<input[^>]*type="hidden"[^>]*>', re.IGNORECASE)
ATTRIBUTE = re.compile(r'(name|value)="([^"]*)"')


def hidden_fields(page: str) -> dict[str, str]:
    """The hidden inputs of a CKAN form (CSRF token, form phase …)."""
    fields = {}
    for tag in HIDDEN_INPUT.findall(page):
        attributes = dict(ATTRIBUTE.findall(tag))
        if "name" in attributes:
            fields[attributes["name"]] = html.unescape(attributes.get("value", ""))
    return fields


@pytest.fixture(scope="module")
def editor(ckan_admin: RemoteCKAN) -> Iterator[tuple[str, str, str]]:
    """A user who is editor in one partner organisation, and that organisation."""
    suffix = uuid.uuid4().hex[:8]
    org = ckan_admin.action.organization_create(
        name=f"formular-{suffix}",
        title="Landkreis Formular",
        contact_email="opendata@landkreis-formular.de",
        homepage="https://www.landkreis-formular.de",
        publisher_type="http://purl.org/adms/publishertype/LocalAuthority",
        political_geocoding_uri=["http://dcat-ap.de/def/politicalGeocoding/districtKey/03457"],
        political_geocoding_level_uri=(
            "http://dcat-ap.de/def/politicalGeocoding/Level/administrativeDistrict"
        ),
    )
    name, password = f"redakteurin-{suffix}", uuid.uuid4().hex
    ckan_admin.action.user_create(name=name, email=f"{name}@example.org", password=password)
    ckan_admin.action.organization_member_create(id=org["id"], username=name, role="editor")
    yield name, password, org["id"]
    for dataset in ckan_admin.action.package_search(
        fq=f"owner_org:{org['id']}", include_drafts=True, include_private=True
    )["results"]:
        ckan_admin.action.dataset_purge(id=dataset["id"])
    ckan_admin.action.organization_purge(id=org["id"])
    ckan_admin.action.user_delete(id=name)


def log_in(client: httpx.Client, name: str, password: str) -> None:
    page = client.get("/user/login")
    form = hidden_fields(page.text)
    response = client.post("/user/login", data={**form, "login": name, "password": password})
    assert response.status_code == 302, response.text[:500]
    assert "/user/login" not in response.headers["location"]


def test_editor_publishes_a_valid_dataset_through_the_form(
    ckan_url: str,
    ckan_admin: RemoteCKAN,
    editor: tuple[str, str, str],
    platform_settings: PlatformSettings,
) -> None:
    user, password, org_id = editor
    dataset_name = f"badestellen-{uuid.uuid4().hex[:6]}"
    assert not ckan_admin.action.user_show(id=user)["sysadmin"]
    with httpx.Client(base_url=ckan_url, follow_redirects=False, timeout=60) as client:
        log_in(client, user, password)

        form = client.get("/dataset/new")
        assert form.status_code == 200
        for label in ("Titel", "Beschreibung", "Schlagwörter", "Lizenz", "Datenlizenz Deutschland"):
            assert label in form.text, label
        created = client.post(
            "/dataset/new",
            data={
                **hidden_fields(form.text),
                "title": "Badestellen im Landkreis",
                "name": dataset_name,
                "notes": "Lage und Wasserqualität der EU-Badestellen.",
                "tag_string": "Badegewässer, Freizeit",
                "owner_org": org_id,
                "license_id": "http://dcat-ap.de/def/licenses/dl-by-de/2.0",
                "save": "",
            },
        )
        assert created.status_code == 302, created.text[:2000]
        resource_page = client.get(created.headers["location"])
        assert resource_page.status_code == 200
        published = client.post(
            created.headers["location"],
            data={
                **hidden_fields(resource_page.text),
                "url": "https://www.landkreis-formular.de/daten/badestellen.csv",
                "name": "Badestellen (CSV)",
                "format": "CSV",
                "save": "go-metadata",
            },
        )
        assert published.status_code == 302, published.text[:2000]

    dataset = ckan_admin.action.package_show(id=dataset_name)
    assert dataset["state"] == "active"
    assert dataset["owner_org"] == org_id
    assert ckan_admin.action.user_show(id=user)["id"] == dataset["creator_user_id"]
    assert dataset["resources"][0]["format"] == "CSV"

    report = subprocess.run(
        [
            str(platform_settings.venv_bin("smartregion")), "catalogue", "validate",
            "--instance", "test", "--url", f"{ckan_url}/dataset/{dataset_name}.ttl",
        ],
        capture_output=True, text=True, timeout=300,
    )
    assert report.returncode == 0, report.stdout[-4000:] + report.stderr[-2000:]
