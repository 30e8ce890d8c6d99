"""Every live stream is also a catalogue dataset (issue #6, "catalogue link").

For each configured stream (adapter × partner) ``smartregion adapters run`` creates or
updates the DCAT-AP.de dataset ``live-<adapter>-<partner>`` in the partner's organisation, the
one every entity of the stream names in ``refCatalogueDataset``. Its distributions point at
the broker: the stream's current entities (NGSI-LD API), their history (temporal API) and the
platform @context the broker serves. The text of each kind of stream (title, description,
themes, licence of the source …) is data: ``live_catalogue.yaml``.

The dataset is built with the sample loader's :class:`~smartregion.sample.Dataset`, so every
value is checked against the code lists of ``schemas/`` before CKAN sees it. A dataset of that
name that the adapters did not create (its ``identifier`` is not the stream's) is never
overwritten. Nothing here can stop live data: problems are report lines.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any
from urllib.parse import quote, urlencode

import requests
import yaml
from ckanapi import CKANAPIError, NotAuthorized, NotFound, RemoteCKAN, ValidationError
from smartregion_adapters.base import AdapterSettings, adapter_class
from smartregion_schemas import catalogue as codes
from smartregion_schemas.live import CONTEXT_URL, context_terms, partner_for

from smartregion import sample
from smartregion.process import PlatformError

EU_THEME = "http://publications.europa.eu/resource/authority/data-theme/"
EU_FREQUENCY = "http://publications.europa.eu/resource/authority/frequency/"
NGSI_LD_SPEC = "https://www.etsi.org/deliver/etsi_gs/CIM/001_099/009/01.08.01_60/gs_CIM009v010801p.pdf"
SMART_DATA_MODELS = "https://github.com/smart-data-models"
IDENTIFIER_PREFIX = "urn:smartregion:live-stream:"
#: History instances per attribute behind the temporal link (a day of 15-minute values).
TEMPORAL_LAST_N = 96
_COMPARED = ("title", "notes", "license_id", "license_attribution_by_text", "frequency",
             "temporal_resolution", "conforms_to", "spatial", "identifier")


@cache
def stream_texts() -> dict[str, dict[str, Any]]:
    text = resources.files("smartregion").joinpath("live_catalogue.yaml").read_text("utf-8")
    data: dict[str, dict[str, Any]] = yaml.safe_load(text)
    return data


def identifier(stream: AdapterSettings) -> str:
    return f"{IDENTIFIER_PREFIX}{stream.adapter}:{stream.partner}"


def entity_query(stream: AdapterSettings, broker_url: str, entity_type: str,
                 temporal: bool = False) -> str:
    """A link that answers without a Link header: the type as its full IRI, and the stream's
    entities by their ids where the configuration fixes them, else by their id prefix
    ``urn:ngsi-ld:<Type>:<partner code>:`` (a ``q`` on ``refCatalogueDataset`` would need the
    platform @context in a Link header)."""
    owner = partner_for(stream.partner)
    assert owner is not None
    params = {"type": context_terms()[entity_type]}
    ids = adapter_class(stream.adapter).stream_entity_ids(stream, entity_type)
    if ids:  # the configuration names them (LoRaWAN devices): exactly this stream's
        params["id"] = ",".join(ids)
    else:
        params["idPattern"] = f"^urn:ngsi-ld:{entity_type}:{owner.short_code}:.*"
    if temporal:
        params["lastN"] = str(TEMPORAL_LAST_N)
    path = "temporal/entities" if temporal else "entities"
    return f"{broker_url.rstrip('/')}/ngsi-ld/v1/{path}?{urlencode(params)}"


def stream_dataset(stream: AdapterSettings, broker_url: str) -> sample.Dataset:
    """The dataset of ``stream``, checked against the catalogue's code lists."""
    texts = stream_texts().get(stream.adapter)
    if texts is None:
        raise KeyError(f"live_catalogue.yaml has no entry for adapter {stream.adapter!r}")
    owner = partner_for(stream.partner)
    region = codes.partner(owner.name) if owner else None
    if owner is None or region is None:
        raise KeyError(f"unknown partner {stream.partner!r}")
    minx, miny, maxx, maxy = region.bbox
    box = [[[minx, miny], [maxx, miny], [maxx, maxy], [minx, maxy], [minx, miny]]]
    context_link = (f"{broker_url.rstrip('/')}/ngsi-ld/v1/jsonldContexts/"
                    f"{quote(CONTEXT_URL, safe='')}")
    link_help = (f"Kurze Attributnamen mit dem Header Link: <{CONTEXT_URL}>; "
                 'rel="http://www.w3.org/ns/json-ld#context"; dann auch '
                 "type=<Typ>&q=refCatalogueDataset==\"" + stream.dataset_url + '".')
    entity_types = adapter_class(stream.adapter).stream_entity_types(stream)
    resources_: list[dict[str, Any]] = []
    for entity_type in entity_types:
        resources_ += [
            {"name": f"{entity_type}: aktuelle Werte (NGSI-LD API)",
             "url": entity_query(stream, broker_url, entity_type), "format": "JSON_LD",
             "mimetype": "application/ld+json",
             "description": f"Alle Entitäten dieses Datenstroms vom Typ {entity_type} "
                            f"(ETSI GS CIM 009). {link_help}"},
            {"name": f"{entity_type}: Verlauf (NGSI-LD Temporal API)",
             "url": entity_query(stream, broker_url, entity_type, temporal=True),
             "format": "JSON_LD", "mimetype": "application/ld+json",
             "description": f"Die letzten {TEMPORAL_LAST_N} Werte je Attribut; Zeitraum mit "
                            "timerel=between&timeAt=…&endTimeAt=… wählbar."},
        ]
    resources_.append({"name": "JSON-LD-@context der Plattform", "url": context_link,
                       "format": "JSON_LD", "mimetype": "application/ld+json",
                       "description": "Die Begriffe (Smart Data Models) der Entitäten."})
    return sample.Dataset(
        name=stream.dataset_name,
        title=texts["title"].format(partner=region.title),
        notes=" ".join(texts["notes"].format(partner=region.title).split()),
        owner_org=owner.name,
        license_id=texts["license_id"],
        license_attribution_by_text=texts["attribution"].format(partner=region.title),
        tags=texts["tags"],
        groups=texts["groups"],
        theme=[EU_THEME + code for code in texts["theme"]],
        contact=[sample.Contact(name=region.title, email=region.contact_email,
                                url=region.homepage)],
        political_geocoding_uri=list(region.political_geocoding_uri),
        political_geocoding_level_uri=region.political_geocoding_level_uri,
        availability="http://publications.europa.eu/resource/authority/planned-availability/STABLE",
        access_rights="http://publications.europa.eu/resource/authority/access-right/PUBLIC",
        frequency=EU_FREQUENCY + texts["frequency"],
        temporal_resolution=texts.get("temporal_resolution"),
        conforms_to=[NGSI_LD_SPEC, *(f"{SMART_DATA_MODELS}/{_model_repo(t)}"
                                     for t in entity_types)],
        spatial=json.dumps({"type": "Polygon", "coordinates": box}),
        maintainer=region.title,
        maintainer_email=region.contact_email,
        language=["http://publications.europa.eu/resource/authority/language/DEU"],
        resources=[sample.Resource(**r) for r in resources_],
    )


def _model_repo(entity_type: str) -> str:
    """``dataModel.Environment`` … from the type's IRI in the platform @context."""
    return context_terms()[entity_type].rstrip("/").split("/")[-2]


@dataclass
class LinkReport:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def link_streams(ckan: RemoteCKAN, streams: list[AdapterSettings],
                 broker_url: str) -> LinkReport:
    """Create or update the dataset of every stream; one line per problem."""
    report = LinkReport()
    schema_fields = None
    for stream in streams:
        try:
            if schema_fields is None:
                schema_fields = sample.dataset_schema_fields(ckan)
            wanted = stream_dataset(stream, broker_url).to_ckan(schema_fields)
            wanted["identifier"] = identifier(stream)
            _apply(ckan, stream, wanted, report)
        except (KeyError, ValueError) as error:  # our data (pydantic errors are ValueErrors)
            report.problems.append(f"{stream.dataset_name}: {error}")
        except ValidationError as error:
            report.problems.append(f"{stream.dataset_name}: CKAN refused: {error.error_dict}")
        except (CKANAPIError, NotAuthorized, requests.RequestException, PlatformError) as error:
            report.problems.append(f"{stream.dataset_name}: catalogue not reachable or "
                                   f"refused ({type(error).__name__}: {error})")
    return report


def _apply(ckan: RemoteCKAN, stream: AdapterSettings, wanted: dict[str, Any],
           report: LinkReport) -> None:
    try:
        existing = ckan.action.package_show(id=stream.dataset_name)
    except NotFound:
        ckan.action.package_create(**wanted)
        report.created.append(stream.dataset_name)
        return
    if existing.get("identifier") != identifier(stream):
        report.problems.append(
            f"{stream.dataset_name}: exists but was not created by the adapters "
            f"(identifier {existing.get('identifier')!r}); left as it is")
        return
    if _same(existing, wanted):
        report.unchanged.append(stream.dataset_name)
        return
    ckan.action.package_update(id=existing["id"], **wanted)
    report.updated.append(stream.dataset_name)


def _same(existing: dict[str, Any], wanted: dict[str, Any]) -> bool:
    if any(existing.get(key) != wanted.get(key) for key in _COMPARED if key in wanted):
        return False
    if sorted(t["name"] for t in existing.get("tags", [])) != sorted(
            t["name"] for t in wanted["tags"]):
        return False
    have = [(r.get("name"), r.get("url"), r.get("format"), r.get("description"))
            for r in existing.get("resources", [])]
    want = [(r.get("name"), r.get("url"), r.get("format"), r.get("description"))
            for r in wanted["resources"]]
    return have == want
