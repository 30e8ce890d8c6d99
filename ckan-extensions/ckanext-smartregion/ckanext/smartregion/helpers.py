"""Template helpers: form choices from the shared code lists.

ckanext-scheming calls ``choices_helper`` functions with the field definition; each
returns ``[{"value": …, "label": …}]`` from ``smartregion_schemas`` so that forms,
profile and harvesters use the same lists.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import smartregion_schemas.catalogue as codes

#: Choice lists offered to forms, by the name ``smartregion_schemas.choices`` knows them.
CHOICE_LISTS = (
    "license",
    "file_type",
    "frequency",
    "availability",
    "access_rights",
    "geocoding_level",
    "political_geocoding",
    "eu_theme",
    "language",
    "publisher_type",
)


def _choices_helper(name: str) -> Callable[[dict[str, Any]], list[dict[str, str]]]:
    def helper(field: dict[str, Any] | None = None) -> list[dict[str, str]]:
        return codes.choices(name)

    helper.__name__ = f"smartregion_choices_{name}"
    helper.__doc__ = f"Choices of the shared code list {name!r} for scheming forms."
    return helper


def get_helpers() -> dict[str, Callable[..., Any]]:
    return {f"smartregion_choices_{name}": _choices_helper(name) for name in CHOICE_LISTS}
