"""The hot path (api/hot_path.py) must dispatch exactly as FastAPI's router would: same
handler, same path parameters, and nothing else taken over."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi import FastAPI
from ngsild_broker.api.hot_path import route
from ngsild_broker.app import create_app
from ngsild_broker.settings import BrokerSettings
from starlette.routing import Match


@pytest.fixture(scope="module")
def app() -> FastAPI:
    return create_app(BrokerSettings(database_dsn="postgresql://unused/x", open_writes=True))


def flat_routes(routes: list[Any]) -> list[Any]:
    """The app's routes in matching order. FastAPI wraps included routers in an internal
    ``_IncludedRouter`` whose routes it builds on demand; this test depends on that (the
    FastAPI version is pinned), and fails loudly if it changes."""
    flat = []
    for candidate in routes:
        nested = getattr(candidate, "effective_candidates", None)
        flat += flat_routes(nested()) if nested is not None else [candidate]
    return flat


def router_choice(app: FastAPI, method: str, path: str) -> tuple[object, dict[str, str]]:
    """The endpoint and path parameters the router picks (first full match, as Starlette)."""
    scope = {"type": "http", "method": method, "path": path, "root_path": ""}
    for candidate in flat_routes(app.router.routes):
        match, child = candidate.matches(scope)
        if match == Match.FULL:
            return candidate.endpoint, child["path_params"]
    raise AssertionError(f"no route for {method} {path}")


HOT = [
    ("GET", "/ngsi-ld/v1/entities"),
    ("GET", "/ngsi-ld/v1/entities/urn:ngsi-ld:WaterObserved:emden-1"),
    ("GET", "/ngsi-ld/v1/entities/urn:ngsi-ld:X:ä ö"),
    ("PATCH", "/ngsi-ld/v1/entities/urn:ngsi-ld:WaterObserved:emden-1/attrs"),
    ("PATCH", "/ngsi-ld/v1/entities/attrs/attrs"),
    ("POST", "/ngsi-ld/v1/entityOperations/upsert"),
]


@pytest.mark.parametrize(("method", "path"), HOT)
def test_hot_requests_get_the_routers_handler_and_parameters(
    app: FastAPI, method: str, path: str
) -> None:
    found = route(method, path)
    assert found is not None
    assert found == router_choice(app, method, path)


COLD = [
    ("POST", "/ngsi-ld/v1/entities"),
    ("DELETE", "/ngsi-ld/v1/entities/urn:ngsi-ld:X:1"),
    ("HEAD", "/ngsi-ld/v1/entities/urn:ngsi-ld:X:1"),
    ("GET", "/ngsi-ld/v1/entities/"),
    ("GET", "/ngsi-ld/v1/entities/urn:ngsi-ld:X:1/attrs"),
    ("PATCH", "/ngsi-ld/v1/entities/urn:ngsi-ld:X:1/attrs/height"),
    ("PATCH", "/ngsi-ld/v1/entities//attrs"),
    ("PATCH", "/ngsi-ld/v1/entities/a/b/attrs"),
    ("POST", "/ngsi-ld/v1/entityOperations/create"),
    ("GET", "/ngsi-ld/v1/entitiesx"),
    ("GET", "/ngsi-ld/v1/types"),
]


@pytest.mark.parametrize(("method", "path"), COLD)
def test_everything_else_takes_the_router(method: str, path: str) -> None:
    assert route(method, path) is None
