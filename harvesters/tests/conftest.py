"""Fixtures of the harvesters' tests: sample sources on a local HTTP server (so the real
client code — httpx, OWSLib's requests, GDAL — runs, offline), a fresh organisation in the
running test instance's CKAN, and a runner wired to that catalogue.

The catalogue is the real one of the test instance (``make test`` starts it): harvested
datasets go through its Action API, its validation and its DCAT-AP.de serialiser.
"""

from __future__ import annotations

import os
import threading
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from ckanapi import RemoteCKAN
from smartregion_harvesters.catalogue import Catalogue
from smartregion_harvesters.config import HarvestConfig, PartnerConfig, SourceConfig
from smartregion_harvesters.report import SourceReport
from smartregion_harvesters.runner import PlannedSource, Runner

from smartregion import credentials
from smartregion.settings import PlatformSettings

FIXTURES = Path(__file__).parent / "fixtures"
#: An answer: status, body, content type.
Answer = tuple[int, bytes, str]
Handler = Callable[[dict[str, list[str]], bytes], Answer]


@dataclass
class SampleSite:
    """Routes ``path`` → handler(query, body); static fixtures get ``{base_url}`` replaced
    by the server's URL. Every request is recorded as ``METHOD path?query``."""

    url: str = ""
    routes: dict[str, Handler] = field(default_factory=dict)
    requests: list[str] = field(default_factory=list)

    def fixture(self, name: str) -> bytes:
        return (FIXTURES / name).read_bytes().replace(b"{base_url}", self.url.encode())

    def serve(self, path: str, name: str | None = None, content_type: str = "text/plain",
              status: int = 200, body: bytes | None = None) -> None:
        data = body if body is not None else self.fixture(name or "")
        self.routes[path] = lambda query, _: (status, data, content_type)

    def handle(self, path: str, handler: Handler) -> None:
        self.routes[path] = handler


@pytest.fixture
def site() -> Iterator[SampleSite]:
    state = SampleSite()

    class RequestHandler(BaseHTTPRequestHandler):
        def _answer(self, body: bytes) -> None:
            parts = urlsplit(self.path)
            state.requests.append(f"{self.command} {self.path}")
            handler = state.routes.get(parts.path)
            query = {k.lower(): v for k, v in parse_qs(parts.query).items()}
            status, data, content_type = (handler(query, body) if handler else
                                          (404, b"not found", "text/plain"))
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            self._answer(b"")

        def do_POST(self) -> None:
            self._answer(self.rfile.read(int(self.headers.get("Content-Length") or 0)))

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), RequestHandler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="session")
def platform_settings() -> PlatformSettings:
    """The test instance (``make test`` starts it; tests/conftest.py checks its services)."""
    return PlatformSettings(instance="test")


@pytest.fixture(scope="session")
def ckan_url(platform_settings: PlatformSettings) -> str:
    return platform_settings.ckan_url


@pytest.fixture(scope="session")
def ckan_admin(platform_settings: PlatformSettings) -> RemoteCKAN:
    token = credentials.read_token(platform_settings.api_token_file)
    return RemoteCKAN(platform_settings.ckan_url, apikey=token)


@pytest.fixture(scope="session", autouse=True)
def ckan_ini(platform_settings: PlatformSettings) -> None:
    """The DCAT source type parses with the catalogue's profile inside CKAN (CKAN_INI)."""
    os.environ["CKAN_INI"] = str(platform_settings.ckan_ini)


@pytest.fixture
def organization(ckan_admin: RemoteCKAN) -> Iterator[str]:
    """A fresh organisation; its datasets are purged afterwards (deleted ones too)."""
    name = f"harvest-{uuid.uuid4().hex[:8]}"
    ckan_admin.action.organization_create(name=name, title=f"Harvest-Test {name[-8:]}")
    yield name
    for dataset in datasets_of(ckan_admin, name, include_deleted=True):
        ckan_admin.action.dataset_purge(id=dataset["id"])
    ckan_admin.action.organization_purge(id=name)


def datasets_of(ckan: RemoteCKAN, organization: str, include_deleted: bool = False
                ) -> list[dict[str, Any]]:
    found = ckan.action.package_search(fq=f"organization:{organization}", rows=1000,
                                       include_private=True)["results"]
    if include_deleted:
        found += ckan.action.package_search(fq=f"organization:{organization} +state:deleted",
                                            rows=1000, include_deleted=True)["results"]
    return list({d["id"]: d for d in found}.values())


@dataclass
class Harvest:
    """Runs one source into ``organization`` through the real catalogue."""

    ckan: RemoteCKAN
    organization: str
    partner_name: str = "testpartner"

    def source(self, type_: str, url: str, **options: Any) -> PlannedSource:
        partner = PartnerConfig(organization=self.organization, sources=[
            SourceConfig(name=type_, type=type_, url=url, timeout_seconds=5, options=options)])
        config = HarvestConfig(partners={self.partner_name: partner})
        return PlannedSource(self.partner_name, config.partners[self.partner_name],
                             partner.sources[0])

    def datasets(self) -> list[dict[str, Any]]:
        """The active datasets of the organisation, as CKAN serves them."""
        return datasets_of(self.ckan, self.organization)

    def run(self, planned: PlannedSource, **runner_options: Any) -> SourceReport:
        catalogue = Catalogue(self.ckan)
        runner = Runner(catalogue, **runner_options)
        (report,) = runner.run([planned]).sources
        return report


@pytest.fixture
def harvest(ckan_admin: RemoteCKAN, organization: str) -> Harvest:
    return Harvest(ckan_admin, organization)
