"""What a transport sends: the notification body and its metadata (HTTP headers; for
MQTT the ``metadata`` member of the message, NGSI-LD MQTT binding)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..api.negotiation import JSON, JSON_LD, link_header
from ..contexts import Contexts


@dataclass(frozen=True)
class Envelope:
    body: dict[str, Any]
    headers: dict[str, str]


def envelope(body: dict[str, Any], endpoint: dict[str, Any], context: Any, tenant: str) -> Envelope:
    """Headers per ``endpoint.accept``: JSON with a Link header, or JSON-LD with the
    @context in the body; ``receiverInfo`` entries are added as they are."""
    url = Contexts.response_url(context)
    if endpoint.get("accept") == JSON_LD:
        body = {**body, "@context": context or url}
        headers = {"Content-Type": JSON_LD}
    else:
        headers = {"Content-Type": JSON, "Link": link_header(url)}
    if tenant:
        headers["NGSILD-Tenant"] = tenant
    for item in endpoint.get("receiverInfo", []):
        headers[item["key"]] = item["value"]
    return Envelope(body, headers)
