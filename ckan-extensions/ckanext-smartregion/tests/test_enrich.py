"""A dataset with only the form's required fields gets what DCAT-AP.de and GovData need."""

from ckanext.smartregion.dcat.enrich import FileTypeInfo, Lookups, enrich_for_output

ORG = {
    "id": "org-1",
    "name": "landkreis-leer",
    "title": "Landkreis Leer",
    "contact_email": "opendata@lkleer.de",
    "homepage": "https://www.landkreis-leer.de",
    "publisher_type": "http://purl.org/adms/publishertype/LocalAuthority",
    "political_geocoding_uri": ["http://dcat-ap.de/def/politicalGeocoding/districtKey/03457"],
    "political_geocoding_level_uri": (
        "http://dcat-ap.de/def/politicalGeocoding/Level/administrativeDistrict"
    ),
}
FILE_TYPES = {
    "CSV": FileTypeInfo("CSV", "text/csv"),
    "WMS_SRVC": FileTypeInfo("WMS_SRVC", None),
}
LOOKUPS = Lookups(
    organization=lambda ident: ORG if ident in ("org-1", "landkreis-leer") else None,
    group_themes=lambda name: {
        "mobilitaet": ["http://publications.europa.eu/resource/authority/data-theme/TRAN"]
    }.get(name, []),
    file_type=lambda text: FILE_TYPES.get(text.upper()),
    organization_uri=lambda org: f"https://daten.example/organization/{org['name']}",
    license_uri=lambda text: {"cc-by": "http://dcat-ap.de/def/licenses/cc-by/4.0"}.get(text),
)
MINIMAL = {
    "name": "ladesaeulen",
    "title": "Ladesäulen",
    "notes": "Öffentliche Ladepunkte.",
    "owner_org": "org-1",
    "license_id": "http://dcat-ap.de/def/licenses/dl-by-de/2.0",
    "groups": [{"name": "mobilitaet"}],
    "resources": [
        {"id": "r1", "url": "https://example.invalid/l.csv", "format": "CSV"},
        {"id": "r2", "url": "https://example.invalid/wms", "format": "WMS_SRVC"},
    ],
}
URI = "https://daten.example/dataset/ladesaeulen"


def test_publisher_contact_and_geocoding_come_from_the_organisation():
    out = enrich_for_output(MINIMAL, URI, LOOKUPS)
    assert out["publisher"] == [
        {
            "uri": "https://daten.example/organization/landkreis-leer",
            "name": "Landkreis Leer",
            "email": "opendata@lkleer.de",
            "url": "https://www.landkreis-leer.de",
            "type": "http://purl.org/adms/publishertype/LocalAuthority",
        }
    ]
    assert out["contact"][0]["email"] == "opendata@lkleer.de"
    assert out["political_geocoding_uri"] == ORG["political_geocoding_uri"]
    assert out["political_geocoding_level_uri"] == ORG["political_geocoding_level_uri"]


def test_values_given_by_staff_are_kept():
    given = {
        **MINIMAL,
        "contact": [{"name": "Fachdienst Straßen", "email": "strassen@lkleer.de"}],
        "political_geocoding_uri": ["http://dcat-ap.de/def/politicalGeocoding/municipalityKey/03457013"],
        "identifier": "lk-leer-0815",
    }
    out = enrich_for_output(given, URI, LOOKUPS)
    assert out["contact"] == given["contact"]
    assert out["political_geocoding_uri"] == given["political_geocoding_uri"]
    assert out["identifier"] == "lk-leer-0815"


def test_identifier_language_and_group_themes_are_filled():
    out = enrich_for_output(MINIMAL, URI, LOOKUPS)
    assert out["identifier"] == URI
    assert out["language"] == ["http://publications.europa.eu/resource/authority/language/DEU"]
    assert out["theme"] == ["http://publications.europa.eu/resource/authority/data-theme/TRAN"]


def test_distributions_get_file_type_media_type_licence_and_urls():
    out = enrich_for_output(MINIMAL, URI, LOOKUPS)
    csv, wms = out["resources"]
    assert csv["format"] == "http://publications.europa.eu/resource/authority/file-type/CSV"
    assert csv["mimetype"] == "https://www.iana.org/assignments/media-types/text/csv"
    assert csv["license"] == MINIMAL["license_id"]
    assert csv["access_url"] == csv["download_url"] == "https://example.invalid/l.csv"
    assert wms["access_url"] == "https://example.invalid/wms"
    assert "download_url" not in wms  # a service is not a download (K39)


def test_the_stored_dataset_is_not_changed():
    before = repr(MINIMAL)
    enrich_for_output(MINIMAL, URI, LOOKUPS)
    assert repr(MINIMAL) == before


def test_licence_ids_of_other_registers_become_dcat_ap_de_uris():
    legacy = {**MINIMAL, "license_id": "cc-by"}
    legacy["resources"] = [{**MINIMAL["resources"][0], "license": "cc-by"}]
    out = enrich_for_output(legacy, URI, LOOKUPS)
    assert out["license_id"] == "http://dcat-ap.de/def/licenses/cc-by/4.0"
    assert out["resources"][0]["license"] == "http://dcat-ap.de/def/licenses/cc-by/4.0"
