"""RDF namespaces DCAT-AP.de adds to those ckanext-dcat already declares.

The DCAT and DC namespaces are imported from ckanext-dcat, not re-declared.
"""

from __future__ import annotations

from rdflib import Namespace

#: DCAT-AP.de's own vocabulary (contributorID, politicalGeocoding*, licenseAttributionByText …).
DCATDE = Namespace("http://dcat-ap.de/def/dcatde/")
#: Older DCAT-AP.de namespaces that harvested records may still use.
DCATDE_LEGACY = (
    Namespace("http://dcat-ap.de/def/dcatde/1_0/"),
    Namespace("http://dcat-ap.de/def/dcatde/1.0.1/"),
)
#: DCAT-AP (availability, applicableLegislation). GovData's German shapes once used ``r5r#``.
DCATAP = Namespace("http://data.europa.eu/r5r/")
#: GeoDCAT-AP, whose roles replace dcatde:maintainer/originator in DCAT-AP.de 3.0.
GEODCATAP = Namespace("http://data.europa.eu/930/")

FILE_TYPE_BASE = "http://publications.europa.eu/resource/authority/file-type/"
LANGUAGE_BASE = "http://publications.europa.eu/resource/authority/language/"
DATA_THEME_SCHEME = "http://publications.europa.eu/resource/authority/data-theme"
IANA_MEDIA_TYPES = "https://www.iana.org/assignments/media-types/"
CONTRIBUTORS_BASE = "http://dcat-ap.de/def/contributors/"
