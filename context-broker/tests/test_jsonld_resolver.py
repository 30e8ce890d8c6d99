"""@context documents are found offline first, downloaded within a time budget, and kept.

Downloads go to a real HTTP server on 127.0.0.1 (a random port, started by the test) that
serves the fixture files, so the client code under test is the real one.
"""

import asyncio
import json
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from ngsild_broker.jsonld import (
    CORE_CONTEXT_URL,
    ContextResolver,
    InvalidContext,
    LdContextNotAvailable,
)

FIXTURES = Path(__file__).parent / "fixtures" / "contexts"
SDM_URL = "https://smart-data-models.github.io/dataModel.Environment/context.jsonld"
WEATHER = (FIXTURES / "remote-weather.jsonld").read_bytes()
BIG = b'{"@context": {"a": "' + b"x" * 5000 + b'"}}'


class ContextServer:
    """A local HTTP server with a few behaviours a remote @context host can show."""

    def __init__(self) -> None:
        self.hits: dict[str, int] = {}
        self.failures_left = 0
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                server.hits[self.path] = server.hits.get(self.path, 0) + 1
                if self.path == "/flaky.jsonld" and server.failures_left > 0:
                    server.failures_left -= 1
                    self._send(503, b"busy", "text/plain")
                elif self.path in ("/weather.jsonld", "/flaky.jsonld"):
                    # raw.githubusercontent.com serves contexts as text/plain, too
                    self._send(200, WEATHER, "text/plain; charset=utf-8")
                elif self.path == "/page.html":
                    self._send(200, b"<html>not a context</html>", "text/html")
                elif self.path == "/no-context.json":
                    self._send(200, b'{"name": "x"}', "application/json")
                elif self.path == "/big.jsonld":
                    self._send(200, BIG, "application/json")
                else:
                    self._send(404, b"not found", "text/plain")

            def _send(self, status: int, body: bytes, content_type: str) -> None:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def url(self, path: str) -> str:
        return self.base + path

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=5)


@pytest.fixture
def server():
    running = ContextServer()
    yield running
    running.stop()


def closed_port() -> int:
    """A port nothing listens on (bound, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def run(coroutine):
    return asyncio.run(coroutine)


# -- offline sources ------------------------------------------------------------------------


def test_preload_directory_is_read_through_its_index():
    resolver = ContextResolver(FIXTURES, allow_download=False)
    document = run(resolver.resolve(SDM_URL))
    assert document == json.loads((FIXTURES / "sdm-environment.jsonld").read_text())
    assert document["@context"]["WaterObserved"] == (
        "https://smartdatamodels.org/dataModel.Environment/WaterObserved"
    )


def test_preload_mapping_works_like_a_directory():
    resolver = ContextResolver({SDM_URL: FIXTURES / "sdm-environment.jsonld"})
    assert "height" in run(resolver.resolve(SDM_URL))["@context"]


def test_broken_preload_index_stops_the_start(tmp_path):
    (tmp_path / "index.json").write_text(json.dumps({SDM_URL: "missing.jsonld"}))
    with pytest.raises(ValueError, match="missing"):
        ContextResolver(tmp_path)
    (tmp_path / "index.json").write_text("[1, 2]")
    with pytest.raises(ValueError, match="must map"):
        ContextResolver(tmp_path)


def test_preloaded_file_that_is_not_a_context_is_invalid(tmp_path):
    (tmp_path / "bad.jsonld").write_text('{"name": "no context here"}')
    resolver = ContextResolver({"https://example.org/bad": tmp_path / "bad.jsonld"})
    with pytest.raises(InvalidContext):
        run(resolver.resolve("https://example.org/bad"))


def test_relative_url_is_invalid():
    with pytest.raises(InvalidContext, match="absolute"):
        run(ContextResolver(allow_download=True).resolve("context.jsonld"))


# -- downloads ------------------------------------------------------------------------------


def test_download_lands_in_the_persistent_cache(server, tmp_path):
    url = server.url("/weather.jsonld")
    first = ContextResolver(cache_dir=tmp_path, allow_download=True)
    document = run(first.resolve(url))
    assert document == json.loads(WEATHER)
    assert server.hits == {"/weather.jsonld": 1}
    assert run(first.resolve(url)) == document  # from memory
    assert server.hits == {"/weather.jsonld": 1}
    assert len(list(tmp_path.glob("*.jsonld"))) == 1
    assert len(list(tmp_path.glob("*.meta.json"))) == 1

    server.stop()
    restarted = ContextResolver(cache_dir=tmp_path, allow_download=True, timeout=0.5, retries=1)
    assert run(restarted.resolve(url)) == document
    assert [entry.url for entry in restarted.list() if entry.origin == "download"] == [url]


def test_concurrent_requests_share_one_download(server):
    resolver = ContextResolver(allow_download=True)
    url = server.url("/weather.jsonld")

    async def many():
        return await asyncio.gather(*(resolver.resolve(url) for _ in range(8)))

    documents = run(many())
    assert all(document == documents[0] for document in documents)
    assert server.hits == {"/weather.jsonld": 1}


def test_server_errors_are_retried(server):
    server.failures_left = 2
    resolver = ContextResolver(allow_download=True, timeout=2.0, retries=2)
    assert run(resolver.resolve(server.url("/flaky.jsonld"))) == json.loads(WEATHER)
    assert server.hits == {"/flaky.jsonld": 3}


@pytest.mark.parametrize(
    ("path", "reason"),
    [
        ("/missing.jsonld", "HTTP 404"),
        ("/page.html", "not JSON"),
        ("/no-context.json", "no @context"),
        ("/big.jsonld", "larger than 1000 bytes"),
    ],
)
def test_responses_that_are_no_context_are_not_retried(server, path, reason):
    resolver = ContextResolver(allow_download=True, max_bytes=1000)
    with pytest.raises(LdContextNotAvailable, match=reason) as caught:
        run(resolver.resolve(server.url(path)))
    assert caught.value.url == server.url(path)
    assert server.hits == {path: 1}


def test_unreachable_url_fails_within_the_time_budget():
    timeout, retries = 0.5, 2
    url = f"http://127.0.0.1:{closed_port()}/context.jsonld"
    resolver = ContextResolver(allow_download=True, timeout=timeout, retries=retries)
    started = time.monotonic()
    with pytest.raises(LdContextNotAvailable, match="ConnectError") as caught:
        run(resolver.resolve(url))
    assert time.monotonic() - started < timeout * retries + 1
    assert caught.value.url == url

    # remembered for a while: the next request does not wait again
    started = time.monotonic()
    with pytest.raises(LdContextNotAvailable, match="failed recently"):
        run(resolver.resolve(url))
    assert time.monotonic() - started < 0.1


def test_silent_server_cannot_hold_a_request_beyond_the_budget():
    # A listening socket that never answers: connections succeed, responses never come.
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(16)
        url = f"http://127.0.0.1:{silent.getsockname()[1]}/context.jsonld"
        timeout, retries = 0.4, 3
        resolver = ContextResolver(allow_download=True, timeout=timeout, retries=retries)
        started = time.monotonic()
        with pytest.raises(LdContextNotAvailable):
            run(resolver.resolve(url))
        assert time.monotonic() - started < timeout * retries + 1


def test_downloads_off_means_no_network_attempt(server):
    resolver = ContextResolver(allow_download=False)
    with pytest.raises(LdContextNotAvailable, match="downloads are disabled"):
        run(resolver.resolve(server.url("/weather.jsonld")))
    assert server.hits == {}


def test_only_http_urls_are_downloaded(tmp_path):
    secret = tmp_path / "secret.json"
    secret.write_text('{"@context": {"leak": "https://example.org/leak"}}')
    resolver = ContextResolver(allow_download=True)
    with pytest.raises(LdContextNotAvailable, match="only http"):
        run(resolver.resolve(secret.as_uri()))


# -- hosted contexts (/jsonldContexts) ------------------------------------------------------


def test_hosted_context_is_served_listed_persisted_and_removed(tmp_path):
    url = "http://127.0.0.1:1026/ngsi-ld/v1/jsonldContexts/sro"
    document = json.loads((FIXTURES / "ostfriesland.jsonld").read_text())
    changed: list[str] = []
    resolver = ContextResolver(FIXTURES, cache_dir=tmp_path)
    resolver.add_listener(changed.append)

    entry = resolver.add(url, document)
    assert (entry.kind, entry.origin) == ("Hosted", "hosted")
    assert run(resolver.resolve(url)) == document
    listed = {item.url: item for item in resolver.list()}
    assert listed[url].kind == "Hosted"
    assert listed[url].hits == 1
    assert listed[CORE_CONTEXT_URL].origin == "core"
    assert listed[SDM_URL].origin == "preload"

    assert run(ContextResolver(cache_dir=tmp_path).resolve(url)) == document  # after restart

    assert resolver.remove(url) is True
    assert resolver.remove(url) is False
    with pytest.raises(LdContextNotAvailable):
        run(resolver.resolve(url))
    assert url not in {item.url for item in resolver.list()}
    assert changed == [url, url, url]


def test_shipped_contexts_cannot_be_replaced_or_deleted():
    resolver = ContextResolver(FIXTURES)
    with pytest.raises(InvalidContext):
        resolver.remove(CORE_CONTEXT_URL)
    with pytest.raises(InvalidContext):
        resolver.add(SDM_URL, {"@context": {}})


def test_hosting_something_that_is_not_a_context_is_refused():
    resolver = ContextResolver()
    with pytest.raises(InvalidContext):
        resolver.add("http://127.0.0.1:1026/ngsi-ld/v1/jsonldContexts/x", {"name": "x"})
    with pytest.raises(InvalidContext):
        resolver.add("http://127.0.0.1:1026/ngsi-ld/v1/jsonldContexts/y", {"@context": 42})
