"""Fuzz every operation of the broker from the OpenAPI document it serves.

For each operation of ``GET {broker}/openapi.json``, Hypothesis draws requests from what the
document says the operation takes: path, query and header parameters from their schemas
(enums, patterns, examples), request bodies from their JSON Schemas and examples, the
documented media types, with hostile strings and arbitrary JSON mixed in everywhere. Writes
carry the write token. Every answer must

- not be a 5xx (one exception: 503 LdContextNotAvailable when the request itself named an
  @context other than the core one, which the broker cannot load; clause 5.5.2 prescribes
  exactly that answer),
- be a ProblemDetails with an NGSI-LD error type if it is a 4xx,
- have a status code the document lists for the operation, and a body that validates
  against the documented schema (so the document is checked against the broker too).

All operations run before the test reports, so one run lists every failing operation with
its (shrunk) request. ``FUZZ_EXAMPLES`` sets the examples per operation (default 40: about
10 s when all pass, more while failures are shrunk). The fuzz writes only to the tenant
``fuzz-openapi`` and removes what it created. No generated @context or Link header names a
URL the broker would download, except loopback ones.
"""

from __future__ import annotations

import contextlib
import json
import os
import string
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlsplit

import httpx
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from tests.contract.conftest import broker_url, write_headers  # noqa: F401  (fixtures)
from tests.contract.test_fuzz import json_values, query_text

TENANT = "fuzz-openapi"
NEVER_WRITTEN_TENANT = "fuzz-openapi-never-written"  # only sent with reads
ERROR_BASE = "https://uri.etsi.org/ngsi-ld/errors/"
JSON_LD_REL = "http://www.w3.org/ns/json-ld#context"
CORE_CONTEXTS = frozenset({
    "https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context-v1.8.jsonld",
    "https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context-v1.7.jsonld",
    "https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context-v1.6.jsonld",
    "https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context.jsonld",
})
LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "40"))
MAX_DEPTH = 4  # $ref levels below which optional members are no longer generated
METHODS = ("get", "put", "post", "patch", "delete")
WRITE_METHODS = ("PUT", "POST", "PATCH", "DELETE")

HOSTILE_STRINGS = [
    "", " ", "\x00", "\t", "\n", "null", "true", "-1", "0", "1e309", "NaN", "[]", "{}", "[[",
    "'", '"', "\\", "%", "%00", "%2F", "..", "../../etc/passwd", "*", ".*", "(", ")", "[a-",
    "urn:", "urn:ngsi-ld:", ":", ";", ",", "|", "==", "a;b", "a|b", "a==", "x" * 5000, "é",
    "😀", "\u202e", "'; DROP TABLE entities; --", "$(reboot)", "<script>", "a b", "#", "/",
]
hostile_strings = st.one_of(st.sampled_from(HOSTILE_STRINGS), query_text)
ATTRIBUTE_NAMES = ["height", "location", "name", "refDevice", "temperature", "id", "type"]
NAME = st.from_regex(r"[a-z][A-Za-z0-9]{0,8}", fullmatch=True)  # a term, a language tag


@dataclass
class Call:
    """One generated request, and whether it names an @context that may be unavailable."""

    method: str
    path: str
    params: dict[str, str] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes | None = None
    foreign_context: bool = False

    def describe(self) -> str:
        shown = {k: ("Bearer ***" if k == "Authorization" else v) for k, v in self.headers.items()}
        body = self.body.decode("utf-8", "replace")[:600] if self.body is not None else None
        query = "&".join(f"{k}={quote(v, safe='')}" for k, v in self.params.items())
        return (f"{self.method} {self.path}{'?' + query if query else ''}\n"
                f"  headers: {shown}\n  body: {body!r}")


class Schemas:
    """Hypothesis strategies from the JSON Schemas of an OpenAPI 3.1 document; with
    ``hostile``, every string may also be one of the hostile strings."""

    def __init__(self, document: dict[str, Any], *, hostile: bool) -> None:
        self.document = document
        self.hostile = hostile
        self._refs: dict[tuple[str, int], st.SearchStrategy[Any]] = {}
        self._validators: dict[str, Draft202012Validator] = {}

    def validator(self, schema: dict[str, Any]) -> Draft202012Validator:
        """A validator for a schema of the document (its $refs resolve in it)."""
        key = json.dumps(schema, sort_keys=True)
        if key not in self._validators:
            self._validators[key] = Draft202012Validator(
                {**schema, "components": self.document["components"]})
        return self._validators[key]

    def deref(self, node: dict[str, Any]) -> dict[str, Any]:
        while "$ref" in node:
            target: Any = self.document
            for part in node["$ref"].removeprefix("#/").split("/"):
                target = target[part]
            node = target
        return node

    def strategy(self, schema: Any, depth: int = 0) -> st.SearchStrategy[Any]:
        if not isinstance(schema, dict):
            return json_values
        if "$ref" in schema:
            key = (schema["$ref"], min(depth + 1, MAX_DEPTH))
            if key not in self._refs:  # deferred: recursive schemas are built lazily
                target = self.deref(schema)
                self._refs[key] = st.deferred(lambda: self.strategy(target, key[1]))
            return self._refs[key]
        if "allOf" in schema:
            return self.strategy(self._merge(schema["allOf"]), depth)
        for combinator in ("oneOf", "anyOf"):
            if combinator in schema:
                return st.one_of([self.strategy(s, depth) for s in schema[combinator]])
        if "const" in schema:
            return st.just(schema["const"])
        if "enum" in schema:
            return st.sampled_from(schema["enum"])
        kinds = schema.get("type")
        if isinstance(kinds, list):
            return st.one_of([self.strategy({**schema, "type": k}, depth) for k in kinds])
        typed = self._typed(schema, kinds, depth)
        examples = schema.get("examples")
        return st.one_of(st.sampled_from(examples), typed) if examples else typed

    def _typed(self, schema: dict[str, Any], kind: str | None, depth: int) -> Any:
        if kind == "string":
            return st.one_of(self._string(schema), hostile_strings) if self.hostile else (
                self._string(schema))
        if kind == "integer":
            return st.integers(schema.get("minimum", -(10**6)), schema.get("maximum", 10**6))
        if kind == "number":
            return st.floats(schema.get("minimum"), schema.get("maximum"),
                             allow_nan=False, allow_infinity=False)
        if kind == "boolean":
            return st.booleans()
        if kind == "null":
            return st.none()
        if kind == "array":
            return self._array(schema, depth)
        if kind == "object" or "properties" in schema or "additionalProperties" in schema:
            return self._object(schema, depth)
        if self.hostile:
            return json_values  # no type: any JSON value
        return st.one_of(st.integers(), st.floats(allow_nan=False, allow_infinity=False),
                         st.text(max_size=10), st.booleans())

    def _string(self, schema: dict[str, Any]) -> st.SearchStrategy[str]:
        if "pattern" in schema:
            return st.from_regex(schema["pattern"], fullmatch=True)
        form = schema.get("format")
        if form == "uri":
            return st.builds("urn:ngsi-ld:Fuzz:{}".format,
                             st.text(string.ascii_letters + string.digits + "-:", max_size=12))
        if form == "date-time":
            return st.datetimes().map(lambda t: t.isoformat() + "Z")
        if form == "regex":
            return st.sampled_from([".*", "^urn:ngsi-ld:Fuzz:.*", "(", "[a-", "a{99999}"])
        return st.text(min_size=schema.get("minLength", 0),
                       max_size=min(schema.get("maxLength", 20), 20))

    def _array(self, schema: dict[str, Any], depth: int) -> st.SearchStrategy[list[Any]]:
        low = schema.get("minItems", 0)
        high = min(schema.get("maxItems", low + 3), low + 3)
        prefix = [self.strategy(s, depth) for s in schema.get("prefixItems", [])]
        rest = self.strategy(schema.get("items", {}), depth)
        if not prefix:
            return st.lists(rest, min_size=low, max_size=high)
        tail = st.lists(rest, min_size=max(low - len(prefix), 0),
                        max_size=max(high - len(prefix), 0))
        return st.tuples(st.tuples(*prefix), tail).map(lambda parts: [*parts[0], *parts[1]])

    def _object(self, schema: dict[str, Any], depth: int) -> st.SearchStrategy[dict[str, Any]]:
        properties = schema.get("properties", {})
        required = [name for name in schema.get("required", []) if name in properties]
        deep = depth >= MAX_DEPTH
        fixed = st.fixed_dictionaries(
            {name: self.strategy(properties[name], depth) for name in required},
            optional={} if deep else {name: self.strategy(sub, depth)
                                      for name, sub in properties.items()
                                      if name not in required},
        )
        extra_schema = schema.get("additionalProperties")
        if deep or not isinstance(extra_schema, dict):
            if properties or required:
                return fixed
            return st.dictionaries(st.text(max_size=8), json_values, max_size=3)
        names = st.one_of(st.sampled_from(ATTRIBUTE_NAMES),
                          st.text(max_size=10) if self.hostile else NAME)
        extras = st.dictionaries(names, self.strategy(extra_schema, depth),
                                 min_size=schema.get("minProperties", 0), max_size=3)
        return st.tuples(fixed, extras).map(lambda parts: {**parts[1], **parts[0]})

    def _merge(self, parts: list[Any]) -> dict[str, Any]:
        merged: dict[str, Any] = {}
        for part in parts:
            part = self.deref(part)
            for key, value in part.items():
                if key == "required":
                    merged["required"] = [*merged.get("required", []), *value]
                elif key == "properties":
                    merged["properties"] = {**merged.get("properties", {}), **value}
                else:
                    merged.setdefault(key, value)
        return merged


def _text(value: Any) -> str:
    """A query parameter value as text (booleans as JSON, lists comma-separated)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ",".join(_text(v) for v in value)
    return value if isinstance(value, str) else json.dumps(value)


def _header_safe(value: str) -> bool:
    return value == value.strip() and value.isascii() and value.isprintable()


def _downloadable(url: Any) -> bool:
    """Would the broker fetch this @context URL from a host other than this machine?"""
    if not isinstance(url, str) or url in CORE_CONTEXTS:
        return False
    try:
        parts = urlsplit(url)
        return parts.scheme.lower() in ("http", "https") and parts.hostname not in LOOPBACK
    except ValueError:
        return False


def _contexts(value: Any) -> Iterator[Any]:
    """Every URL an @context member anywhere in a body names."""
    if isinstance(value, list):
        for item in value:
            yield from _contexts(item)
    elif isinstance(value, dict):
        for key, item in value.items():
            if key == "@context":
                yield from (item if isinstance(item, list) else [item])
            yield from _contexts(item)


class OperationFuzzer:
    """Draws :class:`Call`s for one documented operation: half of them well-formed (values
    from the documented schemas and examples only, few optional parameters, documented media
    types, the token), so that the success paths are reached, half hostile."""

    def __init__(self, schemas: Schemas, method: str, path: str, operation: dict[str, Any],
                 token_headers: dict[str, str]) -> None:
        self.schemas, self.method, self.path = schemas, method.upper(), path
        self.strict = Schemas(schemas.document, hostile=False)
        self.operation = operation
        self.token_headers = token_headers
        self.parameters = [schemas.deref(p) for p in operation.get("parameters", [])]
        body = operation.get("requestBody")
        self.body = schemas.deref(body) if body else None
        self.accept = sorted({media for status, response in operation["responses"].items()
                              if status.startswith("2")
                              for media in schemas.deref(response).get("content", {})})

    def value(self, parameter: dict[str, Any], hostile: bool) -> st.SearchStrategy[str]:
        examples = [e["value"] for e in parameter.get("examples", {}).values()]
        typed = (self.schemas if hostile else self.strict).strategy(parameter["schema"])
        if examples:
            typed = st.one_of(st.sampled_from(examples), typed)
        return st.one_of(typed.map(_text), hostile_strings) if hostile else typed.map(_text)

    def tenant(self, hostile: bool) -> st.SearchStrategy[str]:
        """Never a random valid tenant name: writes would create one tenant per example."""
        if not hostile:
            return st.just(TENANT)
        tenants = [TENANT] + ([NEVER_WRITTEN_TENANT] if self.method == "GET" else [])
        # Not "": an empty NGSILD-Tenant header means the default tenant.
        invalid = st.sampled_from(["a b", "x" * 65, "ä", "../x", "*", "a;b", "-" * 65])
        return st.one_of(st.sampled_from(tenants), invalid)

    def link(self, hostile: bool) -> st.SearchStrategy[str]:
        core = st.sampled_from(sorted(CORE_CONTEXTS))
        urls = st.one_of(core, hostile_strings) if hostile else core
        links = urls.map(lambda url: f'<{url}>; rel="{JSON_LD_REL}"; type="application/ld+json"')
        return st.one_of(links, hostile_strings) if hostile else links

    def calls(self) -> st.SearchStrategy[Call]:
        return st.composite(self._draw)()

    def _draw(self, draw: st.DrawFn) -> Call:
        call = Call(self.method, self.path)
        hostile = draw(st.booleans())
        for parameter in self.parameters:
            name, where = parameter["name"], parameter["in"]
            if where == "path":
                # No "/": the server decodes %2F before routing, so it would change the path
                # (a known limitation for ids with slashes), not test this operation; and no
                # dot segment ("." or ".."), which the client resolves away.
                value = draw(self.value(parameter, hostile)).replace("/", "_") or "x"
                if value.strip(".") == "":
                    value = value.replace(".", "_")
                call.path = call.path.replace("{" + name + "}", quote(value, safe=""))
                continue
            if not parameter.get("required") and draw(st.integers(0, 5)) >= (3 if hostile else 1):
                continue
            if where == "query":
                call.params[name] = draw(self.value(parameter, hostile))
            elif where == "header":
                strategy = {"NGSILD-Tenant": self.tenant(hostile), "Link": self.link(hostile)}.get(
                    name, self.value(parameter, hostile))
                value = draw(strategy)
                if _header_safe(value):
                    call.headers[name] = value
        if "NGSILD-Tenant" not in call.headers and any(
                p["name"] == "NGSILD-Tenant" for p in self.parameters):
            call.headers["NGSILD-Tenant"] = TENANT  # never write to the default tenant
        odd_accepts = ["*/*", "text/html", "application/*",
                       "application/ld+json;q=0.5, application/json"]
        call.headers["Accept"] = draw(st.sampled_from(
            [*self.accept, *odd_accepts] if hostile else self.accept or ["*/*"]))
        writes = self.method in WRITE_METHODS and not self.path.endswith("/entityOperations/query")
        if writes and (not hostile or draw(st.integers(0, 4))):  # hostile: now and then no token
            call.headers.update(self.token_headers)
        if self.body is not None:
            self._draw_body(draw, call, hostile)
        link = call.headers.get("Link", "")
        named = [link[1:link.index(">")]] if link.startswith("<") and ">" in link else []
        if call.body is not None:
            with contextlib.suppress(ValueError):
                named += list(_contexts(json.loads(call.body)))
        assume(not any(_downloadable(url) for url in named))
        call.foreign_context = any(isinstance(url, str) and url not in CORE_CONTEXTS
                                   for url in named)
        return call

    def _draw_body(self, draw: st.DrawFn, call: Call, hostile: bool) -> None:
        assert self.body is not None
        content = self.body["content"]
        odd_media = ["text/plain", "application/merge-patch+json", ""]
        media = draw(st.sampled_from([*content, *odd_media] if hostile else [*content]))
        if media:
            call.headers["Content-Type"] = media
        spec = content.get(media) or content[next(iter(content))]
        examples = [e["value"] for e in spec.get("examples", {}).values()]
        documented = (self.schemas if hostile else self.strict).strategy(spec["schema"])
        if examples:
            documented = st.one_of(st.sampled_from(examples), documented)
        kind = draw(st.integers(0, 9)) if hostile else 0
        if kind < 5:
            call.body = json.dumps(draw(documented), ensure_ascii=False).encode()
        elif kind < 9:
            call.body = json.dumps(draw(json_values), ensure_ascii=False).encode()
        else:
            call.body = draw(st.binary(max_size=64))


@pytest.fixture(scope="module")
def client(broker_url: str) -> Iterator[httpx.Client]:  # noqa: F811
    with httpx.Client(base_url=broker_url, timeout=30) as http:
        yield http


@pytest.fixture(scope="module")
def served_document(client: httpx.Client) -> dict[str, Any]:
    response = client.get("/openapi.json")
    assert response.status_code == 200, f"{client.base_url}/openapi.json: {response.status_code}"
    return response.json()


@pytest.fixture(scope="module")
def cleanup(client: httpx.Client, write_headers: dict[str, str]) -> Iterator[None]:  # noqa: F811
    """Afterwards: delete every entity of the fuzz tenant."""
    yield
    headers = {**write_headers, "NGSILD-Tenant": TENANT}
    for _ in range(100):
        found = client.get("/ngsi-ld/v1/entities", params={"idPattern": ".*", "limit": 1000},
                           headers=headers)
        ids = [e["id"] for e in found.json()] if found.status_code == 200 else []
        if not ids:
            break
        client.post("/ngsi-ld/v1/entityOperations/delete", json=ids, headers=headers)


def operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [(method, path, operation) for path, item in document["paths"].items()
            for method, operation in item.items() if method in METHODS]


def problems(schemas: Schemas, method: str, path: str, operation: dict[str, Any], call: Call,
             response: httpx.Response) -> list[str]:
    """What is wrong with the answer to ``call`` (empty if nothing)."""
    status = response.status_code
    found: list[str] = []
    media = response.headers.get("content-type", "").split(";")[0].strip()
    try:
        body = response.json() if response.content else None
    except ValueError:
        body = response.text[:300]
    if status >= 400:
        if not isinstance(body, dict) or not str(body.get("type", "")).startswith(ERROR_BASE):
            found.append(f"{status} without NGSI-LD ProblemDetails: {str(body)[:300]}")
        elif not isinstance(body.get("title"), str) or body.get("status", status) != status:
            found.append(f"{status} with malformed ProblemDetails: {body}")
    context_unavailable = (status == 503 and isinstance(body, dict)
                           and body.get("type") == ERROR_BASE + "LdContextNotAvailable")
    if status >= 500 and not (context_unavailable and call.foreign_context):
        found.append(f"server error {status}: {str(body)[:500]}")
    documented = operation["responses"].get(str(status))
    if documented is None:
        found.append(f"status {status} is not documented for {method.upper()} {path}")
        return found
    content = schemas.deref(documented).get("content", {})
    if not content:
        if response.content:
            found.append(f"{status} documented without body, got {response.text[:200]!r}")
        return found
    if media not in content:
        found.append(f"{status} answered {media!r}, documented: {sorted(content)}")
        return found
    errors = [f"{'/'.join(map(str, e.absolute_path))}: {e.message[:200]}"
              for e in schemas.validator(content[media]["schema"]).iter_errors(body)]
    if errors:
        found.append(f"{status} body does not match the documented schema: {errors[:3]}")
    return found


def test_served_document_describes_the_ngsi_ld_api(served_document: dict[str, Any]) -> None:
    paths = served_document["paths"]
    assert "/ngsi-ld/v1/entities" in paths
    described = [op for _, path, op in operations(served_document)
                 if path.startswith("/ngsi-ld/v1") and op.get("parameters") is not None]
    assert len(described) >= 20


def fuzz_operation(client: httpx.Client, schemas: Schemas, method: str, path: str,
                   operation: dict[str, Any], token_headers: dict[str, str]) -> None:
    """Run Hypothesis on one operation; raises AssertionError with the (shrunk) request."""
    fuzzer = OperationFuzzer(schemas, method, path, operation, token_headers)

    @settings(max_examples=EXAMPLES, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    @given(call=fuzzer.calls())
    def run(call: Call) -> None:
        response = client.request(call.method, call.path, params=call.params,
                                  headers=call.headers, content=call.body)
        if (response.status_code == 201 and path.endswith("/jsonldContexts")
                and "location" in response.headers):  # hosted @contexts: remove at once
            client.delete(response.headers["location"], headers=token_headers)
        found = problems(schemas, method, path, operation, call, response)
        assert not found, "\n".join([call.describe(), *found])

    run()


def seed(client: httpx.Client, document: dict[str, Any], token: dict[str, str]) -> None:
    """Store the documented example entities, so that reads and updates find something."""
    body = document["paths"]["/ngsi-ld/v1/entities"]["post"]["requestBody"]
    content = Schemas(document, hostile=False).deref(body)["content"]["application/json"]
    examples: dict[str, Any] = {}
    for example in content.get("examples", {}).values():
        examples.setdefault(example["value"]["id"], example["value"])
    if examples:
        response = client.post("/ngsi-ld/v1/entityOperations/upsert", json=list(examples.values()),
                               headers={**token, "NGSILD-Tenant": TENANT})
        assert response.status_code in (201, 204), response.text


def test_fuzz_every_operation(
    client: httpx.Client, served_document: dict[str, Any],
    write_headers: dict[str, str], cleanup: None,  # noqa: F811
) -> None:
    schemas = Schemas(served_document, hostile=True)
    seed(client, served_document, write_headers)
    failures: list[str] = []
    for method, path, operation in operations(served_document):
        try:
            fuzz_operation(client, schemas, method, path, operation, write_headers)
        except AssertionError as failure:
            failures.append(f"--- {method.upper()} {path}\n{failure}")
    assert not failures, f"{len(failures)} operation(s) failed:\n" + "\n".join(failures)
