"""The Bright Sky adapter against hand-made sample payloads served over local HTTP."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from smartregion_adapters.base import AdapterSettings, SourceError, adapter_class
from smartregion_adapters.sources.brightsky import BrightSkyAdapter, Station
from smartregion_schemas.live import entity_id, validate_entity

from .conftest import FIXTURES, SampleServer

PATH = "/current_weather"


@pytest.fixture
def client() -> Iterator[httpx.Client]:
    with httpx.Client() as http:
        yield http


def adapter(server: SampleServer, client: httpx.Client, stations: list[Any],
            partner: str = "stadt-emden", **settings: Any) -> BrightSkyAdapter:
    return BrightSkyAdapter(AdapterSettings(adapter="brightsky", partner=partner,
                                            url=server.url, options={"stations": stations},
                                            **settings), client)


def load(name: str) -> dict[str, Any]:
    return json.loads((FIXTURES / "brightsky" / name).read_text(encoding="utf-8"))


def utc(text: str) -> str:
    return datetime.fromisoformat(text).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def queries(server: SampleServer) -> list[dict[str, list[str]]]:
    return [parse_qs(urlsplit(request).query) for request in server.requests]


def test_registered_by_name() -> None:
    assert adapter_class("brightsky") is BrightSkyAdapter


def test_winter_payload_gives_a_valid_entity_in_the_registered_units(
        sample_server: SampleServer, client: httpx.Client) -> None:
    sample_server.serve_fixture(PATH, "brightsky/current-emden-winter.json")
    batch = adapter(sample_server, client, ["05839"]).collect()
    answer = load("current-emden-winter.json")
    weather, [source] = answer["weather"], answer["sources"]
    assert datetime.fromisoformat(weather["timestamp"]).utcoffset().seconds == 3600

    assert batch.problems == []
    [entity] = batch.entities
    assert entity["id"] == entity_id("WeatherObserved", "EMD", source["dwd_station_id"])
    keyvalues = validate_entity(entity, "normalized")
    assert keyvalues["dateObserved"] == utc(weather["timestamp"])
    assert keyvalues["location"]["coordinates"] == [source["lon"], source["lat"]]
    assert keyvalues["temperature"] == weather["temperature"]
    assert keyvalues["relativeHumidity"] == pytest.approx(weather["relative_humidity"] / 100)
    assert keyvalues["atmosphericPressure"] == weather["pressure_msl"]
    assert keyvalues["precipitation"] == weather["precipitation_60"]
    assert keyvalues["windSpeed"] == pytest.approx(weather["wind_speed_10"] * 1000 / 3600,
                                                   abs=0.005)
    assert keyvalues["windDirection"] == weather["wind_direction_10"]
    units = {"temperature": "CEL", "relativeHumidity": "C62", "atmosphericPressure": "A97",
             "precipitation": "MMT", "windSpeed": "MTS", "windDirection": "DD"}
    for name, code in units.items():
        assert entity[name]["unitCode"] == code
        assert entity[name]["observedAt"] == utc(weather["timestamp"])

    assert queries(sample_server) == [{"dwd_station_id": ["05839"], "units": ["dwd"]}]


def test_summer_offset_and_null_values_are_left_out(
        sample_server: SampleServer, client: httpx.Client) -> None:
    sample_server.serve_fixture(PATH, "brightsky/current-norderney-summer.json")
    batch = adapter(sample_server, client, [{"dwd_station_id": 3631}],
                    partner="landkreis-aurich").collect()
    weather = load("current-norderney-summer.json")["weather"]
    local = datetime.fromisoformat(weather["timestamp"])
    assert local.utcoffset().seconds == 7200
    assert local.astimezone(UTC).date() != local.date()

    assert batch.problems == []
    [entity] = batch.entities
    assert entity["id"] == entity_id("WeatherObserved", "AUR", "03631")
    keyvalues = validate_entity(entity, "normalized")
    assert keyvalues["dateObserved"] == utc(weather["timestamp"])
    for missing in ("relativeHumidity", "precipitation", "windSpeed"):
        assert missing not in entity
    assert keyvalues["windDirection"] == 0  # a real zero is kept
    assert keyvalues["temperature"] == weather["temperature"]
    assert "null" not in json.dumps(entity)
    assert queries(sample_server)[0]["dwd_station_id"] == ["03631"]


def test_station_by_point_keeps_its_configured_id(
        sample_server: SampleServer, client: httpx.Client) -> None:
    sample_server.serve_fixture(PATH, "brightsky/current-emden-winter.json")
    batch = adapter(sample_server, client,
                    [{"id": "emden-innenstadt", "lat": 53.367, "lon": 7.206}]).collect()
    [entity] = batch.entities
    assert entity["id"] == entity_id("WeatherObserved", "EMD", "emden-innenstadt")
    assert queries(sample_server) == [{"lat": ["53.367"], "lon": ["7.206"], "units": ["dwd"]}]


def test_answer_from_another_station_is_a_problem_line(
        sample_server: SampleServer, client: httpx.Client) -> None:
    # The sample server answers every query with Emden: asked for Norderney too, the
    # adapter must not file Emden's weather under Norderney's id.
    sample_server.serve_fixture(PATH, "brightsky/current-emden-winter.json")
    batch = adapter(sample_server, client, ["03631", "05839"]).collect()
    assert [e["id"] for e in batch.entities] == [entity_id("WeatherObserved", "EMD", "05839")]
    assert batch.problems == ["brightsky: station 03631: answer is from DWD station '05839', "
                              "not the one asked for"]


def test_unknown_station_404_is_a_problem_line_when_others_answer() -> None:
    settings = AdapterSettings(adapter="brightsky", partner="stadt-emden",
                               url="http://127.0.0.1:9", options={"stations": ["05839"]})
    failed = SourceError("brightsky: http://127.0.0.1:9/current_weather answered HTTP 404")
    payload = [(Station.parse("99999"), failed),
               (Station.parse("05839"), load("current-emden-winter.json"))]
    with httpx.Client() as client:
        batch = BrightSkyAdapter(settings, client).map(payload)
    assert len(batch.entities) == 1
    assert batch.problems == [str(failed)]


def test_every_station_404_is_a_source_error(
        sample_server: SampleServer, client: httpx.Client) -> None:
    sample_server.serve_fixture(PATH, "brightsky/not-found.json", status=404)
    with pytest.raises(SourceError) as raised:
        adapter(sample_server, client, ["99998", "99999"]).collect()
    assert str(raised.value).count("current_weather answered HTTP 404") == 2


def test_http_500_is_a_source_error(sample_server: SampleServer, client: httpx.Client) -> None:
    sample_server.serve(PATH, "Internal Server Error", status=500, content_type="text/plain")
    with pytest.raises(SourceError, match=r"^brightsky: http://127\.0\.0\.1:\d+/"
                                          r"current_weather answered HTTP 500$"):
        adapter(sample_server, client, ["05839"]).collect()


def test_timeout_is_a_source_error(sample_server: SampleServer, client: httpx.Client) -> None:
    sample_server.serve_fixture(PATH, "brightsky/current-emden-winter.json")
    sample_server.delay = 0.5
    with pytest.raises(SourceError, match=r"^brightsky: .*current_weather not reachable: "
                                          r".*Timeout"):
        adapter(sample_server, client, ["05839"], timeout_seconds=0.1).collect()


def test_malformed_json_is_a_source_error(
        sample_server: SampleServer, client: httpx.Client) -> None:
    sample_server.serve_fixture(PATH, "brightsky/malformed.json")
    with pytest.raises(SourceError, match=r"^brightsky: .*current_weather\?.* malformed JSON"):
        adapter(sample_server, client, ["05839"]).collect()


def test_answer_without_weather_is_a_problem_line(
        sample_server: SampleServer, client: httpx.Client) -> None:
    sample_server.serve(PATH, '{"weather": null, "sources": []}')
    batch = adapter(sample_server, client, ["05839"]).collect()
    assert batch.entities == []
    assert batch.problems == ["brightsky: station 05839: answer without a 'weather' object"]


def test_bad_station_option_is_refused() -> None:
    with pytest.raises(ValueError, match="must be a DWD station id"):
        Station.parse({"lat": 53.3})


def test_no_configured_station_is_refused(
        sample_server: SampleServer, client: httpx.Client) -> None:
    with pytest.raises(ValueError, match="non-empty list"):
        adapter(sample_server, client, []).collect()
    assert sample_server.requests == []
