"""The UBA air data adapter against hand-made sample answers served over local HTTP."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from smartregion_adapters.base import AdapterSettings, SourceError, adapter_class
from smartregion_adapters.sources.uba_air import CET, UbaAirAdapter, cet_time
from smartregion_schemas.live import entity_id, unit_code, validate_entity

from .conftest import FIXTURES, SampleServer

UBA = FIXTURES / "uba"
ATTRIBUTES = {"1": "pm10", "9": "pm25", "5": "no2", "3": "o3"}


class MeasuresByQuery(dict[str, tuple[int, bytes, str]]):
    """Routes of the sample server where ``/measures/json`` answers by its query (station
    and component), as the real API does. The server looks routes up by path only, right
    after recording the full request, so the last recorded request carries the query."""

    def __init__(self, server: SampleServer, answers: dict[tuple[str, str], bytes]) -> None:
        super().__init__(server.routes)
        self.server = server
        self.answers = answers

    def get(self, key: str, default: Any = None) -> Any:
        if key != "/measures/json":
            return super().get(key, default)
        query = parse_qs(urlsplit(self.server.requests[-1]).query)
        body = self.answers.get((query["station"][0], query["component"][0]))
        if body is None:
            return default
        return (200, body, "application/json")


def measures_files() -> dict[tuple[str, str], bytes]:
    answers = {}
    for path in UBA.glob("measures_*_*.json"):
        _, station, component = path.stem.split("_")
        answers[(station, component)] = path.read_bytes()
    return answers


def serve(server: SampleServer, answers: dict[tuple[str, str], bytes] | None = None) -> None:
    for name in ("stations", "components", "scopes"):
        server.serve_fixture(f"/{name}/json", f"uba/{name}.json")
    server.routes = MeasuresByQuery(server, measures_files() if answers is None else answers)


@pytest.fixture
def client() -> Iterator[httpx.Client]:
    with httpx.Client() as http:
        yield http


def adapter(server: SampleServer, client: httpx.Client, **options: Any) -> UbaAirAdapter:
    return UbaAirAdapter(AdapterSettings(adapter="uba-air", partner="smart-region-ostfriesland",
                                         url=server.url, options=options), client)


def expected(station_id: str) -> tuple[datetime, dict[str, float]]:
    """From the fixture: the latest hour end with any value, and the values in that hour."""
    series: dict[str, dict[datetime, float]] = {}
    for path in UBA.glob(f"measures_{station_id}_*.json"):
        answer = json.loads(path.read_text(encoding="utf-8"))
        rows = answer["data"][station_id].values() if answer["data"] else []
        series[ATTRIBUTES[path.stem.split("_")[2]]] = {
            cet_time(row[3]): row[2] for row in rows if row[2] is not None}
    latest = max(moment for values in series.values() for moment in values)
    return latest, {name: values[latest] for name, values in series.items() if latest in values}


def by_code(entities: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {entity["id"].rsplit(":", 1)[1]: entity for entity in entities}


def test_registered() -> None:
    assert adapter_class("uba-air") is UbaAirAdapter


def test_cet_hours_1_to_24() -> None:
    assert cet_time("2026-11-21 24:00:00") == datetime(2026, 11, 22, 0, 0, tzinfo=CET)
    assert cet_time("2026-11-21 24:00:00").astimezone(UTC) == datetime(2026, 11, 21, 23,
                                                                         tzinfo=UTC)
    assert cet_time("2026-07-01 13:00:00").astimezone(UTC).hour == 12  # no summer time
    with pytest.raises(ValueError):
        cet_time("2026-11-21 24:30:00")


def test_latest_hour_per_station(sample_server: SampleServer, client: httpx.Client) -> None:
    serve(sample_server)
    batch = adapter(sample_server, client).collect()
    assert batch.problems == []
    entities = by_code(batch.entities)
    assert set(entities) == {"DENI029", "DENI058"}
    stations = json.loads((UBA / "stations.json").read_text(encoding="utf-8"))["data"]
    for code, station_id in (("DENI029", "9029"), ("DENI058", "9058")):
        entity = entities[code]
        validate_entity(entity, "normalized")
        assert entity["id"] == entity_id("AirQualityObserved", "SRO", code)
        latest, values = expected(station_id)
        moment = latest.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        assert entity["dateObserved"]["value"] == moment
        for name in ATTRIBUTES.values():
            if name in values:
                assert entity[name]["value"] == values[name]
                assert entity[name]["observedAt"] == moment
                assert entity[name]["unitCode"] == unit_code("AirQualityObserved", name)
            else:
                assert name not in entity
        row = stations[station_id]
        assert entity["location"]["value"]["coordinates"] == [float(row[7]), float(row[8])]
        assert entity["dataProvider"]["value"] == "Umweltbundesamt"


def test_24_oclock_null_and_empty_answers(sample_server: SampleServer,
                                          client: httpx.Client) -> None:
    serve(sample_server)
    entities = by_code(adapter(sample_server, client).collect().entities)
    ostfriesland = entities["DENI029"]
    # "2026-11-21 24:00:00" CET is 2026-11-22 00:00 CET, i.e. 2026-11-21T23:00:00Z.
    assert ostfriesland["dateObserved"]["value"] == "2026-11-21T23:00:00Z"
    assert "o3" not in ostfriesland  # null in the latest hour; not filled from an older one
    assert ostfriesland["pm10"]["value"] == 16.4
    islands = entities["DENI058"]
    assert islands["dateObserved"]["value"] == "2026-11-22T06:00:00Z"
    assert "pm25" not in islands  # empty data answer
    assert {"pm10", "no2", "o3"} <= islands.keys()


def test_requests_resolve_codes_to_ids(sample_server: SampleServer,
                                       client: httpx.Client) -> None:
    serve(sample_server)
    adapter(sample_server, client).collect()
    measures = [parse_qs(urlsplit(r).query) for r in sample_server.requests
                if r.startswith("/measures/json")]
    assert {(q["station"][0], q["component"][0]) for q in measures} == set(measures_files())
    assert {q["scope"][0] for q in measures} == {"2"}
    today = datetime.now(CET).date()
    assert {q["date_to"][0] for q in measures} <= {today.isoformat(),
                                                   (today + timedelta(days=1)).isoformat()}


def test_station_without_values_is_a_problem(sample_server: SampleServer,
                                             client: httpx.Client) -> None:
    answers = {key: body for key, body in measures_files().items() if key[0] == "9029"}
    null = (UBA / "null_measures.json").read_bytes()
    answers |= {("9058", component): null for component in ATTRIBUTES}
    serve(sample_server, answers)
    batch = adapter(sample_server, client).collect()
    assert set(by_code(batch.entities)) == {"DENI029"}
    assert len(batch.problems) == 1 and "DENI058" in batch.problems[0]


def test_unknown_station_is_a_problem(sample_server: SampleServer,
                                      client: httpx.Client) -> None:
    serve(sample_server)
    batch = adapter(sample_server, client, stations=["DENI029", "DEXX999"]).collect()
    assert set(by_code(batch.entities)) == {"DENI029"}
    assert any("DEXX999" in problem for problem in batch.problems)


def test_http_500_is_a_source_error(sample_server: SampleServer, client: httpx.Client) -> None:
    serve(sample_server)
    sample_server.routes["/stations/json"] = (500, b"Internal Server Error", "text/plain")
    with pytest.raises(SourceError, match="HTTP 500"):
        adapter(sample_server, client).collect()


def test_missing_measures_answer_is_a_source_error(sample_server: SampleServer,
                                        client: httpx.Client) -> None:
    serve(sample_server, {})  # no measures answer → 404
    with pytest.raises(SourceError, match="HTTP 404"):
        adapter(sample_server, client).collect()
