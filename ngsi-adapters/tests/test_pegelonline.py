"""The PEGELONLINE adapter against hand-made sample payloads served over local HTTP."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from smartregion_adapters.base import AdapterSettings, SourceError, adapter_class
from smartregion_adapters.sources.pegelonline import PegelonlineAdapter
from smartregion_schemas.live import entity_id, validate_entity

from .conftest import FIXTURES, SampleServer

PATH = "/stations.json"


@pytest.fixture
def client() -> Iterator[httpx.Client]:
    with httpx.Client() as http:
        yield http


def adapter(server: SampleServer, client: httpx.Client, stations: list[str],
            partner: str = "stadt-emden", **settings: Any) -> PegelonlineAdapter:
    return PegelonlineAdapter(AdapterSettings(adapter="pegelonline", partner=partner,
                                              url=server.url, options={"stations": stations},
                                              **settings), client)


def fixture_stations(name: str) -> dict[str, dict[str, Any]]:
    records = json.loads((FIXTURES / "pegelonline" / name).read_text(encoding="utf-8"))
    return {record["shortname"]: record for record in records}


def current(record: dict[str, Any]) -> dict[str, Any]:
    return next(s for s in record["timeseries"] if s["shortname"] == "W")["currentMeasurement"]


def utc(text: str) -> str:
    return datetime.fromisoformat(text).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def test_registered_by_name() -> None:
    assert adapter_class("pegelonline") is PegelonlineAdapter


def test_winter_payload_gives_valid_entities_and_a_line_per_unusable_station(
        sample_server: SampleServer, client: httpx.Client) -> None:
    sample_server.serve_fixture(PATH, "pegelonline/stations-winter.json")
    stations = ["Emden Neue Seeschleuse", "3990010", "5d1e4350-0f39-4428-84c3-6f8f0bbe80d4",
                "LEERORT", "WEENER"]
    batch = adapter(sample_server, client, stations).collect()
    source = fixture_stations("stations-winter.json")

    emden, knock = source["EMDEN NEUE SEESCHLEUSE"], source["KNOCK"]
    by_id = {entity["id"]: entity for entity in batch.entities}
    assert set(by_id) == {entity_id("WaterObserved", "EMD", emden["uuid"]),
                          entity_id("WaterObserved", "EMD", knock["uuid"])}
    for record in (emden, knock):
        entity = by_id[entity_id("WaterObserved", "EMD", record["uuid"])]
        keyvalues = validate_entity(entity, "normalized")
        measurement = current(record)
        assert datetime.fromisoformat(measurement["timestamp"]).utcoffset().seconds == 3600
        assert keyvalues["height"] == measurement["value"]
        assert entity["height"]["unitCode"] == "CMT"
        assert entity["height"]["observedAt"] == utc(measurement["timestamp"])
        assert keyvalues["dateObserved"] == utc(measurement["timestamp"])
        assert keyvalues["location"]["coordinates"] == [record["longitude"], record["latitude"]]
        assert keyvalues["partner"] == "stadt-emden"

    zero = next(s for s in emden["timeseries"] if s["shortname"] == "W")["gaugeZero"]
    assert by_id[entity_id("WaterObserved", "EMD", emden["uuid"])]["gaugeZero"] == {
        "type": "Property", "value": zero["value"], "unitCode": "MTR"}
    # Knock's gauge zero is on the old NN datum: left out, not labelled as NHN.
    assert "gaugeZero" not in by_id[entity_id("WaterObserved", "EMD", knock["uuid"])]

    problems = "\n".join(batch.problems)
    assert len(batch.problems) == 4, problems
    assert f"{source['POGUM']['uuid']} (POGUM): current measurement without a value" in problems
    assert f"{source['LEERORT']['uuid']} (LEERORT): no current measurement" in problems
    assert f"{source['TERBORG']['uuid']} (TERBORG) is not in the configured" in problems
    assert "configured station 'WEENER' is not in the source's answer" in problems

    query = parse_qs(urlsplit(sample_server.requests[0]).query)
    assert query["ids"] == [",".join(stations)]
    assert query["timeseries"] == ["W"]
    assert query["includeCurrentMeasurement"] == ["true"]


def test_summer_offset_is_converted_to_utc_across_midnight(
        sample_server: SampleServer, client: httpx.Client) -> None:
    sample_server.serve_fixture(PATH, "pegelonline/stations-summer.json")
    batch = adapter(sample_server, client, ["NORDERNEY RIFFGAT"],
                    partner="landkreis-aurich").collect()
    record = fixture_stations("stations-summer.json")["NORDERNEY RIFFGAT"]
    local = datetime.fromisoformat(current(record)["timestamp"])
    assert local.utcoffset().seconds == 7200

    assert batch.problems == []
    [entity] = batch.entities
    assert entity["id"] == entity_id("WaterObserved", "AUR", record["uuid"])
    assert entity["dateObserved"]["value"] == utc(current(record)["timestamp"])
    assert entity["dateObserved"]["value"].startswith(
        local.astimezone(UTC).date().isoformat())
    assert local.astimezone(UTC).date() != local.date()
    validate_entity(entity, "normalized")


def test_http_500_is_a_source_error(sample_server: SampleServer, client: httpx.Client) -> None:
    sample_server.serve(PATH, '{"message": "internal"}', status=500)
    with pytest.raises(SourceError, match=r"^pegelonline: http://127\.0\.0\.1:\d+/"
                                          r"stations\.json answered HTTP 500$"):
        adapter(sample_server, client, ["KNOCK"]).collect()


def test_timeout_is_a_source_error(sample_server: SampleServer, client: httpx.Client) -> None:
    sample_server.serve_fixture(PATH, "pegelonline/stations-winter.json")
    sample_server.delay = 0.5
    with pytest.raises(SourceError, match=r"^pegelonline: .*stations\.json not reachable: "
                                          r".*Timeout"):
        adapter(sample_server, client, ["KNOCK"], timeout_seconds=0.1).collect()


def test_malformed_json_is_a_source_error(
        sample_server: SampleServer, client: httpx.Client) -> None:
    sample_server.serve_fixture(PATH, "pegelonline/malformed.json")
    with pytest.raises(SourceError, match=r"^pegelonline: .*stations\.json.* malformed JSON"):
        adapter(sample_server, client, ["KNOCK"]).collect()


def test_an_answer_that_is_not_a_list_is_a_source_error(
        sample_server: SampleServer, client: httpx.Client) -> None:
    sample_server.serve(PATH, '{"status": 200}')
    with pytest.raises(SourceError, match="sent a dict, not a list of stations"):
        adapter(sample_server, client, ["KNOCK"]).collect()


def test_offsetless_timestamp_and_missing_coordinates_are_problem_lines(
        sample_server: SampleServer, client: httpx.Client) -> None:
    records = list(fixture_stations("stations-winter.json").values())
    emden, knock = records[0], records[1]
    current(emden)["timestamp"] = "2026-11-22T08:45:00"
    del knock["latitude"]
    sample_server.serve(PATH, json.dumps([emden, knock]))
    batch = adapter(sample_server, client, ["EMDEN NEUE SEESCHLEUSE", "KNOCK"]).collect()
    assert batch.entities == []
    assert any("has no UTC offset" in line for line in batch.problems)
    assert any("(KNOCK): no coordinates" in line for line in batch.problems)


def test_no_configured_station_is_refused(
        sample_server: SampleServer, client: httpx.Client) -> None:
    with pytest.raises(ValueError, match="non-empty list"):
        adapter(sample_server, client, []).collect()
    assert sample_server.requests == []


def test_history_window_becomes_earlier_versions_oldest_first(
        sample_server: SampleServer, client: httpx.Client) -> None:
    sample_server.serve_fixture(PATH, "pegelonline/stations-winter.json")
    emden = fixture_stations("stations-winter.json")["EMDEN NEUE SEESCHLEUSE"]
    sample_server.serve_fixture(f"/stations/{emden['uuid']}/W/measurements.json",
                                "pegelonline/measurements-emden-winter.json")
    series = json.loads((FIXTURES / "pegelonline/measurements-emden-winter.json").read_text())
    pegel = PegelonlineAdapter(AdapterSettings(
        adapter="pegelonline", partner="stadt-emden", url=sample_server.url,
        options={"stations": ["EMDEN NEUE SEESCHLEUSE"], "history": "P1D"}), client)

    batch = pegel.collect()

    usable = [m for m in series[:-1]
              if m["value"] is not None and "+" in m["timestamp"]]  # the last is the current
    heights = [(e["height"]["observedAt"], e["height"]["value"]) for e in batch.entities]
    assert heights == [(utc(m["timestamp"]), m["value"]) for m in usable] + [
        (utc(current(emden)["timestamp"]), current(emden)["value"])]
    assert {e["id"] for e in batch.entities} == {
        entity_id("WaterObserved", "EMD", emden["uuid"])}
    assert all(e["dateObserved"]["value"] == e["height"]["observedAt"] for e in batch.entities)
    left_out = [p for p in batch.problems if "measurement" in p]
    assert len(left_out) == 2, batch.problems
    assert any("None" in p for p in left_out)
    assert any("no UTC offset" in p for p in left_out)
    history_request = next(r for r in sample_server.requests if "measurements" in r)
    assert parse_qs(urlsplit(history_request).query) == {"start": ["P1D"]}


def test_a_failing_history_request_keeps_the_current_value(
        sample_server: SampleServer, client: httpx.Client) -> None:
    sample_server.serve_fixture(PATH, "pegelonline/stations-winter.json")
    emden = fixture_stations("stations-winter.json")["EMDEN NEUE SEESCHLEUSE"]
    sample_server.serve(f"/stations/{emden['uuid']}/W/measurements.json", "boom", status=500)
    pegel = PegelonlineAdapter(AdapterSettings(
        adapter="pegelonline", partner="stadt-emden", url=sample_server.url,
        options={"stations": ["EMDEN NEUE SEESCHLEUSE"], "history": "P1D"}), client)

    batch = pegel.collect()

    assert [e["height"]["value"] for e in batch.entities] == [current(emden)["value"]]
    emden_lines = [p for p in batch.problems if emden["uuid"] in p]
    assert len(emden_lines) == 1 and "HTTP 500" in emden_lines[0], batch.problems


def test_history_option_is_checked(sample_server: SampleServer, client: httpx.Client) -> None:
    pegel = PegelonlineAdapter(AdapterSettings(
        adapter="pegelonline", partner="stadt-emden", url=sample_server.url,
        options={"stations": ["KNOCK"], "history": "yesterday"}), client)
    with pytest.raises(ValueError, match="option 'history'"):
        pegel.collect()
