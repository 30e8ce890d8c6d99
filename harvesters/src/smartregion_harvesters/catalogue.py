"""The regional catalogue as the harvest sees it: what is there, and the writes (ckanapi).

At the start of a job one paged ``package_search`` lists every dataset with its identifier
and provenance (:class:`CatalogueIndex`), so deciding "new, changed, unchanged, someone
else's, duplicate" costs no request per record; only real changes reach CKAN. Everything
goes through the Action API, so CKAN's own validation and authorisation apply.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from ckanapi import NotFound, RemoteCKAN

from .base import Upload

#: Fields the index needs of every dataset.
_INDEX_FIELDS = ("id", "name", "state", "identifier", "harvest_source_id", "harvest_guid",
                 "harvest_hash", "harvest_source_modified")
_PAGE = 1000


@dataclass(frozen=True)
class Known:
    """A dataset already in the catalogue."""

    id: str
    name: str
    identifier: str | None
    source_id: str | None
    guid: str | None
    hash: str | None
    source_modified: str | None
    state: str = "active"


@dataclass
class CatalogueIndex:
    by_name: dict[str, Known] = field(default_factory=dict)
    by_harvest_key: dict[tuple[str, str], Known] = field(default_factory=dict)
    by_identifier: dict[str, list[Known]] = field(default_factory=dict)

    def add(self, known: Known) -> None:
        self.by_name[known.name] = known
        if known.source_id and known.guid:
            self.by_harvest_key[(known.source_id, known.guid)] = known
        if known.identifier:
            entries = [k for k in self.by_identifier.get(known.identifier, [])
                       if k.name != known.name
                       and (k.source_id, k.guid) != (known.source_id, known.guid)]
            self.by_identifier[known.identifier] = [*entries, known]

    def claim(self, identifier: str, source_id: str, guid: str) -> None:
        """Mark ``identifier`` as this record's while its import is under way, so that a
        second record with the same identifier in the same run counts as a duplicate."""
        entries = self.by_identifier.setdefault(identifier, [])
        if not any((k.source_id, k.guid) == (source_id, guid) for k in entries):
            entries.append(Known(id="", name=f"({guid})", identifier=identifier,
                                 source_id=source_id, guid=guid, hash=None,
                                 source_modified=None))

    def of_source(self, source_id: str) -> list[Known]:
        return [k for (sid, _), k in self.by_harvest_key.items() if sid == source_id]

    def others_with_identifier(self, identifier: str, source_id: str, guid: str) -> list[Known]:
        """Datasets with this dct:identifier that are not this source's record."""
        return [k for k in self.by_identifier.get(identifier, [])
                if (k.source_id, k.guid) != (source_id, guid) and k.state == "active"]


class Catalogue:
    """Reads and writes datasets of the regional CKAN through its Action API."""

    def __init__(self, ckan: RemoteCKAN) -> None:
        self.ckan = ckan

    def load_index(self) -> CatalogueIndex:
        index = CatalogueIndex()
        for dataset in self._all_datasets():
            index.add(_known(dataset))
        return index

    def _all_datasets(self) -> Iterator[dict[str, Any]]:
        start = 0
        while True:
            page = self.ckan.action.package_search(
                q="*:*", rows=_PAGE, start=start, sort="name asc", include_private=True,
                fl=",".join(_INDEX_FIELDS))
            results = page.get("results", [])
            yield from results
            start += len(results)
            if not results or start >= page.get("count", 0):
                return

    def show(self, name: str) -> dict[str, Any] | None:
        try:
            found: dict[str, Any] = self.ckan.action.package_show(id=name)
        except NotFound:
            return None
        return found

    def create(self, dataset: dict[str, Any], uploads: list[Upload]) -> Known:
        created = self.ckan.action.package_create(**dataset)
        self._upload(created["id"], uploads)
        return _known(created)

    def update(self, dataset_id: str, dataset: dict[str, Any], uploads: list[Upload]) -> Known:
        updated = self.ckan.action.package_update(id=dataset_id, **dataset)
        self._upload(dataset_id, uploads)
        return _known(updated)

    def withdraw(self, known: Known) -> None:
        """``package_delete``: the dataset goes to CKAN's trash (state deleted), where a
        sysadmin can restore it; a record that comes back later revives it."""
        self.ckan.action.package_delete(id=known.id)

    def _upload(self, dataset_id: str, uploads: list[Upload]) -> None:
        for upload in uploads:
            content = io.BytesIO(upload.data)
            content.name = upload.filename  # requests names the multipart file after it
            self.ckan.action.resource_create(package_id=dataset_id, upload=content,
                                             **upload.resource)


def _known(dataset: dict[str, Any]) -> Known:
    return Known(
        id=dataset["id"], name=dataset["name"], identifier=dataset.get("identifier") or None,
        source_id=dataset.get("harvest_source_id") or None,
        guid=dataset.get("harvest_guid") or None, hash=dataset.get("harvest_hash") or None,
        source_modified=dataset.get("harvest_source_modified") or None,
        state=dataset.get("state") or "active")


def now_iso() -> str:
    return dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()
