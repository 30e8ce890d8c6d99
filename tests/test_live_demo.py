"""What `make run` shows of the live data (issue #6, "Must show"), checked on the test
instance, which `smartregion up` brings up exactly the same way: the demo feed serves local
stand-ins of the public sources, the adapters daemon pushes their entities to the broker and
registers one catalogue dataset per stream.

- the broker holds WaterObserved, WeatherObserved, AirQualityObserved and EVChargingStation
  entities for the region, each valid against its JSON Schema;
- each stream is a catalogue dataset that passes GovData's official SHACL shapes
  (`../shared/conformance/dcat-ap-de/validate`) and links to the broker, whose answer holds
  the stream's entities, each pointing back to its dataset.
"""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
import rdflib
from ckanapi import RemoteCKAN
from smartregion_adapters.base import adapter_class
from smartregion_adapters.config import Config, load_config
from smartregion_schemas import catalogue
from smartregion_schemas.live import CONTEXT_URL, context_terms, partner_for, validate_entity

from smartregion import adapters_setup
from smartregion.settings import PlatformSettings
from smartregion.stack import Stack

VALIDATE = Path(__file__).resolve().parents[2] / "shared/conformance/dcat-ap-de/validate"
LINK = f'<{CONTEXT_URL}>; rel="http://www.w3.org/ns/json-ld#context"; type="application/ld+json"'
REGION = catalogue.partner("smart-region-ostfriesland")  # the whole region's (approximate) box
assert REGION is not None
REQUIRED_TYPES = ("WaterObserved", "WeatherObserved", "AirQualityObserved", "EVChargingStation")


@pytest.fixture(scope="module")
def live_config(platform_settings: PlatformSettings) -> Config:
    path = adapters_setup.config_path(platform_settings)
    assert path.exists(), f"`smartregion up` did not write {path}"
    return load_config(path)


@pytest.fixture(scope="module")
def broker(platform_settings: PlatformSettings) -> httpx.Client:
    return httpx.Client(base_url=f"{platform_settings.broker_url}/ngsi-ld/v1", timeout=30,
                        headers={"Link": LINK, "Accept": "application/json"})


def _entities(broker: httpx.Client, entity_type: str) -> list[dict[str, Any]]:
    """Every entity of the type (paged), in the platform's compact terms."""
    found: list[dict[str, Any]] = []
    while True:
        response = broker.get("/entities", params={"type": entity_type, "limit": 1000,
                                                   "offset": len(found)})
        assert response.status_code == 200, response.text
        page = response.json()
        found += page
        if len(page) < 1000:
            return found


def test_demo_feed_and_adapters_run(platform_settings: PlatformSettings) -> None:
    states = {st.name: st for st in Stack(platform_settings).states()}
    assert states["demo-feed"].running, states["demo-feed"]
    assert states["adapters"].running, states["adapters"]
    status = json.loads((platform_settings.data / "adapters" / "status.json").read_text())
    assert status["rounds"] >= 1
    problems = {stream: report["problems"] for stream, report in status["streams"].items()
                if report["problems"]}
    assert not problems, problems


@pytest.mark.parametrize("entity_type", REQUIRED_TYPES)
def test_broker_holds_valid_entities_of_the_region(broker: httpx.Client, live_config: Config,
                                                   entity_type: str) -> None:
    datasets = {stream.dataset_url for stream in live_config.streams}
    entities = [e for e in _entities(broker, entity_type)
                if e.get("refCatalogueDataset", {}).get("object") in datasets]

    assert entities, f"no {entity_type} in the broker after `up`"
    for entity in entities:
        validate_entity({"@context": CONTEXT_URL, **entity}, "normalized")
        assert partner_for(entity["partner"]["value"]) is not None, entity["id"]
        minx, miny, maxx, maxy = REGION.bbox
        lon, lat = entity["location"]["value"]["coordinates"]
        assert minx <= lon <= maxx and miny <= lat <= maxy, (entity["id"], lon, lat)


def test_lorawan_devices_report_through_mosquitto(broker: httpx.Client,
                                                  live_config: Config) -> None:
    """The demo feed plays the network server: its devices' uplinks go over the instance's
    Mosquitto to the LoRaWAN streams, which turn them into a Device and an observation each
    (within a few uplink intervals of `up`)."""
    streams = [s for s in live_config.streams if s.adapter == "lorawan"]
    assert streams, "no lorawan stream in the generated adapters.yaml"
    wanted = {(entity_type, entity_id) for stream in streams
              for entity_type in adapter_class("lorawan").stream_entity_types(stream)
              for entity_id in adapter_class("lorawan").stream_entity_ids(stream, entity_type)}
    deadline = time.monotonic() + 120
    while True:
        found = {(t, e["id"]) for t in {t for t, _ in wanted} for e in _entities(broker, t)}
        if wanted <= found or time.monotonic() > deadline:
            break
        time.sleep(2)
    assert wanted <= found, wanted - found
    for entity_type, entity_id in wanted:
        entity = broker.get(f"/entities/{entity_id}").json()
        validate_entity({"@context": CONTEXT_URL, **entity}, "normalized")
        if entity_type == "WaterObserved":
            assert entity["refDevice"]["object"].startswith("urn:ngsi-ld:Device:")


def test_every_stream_is_a_dataset_linking_to_its_entities(
    live_config: Config, ckan_anonymous: RemoteCKAN, platform_settings: PlatformSettings,
    broker: httpx.Client,
) -> None:
    assert {s.adapter for s in live_config.streams} >= {
        "pegelonline", "brightsky", "uba-air", "bnetza-charging"}
    for stream in live_config.streams:
        dataset = ckan_anonymous.action.package_show(id=stream.dataset_name)
        owner = partner_for(stream.partner)
        assert owner is not None
        assert dataset["organization"]["name"] == owner.name
        queries = [r["url"] for r in dataset["resources"]
                   if r["url"].startswith(f"{platform_settings.broker_url}/ngsi-ld/v1/entities")]
        assert queries, (stream.dataset_name, [r["url"] for r in dataset["resources"]])
        # the link works as a developer would use it: no Link header, no token; it finds
        # every entity of the stream (those naming this dataset in refCatalogueDataset)
        # (all pages at once: other tests' entities may share the partner's id prefix)
        answer = httpx.get(f"{queries[0]}&limit=1000", timeout=30,
                           headers={"Accept": "application/json"})
        assert answer.status_code == 200, answer.text
        found = {entity["id"] for entity in answer.json()}
        entity_type = answer.json()[0]["type"] if answer.json() else None
        assert entity_type, f"{queries[0]} found no entities"
        short_type = next(t for t, iri in context_terms().items() if iri == entity_type)
        stream_ids = {e["id"] for e in _entities(broker, short_type)
                      if e.get("refCatalogueDataset", {}).get("object") == stream.dataset_url}
        assert stream_ids and stream_ids <= found, (stream.dataset_name, stream_ids - found)


def test_stream_datasets_pass_the_official_dcat_ap_de_shapes(
    live_config: Config, platform_settings: PlatformSettings, tmp_path: Path
) -> None:
    """All stream datasets in one file (their RDF merged), validated once by the official
    validator: the same verdict as one run per dataset, in a fraction of the time."""
    merged = rdflib.Graph()
    names = sorted({s.dataset_name for s in live_config.streams})
    for name in names:
        response = httpx.get(f"{platform_settings.ckan_url}/dataset/{name}.ttl", timeout=60)
        assert response.status_code == 200, (name, response.status_code)
        merged.parse(data=response.text, format="turtle")
    target = tmp_path / "live-datasets.ttl"
    merged.serialize(target, format="turtle")

    result = subprocess.run([str(VALIDATE), str(target)], capture_output=True, text=True,
                            timeout=900, check=False)

    report = result.stdout + result.stderr
    assert f"{len(names)} datasets" in report, report[-3000:]
    assert result.returncode == 0, report[-5000:]


def test_gauges_have_the_last_day_in_their_history(broker: httpx.Client,
                                                   live_config: Config) -> None:
    """PEGELONLINE's last 24 h (option ``history``) reach the temporal API on the first run."""
    stream = next(s for s in live_config.streams if s.adapter == "pegelonline")
    gauges = [e for e in _entities(broker, "WaterObserved")
              if e.get("refCatalogueDataset", {}).get("object") == stream.dataset_url]
    assert gauges
    for gauge in gauges:
        response = broker.get(f"/temporal/entities/{gauge['id']}",
                              params={"attrs": "height", "lastN": 500})
        assert response.status_code == 200, response.text
        instances = response.json()["height"]
        times = [i["observedAt"] for i in instances]
        assert len(times) >= 96 and len(set(times)) == len(times), (gauge["id"], len(times))
