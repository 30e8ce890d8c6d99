"""Synthetic but plausible datasets of the region for filling a benchmark catalogue."""

from __future__ import annotations

import json
import random

ORGANISATIONS = ("bench-aurich", "bench-emden", "bench-leer", "bench-wittmund", "bench-region")
SUBJECTS = (
    "Pegelstand",
    "Wasserstand",
    "Luftqualität",
    "Ladesäulen",
    "Parkplätze",
    "Schulstandorte",
    "Haushaltsplan",
    "Bebauungspläne",
    "Radwege",
    "Badestellen",
    "Windenergieanlagen",
    "Bevölkerung",
    "Kindertagesstätten",
    "Baustellen",
    "Wetterstationen",
    "Deichlinien",
)
PLACES = (
    "Emden",
    "Aurich",
    "Leer",
    "Wittmund",
    "Norden",
    "Norderney",
    "Weener",
    "Esens",
    "Borkum",
    "Juist",
    "Moormerland",
    "Westoverledingen",
    "Krummhörn",
    "Großefehn",
)
TAGS = (
    "wasser",
    "umwelt",
    "verkehr",
    "energie",
    "bildung",
    "haushalt",
    "tourismus",
    "klima",
    "mobilitaet",
    "gesundheit",
    "verwaltung",
    "geodaten",
    "echtzeit",
    "statistik",
)
FORMATS = ("CSV", "JSON", "GEOJSON", "WMS_SRVC", "XLSX", "PDF")
LICENSES = tuple(
    "http://dcat-ap.de/def/licenses/" + code
    for code in ("dl-by-de/2.0", "dl-zero-de/2.0", "cc-by/4.0", "cc-zero", "odbl")
)


def dataset(number: int, rng: random.Random) -> dict:
    """The ``package_create`` payload of benchmark dataset ``number``."""
    subject = rng.choice(SUBJECTS)
    place = rng.choice(PLACES)
    year = rng.randint(2015, 2026)
    lon, lat = rng.uniform(6.9, 7.9), rng.uniform(53.1, 53.7)
    extent = {
        "type": "Polygon",
        "coordinates": [
            [[lon, lat], [lon + 0.1, lat], [lon + 0.1, lat + 0.05], [lon, lat + 0.05], [lon, lat]]
        ],
    }
    return {
        "name": f"bench-{number:05d}",
        "title": f"{subject} {place} {year}",
        "notes": f"{subject} für {place}, Stand {year}. Daten der Smart Region Ostfriesland "
        f"zu {rng.choice(SUBJECTS)} und {rng.choice(SUBJECTS)}.",
        "owner_org": ORGANISATIONS[number % len(ORGANISATIONS)],
        "license_id": rng.choice(LICENSES),
        "tags": [{"name": tag} for tag in rng.sample(TAGS, 3)],
        "resources": [
            {"url": f"https://daten.example.invalid/{number}/{i}", "format": fmt, "name": fmt}
            for i, fmt in enumerate(rng.sample(FORMATS, 2))
        ],
        "spatial": json.dumps(extent),
    }
