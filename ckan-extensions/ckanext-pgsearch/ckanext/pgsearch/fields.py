"""How each index field behaves, mirroring the field types of CKAN's Solr schema.

CKAN and its extensions write Solr queries against the field names of CKAN's
``schema.xml``. A term means something different per field type there: on a
``string`` field it is an exact, case-sensitive value, on a ``text`` field it is
a stemmed word, on a ``date`` field an instant. The SQL translator asks this
module which meaning applies, so the answers match what Solr would return.
"""

from __future__ import annotations

import enum


class FieldKind(enum.Enum):
    """The Solr field types CKAN's schema uses, as far as search semantics go."""

    STRING = "string"
    TEXT = "text"
    DATE = "date"
    NGRAM = "ngram"
    CATCH_ALL = "catch_all"


#: Tokenised, stemmed fields of CKAN's schema (``text`` / ``textgen`` types).
TEXT_FIELDS = frozenset(
    {
        "title",
        "notes",
        "author",
        "maintainer",
        "res_name",
        "res_description",
        "urls",
        "url",
    }
)

#: Prefixes of dynamic text fields (``extras_*`` and ``res_extras_*`` are ``text`` in Solr).
TEXT_FIELD_PREFIXES = ("extras_", "res_extras_")

#: Date fields; ``*_date`` is a dynamic date field in CKAN's schema.
DATE_FIELDS = frozenset({"metadata_created", "metadata_modified", "indexed_ts"})

#: The catch-all field that ``df=text`` and dismax ``qf`` search.
CATCH_ALL_FIELD = "text"

#: Edge/infix n-gram fields CKAN's autocomplete queries, and the column they cover.
NGRAM_FIELDS = {"name_ngram": "name", "title_ngram": "title_string"}

#: Fields copied into the catch-all ``text`` field by CKAN's schema (``copyField``).
CATCH_ALL_SOURCES = (
    "urls",
    "url",
    "ckan_url",
    "download_url",
    "res_url",
    "name",
    "title",
    "text",
    "license",
    "notes",
    "tags",
    "groups",
    "organization",
    "res_name",
    "res_description",
    "maintainer",
    "author",
)
CATCH_ALL_SOURCE_PREFIXES = ("extras_", "res_extras_", "vocab_")

#: Fields with a dedicated single-valued column (fast equality, grouping and sorting).
#: CKAN filters every search on site_id, state and capacity, and facets on the others.
SCALAR_COLUMNS = frozenset(
    {
        "id",
        "index_id",
        "site_id",
        "name",
        "title_string",
        "state",
        "capacity",
        "dataset_type",
        "entity_type",
        "organization",
        "owner_org",
        "license_id",
        "metadata_modified",
        "metadata_created",
    }
)

#: Fields with a dedicated ``text[]`` column (multi-valued, GIN-indexed).
ARRAY_COLUMNS = frozenset({"permission_labels", "groups", "tags", "res_format"})

#: Typed timestamp columns.
TIMESTAMP_COLUMNS = frozenset({"metadata_modified", "metadata_created"})

#: Fields that are stored but never searched (large JSON blobs of the dataset).
STORED_ONLY_FIELDS = frozenset({"data_dict", "validated_data_dict"})


def kind_of(field: str) -> FieldKind:
    """Return how a term on ``field`` is matched."""
    if field == CATCH_ALL_FIELD:
        return FieldKind.CATCH_ALL
    if field in NGRAM_FIELDS:
        return FieldKind.NGRAM
    if field in DATE_FIELDS or field.endswith("_date"):
        return FieldKind.DATE
    if field in TEXT_FIELDS or field.startswith(TEXT_FIELD_PREFIXES):
        return FieldKind.TEXT
    return FieldKind.STRING


def feeds_catch_all(field: str) -> bool:
    """True if Solr's ``copyField`` rules put ``field`` into the ``text`` field."""
    return field in CATCH_ALL_SOURCES or field.startswith(CATCH_ALL_SOURCE_PREFIXES)
