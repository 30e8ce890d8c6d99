"""``wfs``: a WFS 2.0 — one dataset per feature type, with the features as GeoJSON.

Geoportals in Lower Saxony serve features in EPSG:25832 (ETRS89 / UTM 32N) and often only as
GML. The harvester downloads each feature type (GetFeature), reads it with geopandas (GDAL's
GML driver through pyogrio), reprojects it to WGS84 with pyproj, and uploads the result to
CKAN as a GeoJSON distribution that anyone can open in a browser map; the WFS itself is the
second distribution. The extent (dct:spatial) is the bounding box of the features.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

import geopandas
from owslib.wfs import WebFeatureService
from pydantic import BaseModel, ConfigDict, Field
from smartregion_schemas import catalogue as codes

from ..base import GatherError, Harvester, MappedRecord, RecordError, RemoteRecord, Upload, register
from .csw import _why

_EPSG = re.compile(r"EPSG[:/]+(?:[\d.]*:)?(\d+)$", re.IGNORECASE)


class WfsOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")

    feature_types: list[str] | None = Field(default=None, description="Default: all offered.")
    max_features: int = Field(default=50_000, gt=0)
    default_crs: str = Field(default="EPSG:25832",
                             description="CRS of answers that do not name one.")


@register
class WfsHarvester(Harvester):
    type_name = "wfs"
    Options = WfsOptions

    def gather(self) -> Iterator[RemoteRecord]:
        try:
            service = WebFeatureService(self.source.url, version="2.0.0",
                                        timeout=int(self.source.timeout_seconds))
            contents = dict(service.contents)
        except Exception as error:
            raise GatherError(_why(self.source.url, error, "GetCapabilities")) from None
        wanted = self.options.feature_types or list(contents)
        missing = [name for name in wanted if name not in contents]
        if missing:
            raise GatherError(f"{self.source.url}: feature type(s) not offered: "
                              f"{', '.join(missing)}")
        for name in wanted:
            yield RemoteRecord(guid=f"{self.source.url.split('?', 1)[0]}#{name}",
                               content={"service": service, "name": name,
                                        "meta": contents[name]},
                               original_url=self._capabilities_url())

    def _capabilities_url(self) -> str:
        return self.source.url.split("?", 1)[0] + "?" + urlencode(
            {"SERVICE": "WFS", "VERSION": "2.0.0", "REQUEST": "GetCapabilities"})

    def fetch(self, record: RemoteRecord) -> RemoteRecord:
        service, name = record.content["service"], record.content["name"]
        try:
            answer = service.getfeature(typename=[name], maxfeatures=self.options.max_features)
            data = answer.read()
        except Exception as error:
            raise RecordError(_why(self.source.url, error, f"GetFeature {name}")) from None
        if isinstance(data, str):
            data = data.encode()
        if b"ExceptionReport" in data[:500]:
            raise RecordError(f"GetFeature {name}: der Dienst meldet / the service reports: "
                              f"{data[:400].decode('utf-8', 'replace')}")
        return RemoteRecord(guid=record.guid, content={**record.content, "gml": data},
                            original_url=record.original_url)

    def map(self, record: RemoteRecord) -> MappedRecord:
        name, meta = record.content["name"], record.content["meta"]
        features = to_wgs84(record.content["gml"], self.options.default_crs)
        geojson = features.to_json(drop_id=True, ensure_ascii=False).encode()
        service = record.content["service"]
        identification = service.identification
        slug = name.split(":")[-1]
        dataset: dict[str, Any] = {
            "title": meta.title or name,
            "notes": meta.abstract or identification.abstract,
            "keywords": [*(meta.keywords or []), *(identification.keywords or [])],
            "identifier": record.guid,
            "license_id": _licence(identification.accessconstraints),
            "spatial": _extent(features),
            "resources": [{"url": self._capabilities_url(), "format": "WFS_SRVC",
                           "name": f"WFS-Dienst ({name})",
                           "description": f"OGC Web Feature Service 2.0, Objektart {name}"}],
        }
        provider = service.provider
        if provider is not None and provider.name:
            email = getattr(provider.contact, "email", None) if provider.contact else None
            dataset["contact"] = [{"name": provider.name, "email": email,
                                   "url": None if email else provider.url}]
        upload = Upload(filename=f"{slug}.geojson", data=geojson, resource={
            "name": f"{meta.title or name} (GeoJSON, WGS84)", "format": "GEOJSON",
            "mimetype": "application/geo+json",
            "description": f"{len(features)} Objekte aus dem WFS, von "
                           f"{_crs_name(features.attrs.get('source_crs'))} nach WGS84 "
                           "(EPSG:4326) umgerechnet."})
        return MappedRecord(guid=record.guid, dataset=dataset, uploads=[upload],
                            original_url=record.original_url)


def to_wgs84(data: bytes, default_crs: str) -> geopandas.GeoDataFrame:
    """Features of a GML (or GeoJSON) answer in WGS84; the source CRS in ``attrs``."""
    try:
        features = geopandas.read_file(io.BytesIO(data))
    except Exception as error:
        raise RecordError(f"Objekte nicht lesbar / features not readable: {error}") from None
    if features.crs is None:
        features = features.set_crs(default_crs)
    source_crs = features.crs.to_string()
    features = features.to_crs(4326)
    features.attrs["source_crs"] = source_crs
    return features


def _extent(features: geopandas.GeoDataFrame) -> str | None:
    if features.empty:
        return None
    west, south, east, north = (round(float(v), 6) for v in features.total_bounds)
    if west == east or south == north:
        return json.dumps({"type": "Point", "coordinates": [west, south]})
    ring = [[west, south], [east, south], [east, north], [west, north], [west, south]]
    return json.dumps({"type": "Polygon", "coordinates": [ring]})


def _licence(constraints: str | None) -> str | None:
    if not constraints:
        return None
    found = codes.license_for(constraints)
    return found.uri if found else constraints


def _crs_name(crs: str | None) -> str:
    found = _EPSG.search(crs or "")
    return f"EPSG:{found.group(1)}" if found else (crs or "unbekannt")
