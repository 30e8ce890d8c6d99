"""Bright Sky (DWD observations) → WeatherObserved: the current weather of configured stations.

One request per station, ``current_weather?dwd_station_id=…&units=dwd`` (or ``lat``/``lon``).
``units=dwd`` is asked for explicitly (it is also Bright Sky's default), so the units are
known: °C, hPa, mm, km/h, degrees, percent. Mapping, to the units ``units.yaml`` registers:

- ``temperature`` ← ``temperature`` (°C, ``CEL``);
- ``relativeHumidity`` ← ``relative_humidity`` / 100: Bright Sky gives percent, the Smart
  Data Model a fraction 0–1 (``C62``);
- ``atmosphericPressure`` ← ``pressure_msl`` (hPa, ``A97``): pressure reduced to mean sea
  level, the only pressure ``current_weather`` offers;
- ``precipitation`` ← ``precipitation_60`` (mm in the last 60 minutes, ``MMT``);
- ``windSpeed`` ← ``wind_speed_10`` / 3.6: the 10-minute mean (the meteorological definition
  of wind speed) in km/h converted to m/s (``MTS``);
- ``windDirection`` ← ``wind_direction_10`` (degrees, ``DD``);
- ``dateObserved`` and every ``observedAt`` ← ``timestamp``, converted to UTC (Bright Sky
  writes an offset, ``+00:00`` unless ``tz`` is given);
- ``location`` and ``name`` ← the answering source (``sources[]`` entry of ``source_id``).

A ``null`` value is left out, never sent as null. Id ``urn:ngsi-ld:WeatherObserved:<partner>:
<DWD station id>``. Options: ``stations``, each a DWD station id (``"05839"``) or a mapping
``{dwd_station_id: …}`` or ``{id: …, lat: …, lon: …}`` (``id`` keeps the entity id stable
when Bright Sky picks another station near the point). A station whose request fails, or
whose answer comes from another DWD station than asked for, costs a problem line; only when
every station fails does the run fail with :class:`SourceError`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar

from smartregion_adapters.base import Adapter, AdapterSettings, Batch, SourceError, register
from smartregion_adapters.ngsi import measured, new_entity, point, prop, utc_text

ENTITY_TYPE = "WeatherObserved"
DATA_PROVIDER = "Deutscher Wetterdienst (über Bright Sky)"
KMH_PER_MS = 3.6


@dataclass(frozen=True)
class Station:
    """A configured station: by DWD station id, or by a point with our own id."""

    source_id: str
    params: dict[str, str]
    dwd_station_id: str | None = None

    @classmethod
    def parse(cls, entry: object) -> Station:
        if isinstance(entry, str | int) and not isinstance(entry, bool):
            entry = {"dwd_station_id": entry}
        if isinstance(entry, dict) and entry.get("dwd_station_id") is not None:
            dwd = str(entry["dwd_station_id"]).zfill(5)
            return cls(str(entry.get("id", dwd)), {"dwd_station_id": dwd}, dwd)
        if isinstance(entry, dict) and {"id", "lat", "lon"} <= entry.keys():
            return cls(str(entry["id"]), {"lat": str(entry["lat"]), "lon": str(entry["lon"])})
        raise ValueError(f"brightsky: station {entry!r} must be a DWD station id or "
                         "{dwd_station_id: …} or {id: …, lat: …, lon: …}")


def stations(settings: AdapterSettings) -> list[Station]:
    entries = settings.options.get("stations", [])
    if not isinstance(entries, list) or not entries:
        raise ValueError("brightsky: option 'stations' must be a non-empty list")
    return [Station.parse(entry) for entry in entries]


def _number(weather: dict[str, Any], key: str) -> float | None:
    value = weather.get(key)
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return value


@register
class BrightSkyAdapter(Adapter):
    """Current weather of the configured DWD stations, through Bright Sky."""

    name: ClassVar[str] = "brightsky"
    entity_types: ClassVar[tuple[str, ...]] = (ENTITY_TYPE,)

    def fetch(self) -> list[tuple[Station, Any]]:
        """Per station its ``current_weather`` answer, or the :class:`SourceError` it gave."""
        answers: list[tuple[Station, Any]] = []
        for station in stations(self.settings):
            try:
                response = self.get("current_weather", units="dwd", **station.params)
                try:
                    answers.append((station, response.json()))
                except ValueError as error:
                    raise SourceError(f"{self.name}: {response.url} sent malformed JSON: "
                                      f"{error}") from error
            except SourceError as error:
                answers.append((station, error))
        failures = [str(a) for _, a in answers if isinstance(a, SourceError)]
        if answers and len(failures) == len(answers):
            raise SourceError("; ".join(failures))
        return answers

    def map(self, payload: list[tuple[Station, Any]]) -> Batch:
        batch = Batch()
        for station, answer in payload:
            if isinstance(answer, SourceError):
                batch.problems.append(str(answer))
                continue
            try:
                batch.entities.append(self._entity(station, answer))
            except (KeyError, TypeError, ValueError) as error:
                batch.problems.append(f"{self.name}: station {station.source_id}: {error}")
        return batch

    def _entity(self, station: Station, answer: Any) -> dict[str, Any]:
        weather = answer.get("weather") if isinstance(answer, dict) else None
        if not isinstance(weather, dict):
            raise ValueError("answer without a 'weather' object")
        source = next((s for s in answer.get("sources") or []
                       if isinstance(s, dict) and s.get("id") == weather.get("source_id")), None)
        if source is None:
            raise ValueError(f"no entry in 'sources' for source_id {weather.get('source_id')!r}")
        if station.dwd_station_id and source.get("dwd_station_id") != station.dwd_station_id:
            raise ValueError(f"answer is from DWD station {source.get('dwd_station_id')!r}, "
                             f"not the one asked for")
        text = weather.get("timestamp")
        observed = datetime.fromisoformat(text) if isinstance(text, str) else None
        if observed is None or observed.tzinfo is None:
            raise ValueError(f"timestamp {text!r} is not a date-time with an offset")

        values: dict[str, float] = {}
        if (temperature := _number(weather, "temperature")) is not None:
            values["temperature"] = temperature
        if (humidity := _number(weather, "relative_humidity")) is not None:
            values["relativeHumidity"] = round(humidity / 100, 4)
        if (pressure := _number(weather, "pressure_msl")) is not None:
            values["atmosphericPressure"] = pressure
        if (rain := _number(weather, "precipitation_60")) is not None:
            values["precipitation"] = rain
        if (wind := _number(weather, "wind_speed_10")) is not None:
            values["windSpeed"] = round(wind / KMH_PER_MS, 2)
        if (direction := _number(weather, "wind_direction_10")) is not None:
            values["windDirection"] = direction

        attributes: dict[str, dict[str, Any]] = {
            "location": point(source["lon"], source["lat"]),
            "dateObserved": prop(utc_text(observed)),
            **{name: measured(ENTITY_TYPE, name, value, observed)
               for name, value in values.items()},
            "source": prop(f"{self.settings.url.rstrip('/')}/current_weather?"
                           + "&".join(f"{k}={v}" for k, v in station.params.items())),
        }
        if source.get("station_name"):
            attributes["name"] = prop(f"{source['station_name']} "
                                      f"(DWD {source.get('dwd_station_id')})")
        return new_entity(self.settings, ENTITY_TYPE, station.source_id, DATA_PROVIDER,
                          **attributes)
