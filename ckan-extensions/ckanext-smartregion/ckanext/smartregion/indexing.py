"""What the search index gets from a dataset beyond CKAN's defaults."""

from __future__ import annotations

import json
from typing import Any


def formats_as_stored(pkg_dict: dict[str, Any]) -> dict[str, Any]:
    """Index ``res_format`` as the dataset schema stores it (the EU file-type code).

    CKAN builds ``res_format`` from its default show schema, which rewrites some codes
    (``GEOJSON`` → ``GeoJSON``) and not others (``WMS_SRVC``); the facet would then list
    spellings that no ``fq`` on the stored value matches.
    """
    try:
        validated = json.loads(pkg_dict.get("validated_data_dict") or "{}")
    except ValueError:
        return pkg_dict
    formats = [r.get("format") or "" for r in validated.get("resources", [])]
    if formats:
        pkg_dict["res_format"] = formats
    return pkg_dict
