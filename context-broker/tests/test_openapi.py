"""The broker's OpenAPI document: snapshot, completeness, security, validity, examples.

The snapshot makes every change of the published API visible in review. After an intended
change, regenerate it (from the repository root) with REGENERATE below and commit the diff.
"""

from __future__ import annotations

import difflib
import json
import re
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from ngsild_broker.api import batch
from ngsild_broker.api.openapi_doc import OPERATIONS, build_document, is_write, spec_path
from ngsild_broker.app import create_app
from ngsild_broker.errors import ERROR_BASE
from ngsild_broker.settings import BrokerSettings

SNAPSHOT = Path(__file__).parent / "snapshots" / "openapi.json"
REGENERATE = (
    "PYTHONPATH=context-broker/src .venv/bin/python -m ngsild_broker.api.openapi_doc "
    "> context-broker/tests/snapshots/openapi.json"
)
METHODS = ("get", "put", "post", "delete", "patch")


@pytest.fixture(scope="module")
def app() -> Any:
    return create_app(BrokerSettings(database_dsn="postgresql://unused/x", open_writes=True))


@pytest.fixture(scope="module")
def document(app: Any) -> dict[str, Any]:
    return app.openapi()


def operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [(method, path, operation) for path, item in document["paths"].items()
            for method, operation in item.items() if method in METHODS]


def deref(document: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    """Follow ``$ref`` (local JSON pointers) until a concrete object."""
    while "$ref" in node:
        target: Any = document
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        node = target
    return node


def test_document_matches_snapshot(document: dict[str, Any]) -> None:
    current = json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    if not SNAPSHOT.exists():
        pytest.fail(f"No snapshot at {SNAPSHOT}. Create it with:\n  {REGENERATE}")
    stored = SNAPSHOT.read_text(encoding="utf-8")
    if json.loads(stored) == document:
        return
    diff = "".join(difflib.unified_diff(
        stored.splitlines(keepends=True), current.splitlines(keepends=True),
        "snapshot (tests/snapshots/openapi.json)", "current document", n=2,
    ))
    shown = diff if len(diff) < 8000 else diff[:8000] + "\n… (diff cut)\n"
    pytest.fail(
        "The OpenAPI document differs from the snapshot. If the change is intended, "
        f"regenerate the snapshot from the repository root with\n  {REGENERATE}\n"
        f"and commit it.\n\n{shown}",
        pytrace=False,
    )


def test_every_route_has_a_row_in_the_table(document: dict[str, Any]) -> None:
    """A new route must be described in openapi_doc.OPERATIONS, not left as FastAPI's stub.
    Checked on the document: app.routes holds included routers as wrappers (FastAPI 0.16x),
    not their routes."""
    missing = [f"{method.upper()} {path}" for method, path, _ in operations(document)
               if (method.upper(), path) not in OPERATIONS]
    assert not missing, f"Add these operations to openapi_doc.OPERATIONS: {missing}"
    ids = [operation["operationId"] for _, _, operation in operations(document)]
    assert len(ids) == len(set(ids))


def test_every_ngsi_ld_operation_documents_400_problem_details(document: dict[str, Any]) -> None:
    assert check_problem_details(document) >= 20


def check_problem_details(document: dict[str, Any]) -> int:
    """Every NGSI-LD operation answers 400, and every error as a ProblemDetails; returns the
    number of operations checked."""
    checked = 0
    for method, path, operation in operations(document):
        if not path.startswith("/ngsi-ld/v1"):
            continue
        checked += 1
        assert "400" in operation["responses"], f"{method} {path}"
        for status, response in operation["responses"].items():
            if not status.startswith(("4", "5")):
                continue
            media = deref(document, response)["content"]["application/json"]
            problem = media["schema"]["allOf"]
            assert deref(document, problem[0])["required"] == ["type", "title"]
            types = problem[1]["properties"]["type"]["enum"]
            assert types and all(t.startswith(ERROR_BASE) for t in types), (path, status)
            assert problem[1]["properties"]["status"]["const"] == int(status)
    return checked


def test_writes_need_the_bearer_token_and_reads_do_not(document: dict[str, Any]) -> None:
    check_security(document)
    query = document["paths"]["/ngsi-ld/v1/entityOperations/query"]["post"]
    assert "security" not in query  # a read, although a POST


def check_security(document: dict[str, Any]) -> None:
    schemes = document["components"]["securitySchemes"]
    assert schemes["bearerAuth"] == {**schemes["bearerAuth"], "type": "http", "scheme": "bearer"}
    for method, path, operation in operations(document):
        if is_write(method, path):
            assert operation.get("security") == [{"bearerAuth": []}], f"{method} {path}"
            assert "401" in operation["responses"], f"{method} {path}"
        else:
            assert "security" not in operation, f"{method} {path}"


def test_documented_parameters_and_media_types(document: dict[str, Any]) -> None:
    """Spot checks of what developers look up most."""
    paths = document["paths"]

    def names(method: str, path: str) -> set[str]:
        return {deref(document, p)["name"] for p in paths[path][method]["parameters"]}

    query = names("get", "/ngsi-ld/v1/entities")
    assert {"type", "id", "idPattern", "attrs", "pick", "omit", "q", "georel", "geometry",
            "coordinates", "geoproperty", "limit", "offset", "count", "options", "format",
            "lang", "local", "scopeQ", "NGSILD-Tenant", "Link"} <= query
    assert {"lang", "local", "pick", "omit", "attrs"} <= names(
        "get", "/ngsi-ld/v1/entities/{entityId}")
    assert {"datasetId", "deleteAll"} <= names(
        "delete", "/ngsi-ld/v1/entities/{entityId}/attrs/{attrId}")
    assert "options" in names("post", "/ngsi-ld/v1/entities/{entityId}/attrs")
    query_body = document["components"]["schemas"]["Query"]["properties"]
    assert {"lang", "scopeQ", "entities", "geoQ", "q", "attrs"} <= set(query_body)

    retrieved = deref(document, paths["/ngsi-ld/v1/entities"]["get"]["responses"]["200"])
    assert set(retrieved["content"]) == {
        "application/json", "application/ld+json", "application/geo+json"}
    assert {"Link", "NGSILD-Results-Count"} <= set(retrieved["headers"])
    created = deref(document, paths["/ngsi-ld/v1/entities"]["post"]["responses"]["201"])
    assert "Location" in created["headers"]
    body = deref(document, paths["/ngsi-ld/v1/entities"]["post"]["requestBody"])
    assert set(body["content"]) == {"application/json", "application/ld+json"}
    batch_body = deref(document, paths["/ngsi-ld/v1/entityOperations/create"]["post"][
        "requestBody"])["content"]["application/json"]["schema"]
    assert batch_body["maxItems"] == batch.MAX_BATCH
    for operation in ("create", "upsert", "update", "delete"):
        responses = paths[f"/ngsi-ld/v1/entityOperations/{operation}"]["post"]["responses"]
        assert "207" in responses, operation
    assert "207" in paths["/ngsi-ld/v1/entities/{entityId}/attrs"]["patch"]["responses"]


def test_document_is_valid_openapi(document: dict[str, Any]) -> None:
    validator = pytest.importorskip("openapi_spec_validator")
    validator.validate(document)


def test_examples_match_their_schemas(document: dict[str, Any]) -> None:
    """Every example of a parameter, request body or response validates against its schema."""
    assert check_examples(document) > 30


def check_examples(document: dict[str, Any]) -> int:
    """Validates the examples of the components (and of callback bodies); returns how many."""
    jsonschema = pytest.importorskip("jsonschema")
    components = document["components"]
    checked = 0

    def check(schema: dict[str, Any], examples: dict[str, Any], where: str) -> None:
        nonlocal checked
        validator = jsonschema.Draft202012Validator({**schema, "components": components})
        for name, example in examples.items():
            errors = [e.message for e in validator.iter_errors(example["value"])]
            assert not errors, f"{where}, example {name}: {errors[:3]}"
            checked += 1

    for name, parameter in components["parameters"].items():
        check(parameter["schema"], parameter.get("examples", {}), f"parameter {name}")
    holders = [*components["requestBodies"].items(), *components["responses"].items()]
    holders += [(f"callback {name} {expression} {method}", operation["requestBody"])
                for name, callback in components.get("callbacks", {}).items()
                for expression, item in callback.items()
                for method, operation in item.items()]
    for name, holder in holders:
        for media, content in holder.get("content", {}).items():
            check(content["schema"], content.get("examples", {}), f"{name} ({media})")
    return checked


_T = "/ngsi-ld/v1/temporal/entities"
#: Subscription and temporal operations, with the path parameter names routes may use.
DOCUMENTED_IN_ADVANCE = [
    ("POST", "/ngsi-ld/v1/subscriptions"),
    ("GET", "/ngsi-ld/v1/subscriptions"),
    ("GET", "/ngsi-ld/v1/subscriptions/{subscription_id}"),
    ("PATCH", "/ngsi-ld/v1/subscriptions/{subscription_id}"),
    ("DELETE", "/ngsi-ld/v1/subscriptions/{subscription_id}"),
    ("POST", _T),
    ("GET", _T),
    ("GET", _T + "/{entity_id}"),
    ("DELETE", _T + "/{entity_id}"),
    ("POST", _T + "/{entity_id}/attrs"),
    ("DELETE", _T + "/{entity_id}/attrs/{attr}"),
    ("PATCH", _T + "/{entity_id}/attrs/{attr}/{instance_id}"),
    ("DELETE", _T + "/{entity_id}/attrs/{attr}/{instance_id}"),
    ("POST", "/ngsi-ld/v1/temporal/entityOperations/query"),
]


def test_subscription_and_temporal_operations_are_documented_in_advance() -> None:
    """Routes of these operations get their full description as soon as they exist."""
    validator = pytest.importorskip("openapi_spec_validator")
    stub_app = FastAPI(title="stubs", version="0")
    stub_app.state.settings = BrokerSettings(database_dsn="postgresql://unused/x",
                                             open_writes=True)

    async def stub() -> None:
        return None

    for method, path in DOCUMENTED_IN_ADVANCE:
        stub_app.add_api_route(path, stub, methods=[method])
    document = build_document(stub_app)

    documented = {(method.upper(), path): operation
                  for method, path, operation in operations(document)}
    assert set(documented) == {(method, spec_path(path)) for method, path in DOCUMENTED_IN_ADVANCE}
    for (method, path), operation in documented.items():
        row = OPERATIONS[(method, path)]
        where = f"{method} {path}"
        assert operation["operationId"] == row.operation_id, where  # not FastAPI's stub
        assert "422" not in operation["responses"], where
        in_path = {deref(document, p)["name"] for p in operation["parameters"]
                   if deref(document, p)["in"] == "path"}
        assert in_path == set(re.findall(r"{(\w+)}", path)), where
        assert any(status.startswith("2") for status in operation["responses"]), where
        assert ("requestBody" in operation) == (method in ("POST", "PATCH")), where
        if (path.startswith(_T) and method == "GET") or path.endswith("/query"):
            partial = deref(document, operation["responses"]["206"])
            assert "Content-Range" in partial["headers"], where
    assert check_problem_details(document) == len(DOCUMENTED_IN_ADVANCE)
    check_security(document)
    public = {f"{method} {path}" for (method, path), operation in documented.items()
              if "security" not in operation}
    assert public == {
        "GET /ngsi-ld/v1/subscriptions", "GET /ngsi-ld/v1/subscriptions/{subscriptionId}",
        f"GET {_T}", f"GET {_T}/{{entityId}}", "POST /ngsi-ld/v1/temporal/entityOperations/query",
    }
    create = documented[("POST", "/ngsi-ld/v1/subscriptions")]
    assert "notification" in create["callbacks"]
    assert "Location" in deref(document, create["responses"]["201"])["headers"]
    assert [tag["name"] for tag in document["tags"]] == ["Subscriptions", "Temporal"]
    validator.validate(document)
    assert check_examples(document) > 30
