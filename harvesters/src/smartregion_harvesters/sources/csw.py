"""``csw``: a geoportal's catalogue service (CSW 2.0.2, ISO 19139 records, via OWSLib).

Only records with ``hierarchyLevel = dataset`` become datasets (services and series are
described by their datasets' distributions). The mapping follows GeoDCAT-AP and the GDI-DE
conventions GovData applies to the same records:

=============================================  ===========================================
ISO 19139                                      DCAT-AP.de field
=============================================  ===========================================
fileIdentifier                                 harvest key; dct:identifier unless the
                                               citation has an MD_Identifier code
title / abstract                               dct:title / dct:description
descriptiveKeywords                            dcat:keyword (thesaurus terms too)
topicCategory                                  dcat:theme (table below)
EX_GeographicBoundingBox                       dct:spatial (polygon)
temporal extent                                dct:temporal
dateStamp / citation dates                     dct:modified (K40) / dct:issued
lineage statement                              dct:provenance
pointOfContact / custodian / originator        dcat:contactPoint / maintainer / originator
useConstraints (GDI-DE licence JSON or text)   dct:license
accessConstraints "keine …"                    dct:accessRights PUBLIC
online resources: OGC:WMS / OGC:WFS / download distributions (WMS_SRVC, WFS_SRVC, file);
online resources with function "information"   dcat:landingPage
=============================================  ===========================================
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

import requests
from lxml import etree
from owslib.catalogue.csw2 import CatalogueServiceWeb
from owslib.fes import PropertyIsEqualTo
from owslib.iso import MD_Metadata
from owslib.util import ServiceException
from pydantic import BaseModel, ConfigDict, Field
from smartregion_schemas import catalogue as codes

from ..base import GatherError, Harvester, MappedRecord, RecordError, RemoteRecord, register

GMD = "http://www.isotc211.org/2005/gmd"
#: ISO 19115 topic categories → EU data themes (after the GeoDCAT-AP alignment).
TOPIC_THEMES = {
    "farming": "AGRI", "biota": "ENVI", "boundaries": "GOVE", "climatologyMeteorologyAtmosphere":
    "ENVI", "economy": "ECON", "elevation": "ENVI", "environment": "ENVI",
    "geoscientificInformation": "TECH", "health": "HEAL", "imageryBaseMapsEarthCover": "ENVI",
    "intelligenceMilitary": "JUST", "inlandWaters": "ENVI", "location": "REGI",
    "oceans": "ENVI", "planningCadastre": "REGI", "society": "SOCI", "structure": "REGI",
    "transportation": "TRAN", "utilitiesCommunication": "ENER",
}
_PUBLIC_ACCESS = re.compile(r"keine|no limitation|no condition|uneingeschränkt|frei", re.I)
_SERVICE_FORMATS = (("OGC:WMS", "WMS_SRVC"), ("OGC:WFS", "WFS_SRVC"), ("OGC:WMTS", "WMTS_SRVC"),
                    ("OGC:WCS", "WCS_SRVC"), ("ATOM", "ATOM"))


class CswOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")

    page_size: int = Field(default=50, gt=0, le=500)
    require_keyword: str | None = Field(
        default=None, description="Only records with this keyword (GDI-DE: opendata).")
    max_records: int = Field(default=100_000, gt=0)


@register
class CswHarvester(Harvester):
    type_name = "csw"
    Options = CswOptions

    def gather(self) -> Iterator[RemoteRecord]:
        csw = self._connect()
        position = 1
        while position and position <= self.options.max_records:
            try:
                csw.getrecords2(
                    constraints=[PropertyIsEqualTo("dc:type", "dataset")],
                    outputschema=GMD, esn="full", startposition=position,
                    maxrecords=self.options.page_size)
            except Exception as error:
                raise GatherError(_why(self.source.url, error, f"GetRecords at {position}")
                                  ) from None
            yield from self._records(csw.response)
            returned = int(csw.results.get("returned") or 0)
            following = int(csw.results.get("nextrecord") or 0)
            matched = int(csw.results.get("matches") or 0)
            if returned == 0 or following == 0 or following > matched:
                break
            position = following

    def _connect(self) -> CatalogueServiceWeb:
        try:
            return CatalogueServiceWeb(self.source.url, timeout=int(self.source.timeout_seconds),
                                       headers={"User-Agent": "smartregion-harvester"})
        except Exception as error:
            raise GatherError(_why(self.source.url, error, "GetCapabilities")) from None

    def _records(self, response: bytes) -> Iterator[RemoteRecord]:
        """ISO records of one GetRecords answer, dataset-level only."""
        root = etree.fromstring(response)
        for element in root.iter(f"{{{GMD}}}MD_Metadata"):
            metadata = MD_Metadata(element)
            if (metadata.hierarchy or "dataset") != "dataset" or not metadata.identifier:
                continue
            if self.options.require_keyword and self.options.require_keyword.lower() not in {
                    k.lower() for k in _keywords(metadata)}:
                continue
            yield RemoteRecord(guid=metadata.identifier, content=metadata,
                               original_url=self._record_url(metadata.identifier),
                               modified=metadata.datestamp)

    def _record_url(self, identifier: str) -> str:
        return self.source.url.split("?", 1)[0] + "?" + urlencode({
            "service": "CSW", "version": "2.0.2", "request": "GetRecordById", "id": identifier,
            "outputSchema": GMD, "elementSetName": "full"})

    def map(self, record: RemoteRecord) -> MappedRecord:
        return MappedRecord(guid=record.guid, dataset=iso_to_dataset(record.content),
                            original_url=record.original_url, modified=record.modified)


def iso_to_dataset(metadata: MD_Metadata) -> dict[str, Any]:
    """One ISO 19139 record in the catalogue's DCAT-AP.de fields (table in the module doc)."""
    if not metadata.identification:
        raise RecordError("no identificationInfo")
    ident = metadata.identification[0]
    if not ident.title:
        raise RecordError("no title")
    dataset: dict[str, Any] = {
        "title": ident.title, "notes": ident.abstract, "keywords": _keywords(metadata),
        "identifier": (ident.uricode or [None])[0] or metadata.identifier,
        "modified": _date(metadata.datestamp) or _citation_date(ident, "revision"),
        "issued": _citation_date(ident, "publication") or _citation_date(ident, "creation"),
        "theme": sorted({codes.EU_DATA_THEME_BASE + TOPIC_THEMES[t]
                         for t in ident.topiccategory if t in TOPIC_THEMES}),
        "license_id": _licence(ident),
    }
    if ident.bbox is not None:
        dataset["spatial"] = _bbox_polygon(ident.bbox)
    if ident.temporalextent_start or ident.temporalextent_end:
        dataset["temporal_coverage"] = [{"start": _date(ident.temporalextent_start),
                                         "end": _date(ident.temporalextent_end)}]
    if metadata.dataquality is not None and metadata.dataquality.lineage:
        dataset["provenance"] = metadata.dataquality.lineage
    if any(_PUBLIC_ACCESS.search(text or "") for text in
           [*ident.otherconstraints, *ident.accessconstraints]):
        dataset["access_rights"] = ("http://publications.europa.eu/resource/authority/"
                                    "access-right/PUBLIC")
    if "ger" in (metadata.languagecode or metadata.language or "ger"):
        dataset["language"] = ["http://publications.europa.eu/resource/authority/language/DEU"]
    _parties(dataset, [*ident.contact, *metadata.contact])
    dataset["resources"], landing = _distributions(metadata)
    if landing:
        dataset["url"] = landing
    return dataset


def _keywords(metadata: MD_Metadata) -> list[str]:
    if not metadata.identification:
        return []
    words: list[str] = []
    for block in metadata.identification[0].keywords or []:
        words.extend(k.name for k in block.keywords if getattr(k, "name", None))
    return words


def _licence(ident: Any) -> str | None:
    """GDI-DE: the licence as JSON ``{"id": "dl-by-de/2.0", …}`` among the constraints;
    otherwise a constraint text that names a licence."""
    texts = [t for t in [*ident.otherconstraints, *ident.uselimitation] if t]
    for text in texts:
        if text.strip().startswith("{"):
            try:
                found = codes.license_for(str(json.loads(text).get("id", "")))
            except (ValueError, AttributeError):
                continue
            if found:
                return found.uri
    for text in texts:
        found = codes.license_for(text)
        if found:
            return found.uri
    return texts[0] if texts else None


def _parties(dataset: dict[str, Any], parties: list[Any]) -> None:
    for party in parties:
        name = party.organization or party.name
        if not name:
            continue
        if party.role in ("pointOfContact", None) and "contact" not in dataset:
            dataset["contact"] = [{"name": name, "email": party.email}]
        elif party.role in ("custodian", "owner") and "maintainer" not in dataset:
            dataset["maintainer"], dataset["maintainer_email"] = name, party.email
        elif party.role == "originator" and "originator" not in dataset:
            dataset["originator"], dataset["originator_email"] = name, party.email
    if "contact" not in dataset and dataset.get("maintainer"):
        dataset["contact"] = [{"name": dataset["maintainer"],
                               "email": dataset.get("maintainer_email")}]


def _distributions(metadata: MD_Metadata) -> tuple[list[dict[str, Any]], str | None]:
    resources: list[dict[str, Any]] = []
    landing: str | None = None
    distribution = metadata.distribution
    if distribution is None:
        return resources, landing
    file_format = distribution.format
    for online in distribution.online:
        if not online.url:
            continue
        protocol = (online.protocol or "").upper()
        service = next((code for prefix, code in _SERVICE_FORMATS if protocol.startswith(prefix)),
                       None)
        if service is None and (online.function == "information" or protocol.startswith(
                "WWW:LINK")):
            landing = landing or online.url
            continue
        resources.append({
            "url": online.url, "name": online.name or online.description or service or
            online.url.rsplit("/", 1)[-1], "description": online.description,
            "format": service or _download_format(online.url, file_format)})
    return resources, landing


def _download_format(url: str, declared: str | None) -> str | None:
    """The declared distributionFormat when it names a known type (a ``.zip`` that holds a
    Shapefile is SHP), else what the URL's extension says."""
    known = codes.file_type_for(declared)
    if known is not None:
        return known.code
    by_url = codes.file_type_for("." + url.split("?", 1)[0].rsplit(".", 1)[-1].lower())
    return by_url.code if by_url is not None else declared


def _bbox_polygon(bbox: Any) -> str | None:
    try:
        west, south, east, north = (float(bbox.minx), float(bbox.miny), float(bbox.maxx),
                                    float(bbox.maxy))
    except (TypeError, ValueError):
        return None
    ring = [[west, south], [east, south], [east, north], [west, north], [west, south]]
    return json.dumps({"type": "Polygon", "coordinates": [ring]})


def _citation_date(ident: Any, kind: str) -> str | None:
    for entry in ident.date or []:
        if entry.type == kind and entry.date:
            return _date(entry.date)
    return None


def _date(value: Any) -> str | None:
    if not value:
        return None
    text = str(value).strip()
    return text if re.match(r"^\d{4}-\d{2}-\d{2}", text) else None


def _why(url: str, error: Exception, what: str) -> str:
    if isinstance(error, requests.Timeout):
        return f"{url}: {what}: keine Antwort / no answer (timeout)"
    if isinstance(error, requests.RequestException):
        return f"{url}: {what}: {type(error).__name__}: {error}"
    if isinstance(error, ServiceException) or type(error).__name__ == "ExceptionReport":
        return f"{url}: {what}: der Dienst meldet / the service reports: {error}"
    if isinstance(error, etree.XMLSyntaxError):
        return f"{url}: {what}: kein lesbares XML / not readable XML: {error}"
    return f"{url}: {what}: {type(error).__name__}: {error}"
