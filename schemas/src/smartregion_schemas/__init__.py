"""Shared vocabulary of the Smart Region Ostfriesland platform.

``smartregion_schemas.catalogue`` holds the partner registry and the DCAT-AP.de code lists
(EU authority tables, dcat-ap.de licences, political geocoding) that the CLI, the CKAN
extensions and the harvesters import instead of redeclaring. ``smartregion_schemas.live`` holds
the live-data vocabulary of the NGSI-LD side: the platform's JSON-LD @context, the JSON Schemas
and examples of the entity types (Smart Data Models), UN/CEFACT unit codes, entity ids and
validation. Importing reads no files: every list is loaded on first use and cached.
"""
