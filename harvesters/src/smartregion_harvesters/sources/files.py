"""``files``: plain files on a web server — CSV, XLSX, GeoJSON, zipped Shapefiles.

The source URL is either a YAML list (``- url: …`` with optional title, description,
keywords, licence) or a web server's directory listing (the links to files of known
types). Each file becomes a dataset. The harvester reads the file to describe it — columns,
rows, encoding, extent — and, since a cp1252 CSV with semicolons or an Excel sheet cannot be
previewed in the browser, it uploads a UTF-8, comma-separated CSV copy (tables) or a WGS84
GeoJSON copy (Shapefiles) next to the link to the original.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Iterator
from html.parser import HTMLParser
from typing import Any
from urllib.parse import unquote, urljoin, urlparse

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ..base import GatherError, Harvester, MappedRecord, RecordError, RemoteRecord, Upload, register
from .wfs import _extent, to_wgs84

KINDS = {".csv": "CSV", ".xlsx": "XLSX", ".geojson": "GEOJSON", ".json": "GEOJSON",
         ".zip": "SHP"}


class FileEntry(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: str = Field(pattern=r"^https?://\S+$")
    title: str | None = None
    description: str | None = None
    keywords: list[str] = Field(default_factory=list)
    license: str | None = None


class FilesOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")

    max_bytes: int = Field(default=200_000_000, gt=0)


@register
class FilesHarvester(Harvester):
    type_name = "files"
    Options = FilesOptions

    def gather(self) -> Iterator[RemoteRecord]:
        response = self.get(self.source.url)
        content_type = response.headers.get("content-type", "")
        if "html" in content_type:
            entries = [FileEntry(url=url) for url in _linked_files(response.text, str(
                response.url))]
        else:
            entries = self._yaml_entries(response.text)
        for entry in entries:
            if _kind(entry.url) is None:
                raise GatherError(f"{entry.url}: unsupported file type (CSV, XLSX, GeoJSON, "
                                  "Shapefile as ZIP)")
            yield RemoteRecord(guid=entry.url, content={"entry": entry},
                               original_url=entry.url)

    def _yaml_entries(self, text: str) -> list[FileEntry]:
        try:
            data = yaml.safe_load(text)
            items = data.get("files", data) if isinstance(data, dict) else data
            if not isinstance(items, list):
                raise GatherError(f"{self.source.url}: expected a list of files")
            return [FileEntry.model_validate(i if isinstance(i, dict) else {"url": i})
                    for i in items]
        except yaml.YAMLError as error:
            raise GatherError(f"{self.source.url}: neither a listing nor YAML: {error}"
                              ) from None
        except ValidationError as error:
            raise GatherError(f"{self.source.url}: file list: {error.errors()[0]['msg']}"
                              ) from None

    def fetch(self, record: RemoteRecord) -> RemoteRecord:
        entry: FileEntry = record.content["entry"]
        try:
            response = self.get(entry.url)
        except GatherError as error:  # one missing file is this record's problem only
            raise RecordError(str(error)) from None
        if len(response.content) > self.options.max_bytes:
            raise RecordError(f"{entry.url}: larger than {self.options.max_bytes} bytes")
        return RemoteRecord(guid=record.guid, content={**record.content,
                                                       "data": response.content},
                            original_url=record.original_url,
                            modified=response.headers.get("last-modified"))

    def map(self, record: RemoteRecord) -> MappedRecord:
        entry: FileEntry = record.content["entry"]
        data: bytes = record.content["data"]
        kind = _kind(entry.url)
        filename = unquote(urlparse(entry.url).path.rsplit("/", 1)[-1])
        stem = filename.rsplit(".", 1)[0]
        described = describe(kind, data, stem)
        dataset: dict[str, Any] = {
            "title": entry.title or _title_from(stem),
            "notes": "\n\n".join(filter(None, [entry.description, described["text"]])),
            "keywords": entry.keywords, "license_id": entry.license,
            "spatial": described.get("spatial"),
            "resources": [{"url": entry.url, "name": f"{filename} (Original)",
                           "format": kind, "size": len(data),
                           "description": described["text"]}],
        }
        return MappedRecord(guid=record.guid, dataset=dataset, uploads=described["uploads"],
                            original_url=record.original_url, modified=record.modified)


def describe(kind: str | None, data: bytes, stem: str) -> dict[str, Any]:
    """What the file holds (for the description) and the browser-friendly copy to upload."""
    if kind == "CSV":
        text, encoding = decode_text(data)
        rows = _csv_rows(text)
        return _table(rows, f"CSV, Zeichensatz {encoding}", stem)
    if kind == "XLSX":
        return _table(_xlsx_rows(data), "Excel-Arbeitsmappe (erstes Blatt)", stem)
    if kind in ("GEOJSON", "SHP"):
        features = to_wgs84(data if kind == "GEOJSON" else _shapefile_zip(data), "EPSG:25832")
        text = (f"{len(features)} Geoobjekte ({features.attrs['source_crs']}); Attribute: "
                f"{', '.join(c for c in features.columns if c != 'geometry')}")
        uploads = []
        if kind == "SHP":
            uploads.append(Upload(f"{stem}.geojson", features.to_json(
                drop_id=True, ensure_ascii=False).encode(), {
                "name": f"{stem} (GeoJSON, WGS84)", "format": "GEOJSON",
                "mimetype": "application/geo+json",
                "description": "Aus dem Shapefile nach WGS84 umgerechnet."}))
        return {"text": text, "spatial": _extent(features), "uploads": uploads}
    raise RecordError(f"unsupported file type {kind!r}")


def decode_text(data: bytes) -> tuple[str, str]:
    """UTF-8 (with or without BOM) if it decodes, else Windows-1252 — what German office
    software writes."""
    try:
        return data.decode("utf-8-sig"), "UTF-8"
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace"), "Windows-1252"


def _csv_rows(text: str) -> list[list[str]]:
    sample = text[:20_000]
    try:
        dialect: Any = csv.Sniffer().sniff(sample, delimiters=";,\t|")
    except csv.Error:
        dialect = csv.excel
    return [row for row in csv.reader(io.StringIO(text), dialect) if any(c.strip() for c in row)]


def _xlsx_rows(data: bytes) -> list[list[str]]:
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as error:
        raise RecordError(f"keine lesbare Excel-Datei / not a readable XLSX: {error}") from None
    sheet = book.worksheets[0]
    rows = [["" if cell is None else str(cell) for cell in row]
            for row in sheet.iter_rows(values_only=True)]
    book.close()
    return [row for row in rows if any(cell.strip() for cell in row)]


def _table(rows: list[list[str]], what: str, stem: str) -> dict[str, Any]:
    if not rows:
        raise RecordError("die Tabelle ist leer / the table is empty")
    header, body = rows[0], rows[1:]
    copy = io.StringIO()
    csv.writer(copy, lineterminator="\n").writerows(rows)
    text = f"{what}; {len(body)} Zeilen; Spalten: {', '.join(header)}"
    upload = Upload(f"{stem}.csv", copy.getvalue().encode("utf-8"), {
        "name": f"{stem} (CSV, UTF-8, Vorschau)", "format": "CSV",
        "mimetype": "text/csv", "description": f"Kopie als UTF-8-CSV mit Komma. {text}"})
    return {"text": text, "uploads": [upload]}


def _shapefile_zip(data: bytes) -> bytes:
    try:
        names = zipfile.ZipFile(io.BytesIO(data)).namelist()
    except zipfile.BadZipFile:
        raise RecordError("kein ZIP-Archiv / not a ZIP archive") from None
    if not any(name.lower().endswith(".shp") for name in names):
        raise RecordError("das ZIP enthält kein Shapefile (.shp)")
    return data  # GDAL reads zipped Shapefiles directly


def _kind(url: str) -> str | None:
    path = urlparse(url).path.lower()
    return next((kind for suffix, kind in KINDS.items() if path.endswith(suffix)), None)


def _title_from(stem: str) -> str:
    return re.sub(r"[_-]+", " ", stem).strip().capitalize() or stem


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        href = dict(attrs).get("href") if tag == "a" else None
        if href:
            self.links.append(href)


def _linked_files(html: str, base: str) -> list[str]:
    parser = _Links()
    parser.feed(html)
    found = [urljoin(base, href) for href in parser.links]
    return list(dict.fromkeys(url for url in found if _kind(url) is not None))

