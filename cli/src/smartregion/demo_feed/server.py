"""The demo feed's HTTP server: the four public APIs' paths, answered from :mod:`.sources`.

The standard library's threading server is enough here: a handful of adapters poll it every
few minutes on loopback, and it keeps the demo free of another web stack. Unknown paths and
stations are answered the way the real services answer them (404, or an empty result).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from smartregion.demo_feed import sources

PEGELONLINE = "/pegelonline/webservices/rest-api/v2"
BRIGHTSKY = "/brightsky"
UBA = "/uba/api/air_data/v3"
BNETZA = "/bnetza"
HARVEST = "/harvest"
_MEASUREMENTS = re.compile(rf"^{PEGELONLINE}/stations/([^/]+)/W/measurements\.json$")
_DURATION = re.compile(r"^P(?:(\d+)D)?(?:T(?:(\d+)H)?)?$")

Answer = tuple[int, bytes, str]
JSON = "application/json"


def _json(status: int, body: Any) -> Answer:
    return status, json.dumps(body, ensure_ascii=False).encode(), JSON


def _start(text: str | None, now: datetime) -> datetime:
    """PEGELONLINE's ``start``: an ISO 8601 time or a duration back from now (default P1D)."""
    if not text:
        return now - timedelta(days=1)
    duration = _DURATION.match(text)
    if duration:
        return now - timedelta(days=int(duration[1] or 0), hours=int(duration[2] or 0))
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=sources.GERMAN_TIME)


def answer(path: str, query: dict[str, str], now: datetime, base_url: str = "") -> Answer:
    """The answer to ``GET path?query`` at ``now``."""
    if path == "/health":
        return _json(200, {"status": "ok"})
    if path == f"{PEGELONLINE}/stations.json":
        ids = [part for part in query.get("ids", "").split(",") if part]
        return _json(200, sources.pegelonline_stations(ids, now))
    if match := _MEASUREMENTS.match(path):
        gauges = sources.find_gauges([unquote(match[1])])
        if not gauges:
            return _json(404, {"status": 404, "message": "Station not found"})
        try:
            since = _start(query.get("start"), now)
        except ValueError:
            return _json(400, {"status": 400, "message": "Invalid start"})
        return _json(200, sources.pegelonline_measurements(gauges[0], since, now))
    if path == f"{BRIGHTSKY}/current_weather":
        station = next((s for s in sources.stations()["brightsky"]
                        if s["dwd_station_id"] == query.get("dwd_station_id")), None)
        if station is None:
            return _json(404, {"title": "Not Found",
                               "detail": "No sources match your criteria."})
        return _json(200, sources.brightsky_current(station, now))
    uba: dict[str, Callable[[], Any]] = {
        f"{UBA}/stations/json": sources.uba_stations,
        f"{UBA}/components/json": sources.uba_components,
        f"{UBA}/scopes/json": sources.uba_scopes,
        f"{UBA}/measures/json": lambda: sources.uba_measures(
            query.get("station", ""), query.get("component", ""), now),
    }
    if path in uba:
        return _json(200, uba[path]())
    if path == f"{BNETZA}/ladesaeulenregister.csv":
        return 200, sources.bnetza_csv(now), "text/csv; charset=utf-8"
    if path.startswith(HARVEST):
        return harvest_sample(path[len(HARVEST):], query, base_url)
    return _json(404, {"error": f"not found: {path}"})


def harvest_sample(path: str, query: dict[str, str], base_url: str) -> Answer:
    """The demo harvest's sample sources (``demo_feed/harvest/``, README there)."""
    if path == "/dcat/catalog.ttl":
        name = f"catalog-page{query.get('page', '1')}.ttl"
        content_type = "text/turtle; charset=utf-8"
    elif path == "/wfs":
        request = {k.lower(): v for k, v in query.items()}
        if request.get("request", "").lower() == "getcapabilities":
            name = "capabilities.xml"
        else:
            typename = request.get("typenames") or request.get("typename") or ""
            name = f"features_{typename.split(':')[-1]}.xml"
        content_type = "text/xml; charset=utf-8"
    elif path.startswith("/files/"):
        name, content_type = "files/" + path[len("/files/"):], "application/octet-stream"
    else:
        return _json(404, {"error": f"not found: {path}"})
    found = resources.files("smartregion.demo_feed").joinpath("harvest", *name.split("/"))
    if "/" in name.removeprefix("files/") or ".." in name or not found.is_file():
        return _json(404, {"error": f"not found: {path}"})
    return 200, found.read_bytes().replace(b"{base_url}", base_url.encode()), content_type


def make_server(host: str, port: int,
                clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
            try:
                status, body, content_type = answer(parts.path, query, clock(),
                                                    f"http://{host}:{port}")
            except Exception as error:  # a bug here must not kill the demo feed
                status, body, content_type = _json(500, {"error": repr(error)})
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer((host, port), Handler)
    server.daemon_threads = True
    return server
