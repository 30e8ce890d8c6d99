"""The NGSI-LD ``Query`` data type (clause 5.2.23) as query parameters.

``POST /entityOperations/query`` and ``POST /temporal/entityOperations/query`` take the
query as a JSON document when it is too long for a URL; both turn it into the parameters
of their GET counterpart so that one code path parses and checks them.
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import Request

from ..errors import BadRequestData
from . import negotiation as neg

#: Parameters that stay in the URL of the POST form (paging and representation).
URL_PARAMETERS = ("limit", "offset", "count", "options", "format", "local")
#: Members of the Query document that are strings passed through as they are.
STRING_MEMBERS = ("q", "lang", "scopeQ", "csf")


async def read_query_document(
    request: Request, url_parameters: tuple[str, ...] = URL_PARAMETERS
) -> tuple[dict[str, Any], dict[str, str]]:
    """The Query document of the request and the parameters it stands for."""
    body, _ = await neg.read_json(request, request.app.state.settings.max_body_bytes)
    if not isinstance(body, dict) or body.get("type") != "Query":
        raise BadRequestData('The body must be a JSON object with "type": "Query"')
    params = {k: v for k, v in request.query_params.items() if k in url_parameters}
    selectors = body.get("entities") or []
    if not isinstance(selectors, list) or len(selectors) > 1:
        raise BadRequestData("entities: at most one entity selector is supported")
    for selector in selectors:
        if not isinstance(selector, dict):
            raise BadRequestData("entities: each selector must be an object")
        params.update({k: str(selector[k]) for k in ("type", "id", "idPattern") if k in selector})
    if "attrs" in body:
        attrs = body["attrs"]
        if not isinstance(attrs, list) or not all(isinstance(a, str) for a in attrs):
            raise BadRequestData("attrs must be a list of attribute names")
        params["attrs"] = ",".join(attrs)
    for member in STRING_MEMBERS:
        if member in body:
            if not isinstance(body[member], str):
                raise BadRequestData(f"{member} must be a string")
            params[member] = body[member]
    geo = body.get("geoQ")
    if geo is not None:
        if not isinstance(geo, dict):
            raise BadRequestData("geoQ must be an object")
        params.update(
            georel=str(geo.get("georel", "")), geometry=str(geo.get("geometry", "")),
            coordinates=json.dumps(geo.get("coordinates")),
        )
        if geo.get("geoproperty"):
            params["geoproperty"] = str(geo["geoproperty"])
    return body, params
