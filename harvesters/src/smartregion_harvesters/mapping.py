"""What every harvested record gets, whatever its source type: the partner's defaults, the
catalogue's code lists, and its provenance.

A source type maps a record to the catalogue's field names (:class:`~.base.MappedRecord`);
:func:`complete` then makes it a dataset CKAN accepts — licence and formats as dcat-ap.de /
EU codes, at least one keyword, themes by the partner's rules — and says in ``warnings``
what it had to assume, so the harvest report shows it.
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from typing import Any
from urllib.parse import urlparse

from smartregion_schemas import catalogue as codes

from .base import MappedRecord, RecordError
from .config import PartnerConfig, SourceConfig

#: CKAN's tag rule: letters (umlauts too), digits, space, - _ . ; 2–100 characters.
_TAG_FORBIDDEN = re.compile(r"[^\w .-]+")
_SPACES = re.compile(r"\s+")
UNKNOWN_FORMAT = "OCTET"
#: Fields that only the harvest writes; they do not count as a change of the record.
PROVENANCE_VOLATILE = ("harvest_time", "harvest_hash")


def source_key(partner_name: str, source: SourceConfig) -> str:
    """``landkreis-leer/geoportal``: the key of a configured source in the catalogue."""
    return f"{partner_name}/{source.name}"


def complete(record: MappedRecord, partner_name: str, partner: PartnerConfig,
             source: SourceConfig) -> dict[str, Any]:
    """The dataset as it goes to CKAN (without name, time and hash: see catalogue)."""
    data = dict(record.dataset)
    title = _text(data.get("title"))
    if not title:
        raise RecordError("record has no title")
    data["title"] = title[:500]
    notes = _text(data.get("notes"))
    if not notes:
        notes = title
        record.warnings.append("no description: the title is used")
    data["notes"] = notes
    data["owner_org"] = partner.organization
    data["license_id"] = _license(data.get("license_id"), partner, record)
    data["tags"] = _tags(data.pop("tags", None), data.pop("keywords", None), partner, record)
    data["theme"] = _themes(data.get("theme"), title, data["tags"], partner)
    if partner.contributor_id:
        data["contributor_id"] = [partner.contributor_id]
    data["resources"] = [_resource(r, record) for r in data.get("resources") or []]
    region = codes.partner(partner.organization)
    if region is not None and not data.get("political_geocoding_uri"):
        data["political_geocoding_uri"] = list(region.political_geocoding_uri)
        data["political_geocoding_level_uri"] = region.political_geocoding_level_uri
    data.setdefault("identifier", record.guid)
    data["harvest_source_id"] = source_key(partner_name, source)
    data["harvest_source_url"] = source.url
    data["harvest_guid"] = record.guid
    data["harvest_original_url"] = record.original_url or ""
    data["harvest_source_modified"] = record.modified or ""
    return {key: value for key, value in data.items() if value not in (None, "", [], {})}


def content_hash(dataset: dict[str, Any], uploads: list[bytes] = ()) -> str:  # type: ignore[assignment]
    """A digest of what the harvest would write: equal digests mean nothing to update."""
    digest = hashlib.sha256()
    stable = {k: v for k, v in dataset.items() if k not in PROVENANCE_VOLATILE}
    digest.update(json.dumps(stable, sort_keys=True, ensure_ascii=False, default=str).encode())
    for data in uploads:
        digest.update(hashlib.sha256(data).digest())
    return digest.hexdigest()


def dataset_name(title: str, guid: str) -> str:
    """A readable, stable URL name: the title as a slug and a short digest of the source key
    (two records of one title stay apart; the same record keeps its name)."""
    ascii_title = (unicodedata.normalize("NFKD", title.lower().replace("ß", "ss")
                                         .replace("ä", "ae").replace("ö", "oe")
                                         .replace("ü", "ue"))
                   .encode("ascii", "ignore").decode())
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_title).strip("-")[:80].strip("-") or "datensatz"
    return f"{slug}-{hashlib.sha1(guid.encode()).hexdigest()[:8]}"


def _text(value: Any) -> str:
    return _SPACES.sub(" ", str(value)).strip() if value not in (None, "") else ""


def _license(value: Any, partner: PartnerConfig, record: MappedRecord) -> str:
    found = codes.license_for(str(value)) if value else None
    if found is not None:
        return found.uri
    if value:
        record.warnings.append(f"licence {value!r} unknown: the partner's default is used")
    return partner.default_license


def _tags(tags: Any, keywords: Any, partner: PartnerConfig,
          record: MappedRecord) -> list[dict[str, str]]:
    words: list[str] = []
    for item in (tags or []):
        words.append(item.get("name", "") if isinstance(item, dict) else str(item))
    words.extend(str(word) for word in (keywords or []))
    cleaned: list[str] = []
    for word in words:
        tag = _SPACES.sub(" ", _TAG_FORBIDDEN.sub(" ", word)).strip()[:100].strip()
        if len(tag) >= 2 and tag.lower() not in {t.lower() for t in cleaned}:
            cleaned.append(tag)
    if not cleaned:
        cleaned = list(partner.default_keywords)
        record.warnings.append("no keywords: the partner's default keywords are used")
    return [{"name": tag} for tag in cleaned]


def _themes(given: Any, title: str, tags: list[dict[str, str]],
            partner: PartnerConfig) -> list[str]:
    themes = [t for t in _as_list(given) if str(t).startswith(codes.EU_DATA_THEME_BASE)]
    text = " ".join([title, *(t["name"] for t in tags)])
    for rule in partner.themes:
        if re.search(rule.match, text, re.IGNORECASE) and rule.theme not in themes:
            themes.append(rule.theme)
    return themes


def _resource(resource: dict[str, Any], record: MappedRecord) -> dict[str, Any]:
    out = {k: v for k, v in resource.items() if v not in (None, "", [])}
    if not out.get("url"):
        raise RecordError("a distribution has no URL")
    found = (codes.file_type_for(out.get("format")) or codes.file_type_for(out.get("mimetype"))
             or codes.file_type_for(_extension(out["url"])))
    if found is None:
        record.warnings.append(f"format {out.get('format') or out.get('mimetype')!r} of "
                               f"{out['url']} unknown: stored as {UNKNOWN_FORMAT}")
        out["format"] = UNKNOWN_FORMAT
    else:
        out["format"] = found.code
        if found.media_type and not out.get("mimetype"):
            out["mimetype"] = found.media_type
    if out.get("license"):
        licence = codes.license_for(str(out["license"]))
        if licence is None:
            out.pop("license")
        else:
            out["license"] = licence.uri
    out.setdefault("name", out["url"].rsplit("/", 1)[-1] or out["url"])
    return out


def _extension(url: str) -> str | None:
    path = urlparse(url).path
    return "." + path.rsplit(".", 1)[-1].lower() if "." in path.rsplit("/", 1)[-1] else None


def _as_list(value: Any) -> list[Any]:
    if value in (None, ""):
        return []
    if isinstance(value, str) and value.startswith("["):
        try:
            return list(json.loads(value))
        except ValueError:
            return [value]
    return list(value) if isinstance(value, (list, tuple)) else [value]
