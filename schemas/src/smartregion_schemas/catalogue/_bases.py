"""Base URIs of the vocabularies the catalogue uses, declared once."""

from __future__ import annotations

EU_AUTHORITY_BASE = "http://publications.europa.eu/resource/authority/"
EU_DATA_THEME_BASE = EU_AUTHORITY_BASE + "data-theme/"
EU_FILE_TYPE_BASE = EU_AUTHORITY_BASE + "file-type/"
EU_FREQUENCY_BASE = EU_AUTHORITY_BASE + "frequency/"
EU_PLANNED_AVAILABILITY_BASE = EU_AUTHORITY_BASE + "planned-availability/"
EU_ACCESS_RIGHT_BASE = EU_AUTHORITY_BASE + "access-right/"
EU_LANGUAGE_BASE = EU_AUTHORITY_BASE + "language/"

DCATAP_DE_LICENSE_BASE = "http://dcat-ap.de/def/licenses/"
POLITICAL_GEOCODING_BASE = "http://dcat-ap.de/def/politicalGeocoding/"
GEOCODING_LEVEL_BASE = POLITICAL_GEOCODING_BASE + "Level/"
DISTRICT_KEY_BASE = POLITICAL_GEOCODING_BASE + "districtKey/"
MUNICIPALITY_KEY_BASE = POLITICAL_GEOCODING_BASE + "municipalityKey/"

ADMS_PUBLISHER_TYPE_BASE = "http://purl.org/adms/publishertype/"
IANA_MEDIA_TYPE_BASE = "https://www.iana.org/assignments/media-types/"

# GovData has issued no contributor ID for the region yet; this is the requested value
# (ARCHITECTURE.md), valid in the shared conformance kit until GovData publishes it.
DEFAULT_CONTRIBUTOR_ID = "http://dcat-ap.de/def/contributors/smartRegionOstfriesland"
