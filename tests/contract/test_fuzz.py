"""No request makes the broker answer 5xx: generated bodies, parameters and headers.

Property-based (Hypothesis): arbitrary JSON documents as entities, attribute fragments and
batches; arbitrary text for q, geo-query, type, idPattern, options and attrs; arbitrary
Content-Type and Link headers. Every answer must be a 2xx or a 4xx ProblemDetails.
"""

from __future__ import annotations

from urllib.parse import quote

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

EXAMPLES = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
TENANT = {"NGSILD-Tenant": "fuzz"}

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=20),
)
json_values = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(st.text(max_size=12), children, max_size=4),
    ),
    max_leaves=25,
)
# Entity-shaped documents: mostly valid skeletons with arbitrary attribute members.
attribute_members = st.dictionaries(
    st.sampled_from(["type", "value", "object", "observedAt", "unitCode", "datasetId",
                     "languageMap", "valueList", "vocab", "sub"]),
    json_values, max_size=5,
)
entities = st.fixed_dictionaries(
    {"id": st.one_of(st.just("urn:ngsi-ld:Fuzz:1"), st.text(max_size=30)),
     "type": st.one_of(st.just("Fuzz"), json_values)},
    optional={"height": st.one_of(attribute_members, json_values),
              "location": st.one_of(attribute_members, json_values),
              "@context": json_values},
)
query_text = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=60
)


def assert_no_server_error(response: httpx.Response) -> None:
    assert response.status_code < 500, (response.status_code, response.text[:300])
    if response.status_code >= 400:
        assert response.json()["type"].startswith("https://uri.etsi.org/ngsi-ld/errors/")


@EXAMPLES
@given(body=st.one_of(entities, json_values))
def test_any_create_body(broker: httpx.Client, body) -> None:
    response = broker.post("/entities", json=body, headers={**broker.write_headers, **TENANT})
    assert_no_server_error(response)
    if response.status_code == 201:
        broker.delete(response.headers["location"].split("/ngsi-ld/v1")[1],
                      headers={**broker.write_headers, **TENANT})


@EXAMPLES
@given(body=st.one_of(st.lists(st.one_of(entities, json_values), max_size=4), json_values),
       operation=st.sampled_from(["create", "upsert", "update", "delete"]))
def test_any_batch_body(broker: httpx.Client, body, operation: str) -> None:
    response = broker.post(f"/entityOperations/{operation}", json=body,
                           headers={**broker.write_headers, **TENANT})
    assert_no_server_error(response)
    broker.post("/entityOperations/delete", json=["urn:ngsi-ld:Fuzz:1"],
                headers={**broker.write_headers, **TENANT})


@EXAMPLES
@given(params=st.dictionaries(
    st.sampled_from(["type", "id", "idPattern", "attrs", "q", "georel", "geometry",
                     "coordinates", "geoproperty", "options", "limit", "offset", "count",
                     "format", "details"]),
    query_text, min_size=1, max_size=5))
def test_any_query_parameters(broker: httpx.Client, params: dict) -> None:
    assert_no_server_error(broker.get("/entities", params=params, headers=TENANT))
    assert_no_server_error(broker.get("/types", params=params, headers=TENANT))


@EXAMPLES
@given(content_type=query_text, link=query_text, accept=query_text, raw=st.binary(max_size=200))
def test_any_headers_and_raw_bytes(broker: httpx.Client, content_type, link, accept, raw) -> None:
    headers = {**broker.write_headers, **TENANT}
    for name, value in (("Content-Type", content_type), ("Link", link), ("Accept", accept)):
        if value and value == value.strip() and value.isascii() and value.isprintable():
            headers[name] = value
    assert_no_server_error(broker.post("/entities", content=raw, headers=headers))
    assert_no_server_error(broker.get("/entities/urn:ngsi-ld:Fuzz:1", headers=headers))


@EXAMPLES
@given(entity_id=query_text, attr=query_text, body=json_values)
def test_any_attribute_operation(broker: httpx.Client, entity_id: str, attr: str, body) -> None:
    headers = {**broker.write_headers, **TENANT}
    safe_id = quote(entity_id, safe="") or "x"
    safe_attr = quote(attr, safe="") or "a"
    assert_no_server_error(broker.patch(f"/entities/{safe_id}/attrs", json=body, headers=headers))
    assert_no_server_error(
        broker.delete(f"/entities/{safe_id}/attrs/{safe_attr}", headers=headers)
    )
