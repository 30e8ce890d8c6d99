"""Temporal API (clause 5.7.3/5.7.4, 6.18-6.21): the history of every attribute change.

Observations are written through the normal API (create, PATCH attrs, batch upsert); the
expected temporal answers and aggregations are computed here from the data written, not
copied from broker output. All data lives in one tenant of this module.
"""

from __future__ import annotations

import itertools
import statistics
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from .test_entities import assert_problem

TENANT = f"temporal{uuid.uuid4().hex[:12]}"
START = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
STEP = timedelta(minutes=10)
NGSI_LD_NULL = "urn:ngsi-ld:null"
VALUES = [412.0, 415.5, 409.25, 420.0, 431.5, 428.0, 433.75, 440.0, 437.5, 445.0]


def iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def when(i: int) -> datetime:
    return START + i * STEP


def headers(broker: httpx.Client, **extra: str) -> dict[str, str]:
    return {**broker.write_headers, "NGSILD-Tenant": TENANT, **extra}


def read(broker: httpx.Client, path: str, status: int = 200, **params: Any) -> httpx.Response:
    response = broker.get(path, params=params, headers={"NGSILD-Tenant": TENANT})
    assert response.status_code == status, response.text
    return response


def gauge_id() -> str:
    return f"urn:ngsi-ld:WaterObserved:temporal:{uuid.uuid4().hex}"


def height(value: float, moment: datetime) -> dict[str, Any]:
    return {"type": "Property", "value": value, "unitCode": "CMT", "observedAt": iso(moment)}


@pytest.fixture(scope="module")
def gauge(broker_url: str, write_headers: dict[str, str]) -> str:
    """One gauge with ten heights 10 minutes apart: created, then nine PATCHes."""
    entity_id = gauge_id()
    with httpx.Client(base_url=f"{broker_url}/ngsi-ld/v1", timeout=30) as client:
        client.write_headers = write_headers  # type: ignore[attr-defined]
        body = {"id": entity_id, "type": "WaterObserved", "height": height(VALUES[0], when(0)),
                "location": {"type": "GeoProperty",
                             "value": {"type": "Point", "coordinates": [7.19, 53.34]}}}
        created = client.post("/entities", json=body, headers=headers(client))
        assert created.status_code == 201, created.text
        for i, value in enumerate(VALUES[1:], start=1):
            patched = client.patch(f"/entities/{entity_id}/attrs", headers=headers(client),
                                   json={"height": height(value, when(i))})
            assert patched.status_code == 204, patched.text
    return entity_id


def test_every_change_is_kept_in_time_order(broker: httpx.Client, gauge: str) -> None:
    body = read(broker, f"/temporal/entities/{gauge}").json()
    assert body["id"] == gauge and body["type"] == "WaterObserved"
    instances = body["height"]
    assert [i["value"] for i in instances] == VALUES
    assert [i["observedAt"] for i in instances] == [iso(when(i)) for i in range(len(VALUES))]
    assert all(i["type"] == "Property" and i["unitCode"] == "CMT" for i in instances)
    ids = [i["instanceId"] for i in instances]
    assert len(set(ids)) == len(ids) and all(i.startswith("urn:") for i in ids)
    # the location was written once: one instance
    assert len(body["location"]) == 1


def test_timerel_before_after_between(broker: httpx.Client, gauge: str) -> None:
    def values(**params: Any) -> list[float]:
        body = read(broker, f"/temporal/entities/{gauge}", attrs="height", **params).json()
        return [i["value"] for i in body.get("height", [])]

    assert values(timerel="before", timeAt=iso(when(3))) == VALUES[:3]
    assert values(timerel="after", timeAt=iso(when(6))) == VALUES[7:]
    assert values(timerel="between", timeAt=iso(when(2)), endTimeAt=iso(when(5))) == VALUES[2:5]
    body = read(broker, f"/temporal/entities/{gauge}", attrs="height").json()
    assert set(body) == {"id", "type", "height"}


def test_last_n(broker: httpx.Client, gauge: str) -> None:
    body = read(broker, f"/temporal/entities/{gauge}", lastN=3, attrs="height").json()
    assert [i["value"] for i in body["height"]] == VALUES[-3:]
    body = read(broker, f"/temporal/entities/{gauge}", lastN=2, attrs="height",
                timerel="before", timeAt=iso(when(5))).json()
    assert [i["value"] for i in body["height"]] == VALUES[3:5]


def test_temporal_values(broker: httpx.Client, gauge: str) -> None:
    body = read(broker, f"/temporal/entities/{gauge}", options="temporalValues",
                attrs="height").json()
    assert body["height"]["type"] == "Property"
    assert body["height"]["values"] == [[v, iso(when(i))] for i, v in enumerate(VALUES)]


SIMPLIFIED_MEMBER = {"Property": "values", "Relationship": "objects",
                     "LanguageProperty": "languageMaps", "VocabProperty": "vocabs",
                     "ListProperty": "valueLists"}
VALUE_MEMBER = {"Property": "value", "Relationship": "object",
                "LanguageProperty": "languageMap", "VocabProperty": "vocab",
                "ListProperty": "valueList"}


def simplified_from(instances: list[dict[str, Any]]) -> Any:
    """The temporalValues an attribute's normalized instances (in time order) make
    (clause 4.5.9): one group per datasetId and type, in order of first appearance."""
    groups: dict[tuple[str, str], dict[str, Any]] = {}
    for instance in instances:
        kind, dataset = instance["type"], instance.get("datasetId", "")
        group = groups.setdefault((dataset, kind), {"type": kind})
        if dataset:
            group["datasetId"] = dataset
        group.setdefault(SIMPLIFIED_MEMBER[kind], []).append(
            [instance[VALUE_MEMBER[kind]], instance["observedAt"]])
    found = list(groups.values())
    return found[0] if len(found) == 1 else found


def test_temporal_values_of_every_attribute_type(broker: httpx.Client) -> None:
    """Each attribute type and datasetId in the simplified form, equal to what the normalized
    history of the same entity says; times with fractions of seconds kept exactly."""
    entity_id = gauge_id()
    first = datetime(2026, 5, 4, 6, 0, 0, 250000, tzinfo=UTC)

    def at(i: int, later: int = 0) -> str:  # no two instances of an attribute at one time
        return iso(first + i * timedelta(minutes=7, microseconds=1500) + later * timedelta(
            seconds=1))

    body = {
        "id": entity_id, "type": "WaterObserved",
        "height": [
            {"type": "Property", "value": 300.0 + i, "observedAt": at(i)} for i in range(3)
        ] + [
            {"type": "Property", "value": 10.0 + i, "observedAt": at(i, later=1),
             "datasetId": "urn:ngsi-ld:Dataset:pressure-sensor"} for i in range(2)
        ],
        "refDevice": [{"type": "Relationship", "object": f"urn:ngsi-ld:Device:gauge-{i}",
                       "observedAt": at(i)} for i in range(2)],
        "name": [{"type": "LanguageProperty", "observedAt": at(i),
                  "languageMap": {"de": f"Pegel {i}", "en": f"Gauge {i}"}} for i in range(2)],
        "category": [{"type": "VocabProperty", "vocab": "tidal", "observedAt": at(0)},
                     {"type": "VocabProperty", "vocab": ["tidal", "river"], "observedAt": at(1)}],
        "levels": [{"type": "ListProperty", "valueList": [1, 2, i], "observedAt": at(i)}
                   for i in range(2)],
    }
    created = broker.post("/temporal/entities", headers=headers(broker), json=body)
    assert created.status_code == 201, created.text
    normalized = read(broker, f"/temporal/entities/{entity_id}").json()
    simplified = read(broker, f"/temporal/entities/{entity_id}",
                      options="temporalValues").json()
    names = ["height", "refDevice", "name", "category", "levels"]
    assert sorted(k for k in simplified if k not in ("id", "type")) == sorted(names)
    for name in names:
        assert simplified[name] == simplified_from(normalized[name]), name
    assert simplified["category"]["vocabs"] == [["tidal", at(0)], [["tidal", "river"], at(1)]]
    assert simplified["height"][0]["values"][1] == [301.0, at(1)]
    assert at(1).endswith(".251500Z")
    # lastN: the newest instances of each group, still in ascending time
    last = read(broker, f"/temporal/entities/{entity_id}", options="temporalValues",
                attrs="refDevice", lastN=1).json()
    assert last["refDevice"] == {"type": "Relationship",
                                 "objects": [["urn:ngsi-ld:Device:gauge-1", at(1)]]}


def test_aggregated_values_per_period(broker: httpx.Client, gauge: str) -> None:
    """30-minute periods from timeAt: three observations each, the last one alone."""
    body = read(
        broker, f"/temporal/entities/{gauge}", options="aggregatedValues", attrs="height",
        aggrMethods="totalCount,sum,avg,min,max,sumsq,stddev,distinctCount",
        aggrPeriodDuration="PT30M", timerel="between", timeAt=iso(START),
        endTimeAt=iso(when(len(VALUES))),
    ).json()
    groups = [VALUES[k:k + 3] for k in range(0, len(VALUES), 3)]
    aggregated = body["height"]
    for n, group in enumerate(groups):
        begin, end = iso(START + n * 3 * STEP), iso(START + (n + 1) * 3 * STEP)
        assert aggregated["totalCount"][n] == [len(group), begin, end]
        assert aggregated["distinctCount"][n][0] == len(set(group))
        assert aggregated["sum"][n][0] == pytest.approx(sum(group))
        assert aggregated["avg"][n][0] == pytest.approx(statistics.mean(group))
        assert aggregated["min"][n][0] == min(group) and aggregated["max"][n][0] == max(group)
        assert aggregated["sumsq"][n][0] == pytest.approx(sum(v * v for v in group))
        if len(group) > 1:
            assert aggregated["stddev"][n][0] == pytest.approx(statistics.stdev(group))
    assert len(aggregated["avg"]) == len(groups)


def test_monthly_aggregation_and_batch_upsert(broker: httpx.Client) -> None:
    """Observations over three months written by batch upsert; P1M periods from timeAt."""
    entity_id = gauge_id()
    series = [
        (datetime(2026, 1, 15, tzinfo=UTC), 1.5), (datetime(2026, 1, 31, 23, tzinfo=UTC), 2.5),
        (datetime(2026, 2, 3, tzinfo=UTC), 10.0), (datetime(2026, 2, 27, tzinfo=UTC), 14.0),
        (datetime(2026, 3, 1, 0, 30, tzinfo=UTC), 7.0),
    ]
    for moment, value in series:
        entity = {"id": entity_id, "type": "WaterObserved", "height": height(value, moment)}
        written = broker.post("/entityOperations/upsert", json=[entity], headers=headers(broker))
        assert written.status_code in (201, 204), written.text
    origin = datetime(2026, 1, 1, tzinfo=UTC)
    body = read(broker, f"/temporal/entities/{entity_id}", options="aggregatedValues",
                aggrMethods="avg,totalCount", aggrPeriodDuration="P1M", timerel="after",
                timeAt=iso(origin)).json()
    months = [datetime(2026, m, 1, tzinfo=UTC) for m in (1, 2, 3, 4)]
    expected = []
    for begin, end in itertools.pairwise(months):
        inside = [v for t, v in series if begin <= t < end]
        expected.append([statistics.mean(inside), iso(begin), iso(end)])
    assert body["height"]["avg"] == expected
    assert [c[0] for c in body["height"]["totalCount"]] == [2, 2, 1]
    # the whole range in one period (PT0S) from the first to the last observation
    whole = read(broker, f"/temporal/entities/{entity_id}", options="aggregatedValues",
                 aggrMethods="max").json()
    assert whole["height"]["max"] == [[14.0, iso(series[0][0]), iso(series[-1][0])]]


def test_query_selects_by_type_and_current_state(broker: httpx.Client, gauge: str) -> None:
    other = gauge_id()
    created = broker.post("/entities", headers=headers(broker), json={
        "id": other, "type": "WaterObserved", "height": height(100.0, when(0))})
    assert created.status_code == 201
    found = read(broker, "/temporal/entities", type="WaterObserved", q="height>300",
                 attrs="height", lastN=1).json()
    ids = {e["id"] for e in found}
    assert gauge in ids and other not in ids
    near = read(broker, "/temporal/entities", type="WaterObserved", georel="near;maxDistance==100",
                geometry="Point", coordinates="[7.19,53.34]").json()
    assert gauge in {e["id"] for e in near} and other not in {e["id"] for e in near}
    posted = broker.post("/temporal/entityOperations/query", headers={"NGSILD-Tenant": TENANT},
                         json={"type": "Query", "entities": [{"id": gauge}], "attrs": ["height"],
                               "temporalQ": {"timerel": "after", "timeAt": iso(when(7))}},
                         params={"options": "temporalValues"})
    assert posted.status_code == 200, posted.text
    assert [v for v, _ in posted.json()[0]["height"]["values"]] == VALUES[8:]


def test_pagination_206_with_content_range(broker: httpx.Client) -> None:
    """More instances than one response holds: 206 and Content-Range, then the rest."""
    entity_id = gauge_id()
    total = 10_100  # beyond the page sizes brokers use (ours 5,000, Stellio's 10,000)
    first = datetime(2026, 4, 1, tzinfo=UTC)
    instances = [height(float(i), first + i * timedelta(minutes=1)) for i in range(total)]
    created = broker.post("/temporal/entities", headers=headers(broker), json={
        "id": entity_id, "type": "WaterObserved", "height": instances[:1000]})
    assert created.status_code == 201, created.text
    for start in range(1000, total, 1000):  # request bodies of a sensible size
        appended = broker.post(f"/temporal/entities/{entity_id}/attrs", headers=headers(broker),
                               json={"height": instances[start:start + 1000]})
        assert appended.status_code == 204, appended.text
    seen: list[float] = []
    params: dict[str, Any] = {}
    for _ in range(20):
        response = broker.get(f"/temporal/entities/{entity_id}", params=params,
                              headers={"NGSILD-Tenant": TENANT})
        assert response.status_code in (200, 206), response.text
        page = response.json()["height"]
        seen += [i["value"] for i in page]
        if response.status_code == 200:
            break
        unit, _, spec = response.headers["Content-Range"].partition(" ")
        assert unit == "date-time"
        last = spec.rsplit("/", 1)[0][len(page[0]["observedAt"]) + 1:]
        assert last == page[-1]["observedAt"]
        params = {"timerel": "after", "timeAt": last}
    assert seen == [float(i) for i in range(total)]
    # the simplified form is paged the same way
    response = broker.get(f"/temporal/entities/{entity_id}", params={
        "options": "temporalValues"}, headers={"NGSILD-Tenant": TENANT})
    assert response.status_code == 206
    values = response.json()["height"]["values"]
    assert [v for v, _ in values] == [float(i) for i in range(len(values))]
    assert response.headers["Content-Range"] == (
        f"date-time {values[0][1]}-{values[-1][1]}/*")
    # lastN beyond the page size: the newest first, range running backwards
    response = broker.get(f"/temporal/entities/{entity_id}", params={"lastN": total},
                          headers={"NGSILD-Tenant": TENANT})
    assert response.status_code == 206
    page = response.json()["height"]
    assert page[-1]["value"] == float(total - 1)
    assert response.headers["Content-Range"].startswith(f"date-time {page[-1]['observedAt']}-")


def test_delete_entity_keeps_history_temporal_delete_forgets(broker: httpx.Client) -> None:
    entity_id = gauge_id()
    for i, value in enumerate(VALUES[:3]):
        entity = {"id": entity_id, "type": "WaterObserved", "height": height(value, when(i))}
        assert broker.post("/entityOperations/upsert", json=[entity],
                           headers=headers(broker)).status_code in (201, 204)
    assert broker.delete(f"/entities/{entity_id}", headers=headers(broker)).status_code == 204
    kept = read(broker, f"/temporal/entities/{entity_id}").json()
    # the deletion is the last instance: NGSI-LD Null with deletedAt (clause 4.5.7)
    assert [i["value"] for i in kept["height"]] == [*VALUES[:3], NGSI_LD_NULL]
    assert "deletedAt" in kept["height"][-1] and "deletedAt" not in kept["height"][0]
    # one instance, then the attribute, then the whole history
    instance = kept["height"][0]["instanceId"]
    gone = broker.delete(f"/temporal/entities/{entity_id}/attrs/height/{instance}",
                         headers=headers(broker))
    assert gone.status_code == 204, gone.text
    assert [i["value"] for i in read(broker, f"/temporal/entities/{entity_id}").json()["height"]
            ] == [*VALUES[1:3], NGSI_LD_NULL]
    assert broker.delete(f"/temporal/entities/{entity_id}/attrs/height",
                         headers=headers(broker)).status_code == 204
    assert "height" not in read(broker, f"/temporal/entities/{entity_id}").json()
    assert broker.delete(f"/temporal/entities/{entity_id}", headers=headers(broker)
                         ).status_code == 204
    assert_problem(read(broker, f"/temporal/entities/{entity_id}", 404), 404, "ResourceNotFound")


def test_deleted_attribute_in_every_representation(broker: httpx.Client) -> None:
    """An attribute deleted through /entities: its history ends with a deletion instance
    (value NGSI-LD Null, deletedAt) that temporalValues show and aggregations leave out."""
    entity_id = gauge_id()
    body = {"id": entity_id, "type": "WaterObserved", "height": height(VALUES[0], when(0)),
            "refDevice": {"type": "Relationship", "object": "urn:ngsi-ld:Device:g1"}}
    assert broker.post("/entities", json=body, headers=headers(broker)).status_code == 201
    patched = broker.patch(f"/entities/{entity_id}/attrs", headers=headers(broker),
                           json={"height": height(VALUES[1], when(1))})
    assert patched.status_code == 204, patched.text
    for name in ("height", "refDevice"):
        deleted = broker.delete(f"/entities/{entity_id}/attrs/{name}", headers=headers(broker))
        assert deleted.status_code == 204, deleted.text
    normalized = read(broker, f"/temporal/entities/{entity_id}").json()
    assert [i["value"] for i in normalized["height"]] == [*VALUES[:2], NGSI_LD_NULL]
    deletion = normalized["height"][-1]
    assert deletion["type"] == "Property" and deletion["deletedAt"].endswith("Z")
    assert normalized["refDevice"][-1]["object"] == NGSI_LD_NULL
    assert "deletedAt" in normalized["refDevice"][-1]
    simplified = read(broker, f"/temporal/entities/{entity_id}",
                      options="temporalValues").json()
    assert [v for v, _ in simplified["height"]["values"]] == [*VALUES[:2], NGSI_LD_NULL]
    assert [v for v, _ in simplified["refDevice"]["objects"]] == [
        "urn:ngsi-ld:Device:g1", NGSI_LD_NULL]
    aggregated = read(broker, f"/temporal/entities/{entity_id}", attrs="height",
                      options="aggregatedValues", aggrMethods="totalCount,avg",
                      aggrPeriodDuration="PT0S").json()["height"]
    assert aggregated["totalCount"][0][0] == 2
    assert aggregated["avg"][0][0] == pytest.approx(statistics.mean(VALUES[:2]))
    # an attribute that exists again goes on after its deletion (no observedAt: its time is
    # its modifiedAt, after the deletion's)
    again = broker.post(f"/entities/{entity_id}/attrs", headers=headers(broker),
                        json={"height": {"type": "Property", "value": VALUES[2]}})
    assert again.status_code == 204, again.text
    values = [i["value"] for i in read(broker, f"/temporal/entities/{entity_id}").json()["height"]]
    assert values == [*VALUES[:2], NGSI_LD_NULL, VALUES[2]]


def test_temporal_append_and_instance_patch(broker: httpx.Client) -> None:
    entity_id = gauge_id()
    created = broker.post("/temporal/entities", headers=headers(broker), json={
        "id": entity_id, "type": "WaterObserved",
        "height": [height(1.0, when(0)), height(2.0, when(1))]})
    assert created.status_code == 201, created.text
    appended = broker.post(f"/temporal/entities/{entity_id}/attrs", headers=headers(broker),
                           json={"height": [height(3.0, when(2))]})
    assert appended.status_code == 204, appended.text
    body = read(broker, f"/temporal/entities/{entity_id}").json()
    assert [i["value"] for i in body["height"]] == [1.0, 2.0, 3.0]
    instance = body["height"][1]["instanceId"]
    patched = broker.patch(f"/temporal/entities/{entity_id}/attrs/height/{instance}",
                           headers=headers(broker), json=height(20.0, when(1)))
    assert patched.status_code == 204, patched.text
    body = read(broker, f"/temporal/entities/{entity_id}").json()
    assert [i["value"] for i in body["height"]] == [1.0, 20.0, 3.0]
    assert body["height"][1]["instanceId"] == instance
    again = broker.post("/temporal/entities", headers=headers(broker), json={
        "id": entity_id, "type": "WaterObserved", "height": height(4.0, when(3))})
    assert again.status_code == 204


def test_unusual_observed_at_forms_never_fail_the_write(broker: httpx.Client) -> None:
    """ISO 8601 forms PostgreSQL cannot read (comma fraction, hour only) are still accepted
    by the normal API; their history falls back to modifiedAt but is kept."""
    entity_id = gauge_id()
    for i, form in enumerate(["2026-03-02T08:00:00,5Z", "2026-03-02T08"]):
        body = {"id": entity_id, "type": "WaterObserved",
                "height": {"type": "Property", "value": float(i), "observedAt": form}}
        written = broker.post("/entityOperations/upsert", json=[body], headers=headers(broker))
        assert written.status_code in (201, 204), written.text
    kept = read(broker, f"/temporal/entities/{entity_id}").json()["height"]
    assert [i["value"] for i in kept] == [0.0, 1.0]


@pytest.mark.parametrize("params", [
    {"timerel": "during", "timeAt": "2026-01-01T00:00:00Z"},
    {"timerel": "before"},
    {"timerel": "before", "timeAt": "yesterday"},
    {"timerel": "between", "timeAt": "2026-01-02T00:00:00Z", "endTimeAt": "2026-01-01T00:00:00Z"},
    {"timerel": "between", "timeAt": "2026-01-01T00:00:00Z"},
    {"endTimeAt": "2026-01-01T00:00:00Z"},
    {"timeproperty": "deletedAtX"},
    {"lastN": "0"}, {"lastN": "-1"}, {"lastN": "x"},
    {"options": "aggregatedValues"},
    {"options": "aggregatedValues", "aggrMethods": "median"},
    {"options": "aggregatedValues", "aggrMethods": "avg", "aggrPeriodDuration": "1 month"},
    {"options": "aggregatedValues", "aggrMethods": "avg", "aggrPeriodDuration": "P"},
    {"options": "aggregatedValues", "aggrMethods": "avg", "aggrPeriodDuration": "P99999999Y"},
    {"options": "temporalValues,aggregatedValues", "aggrMethods": "avg"},
    {"options": "bogus"},
    {"datasetId": "not a uri"},
])
def test_bad_parameters_are_bad_request_data(
    broker: httpx.Client, gauge: str, params: dict[str, str]
) -> None:
    response = read(broker, f"/temporal/entities/{gauge}", 400, **params)
    assert_problem(response, 400, "BadRequestData")


@pytest.mark.parametrize("params", [
    {}, {"type": "WaterObserved", "idPattern": "("}, {"type": "WaterObserved", "q": "height>>"},
    {"type": "WaterObserved", "georel": "near", "geometry": "Point", "coordinates": "[1]"},
    {"type": "WaterObserved", "limit": "-1"},
])
def test_bad_queries_are_bad_request_data(broker: httpx.Client, params: dict[str, str]) -> None:
    response = read(broker, "/temporal/entities", 400, **params)
    assert_problem(response, 400, "BadRequestData")


@pytest.mark.parametrize("body", [
    "text", [], {"id": "not a uri", "type": "T"}, {"id": "urn:x:1"},
    {"id": "urn:x:1", "type": "T", "h": []}, {"id": "urn:x:1", "type": "T", "h": [1]},
    {"id": "urn:x:1", "type": "T", "h": {"type": "Property", "value": 1, "observedAt": "x"}},
])
def test_bad_temporal_writes(broker: httpx.Client, body: Any) -> None:
    response = broker.post("/temporal/entities", json=body, headers=headers(broker))
    assert response.status_code == 400, response.text
    assert response.json()["status"] == 400


def test_unknowns_are_not_found(broker: httpx.Client, gauge: str) -> None:
    assert_problem(read(broker, "/temporal/entities/urn:ngsi-ld:X:none", 404), 404,
                   "ResourceNotFound")
    for path in (f"/temporal/entities/{gauge}/attrs/height/urn:x:nothing",
                 f"/temporal/entities/{gauge}/attrs/height/urn:ngsi-ld:attribute:instance:"
                 f"{uuid.uuid4()}", "/temporal/entities/urn:ngsi-ld:X:none"):
        assert_problem(broker.delete(path, headers=headers(broker)), 404, "ResourceNotFound")
    appended = broker.post("/temporal/entities/urn:ngsi-ld:X:none/attrs", headers=headers(broker),
                           json={"h": height(1.0, START)})
    assert_problem(appended, 404, "ResourceNotFound")
    other = broker.get(f"/temporal/entities/{gauge}",
                       headers={"NGSILD-Tenant": f"none{uuid.uuid4().hex[:8]}"})
    assert_problem(other, 404, "NonexistentTenant")


# --- fuzzing: no input makes the temporal API answer 5xx ------------------------------------

FUZZ = settings(
    max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
text = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=40)
temporal_params = st.fixed_dictionaries({}, optional={
    "timerel": st.one_of(st.sampled_from(["before", "after", "between"]), text),
    "timeAt": st.one_of(st.just("2026-03-02T08:20:00Z"), st.just("2026-03-02T08:20:00"), text),
    "endTimeAt": st.one_of(st.just("2026-03-02T09:00:00Z"), text),
    "timeproperty": st.one_of(st.sampled_from(["observedAt", "modifiedAt", "createdAt"]),
                              text),
    "lastN": st.one_of(st.integers(-5, 3000).map(str), text),
    "options": st.one_of(st.sampled_from(["temporalValues", "aggregatedValues", "sysAttrs"]),
                         text),
    "aggrMethods": st.one_of(st.sampled_from(["avg,max", "totalCount", "stddev,sumsq"]), text),
    "aggrPeriodDuration": st.one_of(
        st.sampled_from(["PT1H", "P1M", "P1Y", "PT0S", "P1MT1S", "PT0.001S", "P100000D"]), text),
    "attrs": st.one_of(st.just("height"), text),
    "datasetId": text,
    "type": st.one_of(st.just("WaterObserved"), text),
    "q": text, "idPattern": text, "limit": text,
})


@FUZZ
@given(params=temporal_params)
def test_fuzzed_temporal_queries_never_fail_on_the_server(
    broker: httpx.Client, gauge: str, params: dict[str, str]
) -> None:
    for path in (f"/temporal/entities/{gauge}", "/temporal/entities"):
        response = broker.get(path, params=params, headers={"NGSILD-Tenant": TENANT})
        assert response.status_code < 500, (params, response.text[:300])
        if response.status_code >= 400:
            assert response.json()["type"].startswith("https://uri.etsi.org/ngsi-ld/errors/")


json_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(),
              st.floats(allow_nan=False, allow_infinity=False), text),
    lambda children: st.one_of(st.lists(children, max_size=3),
                               st.dictionaries(text, children, max_size=3)),
    max_leaves=15,
)


@FUZZ
@given(body=json_values, query=json_values)
def test_fuzzed_temporal_bodies_never_fail_on_the_server(
    broker: httpx.Client, gauge: str, body: Any, query: Any
) -> None:
    for response in (
        broker.post("/temporal/entities", json=body, headers=headers(broker)),
        broker.post(f"/temporal/entities/{gauge}/attrs", json=body, headers=headers(broker)),
        broker.post("/temporal/entityOperations/query", headers={"NGSILD-Tenant": TENANT},
                    json={"type": "Query", "temporalQ": query, "entities": [{"id": gauge}]}),
    ):
        assert response.status_code < 500, (body, query, response.text[:300])
