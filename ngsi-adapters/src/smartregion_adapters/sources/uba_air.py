"""Umweltbundesamt air data API v3 → AirQualityObserved: the latest hourly means of a station.

The API describes its answers with ``indices`` (names of the positions of the arrays it
sends); station records are read by those names (documented positions as fallback),
components, scopes and measures by their documented positions:

- ``stations/json``: ``data`` maps the numeric station id to an array (``station id``,
  ``station code``, ``station name``, … ``station longitude``, ``station latitude`` as texts);
  the configured station codes (``DENI029`` "Ostfriesland", ``DENI058`` "Ostfriesische
  Inseln") are resolved to the numeric ids here on every run, not pinned.
- ``components/json`` and ``scopes/json``: keyed by id at the top level (beside ``indices``
  and ``count``), each an array whose second position is the code (``PM10``, ``PM2``,
  ``NO2``, ``O3``; scope ``1SMW`` = hourly mean).
- ``measures/json?station=<id>&component=<id>&scope=<id>&date_from…``: ``data`` maps the
  station id to ``{"<date start>": [component id, scope id, value|null, date end, index]}``,
  not necessarily in time order; an empty answer has ``data`` ``[]`` or ``{}``.

Times are CET (UTC+1 all year, no daylight saving) with hours 1–24, so ``2026-11-21
24:00:00`` is 2026-11-22 00:00 CET = 2026-11-21T23:00:00Z. The observation time is the
``date end`` of the averaging hour (what the schema calls dateObserved).

Per station one entity: the latest hour (greatest ``date end``) for which at least one of the
four components has a value; ``pm10``, ``pm25``, ``no2``, ``o3`` in µg/m³ (unit codes from
the schemas), each with that hour as ``observedAt``. A component without a value at that
hour is omitted (never filled from an older hour, so all values share one time); a station
with no value at all costs a problem line. id ``urn:ngsi-ld:AirQualityObserved:<partner>:
<station code>`` (the code is UBA's stable public key; the numeric id is internal).

Options: ``stations`` (codes, default DENI029 and DENI058), ``hours_back`` (window, default 48).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from typing import Any, ClassVar

from smartregion_adapters.base import Adapter, Batch, SourceError, register
from smartregion_adapters.ngsi import measured, new_entity, point, prop, utc_text

ENTITY_TYPE = "AirQualityObserved"
DATA_PROVIDER = "Umweltbundesamt"
CET = timezone(timedelta(hours=1), "CET")
DEFAULT_STATIONS = ("DENI029", "DENI058")
HOURLY_MEAN = "1SMW"
# schema attribute ← UBA component codes (UBA writes PM2.5 as "PM2").
COMPONENTS: dict[str, tuple[str, ...]] = {
    "pm10": ("PM10",),
    "pm25": ("PM2", "PM2.5", "PM25"),
    "no2": ("NO2",),
    "o3": ("O3",),
}


def cet_time(text: object) -> datetime:
    """``YYYY-MM-DD HH:MM:SS`` in CET with hours 0–24 (``24:00:00`` = next day 00:00)."""
    if not isinstance(text, str):
        raise ValueError(f"time {text!r} is not a text")
    day, _, clock = text.strip().partition(" ")
    hour, minute, second = (int(part) for part in (clock or "0:0:0").split(":"))
    if not 0 <= hour <= 24 or (hour == 24 and (minute or second)):
        raise ValueError(f"time {text!r} out of range")
    start = datetime.fromisoformat(day).replace(tzinfo=CET)
    return start + timedelta(hours=hour, minutes=minute, seconds=second)


def _records(answer: Any, member: str | None) -> dict[str, list[Any]]:
    """The ``id → array`` records of an answer: in ``member`` or at the top level."""
    if not isinstance(answer, dict):
        raise ValueError(f"answer is a {type(answer).__name__}, not an object")
    body = answer.get(member) if member else answer
    if isinstance(body, list) and not body:
        return {}
    if not isinstance(body, dict):
        raise ValueError(f"no {member or 'records'} in the answer")
    return {str(key): value for key, value in body.items() if isinstance(value, list)}


def _position(indices: Any, name: str, default: int) -> int:
    if isinstance(indices, list) and name in indices:
        return indices.index(name)
    return default


def _number(text: object) -> float:
    if isinstance(text, bool) or text is None:
        raise ValueError(f"{text!r} is not a number")
    return float(str(text).replace(",", "."))


@dataclass
class Station:
    """A configured station as resolved from ``stations/json``."""

    code: str
    id: str
    name: str
    longitude: float
    latitude: float
    measures: dict[str, Any] = field(default_factory=dict)  # attribute → measures answer


@register
class UbaAirAdapter(Adapter):
    """Hourly means of PM10, PM2.5, NO2 and O3 at the configured UBA stations."""

    name: ClassVar[str] = "uba-air"
    entity_types: ClassVar[tuple[str, ...]] = (ENTITY_TYPE,)

    @property
    def station_codes(self) -> list[str]:
        codes = self.settings.options.get("stations", list(DEFAULT_STATIONS))
        if not isinstance(codes, list) or not codes or not all(
                isinstance(code, str) and code.strip() for code in codes):
            raise ValueError(f"{self.name}: option 'stations' must be a list of station codes")
        return [code.strip().upper() for code in codes]

    def _json(self, path: str, **params: Any) -> Any:
        response = self.get(path, **params)
        try:
            return response.json()
        except ValueError as error:
            raise SourceError(f"{self.name}: {response.url} sent malformed JSON: {error}") \
                from error

    def fetch(self) -> dict[str, Any]:
        """Stations, component and scope ids, then one measures answer per station and
        component (hourly means of the last ``hours_back`` hours)."""
        try:
            stations_answer = self._json("stations/json", lang="en")
            stations = _records(stations_answer, "data")
            components = _records(self._json("components/json", lang="en"), None)
            scopes = _records(self._json("scopes/json", lang="en"), None)
        except ValueError as error:
            raise SourceError(f"{self.name}: unreadable metadata: {error}") from error
        indices = stations_answer.get("indices")
        by_code = {str(row[_position(indices, "station code", 1)]).upper(): row
                   for row in stations.values() if len(row) > 8}
        component_ids = {attribute: next((key for key, row in components.items()
                                          if len(row) > 1 and str(row[1]) in codes), None)
                         for attribute, codes in COMPONENTS.items()}
        scope = next((key for key, row in scopes.items()
                      if len(row) > 1 and row[1] == HOURLY_MEAN), None)
        if scope is None:
            raise SourceError(f"{self.name}: scope {HOURLY_MEAN} not in scopes/json")
        now = datetime.now(CET)
        since = now - timedelta(hours=int(self.settings.options.get("hours_back", 48)))
        window = {"date_from": since.date().isoformat(), "time_from": 1,
                  "date_to": now.date().isoformat(), "time_to": 24}
        resolved: dict[str, Station | str] = {}
        for code in self.station_codes:
            row = by_code.get(code)
            if row is None:
                resolved[code] = f"station {code} is not in stations/json"
                continue
            try:
                station = Station(
                    code=code, id=str(row[_position(indices, "station id", 0)]),
                    name=str(row[_position(indices, "station name", 2)]),
                    longitude=_number(row[_position(indices, "station longitude", 7)]),
                    latitude=_number(row[_position(indices, "station latitude", 8)]))
            except (ValueError, IndexError) as error:
                resolved[code] = f"station {code}: unreadable record ({error})"
                continue
            for attribute, component in component_ids.items():
                if component is not None:
                    station.measures[attribute] = self._json(
                        "measures/json", station=station.id, component=component,
                        scope=scope, **window)
            resolved[code] = station
        return {"stations": resolved, "components": component_ids, "scope": scope}

    def map(self, payload: dict[str, Any]) -> Batch:
        batch = Batch()
        for code, station in payload["stations"].items():
            if isinstance(station, str):
                batch.problems.append(f"{self.name}: {station}")
                continue
            try:
                entity = self._entity(station, payload["components"], payload["scope"])
            except (KeyError, TypeError, ValueError, IndexError) as error:
                batch.problems.append(f"{self.name}: station {code}: {error}")
                continue
            if entity is None:
                batch.problems.append(f"{self.name}: station {code} ({station.name}): no "
                                      "value of PM10, PM2.5, NO2 or O3 in the answer")
            else:
                batch.entities.append(entity)
        return batch

    def _values(self, station: Station, attribute: str, component: str,
                scope: str) -> dict[datetime, float]:
        """``hour end → value`` of one component's answer (null values left out)."""
        answer = station.measures.get(attribute)
        if answer is None:
            return {}
        data = answer.get("data") if isinstance(answer, dict) else None
        series = data.get(station.id) if isinstance(data, dict) else None  # [] when empty
        if not isinstance(series, dict):
            return {}
        values: dict[datetime, float] = {}
        for start, row in series.items():
            if not isinstance(row, list) or len(row) < 4:
                continue
            comp, scp, value, end = row[0], row[1], row[2], row[3]
            if str(comp) != component or str(scp) != scope or value is None:
                continue
            if isinstance(value, bool) or not isinstance(value, int | float | str):
                continue
            moment = cet_time(end) if end else cet_time(start) + timedelta(hours=1)
            values[moment] = _number(value)
        return values

    def _entity(self, station: Station, components: dict[str, str | None],
                scope: str) -> dict[str, Any] | None:
        series = {attribute: self._values(station, attribute, component, scope)
                  for attribute, component in components.items() if component is not None}
        hours = [moment for values in series.values() for moment in values]
        if not hours:
            return None
        latest = max(hours)
        attributes: dict[str, dict[str, Any]] = {
            "name": prop(f"{station.name} ({station.code})"),
            "location": point(station.longitude, station.latitude),
            "dateObserved": prop(utc_text(latest)),
        }
        for attribute, values in series.items():
            if latest in values:
                attributes[attribute] = measured(ENTITY_TYPE, attribute, values[latest],
                                                 latest.astimezone(UTC))
        attributes["source"] = prop(f"{self.settings.url.rstrip('/')}/measures/json")
        return new_entity(self.settings, ENTITY_TYPE, station.code, DATA_PROVIDER,
                          **attributes)
