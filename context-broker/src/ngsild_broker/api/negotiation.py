"""Reading NGSI-LD requests: tenant, @context (Link header or body), media types, body size.

ETSI GS CIM 009 clause 6.3: ``application/json`` bodies take their @context from a Link
header (core context if none); ``application/ld+json`` bodies carry ``@context`` and must
not also send a Link header. Responses follow the Accept header.
"""

from __future__ import annotations

import re
from typing import Any

import orjson
from fastapi import Request

from ..errors import (
    BadRequestData,
    InvalidRequest,
    NotAcceptable,
    PayloadTooLarge,
    UnsupportedMediaType,
)

JSON_LD_CONTEXT_REL = "http://www.w3.org/ns/json-ld#context"
_LINK_RE = re.compile(r'<([^>]*)>\s*((?:;\s*[^;,]+)*)')
TENANT_HEADER = "NGSILD-Tenant"
_TENANT_RE = re.compile(r"^[A-Za-z0-9_\-]{1,64}$")

JSON = "application/json"
JSON_LD = "application/ld+json"
GEO_JSON = "application/geo+json"


def tenant_of(request: Request) -> str:
    tenant = request.headers.get(TENANT_HEADER, "")
    if tenant and not _TENANT_RE.match(tenant):
        raise BadRequestData(f"{TENANT_HEADER} must be 1–64 letters, digits, '-' or '_'")
    return tenant


def link_context(request: Request) -> str | None:
    """The @context URL of a Link header with the JSON-LD context relation, if any."""
    header = request.headers.get("link")
    if not header:
        return None
    for match in _LINK_RE.finditer(header):
        if JSON_LD_CONTEXT_REL in match.group(2):
            return match.group(1)
    raise BadRequestData("Link header without a rel=\"http://www.w3.org/ns/json-ld#context\" link")


async def read_json(request: Request, max_bytes: int) -> tuple[Any, str]:
    """The parsed JSON body (size-limited, media type checked) and its media type."""
    media = (request.headers.get("content-type") or "").split(";")[0].strip().lower()
    if media not in (JSON, JSON_LD):
        raise UnsupportedMediaType(f"Content-Type must be {JSON} or {JSON_LD}, got {media!r}")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > max_bytes:
            raise PayloadTooLarge(f"Request body larger than {max_bytes} bytes")
        chunks.append(chunk)
    try:
        return orjson.loads(b"".join(chunks) or b"null"), media
    except (ValueError, UnicodeDecodeError) as error:
        raise InvalidRequest(f"Request body is not valid JSON: {error}") from error


async def read_body(request: Request, max_bytes: int) -> tuple[Any, Any]:
    """The parsed NGSI-LD body and the @context value that applies to it."""
    body, media = await read_json(request, max_bytes)
    link = link_context(request)
    if media == JSON_LD:
        if link is not None:
            raise BadRequestData("application/ld+json requests must not send a Link header")
        contexts = [item.get("@context") for item in _items(body)]
        if any(c is None for c in contexts):
            raise BadRequestData("application/ld+json bodies need an @context")
        # A body without any object (a list of ids for batch delete) carries no @context.
        return body, contexts[0] if contexts else None
    if any("@context" in item for item in _items(body)):
        raise BadRequestData("application/json bodies take their @context from the Link header")
    return body, link


def response_media_type(request: Request, *, geojson_allowed: bool = True) -> str:
    accept = request.headers.get("accept") or "*/*"
    offered = [part.split(";")[0].strip().lower() for part in accept.split(",")]
    for media in offered:
        if media in (JSON, JSON_LD) or (media == GEO_JSON and geojson_allowed):
            return media
        if media in ("*/*", "application/*"):
            return JSON
    raise NotAcceptable(f"Cannot answer in any of: {accept}")


def link_header(context_url: str) -> str:
    return f'<{context_url}>; rel="{JSON_LD_CONTEXT_REL}"; type="{JSON_LD}"'


def _items(body: Any) -> list[dict[str, Any]]:
    if isinstance(body, list):
        return [item for item in body if isinstance(item, dict)]
    return [body] if isinstance(body, dict) else []
