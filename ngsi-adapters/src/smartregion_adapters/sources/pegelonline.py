"""PEGELONLINE (WSV) REST API v2 → WaterObserved: the current water level of configured gauges.

One request per run, ``stations.json?ids=…&timeseries=W&includeTimeseries=true&
includeCurrentMeasurement=true``, gives every configured station with its timeseries ``W``
(water level) and that series' current measurement. Mapping:

- ``height`` ← ``currentMeasurement.value``: centimetres above the gauge zero (PNP), which is
  what the schema registers (``CMT``); no conversion. A tidal gauge's PNP lies about 5 m below
  NHN, so its values are positive; a negative value fails the schema (``minimum: 0``) and
  costs a line in the report.
- ``gaugeZero`` ← ``gaugeZero.value`` in metres (``MTR``), only when its unit says it is
  above NHN (``m. ü. NHN``); a gauge zero on the old NN datum is left out rather than
  mislabelled (the schema defines gaugeZero above NHN).
- ``dateObserved`` and the ``observedAt`` of ``height`` ← ``currentMeasurement.timestamp``,
  which PEGELONLINE writes in German local time with its offset (``+01:00`` in winter,
  ``+02:00`` in summer); it is converted to UTC. A timestamp without an offset is refused.
- ``location`` ← ``longitude``/``latitude`` (WGS84); ``name`` ← ``longname``.
- id ``urn:ngsi-ld:WaterObserved:<partner>:<station uuid>`` (the UUID is PEGELONLINE's
  recommended stable key; names and numbers may be reused or respelled).

Options: ``stations`` — the gauges of the partner, each a UUID, number or name (e.g.
``EMDEN NEUE SEESCHLEUSE``, matched without regard to case, spaces, ``-`` or ``_``);
``history`` — an ISO 8601 duration such as ``P1D``: each run also reads
``stations/{uuid}/W/measurements.json?start=<history>`` per station and emits every past
measurement as a version of the entity, oldest first, before the current one, so the broker's
temporal history holds the last day from the first run on and gaps after a downtime are
closed. The sink sends each observation once (it skips versions not newer than the newest
already sent). A failing series request costs a problem line; the current value still goes.
A station in the answer but not in the list, a configured station missing from the answer,
a station without ``W``, without a current measurement or without a value: a problem line.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any, ClassVar

from smartregion_schemas.live import unit_code

from smartregion_adapters.base import Adapter, Batch, SourceError, register
from smartregion_adapters.ngsi import measured, new_entity, point, prop, utc_text

ENTITY_TYPE = "WaterObserved"
DATA_PROVIDER = "Wasserstraßen- und Schifffahrtsverwaltung des Bundes (PEGELONLINE)"
TIMESERIES = "W"


def _key(text: object) -> str:
    """A station reference as compared: case-folded, ``-``/``_``/spaces collapsed."""
    return re.sub(r"[\s_-]+", " ", str(text)).strip().casefold()


def _timestamp_of(entity: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(entity["height"]["observedAt"].replace("Z", "+00:00"))


def _timestamp(text: object) -> datetime:
    if not isinstance(text, str):
        raise ValueError(f"timestamp {text!r} is not a text")
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        raise ValueError(f"timestamp {text!r} has no UTC offset")
    return moment


@register
class PegelonlineAdapter(Adapter):
    """Current water level (``W``) of the configured PEGELONLINE gauges."""

    name: ClassVar[str] = "pegelonline"
    entity_types: ClassVar[tuple[str, ...]] = (ENTITY_TYPE,)

    @property
    def stations(self) -> list[str]:
        stations = self.settings.options.get("stations", [])
        if (not isinstance(stations, list) or not stations
                or not all(isinstance(s, str) and s.strip() for s in stations)):
            raise ValueError(f"{self.name}: option 'stations' must be a non-empty list of "
                             "station UUIDs, numbers or names")
        return stations

    @property
    def history(self) -> str | None:
        window = self.settings.options.get("history")
        if window in (None, False, ""):
            return None
        if not isinstance(window, str) or not re.fullmatch(r"P(T?\d+[DH])+", window):
            raise ValueError(f"{self.name}: option 'history' must be a duration like P1D or "
                             f"PT6H, got {window!r}")
        return window

    def fetch(self) -> list[Any]:
        """The configured stations with timeseries ``W`` and its current measurement (and,
        with ``history``, each station's measurements of that window as ``_history``)."""
        window = self.history
        stations = self._stations()
        if window is not None:
            for record in stations:
                if isinstance(record, dict) and record.get("uuid"):
                    record["_history"] = self._series(str(record["uuid"]), window)
        return stations

    def _series(self, uuid: str, window: str) -> list[Any] | str:
        """The measurements of ``W`` since ``window`` ago, or the problem reading them."""
        try:
            response = self.get(f"stations/{uuid}/{TIMESERIES}/measurements.json", start=window)
            series = response.json()
        except SourceError as error:
            return str(error)
        except ValueError as error:
            return f"measurements of {uuid}: malformed JSON ({error})"
        if not isinstance(series, list):
            return f"measurements of {uuid}: not a list"
        return series

    def _stations(self) -> list[Any]:
        response = self.get("stations.json", ids=",".join(self.stations),
                            timeseries=TIMESERIES, includeTimeseries="true",
                            includeCurrentMeasurement="true", prettyprint="false")
        try:
            payload = response.json()
        except ValueError as error:
            raise SourceError(f"{self.name}: {response.url} sent malformed JSON: {error}") \
                from error
        if not isinstance(payload, list):
            raise SourceError(f"{self.name}: {response.url} sent a "
                              f"{type(payload).__name__}, not a list of stations")
        return payload

    def map(self, payload: list[Any]) -> Batch:
        batch = Batch()
        wanted = {_key(station): station for station in self.stations}
        found: set[str] = set()
        for record in payload:
            if not isinstance(record, dict):
                batch.problems.append(f"{self.name}: station record {record!r} is not an object")
                continue
            label = f"{self.name}: station {record.get('uuid')} ({record.get('longname')})"
            refs = {_key(record[k]) for k in ("uuid", "number", "shortname", "longname")
                    if record.get(k) is not None}
            matched = refs & wanted.keys()
            if not matched:
                batch.problems.append(f"{label} is not in the configured station list")
                continue
            found |= matched
            try:
                current = self._entity(record)
            except (KeyError, TypeError, ValueError) as error:
                batch.problems.append(f"{label}: {error}")
                continue
            history = record.get("_history", [])
            if isinstance(history, str):
                batch.problems.append(f"{label}: {history}")
                history = []
            batch.entities += self._past_versions(current, history, label, batch.problems)
            batch.entities.append(current)
        for key, station in wanted.items():
            if key not in found:
                batch.problems.append(f"{self.name}: configured station {station!r} "
                                      "is not in the source's answer")
        return batch

    def _past_versions(self, current: dict[str, Any], series: list[Any], label: str,
                       problems: list[str]) -> list[dict[str, Any]]:
        """The entity as it was at each earlier measurement, oldest first."""
        now = _timestamp_of(current)
        versions: dict[datetime, dict[str, Any]] = {}
        for measurement in series:
            try:
                observed = _timestamp(measurement.get("timestamp"))
                value = measurement.get("value")
                if not isinstance(value, int | float) or isinstance(value, bool):
                    raise ValueError(f"no value ({value!r})")
            except (AttributeError, ValueError) as error:
                problems.append(f"{label}: measurement {measurement!r} left out: {error}")
                continue
            if observed < now:
                versions[observed] = {
                    **current, "dateObserved": prop(utc_text(observed)),
                    "height": measured(ENTITY_TYPE, "height", value, observed)}
        return [versions[moment] for moment in sorted(versions)]

    def _entity(self, record: dict[str, Any]) -> dict[str, Any]:
        uuid = record.get("uuid")
        if not uuid:
            raise ValueError("no uuid")
        series = next((s for s in record.get("timeseries") or []
                       if isinstance(s, dict) and s.get("shortname") == TIMESERIES), None)
        if series is None:
            raise ValueError(f"no timeseries {TIMESERIES}")
        current = series.get("currentMeasurement")
        if not isinstance(current, dict):
            raise ValueError("no current measurement")
        value = current.get("value")
        if not isinstance(value, int | float) or isinstance(value, bool):
            raise ValueError(f"current measurement without a value ({value!r})")
        if series.get("unit", "cm") != "cm":
            raise ValueError(f"water level in {series.get('unit')!r}, expected cm")
        longitude, latitude = record.get("longitude"), record.get("latitude")
        if longitude is None or latitude is None:
            raise ValueError("no coordinates")
        observed = _timestamp(current.get("timestamp"))
        attributes: dict[str, dict[str, Any]] = {
            "location": point(longitude, latitude),
            "dateObserved": prop(utc_text(observed)),
            "height": measured(ENTITY_TYPE, "height", value, observed),
            "source": prop(f"{self.settings.url.rstrip('/')}/stations/{uuid}.json"),
        }
        if record.get("longname"):
            attributes["name"] = prop(record["longname"])
        zero = series.get("gaugeZero")
        if (isinstance(zero, dict) and isinstance(zero.get("value"), int | float)
                and "NHN" in str(zero.get("unit", ""))):
            attributes["gaugeZero"] = prop(zero["value"],
                                           unit=unit_code(ENTITY_TYPE, "gaugeZero"))
        return new_entity(self.settings, ENTITY_TYPE, uuid, DATA_PROVIDER, **attributes)
