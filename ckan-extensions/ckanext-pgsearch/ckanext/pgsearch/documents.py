"""Turn the index document CKAN builds for Solr into a row of ``pgsearch_index``.

CKAN's ``PackageSearchIndex.index_package`` (and every plugin's
``before_dataset_index``) produces a flat Solr document. We keep it whole for
``fl`` and normalise each field to a list of strings, the shape Solr's
multi-valued string fields have, so one containment test matches single- and
multi-valued fields alike.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from dateutil.parser import isoparse

from . import fields as F

#: Weights of the catch-all text, like the boosts of CKAN's dismax ``qf``
#: (``name^4 title^4 tags^2 groups^2 text``).
_WEIGHT_A = ("name", "title")
_WEIGHT_B = ("tags", "groups", "organization")
_WEIGHT_B_PREFIXES = ("vocab_",)


@dataclass
class IndexRow:
    """Column values of one index row."""

    index_id: str
    id: str
    site_id: str
    name: str | None
    title_string: str | None
    metadata_modified: datetime | None
    metadata_created: datetime | None
    fields: dict[str, list[str]]
    doc: dict[str, Any]
    data_dict: str | None
    validated_data_dict: str | None
    text_a: str = ""
    text_b: str = ""
    text_c: str = ""
    geometries_wkt: list[str] = field(default_factory=list)


def row_from_document(document: dict[str, Any], *, spatial_field: str) -> IndexRow:
    """Build the row for one CKAN index document."""
    missing = [key for key in ("id", "index_id", "site_id") if not document.get(key)]
    if missing:
        raise ValueError(f"index document lacks {', '.join(missing)}")
    # Distinct values per field: Solr counts a facet value once per document, however
    # often it occurs in it (two CSV resources are one dataset with format CSV).
    searchable = {
        key: list(dict.fromkeys(values))
        for key, value in document.items()
        if key not in F.STORED_ONLY_FIELDS and (values := as_strings(value))
    }
    text_a, text_b, text_c = _weighted_text(searchable)
    return IndexRow(
        index_id=str(document["index_id"]),
        id=str(document["id"]),
        site_id=str(document["site_id"]),
        name=_first(searchable.get("name")),
        title_string=_first(searchable.get("title_string")),
        metadata_modified=_instant(document.get("metadata_modified")),
        metadata_created=_instant(document.get("metadata_created")),
        fields=searchable,
        doc={k: v for k, v in document.items() if k not in F.STORED_ONLY_FIELDS},
        data_dict=document.get("data_dict"),
        validated_data_dict=document.get("validated_data_dict"),
        text_a=text_a,
        text_b=text_b,
        text_c=text_c,
        geometries_wkt=as_strings(document.get(spatial_field)),
    )


def as_strings(value: Any) -> list[str]:
    """Solr's view of a value: a list of strings (lists flattened, None dropped)."""
    if value is None or value == "":
        return []
    if isinstance(value, (list, tuple, set)):
        return [text for item in value for text in as_strings(item)]
    if isinstance(value, bool):
        return ["true" if value else "false"]
    if isinstance(value, datetime):
        return [_solr_datetime(value)]
    if isinstance(value, date):
        return [value.isoformat() + "T00:00:00Z"]
    if isinstance(value, dict):
        return [json.dumps(value, sort_keys=True, ensure_ascii=False)]
    return [str(value)]


def to_json(document: dict[str, Any]) -> str:
    """Serialise a document for a ``jsonb`` column (dates as Solr date strings)."""
    return json.dumps(document, default=_json_default, ensure_ascii=False)


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime):
        return _solr_datetime(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, (set, tuple)):
        return list(value)
    return str(value)


def _weighted_text(searchable: dict[str, list[str]]) -> tuple[str, str, str]:
    a: list[str] = []
    b: list[str] = []
    c: list[str] = []
    for key, values in searchable.items():
        if not F.feeds_catch_all(key):
            continue
        if key in _WEIGHT_A:
            a.extend(values)
        elif key in _WEIGHT_B or key.startswith(_WEIGHT_B_PREFIXES):
            b.extend(values)
        else:
            c.extend(values)
    return " ".join(a), " ".join(b), " ".join(c)


def _first(values: list[str] | None) -> str | None:
    return values[0] if values else None


def _instant(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if not value:
        return None
    try:
        moment = isoparse(str(value))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _solr_datetime(value: datetime) -> str:
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return value.isoformat() + "Z"
