"""Typed items of the catalogue vocabularies (validated when a YAML file is loaded)."""

from __future__ import annotations

import json

from pydantic import BaseModel, ConfigDict, Field, field_validator

from smartregion_schemas.catalogue._bases import (
    ADMS_PUBLISHER_TYPE_BASE,
    EU_DATA_THEME_BASE,
    GEOCODING_LEVEL_BASE,
    IANA_MEDIA_TYPE_BASE,
    POLITICAL_GEOCODING_BASE,
)

_SLUG = r"^[a-z0-9][a-z0-9_-]{1,99}$"
_EMAIL = r"^[^@\s]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$"
_HTTP_URL = r"^https?://\S+$"


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Term(_Frozen):
    """One concept of a controlled vocabulary: its code, German label and full URI."""

    code: str = Field(min_length=1)
    label: str = Field(min_length=1)
    uri: str = Field(pattern=_HTTP_URL)


class FileType(Term):
    """An EU file-type, with its IANA media type (if registered) and common spellings."""

    media_type: str | None = Field(default=None, pattern=r"^[a-z]+/[a-z0-9.+-]+$")
    aliases: tuple[str, ...] = ()

    @field_validator("aliases")
    @classmethod
    def _lower_case(cls, aliases: tuple[str, ...]) -> tuple[str, ...]:
        for alias in aliases:
            if alias != alias.strip().lower():
                raise ValueError(f"alias {alias!r} must be lower case without outer spaces")
        return aliases

    @property
    def media_type_uri(self) -> str | None:
        """The media type as IANA URI (DCAT-AP ``dcat:mediaType``), or None."""
        return IANA_MEDIA_TYPE_BASE + self.media_type if self.media_type else None


class License(_Frozen):
    """A dcat-ap.de licence; ``uri`` is also its id in CKAN's licence register."""

    uri: str = Field(pattern=_HTTP_URL)
    title: str = Field(min_length=1)
    url: str = Field(pattern=r"^(https?://\S+)?$", description="licence text; may be empty")
    open: bool
    attribution_required: bool
    aliases: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        return self.title


class Theme(_Frozen):
    """A field of action of the region, kept as a CKAN group and mapped to EU data themes."""

    name: str = Field(pattern=_SLUG)
    title: str = Field(min_length=1)
    description: str = Field(min_length=1)
    eu_themes: tuple[str, ...] = Field(min_length=1, description="EU data-theme codes")

    @property
    def eu_theme_uris(self) -> list[str]:
        return [EU_DATA_THEME_BASE + code for code in self.eu_themes]


class Partner(_Frozen):
    """A partner organisation of the platform (one CKAN organisation)."""

    name: str = Field(pattern=_SLUG, description="CKAN organisation name")
    title: str = Field(min_length=1)
    short_code: str = Field(pattern=r"^[A-Z]{3}$")
    description: str = Field(min_length=1)
    district_key: str | None = Field(pattern=r"^\d{5}$", description="None for the region")
    political_geocoding_uri: tuple[str, ...] = Field(min_length=1)
    political_geocoding_level_uri: str
    contact_email: str = Field(pattern=_EMAIL)
    homepage: str = Field(pattern=r"^https://\S+$")
    publisher_type: str
    bbox: tuple[float, float, float, float] = Field(
        description="WGS84 [min lon, min lat, max lon, max lat], approximate"
    )

    @field_validator("political_geocoding_uri")
    @classmethod
    def _geocoding_base(cls, uris: tuple[str, ...]) -> tuple[str, ...]:
        for uri in uris:
            if not uri.startswith(POLITICAL_GEOCODING_BASE):
                raise ValueError(f"{uri} is not under {POLITICAL_GEOCODING_BASE}")
        return uris

    @field_validator("political_geocoding_level_uri")
    @classmethod
    def _level_base(cls, uri: str) -> str:
        if not uri.startswith(GEOCODING_LEVEL_BASE):
            raise ValueError(f"{uri} is not under {GEOCODING_LEVEL_BASE}")
        return uri

    @field_validator("publisher_type")
    @classmethod
    def _publisher_type_base(cls, uri: str) -> str:
        if not uri.startswith(ADMS_PUBLISHER_TYPE_BASE):
            raise ValueError(f"{uri} is not under {ADMS_PUBLISHER_TYPE_BASE}")
        return uri

    @field_validator("bbox")
    @classmethod
    def _bbox_order(
        cls, bbox: tuple[float, float, float, float]
    ) -> tuple[float, float, float, float]:
        minx, miny, maxx, maxy = bbox
        if not (-180 <= minx < maxx <= 180 and -90 <= miny < maxy <= 90):
            raise ValueError(f"bbox {bbox} is not [min lon, min lat, max lon, max lat]")
        return bbox

    @property
    def spatial(self) -> str:
        """The bounding box as a GeoJSON polygon string (CKAN's ``spatial`` field)."""
        minx, miny, maxx, maxy = self.bbox
        ring = [[minx, miny], [maxx, miny], [maxx, maxy], [minx, maxy], [minx, miny]]
        return json.dumps({"type": "Polygon", "coordinates": [ring]})
