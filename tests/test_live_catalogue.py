"""The catalogue link of live streams against the test instance's CKAN: created once, then
unchanged; repaired when edited; a same-named dataset the adapters did not create is left
alone; a catalogue that cannot be reached or a stream without texts is a report line."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import pytest
from ckanapi import NotFound, RemoteCKAN
from smartregion_adapters.base import AdapterSettings

from smartregion import sample
from smartregion.live_catalogue import identifier, link_streams
from smartregion.settings import PlatformSettings

# A stream of the demo's kinds that the demo configuration does not use (no gauge there).
STREAM = AdapterSettings(adapter="pegelonline", partner="landkreis-wittmund",
                         url="http://127.0.0.1:9/pegelonline")


@pytest.fixture
def stream_dataset(ckan_admin: RemoteCKAN) -> Iterator[str]:
    _purge(ckan_admin, STREAM.dataset_name)
    yield STREAM.dataset_name
    _purge(ckan_admin, STREAM.dataset_name)


def _purge(ckan: RemoteCKAN, name: str) -> None:
    with contextlib.suppress(NotFound):
        ckan.action.dataset_purge(id=name)


def test_created_once_then_unchanged(ckan_admin: RemoteCKAN, stream_dataset: str,
                                     platform_settings: PlatformSettings) -> None:
    broker = platform_settings.broker_url
    first = link_streams(ckan_admin, [STREAM], broker)
    created = ckan_admin.action.package_show(id=stream_dataset)

    second = link_streams(ckan_admin, [STREAM], broker)

    assert (first.created, first.problems) == ([stream_dataset], [])
    assert (second.unchanged, second.updated, second.problems) == ([stream_dataset], [], [])
    after = ckan_admin.action.package_show(id=stream_dataset)
    assert after["metadata_modified"] == created["metadata_modified"]
    assert after["organization"]["name"] == "landkreis-wittmund"
    assert after["identifier"] == identifier(STREAM)
    assert any(r["url"].startswith(f"{broker}/ngsi-ld/v1/entities?") for r in after["resources"])
    assert any(r["url"].startswith(f"{broker}/ngsi-ld/v1/temporal/entities?")
               for r in after["resources"])


def test_an_edited_dataset_is_brought_back(ckan_admin: RemoteCKAN, stream_dataset: str,
                                           platform_settings: PlatformSettings) -> None:
    link_streams(ckan_admin, [STREAM], platform_settings.broker_url)
    wanted_title = ckan_admin.action.package_show(id=stream_dataset)["title"]
    ckan_admin.action.package_patch(id=stream_dataset, title="Von Hand geändert")

    report = link_streams(ckan_admin, [STREAM], platform_settings.broker_url)

    assert report.updated == [stream_dataset]
    assert ckan_admin.action.package_show(id=stream_dataset)["title"] == wanted_title


def test_a_dataset_the_adapters_did_not_create_is_left_alone(
        ckan_admin: RemoteCKAN, stream_dataset: str,
        platform_settings: PlatformSettings) -> None:
    link_streams(ckan_admin, [STREAM], platform_settings.broker_url)
    ckan_admin.action.package_patch(id=stream_dataset, identifier="handmade-42",
                                    title="Eigener Datensatz")

    report = link_streams(ckan_admin, [STREAM], platform_settings.broker_url)

    assert len(report.problems) == 1 and "not created by the adapters" in report.problems[0]
    kept = ckan_admin.action.package_show(id=stream_dataset)
    assert (kept["title"], kept["identifier"]) == ("Eigener Datensatz", "handmade-42")


def test_unreachable_catalogue_and_unknown_stream_are_report_lines(
        ckan_admin: RemoteCKAN, platform_settings: PlatformSettings) -> None:
    with sample.remote("http://127.0.0.1:9") as nowhere:
        down = link_streams(nowhere, [STREAM], platform_settings.broker_url)
    unknown = AdapterSettings(adapter="no-such-adapter", partner="stadt-emden",
                              url="http://127.0.0.1:9")
    missing = link_streams(ckan_admin, [unknown], platform_settings.broker_url)

    assert len(down.problems) == 1 and "not reachable" in down.problems[0]
    assert down.created == down.updated == []
    assert len(missing.problems) == 1 and "no-such-adapter" in missing.problems[0]
