"""Bundesnetzagentur Ladesäulenregister (CSV) → EVChargingStation, one per charging device.

The register is one CSV for all of Germany: ``;``-separated, decimal commas, several
preamble lines (title, "Letzte Aktualisierung vom: …", notes) before the header row, which
is the first line naming both ``Betreiber`` and ``Breitengrad``. Encoding: recent files are
UTF-8 with a BOM, older ones cp1252 — a BOM means UTF-8, otherwise strict UTF-8 is tried
and cp1252 taken when that fails (cp1252 text with umlauts is never valid UTF-8).

Mapping (one entity per row; a row is one "Ladeeinrichtung", i.e. one station):

- District filter: the row's ``Kreis/kreisfreie Stadt`` is compared to the partner's title
  from ``partners.yaml`` without the kind of district (``Landkreis``/``Kreisfreie
  Stadt``/``Stadt``/``Kreis``/``LK``/``SK``), so ``Landkreis Leer`` and ``Kreisfreie Stadt
  Emden`` both match; the region partner (no district key) takes the districts whose keys
  it lists. Only when that column is empty does the partner's (approximate) bounding box
  decide. Postal codes are not used: they cross district borders.
- ``socketType`` ← the connector labels of the six groups ``Steckertypen1..6`` (a cell may
  hold several, ``;``/``,``-separated), mapped to the SDM enumeration (``Typ 2`` → Type2,
  ``CCS``/``Combo`` → CCS/SAE, ``CHAdeMO``, ``Schuko`` → Wall_Euro, ``Typ 1`` → J-1772,
  ``Tesla``, anything else → Other); ``socketNumber`` ← the number of connector groups
  filled; ``capacity`` ← ``Anzahl Ladepunkte`` (vehicles charging at once), else the
  socket number. Power (``Nennleistung …``/``P1..P6 [kW]``) has no attribute in the
  platform's EVChargingStation profile and is not mapped.
- ``operator`` ← ``Betreiber``; ``address`` ← Straße+Hausnummer, Postleitzahl, Ort, DE;
  ``location`` ← ``Längengrad``/``Breitengrad`` (comma decimals); ``openingHours`` ←
  ``Mo-Su 00:00-24:00`` when ``Öffnungszeiten`` is ``247`` / ``24/7``.
- id: ``Ladeeinrichtungs-ID`` (files since 2024); older files have no row id, so the source
  id is ``h`` + the first 16 hex digits of SHA-256 over operator, street, house number,
  postal code, place, latitude and longitude (whitespace collapsed, case-folded,
  coordinates rounded to 6 decimals, joined by ``|``) — stable across runs and files as long
  as the register does not change the row.

Rows of the district with missing or impossible coordinates, or without any connector,
cost a problem line. Option ``path`` (below the configured URL), ``districts`` (override
list of names as in the Kreis column).
"""

from __future__ import annotations

import csv
import hashlib
import re
from typing import Any, ClassVar

from smartregion_schemas.catalogue import Partner, partners
from smartregion_schemas.live import partner_for

from smartregion_adapters.base import Adapter, Batch, SourceError, register
from smartregion_adapters.ngsi import new_entity, point, prop

ENTITY_TYPE = "EVChargingStation"
DATA_PROVIDER = "Bundesnetzagentur (Ladesäulenregister)"
BOM = b"\xef\xbb\xbf"
CONNECTOR_GROUPS = 6
DISTRICT_COLUMN = "Kreis/kreisfreie Stadt"
_DISTRICT_KIND = re.compile(r"^(?:landkreis|kreisfreie stadt|stadtkreis|stadt|kreis|lk|sk)\s+")
SOCKETS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"ccs|combo", re.I), "CCS/SAE"),
    (re.compile(r"chademo", re.I), "CHAdeMO"),
    (re.compile(r"tesla", re.I), "Tesla"),
    (re.compile(r"typ\s*2|type\s*2|mennekes", re.I), "Type2"),
    (re.compile(r"typ\s*1|type\s*1|j-?1772", re.I), "J-1772"),
    (re.compile(r"typ\s*3|type\s*3", re.I), "Type3"),
    (re.compile(r"schuko", re.I), "Wall_Euro"),
    (re.compile(r"cee", re.I), "Caravan_Mains_Socket"),
)


def decode(data: bytes) -> str:
    """The CSV's text: UTF-8 when it has a BOM or is valid UTF-8, cp1252 otherwise."""
    if data.startswith(BOM):
        return data[len(BOM):].decode("utf-8")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp1252")


def rows(text: str) -> list[dict[str, str]]:
    """The data rows below the header line (preamble skipped), keyed by column name."""
    lines = text.splitlines()
    start = next((i for i, line in enumerate(lines)
                  if "Betreiber" in line and "Breitengrad" in line), None)
    if start is None:
        raise ValueError("no header line (with Betreiber and Breitengrad) found")
    reader = csv.reader(lines[start:], delimiter=";", quotechar='"')
    header = [name.strip() for name in next(reader)]
    return [{name: (cell.strip() if cell else "") for name, cell in zip(header, cells,
                                                                       strict=False)}
            for cells in reader if any(cell.strip() for cell in cells)]


def decimal(text: str) -> float:
    """``53,3672`` → 53.3672 (also accepts a decimal point)."""
    cleaned = text.strip().replace(" ", "")
    if not re.fullmatch(r"[+-]?\d+(?:[.,]\d+)?", cleaned):
        raise ValueError(f"{text!r} is not a decimal number")
    return float(cleaned.replace(",", "."))


def district_name(text: str) -> str:
    """The district's name without its kind: ``Kreisfreie Stadt Emden`` → ``emden``."""
    return _DISTRICT_KIND.sub("", " ".join(text.split()).casefold())


def socket_types(label: str) -> list[str]:
    found: list[str] = []
    for part in re.split(r"[;,]", label):
        if not part.strip():
            continue
        kind = next((sdm for pattern, sdm in SOCKETS if pattern.search(part)), "Other")
        if kind not in found:
            found.append(kind)
    return found


def source_id(row: dict[str, str], latitude: float, longitude: float) -> str:
    """The register's row id, or a hash of operator, address and coordinates."""
    if row.get("Ladeeinrichtungs-ID"):
        return row["Ladeeinrichtungs-ID"]
    parts = [" ".join(row.get(key, "").split()).casefold()
             for key in ("Betreiber", "Straße", "Hausnummer", "Postleitzahl", "Ort")]
    parts += [f"{latitude:.6f}", f"{longitude:.6f}"]
    return "h" + hashlib.sha256("|".join(parts).encode("utf-8")).hexdigest()[:16]


def _districts_of(partner: Partner) -> set[str]:
    if partner.district_key is not None:
        return {district_name(partner.title)}
    return {district_name(p.title) for p in partners()
            if p.district_key and any(uri.endswith("/" + p.district_key)
                                      for uri in partner.political_geocoding_uri)}


@register
class BnetzaChargingAdapter(Adapter):
    """Charging stations of the partner's district(s) from the BNetzA register CSV."""

    name: ClassVar[str] = "bnetza-charging"
    entity_types: ClassVar[tuple[str, ...]] = (ENTITY_TYPE,)

    @property
    def partner(self) -> Partner:
        owner = partner_for(self.settings.partner)
        if owner is None:
            raise ValueError(f"{self.name}: unknown partner {self.settings.partner!r}")
        return owner

    @property
    def districts(self) -> set[str]:
        configured = self.settings.options.get("districts")
        if configured:
            return {district_name(str(name)) for name in configured}
        return _districts_of(self.partner)

    def fetch(self) -> list[dict[str, str]]:
        response = self.get(str(self.settings.options.get("path", "")))
        try:
            return rows(decode(response.content))
        except (ValueError, csv.Error) as error:
            raise SourceError(f"{self.name}: {response.url} is not a readable register "
                              f"CSV: {error}") from error

    def in_district(self, row: dict[str, str]) -> bool:
        district = row.get(DISTRICT_COLUMN, "")
        if district:
            return district_name(district) in self.districts
        try:
            latitude, longitude = decimal(row["Breitengrad"]), decimal(row["Längengrad"])
        except (KeyError, ValueError):
            return False
        west, south, east, north = self.partner.bbox
        return west <= longitude <= east and south <= latitude <= north

    def map(self, payload: list[dict[str, str]]) -> Batch:
        batch = Batch()
        for number, row in enumerate(payload, start=1):
            if not self.in_district(row):
                continue
            label = (f"{self.name}: row {number} ({row.get('Ladeeinrichtungs-ID') or ''} "
                     f"{row.get('Betreiber', '')}, {row.get('Straße', '')} "
                     f"{row.get('Hausnummer', '')}, {row.get('Ort', '')})")
            try:
                batch.entities.append(self._entity(row))
            except (KeyError, ValueError) as error:
                batch.problems.append(f"{label}: {error}")
        return batch

    def _entity(self, row: dict[str, str]) -> dict[str, Any]:
        try:
            latitude, longitude = decimal(row["Breitengrad"]), decimal(row["Längengrad"])
        except (KeyError, ValueError) as error:
            raise ValueError(f"broken coordinates: {error}") from error
        if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
            raise ValueError(f"broken coordinates: {latitude}, {longitude}")
        sockets: list[str] = []
        groups = 0
        for index in range(1, CONNECTOR_GROUPS + 1):
            label = row.get(f"Steckertypen{index}", "")
            if label:
                groups += 1
                sockets += [kind for kind in socket_types(label) if kind not in sockets]
        if not sockets:
            raise ValueError("no connector (Steckertypen1..6 empty)")
        points = row.get("Anzahl Ladepunkte", "")
        capacity = int(points) if points.isdigit() and int(points) > 0 else groups
        attributes: dict[str, dict[str, Any]] = {
            "location": point(longitude, latitude),
            "socketType": prop(sockets),
            "socketNumber": prop(groups),
            "capacity": prop(capacity),
            "allowedVehicleType": prop(["car"]),
        }
        name = row.get("Anzeigename (Karte)") or row.get("Standortbezeichnung")
        if name:
            attributes["name"] = prop(name)
        if row.get("Betreiber"):
            attributes["operator"] = prop(row["Betreiber"])
        address = {"streetAddress": " ".join(filter(None, (row.get("Straße"),
                                                           row.get("Hausnummer")))),
                   "postalCode": row.get("Postleitzahl", "").zfill(5)
                   if row.get("Postleitzahl", "").isdigit() else "",
                   "addressLocality": row.get("Ort", ""), "addressCountry": "DE"}
        attributes["address"] = prop({key: value for key, value in address.items() if value})
        if row.get("Öffnungszeiten", "").replace("/", "") == "247":
            attributes["openingHours"] = prop("Mo-Su 00:00-24:00")
        attributes["source"] = prop(self.settings.url)
        return new_entity(self.settings, ENTITY_TYPE, source_id(row, latitude, longitude),
                          DATA_PROVIDER, **attributes)
