"""Fixtures shared by the adapters' tests: a local HTTP server serving sample payloads from
``tests/fixtures/<source>/`` (so the adapters' real HTTP code runs, offline)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures"


@dataclass
class SampleServer:
    """Answers ``GET <path>`` with a registered (status, body, content type); every request
    is recorded. ``delay`` seconds before answering simulate a slow source."""

    url: str = ""
    routes: dict[str, tuple[int, bytes, str]] = field(default_factory=dict)
    requests: list[str] = field(default_factory=list)
    delay: float = 0.0

    def serve(self, path: str, body: bytes | str, status: int = 200,
              content_type: str = "application/json") -> None:
        data = body.encode() if isinstance(body, str) else body
        self.routes[path] = (status, data, content_type)

    def serve_fixture(self, path: str, fixture: str, status: int = 200,
                      content_type: str = "application/json") -> None:
        self.serve(path, (FIXTURES / fixture).read_bytes(), status, content_type)


@pytest.fixture
def sample_server() -> Iterator[SampleServer]:
    server_state = SampleServer()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            import time

            server_state.requests.append(self.path)
            if server_state.delay:
                time.sleep(server_state.delay)
            path = self.path.split("?", 1)[0]
            status, body, content_type = server_state.routes.get(
                path, (404, b'{"error": "not found"}', "application/json"))
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server_state.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                              daemon=True)
    thread.start()
    yield server_state
    server.shutdown()
    server.server_close()
