"""Temporal API parameters and SQL builders (no database): durations, time windows, lastN,
pagination cut, and placeholders of the generated SQL matching its parameters."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from ngsild_broker.api.temporal import (
    _page,
    parse_aggregation,
    parse_duration,
    parse_last_n,
    parse_time,
    parse_window,
)
from ngsild_broker.errors import BadRequestData
from ngsild_broker.store.temporal import (
    Duration,
    Instance,
    TemporalQuery,
    TimeWindow,
    aggregation_sql,
    entity_selection_sql,
    instances_sql,
)

T0 = datetime(2026, 3, 1, tzinfo=UTC)


@pytest.mark.parametrize(("text", "expected"), [
    ("PT0S", Duration()),
    ("PT1H", Duration(seconds=3600)),
    ("PT10M", Duration(seconds=600)),
    ("PT1.5S", Duration(seconds=1.5)),
    ("P1D", Duration(days=1)),
    ("P2W", Duration(days=14)),
    ("P1M", Duration(months=1)),
    ("P1Y", Duration(months=12)),
    ("P1Y2M3DT4H5M6S", Duration(months=14, days=3, seconds=4 * 3600 + 5 * 60 + 6)),
])
def test_durations(text: str, expected: Duration) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize("text", ["", "P", "PT", "P1DT", "1D", "P-1D", "PT1H1D", "P1.5M",
                                  "P999999Y", "P1MT", "p1d", "P1D ", "PT1,5H"])
def test_bad_durations(text: str) -> None:
    with pytest.raises(BadRequestData):
        parse_duration(text)


def test_zero_duration_and_interval_text() -> None:
    assert parse_duration("PT0S").is_zero and not parse_duration("PT1S").is_zero
    assert parse_duration("P1MT1H").interval == "1 months 0 days 3600.0 seconds"


def test_times_without_offset_are_utc() -> None:
    assert parse_time("2026-03-01T00:00:00", "timeAt") == T0
    assert parse_time("2026-03-01T01:00:00+01:00", "timeAt") == T0
    for bad in (None, "2026-03-01", "yesterday", "2026-13-01T00:00:00Z"):
        with pytest.raises(BadRequestData):
            parse_time(bad, "timeAt")


def test_windows() -> None:
    assert parse_window({}) == TimeWindow()
    assert parse_window({"timeproperty": "modifiedAt"}).column == "modified_at"
    between = parse_window({"timerel": "between", "timeAt": "2026-03-01T00:00:00Z",
                            "endTimeAt": "2026-03-02T00:00:00Z"})
    assert between.end_time_at == T0 + timedelta(days=1)
    for bad in ({"timerel": "before"}, {"timerel": "x", "timeAt": "2026-03-01T00:00:00Z"},
                {"endTimeAt": "2026-03-01T00:00:00Z"},
                {"timerel": "after", "timeAt": "2026-03-01T00:00:00Z",
                 "endTimeAt": "2026-03-02T00:00:00Z"},
                {"timerel": "between", "timeAt": "2026-03-01T00:00:00Z",
                 "endTimeAt": "2026-03-01T00:00:00Z"},
                {"timeproperty": "deletedAt"}):
        with pytest.raises(BadRequestData):
            parse_window(bad)


def test_last_n_and_aggregation_parameters() -> None:
    assert parse_last_n(None) is None and parse_last_n("5") == 5
    for bad in ("0", "-2", "1.5", "x", ""):
        with pytest.raises(BadRequestData):
            parse_last_n(bad)
    methods, period = parse_aggregation({"aggrMethods": "avg,max,avg"})
    assert methods == ["avg", "max"] and period.is_zero
    with pytest.raises(BadRequestData):
        parse_aggregation({"aggrMethods": "avg,median"})
    with pytest.raises(BadRequestData):
        parse_aggregation({})


def _instances(count: int, step: int = 1) -> list[Instance]:
    return [Instance({"value": i}, f"urn:i:{i}", T0 + timedelta(minutes=i * step))
            for i in range(count)]


def test_page_not_cut_when_all_fit() -> None:
    found = {"e": {"a": _instances(3)}}
    assert _page(found, 3, newest_first=False, last_n=None) == (found, None)


def test_page_cuts_every_attribute_to_a_common_range() -> None:
    found = {"e": {"a": _instances(4), "b": _instances(10, step=2)[:4]}}
    # "a" has 4 > 3 instances (minutes 0..3): the range ends at minute 2; "b" (0, 2, 4, 6)
    # keeps minutes 0 and 2 only, so a continuation "after minute 2" misses nothing.
    cut, content_range = _page(found, 3, newest_first=False, last_n=None)
    assert [i.instance["value"] for i in cut["e"]["a"]] == [0, 1, 2]
    assert [i.instance["value"] for i in cut["e"]["b"]] == [0, 1]
    assert content_range == "date-time 2026-03-01T00:00:00Z-2026-03-01T00:02:00Z/*"


def test_page_with_last_n_runs_backwards() -> None:
    found = {"e": {"a": _instances(5)}}
    cut, content_range = _page(found, 3, newest_first=True, last_n=10)
    assert [i.instance["value"] for i in cut["e"]["a"]] == [2, 3, 4]
    assert content_range == "date-time 2026-03-01T00:04:00Z-2026-03-01T00:02:00Z/10"


def _placeholders_match(sql: str, params: list[object]) -> None:
    used = {int(n) for n in re.findall(r"\$(\d+)", sql)}
    assert used == set(range(1, len(params) + 1)), (sorted(used), len(params))


@pytest.mark.parametrize("window", [
    TimeWindow(),
    TimeWindow("before", T0),
    TimeWindow("after", T0, column="modified_at"),
    TimeWindow("between", T0, T0 + timedelta(days=40)),
])
@pytest.mark.parametrize("period", ["PT0S", "PT1H", "P1M", "P3M", "P1MT1H"])
def test_aggregation_sql_binds_every_parameter(window: TimeWindow, period: str) -> None:
    query = TemporalQuery(attrs=["https://x/a"], window=window, dataset_id="urn:d:1")
    sql, params = aggregation_sql("t", ["urn:e:1"], query, ["avg", "totalCount"],
                                  parse_duration(period))
    _placeholders_match(sql, params)
    assert "date_bin" in sql if period == "PT1H" else True


def test_selection_and_instance_sql_bind_every_parameter() -> None:
    query = TemporalQuery(type_groups=[["https://x/T"]], ids=["urn:e:1"], id_pattern="urn:.*",
                          attrs=["https://x/a"], window=TimeWindow("before", T0))
    sql, params, count_sql = entity_selection_sql("t", query)
    _placeholders_match(sql, params)
    assert "LIMIT" not in count_sql and "attribute_history" in count_sql
    sql, params = instances_sql("t", ["urn:e:1"], query, 10, newest_first=True)
    _placeholders_match(sql, params)
    assert "DESC" in sql
