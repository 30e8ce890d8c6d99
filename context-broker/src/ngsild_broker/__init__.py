"""An NGSI-LD context broker (ETSI GS CIM 009 v1.8) on PostgreSQL/PostGIS."""
