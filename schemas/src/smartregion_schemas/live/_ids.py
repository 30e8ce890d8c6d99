"""Entity ids: ``urn:ngsi-ld:<Type>:<partner short code>:<source id>``.

Every adapter must give an observed thing the same id on every run (the broker upserts by
id, and history queries follow it), and two partners' sources must never collide. So the id
is built from the entity type, the partner's three-letter ``short_code`` from the registry
(``EMD``, ``LER``, …) and the id the source itself uses (a gauge, station or device id).
Characters outside RFC 3986's unreserved set are percent-encoded, so the source id cannot
break the URN (``:``) and the same source id always gives the same entity id.
"""

from __future__ import annotations

import re
from urllib.parse import quote

from smartregion_schemas.catalogue import Partner, partners
from smartregion_schemas.live._loader import ENTITY_TYPES
from smartregion_schemas.live._models import EntityId

_ID = re.compile(
    r"^urn:ngsi-ld:(?P<type>[A-Za-z][A-Za-z0-9]*):(?P<partner>[^:]*):"
    r"(?P<source>(?:[A-Za-z0-9._~-]|%[0-9A-F]{2})+)$"
)


def partner_for(name_or_code: str) -> Partner | None:
    """The partner with this CKAN organisation name or short code, or None."""
    return next(
        (p for p in partners() if name_or_code in (p.name, p.short_code)), None
    )


def entity_id(entity_type: str, partner: str, source_id: str | int) -> str:
    """The id of the entity ``source_id`` of ``partner`` (CKAN name or short code).

    Raises ``ValueError`` for an unknown type or partner, or an empty source id.
    """
    if entity_type not in ENTITY_TYPES:
        raise ValueError(f"unknown entity type {entity_type!r}; known: {', '.join(ENTITY_TYPES)}")
    owner = partner_for(partner)
    if owner is None:
        known = ", ".join(f"{p.short_code} ({p.name})" for p in partners())
        raise ValueError(f"unknown partner {partner!r}; known: {known}")
    source = str(source_id).strip()
    if not source:
        raise ValueError("the source id must not be empty")
    return f"urn:ngsi-ld:{entity_type}:{owner.short_code}:{quote(source, safe='-._~')}"


def parse_entity_id(value: str) -> EntityId:
    """The parts of an entity id; ``ValueError`` saying what is wrong if it has another form.

    Checks the form, the entity type and that the partner code is in the registry.
    """
    match = _ID.match(value) if isinstance(value, str) else None
    if match is None:
        raise ValueError(
            f"{value!r} is not of the form urn:ngsi-ld:<Type>:<partner code>:<source id> "
            "(source id: letters, digits, -._~ or %XX)"
        )
    entity_type, code = match["type"], match["partner"]
    if entity_type not in ENTITY_TYPES:
        raise ValueError(f"unknown entity type {entity_type!r} in id {value!r}")
    if code not in {p.short_code for p in partners()}:
        known = ", ".join(p.short_code for p in partners())
        raise ValueError(f"unknown partner {code!r} in id {value!r}; known: {known}")
    return EntityId(entity_type=entity_type, partner_code=code, source_id=match["source"])
