"""CKAN's search on ckanext-pgsearch, against the real test instance (CKAN + PostgreSQL).

Every test works on datasets of one organisation created for this module, and
filters on it, so the sample catalogue and other tests cannot change the counts.
Expected values are computed from the datasets created here, not hard-coded.
"""

from __future__ import annotations

import json
import subprocess
import uuid
from collections import Counter
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from ckanapi import RemoteCKAN
from ckanapi.errors import SearchQueryError, ValidationError
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine

from smartregion.settings import PlatformSettings

EMDEN_EXTENT = {
    "type": "Polygon",
    "coordinates": [[[7.1, 53.3], [7.3, 53.3], [7.3, 53.4], [7.1, 53.4], [7.1, 53.3]]],
}

DATASETS: list[dict[str, Any]] = [
    {
        "slug": "pegel",
        "title": "Pegelstand Emden Neue Seeschleuse",
        "notes": "Wasserstand der Ems in Zentimetern, alle 10 Minuten.",
        "tags": ["wasser", "tide", "echtzeit"],
        "formats": ["CSV", "CSV", "JSON"],
        "license_id": "http://dcat-ap.de/def/licenses/cc-by/4.0",
        "spatial": EMDEN_EXTENT,
    },
    {
        "slug": "luft",
        "title": "Luftqualität Ostfriesland",
        "notes": "Feinstaub PM10 und Stickstoffdioxid der Messstation Ostfriesland.",
        "tags": ["umwelt", "echtzeit"],
        "formats": ["JSON"],
        "license_id": "http://dcat-ap.de/def/licenses/cc-zero",
    },
    {
        "slug": "lade",
        "title": "Ladesäulen im Landkreis Leer",
        "notes": "Öffentliche Ladepunkte für Elektrofahrzeuge.",
        "tags": ["energie", "verkehr"],
        "formats": ["GEOJSON", "CSV"],
        "license_id": "http://dcat-ap.de/def/licenses/cc-by/4.0",
    },
    {
        "slug": "haushalt",
        "title": "Haushaltsplan 2026",
        "notes": "Der Haushalt des Landkreises als Tabelle.",
        "tags": ["haushalt"],
        "formats": ["XLSX"],
        "license_id": "http://dcat-ap.de/def/licenses/dl-zero-de/2.0",
    },
]


# -- fixtures ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def org(ckan_admin: RemoteCKAN) -> Iterator[str]:
    name = f"pgsearch-test-{uuid.uuid4().hex[:8]}"
    ckan_admin.action.organization_create(name=name, title=f"Suchtest {name[-8:]}")
    yield name
    for dataset in ckan_admin.action.package_search(
        fq=f"owner_org:{_org_id(ckan_admin, name)}",
        rows=1000,
        include_private=True,
        include_drafts=True,
        include_deleted=True,
    )["results"]:
        ckan_admin.action.dataset_purge(id=dataset["id"])
    ckan_admin.action.organization_purge(id=name)


@pytest.fixture(scope="module")
def datasets(ckan_admin: RemoteCKAN, org: str) -> dict[str, dict[str, Any]]:
    created = {}
    for spec in DATASETS:
        created[spec["slug"]] = ckan_admin.action.package_create(**_payload(spec, org))
    return created


@pytest.fixture(scope="module")
def db(ckan_db_dsn: str) -> Iterator[Engine]:
    engine = create_engine(ckan_db_dsn)
    yield engine
    engine.dispose()


def _payload(spec: dict[str, Any], org: str, **overrides: Any) -> dict[str, Any]:
    payload = {
        "name": f"{org}-{spec['slug']}",
        "title": spec["title"],
        "notes": spec["notes"],
        "owner_org": org,
        "license_id": spec["license_id"],
        "tags": [{"name": tag} for tag in spec["tags"]],
        "resources": [
            {"url": f"https://example.invalid/{spec['slug']}/{i}", "format": fmt}
            for i, fmt in enumerate(spec["formats"])
        ],
    }
    if "spatial" in spec:
        payload["spatial"] = json.dumps(spec["spatial"])
    payload.update(overrides)
    return payload


def _org_id(ckan: RemoteCKAN, name: str) -> str:
    return ckan.action.organization_show(id=name)["id"]


def _names(result: dict[str, Any]) -> list[str]:
    return [dataset["name"] for dataset in result["results"]]


def _search(ckan: RemoteCKAN, org: str, **params: Any) -> dict[str, Any]:
    fq = f"+organization:{org} " + params.pop("fq", "")
    return ckan.action.package_search(fq=fq, **params)


# -- writes ------------------------------------------------------------------------------------


def test_created_dataset_is_indexed_when_create_returns(
    datasets: dict[str, dict[str, Any]], db: Engine, ckan_anonymous: RemoteCKAN, org: str
) -> None:
    with db.connect() as connection:
        rows = connection.execute(
            text("SELECT name, organization, tags FROM pgsearch_index WHERE organization = :o"),
            {"o": org},
        ).all()
    assert {row.name for row in rows} == {d["name"] for d in datasets.values()}
    assert _search(ckan_anonymous, org)["count"] == len(DATASETS)


def test_update_replaces_the_index_entry(
    ckan_admin: RemoteCKAN, ckan_anonymous: RemoteCKAN, org: str, datasets: dict[str, Any]
) -> None:
    spec = next(s for s in DATASETS if s["slug"] == "haushalt")
    ckan_admin.action.package_patch(
        id=datasets["haushalt"]["id"], title="Haushaltssatzung Kreistag"
    )
    try:
        assert _names(_search(ckan_anonymous, org, q="Haushaltssatzung")) == [
            datasets["haushalt"]["name"]
        ]
        assert _search(ckan_anonymous, org, q="Haushaltsplan")["count"] == 0
    finally:
        ckan_admin.action.package_patch(id=datasets["haushalt"]["id"], title=spec["title"])
    assert _search(ckan_anonymous, org, q="Haushaltsplan")["count"] == 1


def test_deleted_dataset_is_hidden_unless_asked_for_and_purge_removes_it(
    ckan_admin: RemoteCKAN, ckan_anonymous: RemoteCKAN, org: str, db: Engine
) -> None:
    spec = {**DATASETS[1], "slug": "geloescht", "title": "Gelöschte Messreihe Borkum"}
    dataset = ckan_admin.action.package_create(**_payload(spec, org))
    ckan_admin.action.package_delete(id=dataset["id"])
    assert _search(ckan_anonymous, org, q="Borkum")["count"] == 0
    assert _names(_search(ckan_admin, org, q="Borkum", include_deleted=True)) == [dataset["name"]]

    ckan_admin.action.dataset_purge(id=dataset["id"])
    with db.connect() as connection:
        left = connection.execute(
            text("SELECT count(*) FROM pgsearch_index WHERE id = :id"), {"id": dataset["id"]}
        ).scalar()
    assert left == 0


def test_rejected_write_leaves_the_index_untouched(
    ckan_admin: RemoteCKAN, org: str, datasets: dict[str, Any], db: Engine
) -> None:
    def snapshot() -> list[tuple[str, str]]:
        with db.connect() as connection:
            return connection.execute(
                text("SELECT index_id, title_string FROM pgsearch_index ORDER BY index_id")
            ).all()

    before = snapshot()
    with pytest.raises(ValidationError):
        ckan_admin.action.package_create(**_payload(DATASETS[0], org))  # name already taken
    with pytest.raises(ValidationError):
        ckan_admin.action.package_patch(id=datasets["pegel"]["id"], name="Ungültiger Name!")
    assert snapshot() == before


# -- queries -----------------------------------------------------------------------------------


def test_german_stemming_finds_singular_from_plural(
    ckan_anonymous: RemoteCKAN, org: str, datasets: dict[str, Any]
) -> None:
    assert _names(_search(ckan_anonymous, org, q="Pegelstände")) == [datasets["pegel"]["name"]]
    assert _names(_search(ckan_anonymous, org, q="Ladesäule")) == [datasets["lade"]["name"]]


def test_fielded_terms_and_negation(
    ckan_anonymous: RemoteCKAN, org: str, datasets: dict[str, Any]
) -> None:
    def names_for(q: str) -> set[str]:
        return set(_names(_search(ckan_anonymous, org, q=q, rows=100)))

    def slugs(*wanted: str) -> set[str]:
        return {datasets[s]["name"] for s in wanted}

    assert names_for("tags:echtzeit") == slugs("pegel", "luft")
    assert names_for("tags:echtzeit -tags:tide") == slugs("luft")
    assert names_for("res_format:GEOJSON") == slugs("lade")
    assert names_for("notes:Feinstaub") == slugs("luft")
    assert names_for("title:pegelstände OR tags:haushalt") == slugs("pegel", "haushalt")
    assert names_for(f'name:"{datasets["lade"]["name"]}"') == slugs("lade")
    assert names_for("tags:echt*") == slugs("pegel", "luft")


def test_facets_count_datasets_per_value(ckan_anonymous: RemoteCKAN, org: str) -> None:
    result = _search(
        ckan_anonymous,
        org,
        rows=0,
        **{"facet.field": json.dumps(["organization", "res_format", "tags", "license_id"])},
    )
    expected_formats = Counter(f for spec in DATASETS for f in set(spec["formats"]))
    expected_tags = Counter(t for spec in DATASETS for t in spec["tags"])
    expected_licenses = Counter(spec["license_id"] for spec in DATASETS)
    assert result["facets"]["organization"] == {org: len(DATASETS)}
    assert result["facets"]["res_format"] == dict(expected_formats)
    assert result["facets"]["tags"] == dict(expected_tags)
    assert result["facets"]["license_id"] == dict(expected_licenses)


def test_facet_limit_and_mincount(ckan_anonymous: RemoteCKAN, org: str) -> None:
    tags = Counter(t for spec in DATASETS for t in spec["tags"])
    limited = _search(ckan_anonymous, org, rows=0, **{"facet.field": '["tags"]', "facet.limit": 1})
    top_tag, top_count = tags.most_common(1)[0]
    assert limited["facets"]["tags"] == {top_tag: top_count}
    frequent = _search(
        ckan_anonymous, org, rows=0, **{"facet.field": '["tags"]', "facet.mincount": 2}
    )
    assert frequent["facets"]["tags"] == {t: n for t, n in tags.items() if n >= 2}


def test_fq_filters_combine_with_q(ckan_anonymous: RemoteCKAN, org: str) -> None:
    with_csv = {s["slug"] for s in DATASETS if "CSV" in s["formats"]}
    result = _search(ckan_anonymous, org, fq="+res_format:CSV", rows=100)
    assert result["count"] == len(with_csv)
    cc_by = "http://dcat-ap.de/def/licenses/cc-by/4.0"
    cc_by_csv = [s for s in DATASETS if "CSV" in s["formats"] and s["license_id"] == cc_by]
    result = _search(ckan_anonymous, org, fq=f'+res_format:CSV +license_id:"{cc_by}"', q="*:*")
    assert result["count"] == len(cc_by_csv)


def test_sorting_and_paging_with_correct_totals(ckan_anonymous: RemoteCKAN, org: str) -> None:
    titles = sorted((spec["title"] for spec in DATASETS), key=str.lower)
    pages = [
        _search(ckan_anonymous, org, sort="title_string asc", rows=3, start=start)
        for start in (0, 3)
    ]
    assert [p["count"] for p in pages] == [len(DATASETS), len(DATASETS)]
    assert [d["title"] for p in pages for d in p["results"]] == titles
    by_name = _search(ckan_anonymous, org, sort="name desc", rows=100)
    assert _names(by_name) == sorted(_names(by_name), reverse=True)
    newest = _search(ckan_anonymous, org, sort="metadata_modified desc", rows=100)["results"]
    stamps = [d["metadata_modified"] for d in newest]
    assert stamps == sorted(stamps, reverse=True)


def test_bad_sort_and_unsupported_syntax_give_clear_errors(
    ckan_anonymous: RemoteCKAN, org: str
) -> None:
    with pytest.raises(SearchQueryError, match="fuzzy"):
        ckan_anonymous.action.package_search(q="title:pegel~2")
    with pytest.raises(SearchQueryError, match="sort"):
        ckan_anonymous.action.package_search(sort="title_string sideways")


def test_date_range_filters_like_dcat_modified_since(ckan_anonymous: RemoteCKAN, org: str) -> None:
    recent = _search(ckan_anonymous, org, fq="metadata_modified:[NOW-1DAY TO NOW]")
    future = _search(ckan_anonymous, org, fq="metadata_modified:[NOW+1DAY TO *]")
    assert recent["count"] == len(DATASETS)
    assert future["count"] == 0


def test_bbox_filter_uses_the_dataset_extent(
    ckan_anonymous: RemoteCKAN, org: str, datasets: dict[str, Any]
) -> None:
    inside = _search(ckan_anonymous, org, ext_bbox="7.0,53.2,7.5,53.5")
    outside = _search(ckan_anonymous, org, ext_bbox="8.0,54.0,8.5,54.5")
    assert _names(inside) == [datasets["pegel"]["name"]]
    assert outside["count"] == 0


def test_autocomplete_matches_inside_names_and_titles(
    ckan_anonymous: RemoteCKAN, datasets: dict[str, Any]
) -> None:
    suggestions = ckan_anonymous.action.package_autocomplete(q="seeschleuse", limit=20)
    assert datasets["pegel"]["name"] in [s["name"] for s in suggestions]


def test_organisation_dataset_counts(
    ckan_anonymous: RemoteCKAN, org: str, datasets: dict[str, Any]
) -> None:
    listed = {
        o["name"]: o["package_count"]
        for o in ckan_anonymous.action.organization_list(all_fields=True, limit=1000)
    }
    assert listed[org] == len(DATASETS)
    assert ckan_anonymous.action.organization_show(id=org)["package_count"] == len(DATASETS)


# -- visibility --------------------------------------------------------------------------------


def test_private_datasets_follow_permission_labels(
    ckan_admin: RemoteCKAN, ckan_url: str, org: str
) -> None:
    spec = {**DATASETS[0], "slug": "intern", "title": "Interne Deichschau Krummhörn"}
    private = ckan_admin.action.package_create(**_payload(spec, org, private=True))
    member_name = f"member-{uuid.uuid4().hex[:8]}"
    ckan_admin.action.user_create(
        name=member_name, email=f"{member_name}@example.invalid", password=uuid.uuid4().hex
    )
    outsider_name = f"outsider-{uuid.uuid4().hex[:8]}"
    ckan_admin.action.user_create(
        name=outsider_name, email=f"{outsider_name}@example.invalid", password=uuid.uuid4().hex
    )
    ckan_admin.action.organization_member_create(id=org, username=member_name, role="member")
    try:
        member = RemoteCKAN(ckan_url, apikey=_token(ckan_admin, member_name))
        outsider = RemoteCKAN(ckan_url, apikey=_token(ckan_admin, outsider_name))
        query = {"q": "Deichschau", "include_private": True}
        assert _names(member.action.package_search(**query)) == [private["name"]]
        assert outsider.action.package_search(**query)["count"] == 0
        assert RemoteCKAN(ckan_url).action.package_search(**query)["count"] == 0
        assert _names(ckan_admin.action.package_search(**query)) == [private["name"]]
        assert ckan_admin.action.package_search(q="Deichschau")["count"] == 0
    finally:
        ckan_admin.action.dataset_purge(id=private["id"])
        for name in (member_name, outsider_name):
            ckan_admin.action.user_delete(id=name)


def test_drafts_only_when_included(ckan_admin: RemoteCKAN, org: str) -> None:
    spec = {**DATASETS[2], "slug": "entwurf", "title": "Entwurf Radwegekonzept Esens"}
    draft = ckan_admin.action.package_create(**_payload(spec, org, state="draft"))
    try:
        assert _search(ckan_admin, org, q="Radwegekonzept")["count"] == 0
        found = _search(ckan_admin, org, q="Radwegekonzept", include_drafts=True)
        assert _names(found) == [draft["name"]]
    finally:
        ckan_admin.action.dataset_purge(id=draft["id"])


def _token(ckan_admin: RemoteCKAN, user: str) -> str:
    return ckan_admin.action.api_token_create(user=user, name="test")["token"]


# -- index maintenance and pages ---------------------------------------------------------------


def test_search_index_rebuild_restores_lost_entries(
    platform_settings: PlatformSettings,
    ckan_anonymous: RemoteCKAN,
    org: str,
    db: Engine,
    datasets: dict[str, Any],
) -> None:
    with db.begin() as connection:
        connection.execute(text("DELETE FROM pgsearch_index WHERE organization = :o"), {"o": org})
    assert _search(ckan_anonymous, org)["count"] == 0

    ckan = [str(platform_settings.venv_bin("ckan")), "-c", str(platform_settings.ckan_ini)]
    check = subprocess.run([*ckan, "search-index", "check"], capture_output=True, text=True)
    assert check.returncode == 0, check.stderr
    assert datasets["pegel"]["name"] in check.stdout

    rebuild = subprocess.run(
        [*ckan, "search-index", "rebuild", "--only-missing", "--quiet"],
        capture_output=True,
        text=True,
    )
    assert rebuild.returncode == 0, rebuild.stderr
    assert _search(ckan_anonymous, org)["count"] == len(DATASETS)
    check = subprocess.run([*ckan, "search-index", "check"], capture_output=True, text=True)
    assert "Packages not indexed = 0" in check.stdout


def test_package_show_is_served_from_the_index(
    ckan_anonymous: RemoteCKAN, datasets: dict[str, Any], db: Engine
) -> None:
    with db.connect() as connection:
        stored = connection.execute(
            text("SELECT validated_data_dict FROM pgsearch_index WHERE name = :n"),
            {"n": datasets["luft"]["name"]},
        ).scalar()
    shown = ckan_anonymous.action.package_show(id=datasets["luft"]["name"])
    assert json.loads(stored)["title"] == shown["title"] == datasets["luft"]["title"]


def test_dataset_page_lists_results_with_facets(ckan_url: str, org: str) -> None:
    page = httpx.get(f"{ckan_url}/dataset/", params={"q": "Pegelstände", "organization": org})
    assert page.status_code == 200
    assert "Pegelstand Emden Neue Seeschleuse" in page.text
    assert f"Suchtest {org[-8:]}" in page.text  # organisation facet entry
    assert "tide" in page.text  # tag facet entry


def test_dataset_and_organisation_pages_render(
    ckan_url: str, org: str, datasets: dict[str, Any]
) -> None:
    for path in (f"/dataset/{datasets['pegel']['name']}", f"/organization/{org}"):
        response = httpx.get(f"{ckan_url}{path}")
        assert response.status_code == 200, path
        assert "Pegelstand Emden" in response.text, path


def test_search_error_on_broken_filter_is_reported_not_500(ckan_url: str) -> None:
    response = httpx.get(
        f"{ckan_url}/api/3/action/package_search", params={"fq": "metadata_modified:[gestern TO *]"}
    )
    assert response.status_code == 400
    assert "not a date" in response.json()["error"]["message"]


def test_issue_example_query_string_with_facets(
    ckan_url: str, org: str, datasets: dict[str, Any]
) -> None:
    """The literal GET request of the issue: q with an umlaut, facet.field as a JSON list."""
    response = httpx.get(
        f"{ckan_url}/api/3/action/package_search"
        f'?q=pegelstände&fq=organization:{org}&facet.field=["organization","res_format"]'
    )
    result = response.json()["result"]
    assert [d["name"] for d in result["results"]] == [datasets["pegel"]["name"]]
    pegel = next(s for s in DATASETS if s["slug"] == "pegel")
    assert result["facets"] == {
        "organization": {org: 1},
        "res_format": dict.fromkeys(set(pegel["formats"]), 1),
    }


def test_dcat_catalogue_filters_by_modified_since(
    ckan_url: str, org: str, datasets: dict[str, Any]
) -> None:
    def catalogue(modified_since: str) -> str:
        response = httpx.get(
            f"{ckan_url}/catalog.ttl",
            params={"modified_since": modified_since, "fq": f"organization:{org}"},
        )
        assert response.status_code == 200
        return response.text

    assert datasets["luft"]["title"] in catalogue("2000-01-01T00:00:00")
    assert datasets["luft"]["title"] not in catalogue("2999-01-01T00:00:00")


def test_unencoded_umlauts_in_the_url_are_accepted(
    platform_settings: PlatformSettings, org: str, datasets: dict[str, Any]
) -> None:
    """What `curl '…?q=pegelstände&facet.field=["organization"]'` sends: raw UTF-8 bytes."""
    import socket

    target = (
        f"/api/3/action/package_search?q=pegelstände&fq=organization:{org}"
        '&facet.field=["organization"]'
    )
    request = f"GET {target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode()
    with socket.create_connection(
        (platform_settings.host, platform_settings.port("ckan_port"))
    ) as s:
        s.sendall(request)
        response = b""
        while chunk := s.recv(65536):
            response += chunk
    head, _, body = response.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200"), head[:200]
    assert datasets["pegel"]["name"].encode() in body
