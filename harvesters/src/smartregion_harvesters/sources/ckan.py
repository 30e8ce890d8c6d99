"""``ckan``: another CKAN's datasets through its Action API (``package_search``, paged).

Maps CKAN's core fields and the extras that DCAT-AP.de portals on CKAN use (ckanext-dcatde
and ckanext-dcat keys: ``contributorID``, ``politicalGeocodingURI``, ``issued``, ``modified``,
``identifier``, ``spatial``, ``temporal_start``/``temporal_end``, ``theme``); keys the remote
portal stores top-level with ckanext-scheming are read the same way. Only public, active
datasets are listed; ``fq`` narrows the harvest (``organization:xyz``, ``tags:opendata``).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from smartregion_schemas import catalogue as codes

from ..base import GatherError, Harvester, MappedRecord, RemoteRecord, register

_PAGE_FIELDS = ("title", "notes", "url", "version", "maintainer", "maintainer_email")
_RESOURCE_FIELDS = ("url", "name", "description", "format", "mimetype", "size", "license")


class CkanOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")

    fq: str | None = Field(default=None, description="Solr filter, e.g. organization:stadt-leer")
    rows: int = Field(default=100, gt=0, le=1000)


@register
class CkanHarvester(Harvester):
    type_name = "ckan"
    Options = CkanOptions

    def _api(self, action: str) -> str:
        return f"{self.source.url.rstrip('/')}/api/3/action/{action}"

    def gather(self) -> Iterator[RemoteRecord]:
        start, total = 0, None
        while total is None or start < total:
            params: dict[str, Any] = {"q": "*:*", "rows": self.options.rows, "start": start,
                                      "sort": "id asc"}
            if self.options.fq:
                params["fq"] = self.options.fq
            answer = self._result(self.get(self._api("package_search"), **params))
            try:
                total, results = int(answer["count"]), list(answer["results"])
            except (KeyError, TypeError, ValueError):
                raise GatherError("package_search answered without count/results") from None
            if not results:
                if start < total:
                    raise GatherError(f"page at start={start} is empty although count={total}")
                break
            for dataset in results:
                yield RemoteRecord(
                    guid=dataset["id"], content=dataset,
                    original_url=f"{self.source.url.rstrip('/')}/dataset/{dataset['name']}",
                    modified=dataset.get("metadata_modified"))
            start += len(results)

    def _result(self, response: Any) -> dict[str, Any]:
        try:
            body = response.json()
        except ValueError:
            raise GatherError(f"{response.request.url}: answer is not JSON") from None
        if not isinstance(body, dict) or not body.get("success"):
            error = body.get("error") if isinstance(body, dict) else None
            raise GatherError(f"{response.request.url}: CKAN reports failure: {error}")
        result: dict[str, Any] = body["result"]
        return result

    def map(self, record: RemoteRecord) -> MappedRecord:
        remote: dict[str, Any] = record.content
        value = _reader(remote)
        dataset: dict[str, Any] = {key: remote.get(key) for key in _PAGE_FIELDS}
        dataset["license_id"] = remote.get("license_url") if codes.license_for(
            remote.get("license_url")) else remote.get("license_id")
        dataset["tags"] = [t.get("display_name") or t.get("name")
                           for t in remote.get("tags") or []]
        dataset["identifier"] = value("identifier") or value("guid") or record.guid
        dataset["issued"] = value("issued")
        dataset["modified"] = value("modified") or remote.get("metadata_modified")
        dataset["contributor_id"] = _list(value("contributorID") or value("contributor_id"))
        dataset["political_geocoding_uri"] = _list(value("politicalGeocodingURI")
                                                   or value("political_geocoding_uri"))
        dataset["political_geocoding_level_uri"] = (value("politicalGeocodingLevelURI")
                                                    or value("political_geocoding_level_uri"))
        dataset["theme"] = [t for t in _list(value("theme"))
                            if str(t).startswith(codes.EU_DATA_THEME_BASE)]
        dataset["spatial"] = value("spatial")
        start, end = value("temporal_start"), value("temporal_end")
        if start or end:
            dataset["temporal_coverage"] = [{"start": start, "end": end}]
        dataset["resources"] = [{key: r.get(key) for key in _RESOURCE_FIELDS}
                                for r in remote.get("resources") or [] if r.get("url")]
        return MappedRecord(guid=record.guid, dataset=dataset, original_url=record.original_url,
                            modified=record.modified)


def _reader(remote: dict[str, Any]) -> Any:
    extras = {e.get("key"): e.get("value") for e in remote.get("extras") or []}

    def value(key: str) -> Any:
        found = remote.get(key)
        return found if found not in (None, "", []) else extras.get(key)

    return value


def _list(value: Any) -> list[str]:
    if value in (None, ""):
        return []
    if isinstance(value, list):
        return [str(v) for v in value]
    text = str(value).strip()
    if text.startswith("["):
        try:
            return [str(v) for v in json.loads(text)]
        except ValueError:
            pass
    return [part.strip() for part in text.split(",") if part.strip()]
