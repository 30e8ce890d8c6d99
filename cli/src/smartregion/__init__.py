"""Operator tooling of the Smart Region Ostfriesland open data platform.

``smartregion up`` brings one instance (PostgreSQL/PostGIS, Redis, Mosquitto, CKAN) up on one
Debian machine without Docker; see the repository README for the quick start.
"""

__version__ = "0.1.0"
