"""Load the bundled sample catalogue (datasets) into CKAN through its Action API.

The organisations and theme groups the datasets belong to come from schemas/ and are created
by ``smartregion catalogue init`` (``up`` runs it first). This loader creates the datasets that
are missing (by name) and never updates existing ones, so whatever an operator or a test
changed in the catalogue survives the next ``up``. It talks to CKAN over HTTP with the stored
API token, exactly like a harvester would, which also proves that the token, the web server
and the search backend work together.

Datasets use the field names of the platform's DCAT-AP.de dataset schema (ckanext-smartregion).
Fields that the running CKAN's scheming schema declares are sent top-level; without that schema
they go into ``extras`` (lists and objects JSON-encoded), so the loader works either way.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

import requests
import yaml
from ckanapi import CKANAPIError, NotAuthorized, NotFound, RemoteCKAN, ValidationError
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from smartregion_schemas import catalogue as codes

from smartregion.process import PlatformError

USER_AGENT = "smartregion-sample-loader/0.2"

_EMAIL = r"^[^@\s]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$"
_URL = r"^https?://\S+$"
_TAG = r"^[\w .-]{2,100}$"  # CKAN's tag rule: letters (umlauts too), digits, space - _ .
# xsd:duration as DCAT wants it for temporalResolution (PT10M, P1D); not "P" or "PT" alone.
_DURATION = re.compile(r"^P(?!$)(\d+Y)?(\d+M)?(\d+W)?(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+S)?)?$")

# Dataset fields CKAN itself knows; all others depend on the dataset schema.
CORE_KEYS = ("name", "title", "notes", "owner_org", "license_id", "maintainer", "maintainer_email")
DCAT_KEYS = (
    "theme",
    "contact",
    "political_geocoding_uri",
    "political_geocoding_level_uri",
    "availability",
    "access_rights",
    "frequency",
    "temporal_coverage",
    "temporal_resolution",
    "conforms_to",
    "spatial",
    "license_attribution_by_text",
    "language",
)


def _one_of(value: str, allowed: set[str], what: str) -> str:
    if value not in allowed:
        raise ValueError(f"{value!r} is not a known {what}")
    return value


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Contact(_Model):
    name: str
    email: str | None = Field(default=None, pattern=_EMAIL)
    url: str | None = Field(default=None, pattern=_URL)

    @model_validator(mode="after")
    def _reachable(self) -> Contact:
        if not (self.email or self.url):  # DCAT-AP.de convention K01
            raise ValueError("a contact needs an email or a url")
        return self


class Period(_Model):
    start: dt.date
    end: dt.date | None = None


class Resource(_Model):
    name: str
    url: str = Field(pattern=_URL)
    format: str = Field(description="EU file-type code")
    description: str = ""
    mimetype: str | None = None

    @field_validator("format")
    @classmethod
    def _eu_file_type(cls, value: str) -> str:
        return _one_of(value, {t.code for t in codes.file_types()}, "EU file-type code")

    @model_validator(mode="after")
    def _matching_media_type(self) -> Resource:
        file_type = codes.file_type_for(self.format)
        assert file_type is not None
        if file_type.media_type and self.mimetype and self.mimetype != file_type.media_type:
            raise ValueError(f"{self.format} has media type {file_type.media_type}")
        return self


class Dataset(_Model):
    name: str = Field(pattern=r"^[a-z0-9_-]{2,100}$")
    title: str
    notes: str
    owner_org: str
    license_id: str
    tags: list[str]
    groups: list[str] = Field(min_length=1)
    theme: list[str] = Field(min_length=1)
    contact: list[Contact] = Field(min_length=1)
    political_geocoding_uri: list[str] = Field(min_length=1)
    political_geocoding_level_uri: str
    availability: str
    access_rights: str
    frequency: str
    temporal_coverage: list[Period] = []
    temporal_resolution: str | None = None
    conforms_to: list[str] = []
    spatial: str
    license_attribution_by_text: str | None = None
    maintainer: str
    maintainer_email: str = Field(pattern=_EMAIL)
    language: list[str] = Field(min_length=1)
    resources: list[Resource] = Field(min_length=1)

    @field_validator("owner_org")
    @classmethod
    def _partner(cls, value: str) -> str:
        return _one_of(value, {p.name for p in codes.partners()}, "partner organisation")

    @field_validator("license_id")
    @classmethod
    def _license(cls, value: str) -> str:
        return _one_of(value, {item.uri for item in codes.licenses()}, "dcat-ap.de licence")

    @field_validator("tags")
    @classmethod
    def _tags(cls, tags: list[str]) -> list[str]:
        for tag in tags:
            if not re.match(_TAG, tag):
                raise ValueError(f"tag {tag!r}: only letters, digits, spaces and - _ .")
        return tags

    @field_validator("temporal_resolution")
    @classmethod
    def _duration(cls, value: str | None) -> str | None:
        if value is not None and not _DURATION.match(value):
            raise ValueError(f"{value!r} is not an ISO 8601 duration such as PT10M")
        return value

    @field_validator("groups")
    @classmethod
    def _groups(cls, groups: list[str]) -> list[str]:
        known = {t.name for t in codes.themes()}
        return [_one_of(g, known, "theme group") for g in groups]

    @field_validator("theme")
    @classmethod
    def _themes(cls, uris: list[str]) -> list[str]:
        known = {t.uri for t in codes.eu_themes()}
        return [_one_of(uri, known, "EU data-theme URI") for uri in uris]

    @field_validator("political_geocoding_uri")
    @classmethod
    def _geocoding(cls, uris: list[str]) -> list[str]:
        known = {c["value"] for c in codes.choices("political_geocoding")}
        return [_one_of(uri, known, "political geocoding URI of the region") for uri in uris]

    @field_validator("political_geocoding_level_uri")
    @classmethod
    def _level(cls, uri: str) -> str:
        return _one_of(uri, {t.uri for t in codes.geocoding_levels()}, "geocoding level")

    @field_validator("availability")
    @classmethod
    def _availability(cls, uri: str) -> str:
        return _one_of(uri, {t.uri for t in codes.availabilities()}, "planned availability")

    @field_validator("access_rights")
    @classmethod
    def _access_rights(cls, uri: str) -> str:
        return _one_of(uri, {t.uri for t in codes.access_rights()}, "access right")

    @field_validator("frequency")
    @classmethod
    def _frequency(cls, uri: str) -> str:
        return _one_of(uri, {t.uri for t in codes.frequencies()}, "frequency")

    @field_validator("language")
    @classmethod
    def _language(cls, uris: list[str]) -> list[str]:
        known = {t.uri for t in codes.languages()}
        return [_one_of(uri, known, "language") for uri in uris]

    @model_validator(mode="after")
    def _spatial_inside_owner(self) -> Dataset:
        geometry = json.loads(self.spatial)
        if geometry.get("type") not in {"Point", "Polygon", "MultiPolygon"}:
            raise ValueError("spatial must be a GeoJSON Point or (Multi)Polygon")
        partner = codes.partner(self.owner_org)
        assert partner is not None
        minx, miny, maxx, maxy = partner.bbox
        for x, y in _positions(geometry["coordinates"]):
            if not (minx <= x <= maxx and miny <= y <= maxy):
                raise ValueError(f"spatial: ({x}, {y}) lies outside {partner.title}")
        return self

    def to_ckan(self, schema_fields: frozenset[str] = frozenset()) -> dict[str, Any]:
        """``package_create`` data; DCAT fields top-level if the schema has them, else extras."""
        dumped = self.model_dump(mode="json", exclude_none=True)
        data: dict[str, Any] = {key: dumped[key] for key in CORE_KEYS}
        data["tags"] = [{"name": tag} for tag in self.tags]
        data["groups"] = [{"name": group} for group in self.groups]
        data["resources"] = dumped["resources"]
        data["private"] = False
        extras = []
        for key in DCAT_KEYS:
            value = dumped.get(key)
            if value in (None, "", []):
                continue
            if key in schema_fields:
                data[key] = value
            else:
                text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
                extras.append({"key": key, "value": text})
        if extras:
            data["extras"] = extras
        return data


def _positions(coordinates: Any) -> list[tuple[float, float]]:
    if coordinates and isinstance(coordinates[0], (int, float)):
        return [(float(coordinates[0]), float(coordinates[1]))]
    return [pos for part in coordinates for pos in _positions(part)]


class Catalogue(_Model):
    datasets: list[Dataset]

    @field_validator("datasets")
    @classmethod
    def _unique_names(cls, datasets: list[Dataset]) -> list[Dataset]:
        names = [d.name for d in datasets]
        if len(names) != len(set(names)):
            raise ValueError("dataset names must be unique")
        return datasets


def load_bundled() -> Catalogue:
    """The catalogue shipped as package data (``sample_data/catalogue.yaml``)."""
    text = resources.files("smartregion").joinpath("sample_data/catalogue.yaml").read_text("utf-8")
    return Catalogue.model_validate(yaml.safe_load(text))


@dataclass
class LoadReport:
    created: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)

    def summary(self) -> str:
        return (
            f"Beispielkatalog / sample catalogue: neu / created {len(self.created)} Datensätze; "
            f"vorhanden, nicht überschrieben / kept {len(self.kept)} Datensätze"
        )


def remote(url: str, token: str | None = None) -> RemoteCKAN:
    """A ckanapi client that ignores proxy variables: the platform is on loopback."""
    session = requests.Session()
    session.trust_env = False
    return RemoteCKAN(url, apikey=token, user_agent=USER_AGENT, session=session)


_API_ERRORS = (CKANAPIError, NotAuthorized, ValidationError, requests.RequestException)


def _exists(ckan: RemoteCKAN, action: str, name: str) -> bool:
    try:
        ckan.call_action(action, {"id": name})
    except NotFound:
        return False
    except _API_ERRORS as exc:
        raise PlatformError(f"CKAN-API-Fehler / API error: {action} {name}: {exc}") from exc
    return True


def dataset_schema_fields(ckan: RemoteCKAN) -> frozenset[str]:
    """Dataset field names of the active ckanext-scheming schema; empty without one."""
    action = "scheming_dataset_schema_show"
    try:
        schema = ckan.call_action(action, {"type": "dataset"})
    except NotFound:  # scheming active, but no schema for "dataset"
        return frozenset()
    except _API_ERRORS as exc:
        if isinstance(exc, CKANAPIError) and "Action name not known" in str(exc):
            return frozenset()  # scheming not loaded
        raise PlatformError(f"CKAN-API-Fehler / API error: {action}: {exc}") from exc
    return frozenset(f["field_name"] for f in schema.get("dataset_fields", []))


def load(ckan: RemoteCKAN, catalogue: Catalogue) -> LoadReport:
    """Create the catalogue's missing datasets; never touch existing ones."""
    needed = {("organization_show", d.owner_org) for d in catalogue.datasets} | {
        ("group_show", g) for d in catalogue.datasets for g in d.groups
    }
    missing = sorted(name for action, name in needed if not _exists(ckan, action, name))
    if missing:
        raise PlatformError(
            "Organisationen/Gruppen fehlen / missing organisations or groups: "
            f"{', '.join(missing)}; run `smartregion catalogue init` first."
        )
    schema_fields = dataset_schema_fields(ckan)
    report = LoadReport()
    for dataset in catalogue.datasets:
        if _exists(ckan, "package_show", dataset.name):
            report.kept.append(dataset.name)
            continue
        try:
            ckan.call_action("package_create", dataset.to_ckan(schema_fields))
        except _API_ERRORS as exc:
            raise PlatformError(
                f"Beispieldatensatz nicht angelegt / sample dataset not created: "
                f"{dataset.name}: {exc}"
            ) from exc
        report.created.append(dataset.name)
    return report
