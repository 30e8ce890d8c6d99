"""Answers of the public live sources as the demo feed serves them, computed from the clock.

Each function builds the answer of one request in the documented format of its API (the
formats the adapters in ``ngsi-adapters/`` parse; ``../shared/reference/live-sources.md``),
for the demo stations of ``stations.yaml``. Values are deterministic functions of time and
station — a semidiurnal tide for the gauges, daily cycles for weather and air — so the
broker's history shows curves and tests can recompute any value.
"""

from __future__ import annotations

import csv
import io
import math
from datetime import UTC, datetime, timedelta
from functools import cache
from importlib import resources
from typing import Any
from zoneinfo import ZoneInfo

import yaml

GERMAN_TIME = ZoneInfo("Europe/Berlin")
CET = ZoneInfo("Etc/GMT-1")  # UBA: CET all year round
M2_MINUTES = 745.2  # principal lunar semidiurnal tide: 12 h 25.2 min


@cache
def stations() -> dict[str, Any]:
    text = resources.files(__package__).joinpath("stations.yaml").read_text(encoding="utf-8")
    data: dict[str, Any] = yaml.safe_load(text)
    return data


def _cycle(moment: datetime, period_minutes: float, offset_minutes: float = 0.0) -> float:
    minutes = moment.timestamp() / 60 - offset_minutes
    return math.cos(2 * math.pi * minutes / period_minutes)


def _day_cycle(moment: datetime, peak_hour: float = 14.0) -> float:
    """+1 at ``peak_hour`` (local time), −1 twelve hours later."""
    local = moment.astimezone(GERMAN_TIME)
    hour = local.hour + local.minute / 60
    return math.cos(2 * math.pi * (hour - peak_hour) / 24)


# PEGELONLINE ------------------------------------------------------------------------------

def quarter_hour(moment: datetime) -> datetime:
    return moment.replace(minute=moment.minute - moment.minute % 15, second=0, microsecond=0)


def water_level(gauge: dict[str, Any], moment: datetime) -> float:
    """Centimetres above gauge zero at ``moment``: the gauge's tide, rounded as PEGELONLINE."""
    tide = gauge["amplitude"] * _cycle(moment, M2_MINUTES, gauge["phase_minutes"])
    return float(round(gauge["mean"] + tide))


def _measurement(gauge: dict[str, Any], moment: datetime) -> dict[str, Any]:
    return {"timestamp": moment.astimezone(GERMAN_TIME).isoformat(),
            "value": water_level(gauge, moment)}


def find_gauges(references: list[str]) -> list[dict[str, Any]]:
    """The gauges named by uuid, number or name (as ``stations.json?ids=`` accepts them)."""
    wanted = {r.strip().casefold() for r in references}
    return [g for g in stations()["pegelonline"]
            if {g["uuid"], g["number"], g["name"].casefold()} & wanted]


def pegelonline_stations(references: list[str], now: datetime) -> list[dict[str, Any]]:
    """``stations.json?ids=…&timeseries=W&includeTimeseries=true&includeCurrentMeasurement=true``."""
    current = quarter_hour(now)
    return [{
        "uuid": g["uuid"], "number": g["number"], "shortname": g["name"], "longname": g["name"],
        "agency": "STANDORT EMDEN", "longitude": g["lon"], "latitude": g["lat"],
        "water": {"shortname": g["water"], "longname": g["water"]},
        "timeseries": [{
            "shortname": "W", "longname": "WASSERSTAND ROHDATEN", "unit": "cm",
            "equidistance": 15,
            "currentMeasurement": {**_measurement(g, current), "stateMnwMhw": "normal",
                                   "stateNswHsw": "normal"},
            "gaugeZero": {"unit": "m. ü. NHN", "value": g["gauge_zero"],
                          "validFrom": "2019-11-01"},
        }],
    } for g in find_gauges(references)]


def pegelonline_measurements(gauge: dict[str, Any], since: datetime,
                             now: datetime) -> list[dict[str, Any]]:
    """``stations/{station}/W/measurements.json?start=…``: 15-minute values up to now."""
    moment = quarter_hour(since) + (timedelta(0) if since == quarter_hour(since)
                                    else timedelta(minutes=15))
    series = []
    while moment <= now:
        series.append(_measurement(gauge, moment))
        moment += timedelta(minutes=15)
    return series


# Bright Sky -------------------------------------------------------------------------------

def brightsky_current(station: dict[str, Any], now: datetime) -> dict[str, Any]:
    """``current_weather?dwd_station_id=…&units=dwd`` (DWD units: km/h, %, hPa)."""
    observed = now.replace(minute=now.minute - now.minute % 10, second=0, microsecond=0)
    day = _day_cycle(observed)
    gusty = 0.5 + 0.5 * _cycle(observed, 600, float(station["source_id"] % 97))
    temperature = round(6.0 + 3.0 * day, 1)
    wind = round(18.0 + 14.0 * gusty, 1)
    return {
        "weather": {
            "source_id": station["source_id"],
            "timestamp": observed.astimezone(GERMAN_TIME).isoformat(),
            "cloud_cover": round(70 + 25 * gusty), "condition": "dry", "icon": "cloudy",
            "dew_point": round(temperature - 2.5, 1),
            "precipitation_10": 0.0, "precipitation_30": 0.0, "precipitation_60": 0.0,
            "pressure_msl": round(1012.0 + 6.0 * _cycle(observed, 2880), 1),
            "relative_humidity": round(84 - 8 * day), "visibility": 25000,
            "temperature": temperature,
            "wind_direction_10": 250, "wind_direction_30": 250, "wind_direction_60": 245,
            "wind_speed_10": wind, "wind_speed_30": wind, "wind_speed_60": wind,
            "wind_gust_direction_10": 250, "wind_gust_direction_30": 250,
            "wind_gust_direction_60": 250,
            "wind_gust_speed_10": round(wind * 1.6, 1), "wind_gust_speed_30": round(wind * 1.6, 1),
            "wind_gust_speed_60": round(wind * 1.7, 1),
            "fallback_source_ids": {},
        },
        "sources": [{
            "id": station["source_id"], "dwd_station_id": station["dwd_station_id"],
            "observation_type": "synop", "lat": station["lat"], "lon": station["lon"],
            "height": 5.0, "station_name": station["name"], "wmo_station_id": None,
            "first_record": "2010-01-01T00:00:00+00:00",
            "last_record": observed.astimezone(UTC).isoformat(), "distance": 0.0,
        }],
    }


# UBA air data API v3 -----------------------------------------------------------------------

UBA_COMPONENTS = {  # id: code, symbol, unit, name, (mean, daily swing)
    "1": ("PM10", "PM₁₀", "µg/m³", "Particulate matter", (16.0, 5.0)),
    "3": ("O3", "O₃", "µg/m³", "Ozone", (48.0, 14.0)),
    "5": ("NO2", "NO₂", "µg/m³", "Nitrogen dioxide", (9.0, -4.0)),
    "9": ("PM2", "PM₂,₅", "µg/m³", "Particulate matter", (9.0, 3.0)),
}
UBA_HOURLY_SCOPE = "2"


def uba_stations() -> dict[str, Any]:
    columns = ["station id", "station code", "station name", "station city", "station synonym",
               "station active from", "station active to", "station longitude",
               "station latitude"]
    return {"request": {"lang": "en", "index": "id"}, "indices": columns, "data": {
        s["id"]: [s["id"], s["code"], s["name"], s["city"], "", "1990-01-01", None,
                  f"{s['lon']:.4f}", f"{s['lat']:.4f}"]
        for s in stations()["uba"]["stations"]}}


def uba_components() -> dict[str, Any]:
    answer: dict[str, Any] = {key: [key, *row[:4]] for key, row in UBA_COMPONENTS.items()}
    answer["indices"] = ["component id", "component code", "component symbol",
                         "component unit", "component name"]
    answer["count"] = len(UBA_COMPONENTS)
    return answer


def uba_scopes() -> dict[str, Any]:
    return {"1": ["1", "1TMW", "day", "86400", "0", "Daily average"],
            UBA_HOURLY_SCOPE: [UBA_HOURLY_SCOPE, "1SMW", "hour", "3600", "0",
                               "One hour average"],
            "indices": ["scope id", "scope code", "scope time base", "scope time scope",
                        "scope time is max", "scope name"], "count": 2}


def uba_value(station_id: str, component: str, hour_end: datetime) -> float:
    mean, swing = UBA_COMPONENTS[component][4]
    offset = int(station_id) % 7
    return round(mean + offset * 0.3 + swing * _day_cycle(hour_end), 1)


def _cet_text(moment: datetime) -> str:
    """UBA's CET clock with hours 1–24: midnight is ``24:00:00`` of the day before."""
    local = moment.astimezone(CET)
    if local.hour == 0:
        return f"{(local - timedelta(days=1)).date().isoformat()} 24:00:00"
    return local.strftime("%Y-%m-%d %H:%M:%S")


def uba_measures(station_id: str, component: str, now: datetime,
                 hours: int = 24) -> dict[str, Any]:
    """``measures/json?station=…&component=…&scope=2``: hourly means up to the last full hour."""
    last_end = now.astimezone(CET).replace(minute=0, second=0, microsecond=0)
    series = {}
    for back in range(hours, 0, -1):
        end = last_end - timedelta(hours=back - 1)
        start = end - timedelta(hours=1)
        series[start.astimezone(CET).strftime("%Y-%m-%d %H:%M:%S")] = [
            int(component), int(UBA_HOURLY_SCOPE), uba_value(station_id, component, end),
            _cet_text(end), 1]
    known = any(s["id"] == station_id for s in stations()["uba"]["stations"])
    return {"request": {"station": station_id, "component": component,
                        "scope": UBA_HOURLY_SCOPE},
            "indices": {"data": {"station id": {"date start": [
                "component id", "scope id", "value", "date end", "index"]}}},
            "data": {station_id: series} if known and component in UBA_COMPONENTS else []}


# BNetzA Ladesäulenregister -----------------------------------------------------------------

BNETZA_HEADER = (
    ["Ladeeinrichtungs-ID", "Betreiber", "Anzeigename (Karte)", "Status",
     "Art der Ladeeinrichtung", "Anzahl Ladepunkte", "Nennleistung Ladeeinrichtung [kW]",
     "Inbetriebnahmedatum", "Straße", "Hausnummer", "Adresszusatz", "Postleitzahl", "Ort",
     "Kreis/kreisfreie Stadt", "Bundesland", "Breitengrad", "Längengrad",
     "Standortbezeichnung", "Informationen zum Parkraum", "Bezahlsysteme", "Öffnungszeiten",
     "Öffnungszeiten: Wochentage", "Öffnungszeiten: Tageszeiten"]
    + [f"{column}{n}" for n in range(1, 7)
       for column in ("Steckertypen", "Nennleistung Stecker", "EVSE-ID", "Public Key")]
)


def _decimal(value: float) -> str:
    return f"{value:.5f}".rstrip("0").rstrip(".").replace(".", ",")


def bnetza_csv(today: datetime) -> bytes:
    """The register as published: UTF-8 with BOM, preamble lines, ``;``, decimal commas."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(["Ladesäulenregister Bundesnetzagentur", "", ""])
    writer.writerow([f"Letzte Aktualisierung vom: {today:%d.%m.%Y}", "", ""])
    writer.writerow(["Hinweis: Demodaten der Smart Region Ostfriesland, keine echten Daten",
                     "", ""])
    writer.writerow(["", "", ""])
    writer.writerow(BNETZA_HEADER)
    for point in stations()["bnetza"]:
        fast = point["kw"] > 43
        socket = "DC Fahrzeugkupplung Typ Combo 2 (CCS)" if fast else "AC Typ 2 Steckdose"
        per_point = _decimal(point["kw"] / point["points"])
        sockets: list[str] = []
        for _ in range(min(point["points"], 6)):
            sockets += [socket, per_point, "", ""]
        row = [point["id"], point["operator"], point["name"], "In Betrieb",
               "Schnellladeeinrichtung" if fast else "Normalladeeinrichtung",
               str(point["points"]), _decimal(point["kw"]), "01.06.2022", point["street"],
               point["nr"], "", point["zip"], point["town"], point["kreis"], "Niedersachsen",
               _decimal(point["lat"]), _decimal(point["lon"]), "", "", "RFID-Karte", "247",
               "", "", *sockets]
        writer.writerow(row + [""] * (len(BNETZA_HEADER) - len(row)))
    return b"\xef\xbb\xbf" + out.getvalue().encode("utf-8")
