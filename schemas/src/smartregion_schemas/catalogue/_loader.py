"""Load, validate and cache the YAML files of this package; build lookups from them."""

from __future__ import annotations

import functools
from collections.abc import Callable
from importlib import resources
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError

from smartregion_schemas.catalogue._bases import (
    ADMS_PUBLISHER_TYPE_BASE,
    DCATAP_DE_LICENSE_BASE,
    DISTRICT_KEY_BASE,
    EU_ACCESS_RIGHT_BASE,
    EU_DATA_THEME_BASE,
    EU_FILE_TYPE_BASE,
    EU_FREQUENCY_BASE,
    EU_LANGUAGE_BASE,
    EU_PLANNED_AVAILABILITY_BASE,
    GEOCODING_LEVEL_BASE,
    IANA_MEDIA_TYPE_BASE,
    MUNICIPALITY_KEY_BASE,
)
from smartregion_schemas.catalogue._models import FileType, License, Partner, Term, Theme

T = TypeVar("T", bound=BaseModel)

_PACKAGE = "smartregion_schemas.catalogue"  # where the YAML files live


class CatalogueDataError(ValueError):
    """A data file of this package is invalid (names the file and what is wrong)."""


class _VocabularyFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    base: str
    items: list[dict[str, Any]]


def _read(filename: str) -> Any:
    text = resources.files(_PACKAGE).joinpath(filename).read_text("utf-8")
    return yaml.safe_load(text)


def _validated(filename: str, build: Callable[[Any], T], raw: Any) -> T:
    try:
        return build(raw)
    except ValidationError as exc:
        raise CatalogueDataError(f"{filename}: {exc}") from exc


def _vocabulary(filename: str, base: str, model: type[Term], data: Any = None) -> tuple[Any, ...]:
    """Items of a ``{base, items: [{code, label, ...}]}`` file, each with ``uri`` = base + code."""
    raw_data = _read(filename) if data is None else data
    raw = _validated(filename, _VocabularyFile.model_validate, raw_data)
    if raw.base != base:
        raise CatalogueDataError(f"{filename}: base must be {base}, not {raw.base}")
    items = tuple(
        _validated(filename, model.model_validate, {**item, "uri": base + str(item.get("code"))})
        for item in raw.items
    )
    _unique(filename, "code", [item.code for item in items])
    return items


def _unique(filename: str, what: str, values: list[str]) -> None:
    seen: set[str] = set()
    for value in values:
        if value in seen:
            raise CatalogueDataError(f"{filename}: duplicate {what} {value!r}")
        seen.add(value)


# Loaders -----------------------------------------------------------------------------------


@functools.cache
def partners() -> tuple[Partner, ...]:
    """The platform's partner organisations, in display order."""
    raw = _read("partners.yaml")
    items = tuple(
        _validated("partners.yaml", Partner.model_validate, item) for item in raw["partners"]
    )
    _unique("partners.yaml", "name", [p.name for p in items])
    _unique("partners.yaml", "short_code", [p.short_code for p in items])
    level_uris = {level.uri for level in geocoding_levels()}
    publisher_type_uris = {t.uri for t in publisher_types()}
    for p in items:
        if p.political_geocoding_level_uri not in level_uris:
            raise CatalogueDataError(
                f"partners.yaml: {p.name}: unknown level {p.political_geocoding_level_uri}"
            )
        if p.publisher_type not in publisher_type_uris:
            raise CatalogueDataError(f"partners.yaml: {p.name}: unknown {p.publisher_type}")
        if p.district_key and DISTRICT_KEY_BASE + p.district_key not in p.political_geocoding_uri:
            raise CatalogueDataError(
                f"partners.yaml: {p.name}: political_geocoding_uri lacks its district key"
            )
    return items


def partner(name: str) -> Partner | None:
    """The partner with this CKAN organisation name, or None."""
    return next((p for p in partners() if p.name == name), None)


@functools.cache
def eu_themes() -> tuple[Term, ...]:
    """The whole EU data-theme table (13 themes and OP_DATPRO)."""
    data = _read("themes.yaml")["eu_data_themes"]
    return _vocabulary("themes.yaml", EU_DATA_THEME_BASE, Term, data)


@functools.cache
def themes() -> tuple[Theme, ...]:
    """The region's fields of action (CKAN groups), each with its EU data themes."""
    raw = _read("themes.yaml")
    items = tuple(_validated("themes.yaml", Theme.model_validate, item) for item in raw["groups"])
    _unique("themes.yaml", "group name", [t.name for t in items])
    known = {t.code for t in eu_themes()}
    for theme in items:
        unknown = set(theme.eu_themes) - known
        if unknown:
            raise CatalogueDataError(f"themes.yaml: {theme.name}: unknown EU themes {unknown}")
    return items


@functools.cache
def licenses() -> tuple[License, ...]:
    """The dcat-ap.de licences, recommended ones first."""
    raw = _read("licenses.yaml")
    if raw.get("base") != DCATAP_DE_LICENSE_BASE:
        raise CatalogueDataError(f"licenses.yaml: base must be {DCATAP_DE_LICENSE_BASE}")
    items = tuple(
        _validated("licenses.yaml", License.model_validate, item) for item in raw["licenses"]
    )
    for item in items:
        if not item.uri.startswith(DCATAP_DE_LICENSE_BASE):
            raise CatalogueDataError(f"licenses.yaml: {item.uri} is not a dcat-ap.de licence")
    _unique("licenses.yaml", "uri", [item.uri for item in items])
    return items


def ckan_license_register() -> list[dict[str, str]]:
    """CKAN's licence register (``licenses_group_url`` file): ids are dcat-ap.de URIs."""
    return [
        {
            "id": item.uri,
            "title": item.title,
            "url": item.url,
            "od_conformance": "approved" if item.open else "not reviewed",
            "osd_conformance": "not reviewed",
            "status": "active",
            "family": "",
        }
        for item in licenses()
    ]


@functools.cache
def file_types() -> tuple[FileType, ...]:
    """The EU file types offered for distributions."""
    items: tuple[FileType, ...] = _vocabulary("file_types.yaml", EU_FILE_TYPE_BASE, FileType)
    _unique("file_types.yaml", "alias", [a for item in items for a in item.aliases])
    _unique("file_types.yaml", "media type", [i.media_type for i in items if i.media_type])
    return items


@functools.cache
def _file_type_index() -> dict[str, FileType]:
    index: dict[str, FileType] = {}
    for item in file_types():
        keys = [item.code, item.label, item.uri, *item.aliases]
        if item.media_type:
            keys += [item.media_type, IANA_MEDIA_TYPE_BASE + item.media_type]
        for key in keys:
            index.setdefault(key.lower(), item)
    return index


@functools.cache
def _license_index() -> dict[str, License]:
    index: dict[str, License] = {}
    for item in licenses():
        for key in (item.uri, item.uri.removeprefix(DCATAP_DE_LICENSE_BASE), *item.aliases):
            index.setdefault(key.strip().lower(), item)
    return index


def license_for(text: str | None) -> License | None:
    """The dcat-ap.de licence that an id, URI or alias names (``cc-by`` → CC BY 4.0), or None."""
    if not text:
        return None
    return _license_index().get(text.strip().lower())


def file_type_for(format_text: str | None) -> FileType | None:
    """The file type that a free-text format names, or None.

    Matches, case-insensitively, the EU code (``GEOJSON``), its URI, the label, an alias
    (``shapefile``, ``excel``) or the media type, also as IANA URI and with parameters
    (``text/csv; charset=utf-8``).
    """
    if not format_text:
        return None
    text = format_text.strip().lower()
    index = _file_type_index()
    return index.get(text) or index.get(text.split(";", 1)[0].strip())


@functools.cache
def frequencies() -> tuple[Term, ...]:
    return _vocabulary("frequencies.yaml", EU_FREQUENCY_BASE, Term)


@functools.cache
def availabilities() -> tuple[Term, ...]:
    return _vocabulary("availability.yaml", EU_PLANNED_AVAILABILITY_BASE, Term)


@functools.cache
def access_rights() -> tuple[Term, ...]:
    return _vocabulary("access_rights.yaml", EU_ACCESS_RIGHT_BASE, Term)


@functools.cache
def geocoding_levels() -> tuple[Term, ...]:
    return _vocabulary("geocoding_levels.yaml", GEOCODING_LEVEL_BASE, Term)


@functools.cache
def languages() -> tuple[Term, ...]:
    return _vocabulary("languages.yaml", EU_LANGUAGE_BASE, Term)


@functools.cache
def publisher_types() -> tuple[Term, ...]:
    return _vocabulary("publisher_types.yaml", ADMS_PUBLISHER_TYPE_BASE, Term)


# Choices for form select fields ------------------------------------------------------------


def _geocoding_label(uri: str) -> str:
    owner = next(p for p in partners() if p.district_key and uri in p.political_geocoding_uri)
    if uri.startswith(MUNICIPALITY_KEY_BASE):
        return f"{owner.title} (Gemeindeschlüssel {uri.removeprefix(MUNICIPALITY_KEY_BASE)})"
    return f"{owner.title} (Kreisschlüssel {uri.removeprefix(DISTRICT_KEY_BASE)})"


def _political_geocoding_choices() -> list[tuple[str, str]]:
    uris = dict.fromkeys(uri for p in partners() for uri in p.political_geocoding_uri)
    return [(uri, _geocoding_label(uri)) for uri in uris]


def _term_choices(loader: Callable[[], tuple[Term, ...]]) -> Callable[[], list[tuple[str, str]]]:
    return lambda: [(item.uri, item.label) for item in loader()]


_CHOICES: dict[str, Callable[[], list[tuple[str, str]]]] = {
    "license": lambda: [(item.uri, item.title) for item in licenses()],
    "file_type": lambda: [(item.code, item.label) for item in file_types()],
    "frequency": _term_choices(frequencies),
    "availability": _term_choices(availabilities),
    "access_rights": _term_choices(access_rights),
    "geocoding_level": _term_choices(geocoding_levels),
    "political_geocoding": _political_geocoding_choices,
    "eu_theme": _term_choices(eu_themes),
    "language": _term_choices(languages),
    "publisher_type": _term_choices(publisher_types),
}
CHOICE_NAMES: tuple[str, ...] = tuple(_CHOICES)


def choices(name: str) -> list[dict[str, str]]:
    """Options of a form select field: ``[{"value": …, "label": German label}]``.

    Values are URIs, except ``file_type`` (the EU file-type code that resources store as
    ``format``). ``name`` is one of :data:`CHOICE_NAMES`.
    """
    try:
        build = _CHOICES[name]
    except KeyError:
        raise KeyError(f"no choices named {name!r}; known: {', '.join(CHOICE_NAMES)}") from None
    return [{"value": value, "label": label} for value, label in build()]
