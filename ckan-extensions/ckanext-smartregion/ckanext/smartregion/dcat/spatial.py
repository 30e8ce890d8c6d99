"""Spatial extents written so that both official shape sets accept them.

GovData's DCAT-AP.de 2.0 shapes require ``locn:geometry`` to be a literal, the
DCAT-AP 3.0.0 shapes require it to be a node: no ``locn:geometry`` passes both. Both
accept the DCAT 3 literals ``dcat:bbox`` and ``dcat:centroid``, so the extent is
published as its bounding box and centroid (WKT, WGS84); the exact outline stays in
CKAN (``spatial``) and in the search index.
"""

from __future__ import annotations

import json

from rdflib import Graph, Literal, Namespace
from rdflib.term import Node

from ckanext.dcat.profiles import DCAT

LOCN = Namespace("http://www.w3.org/ns/locn#")
GSP = Namespace("http://www.opengis.net/ont/geosparql#")


def replace_geometry_with_bbox(graph: Graph, location: Node) -> None:
    """Turn each ``locn:geometry`` of ``location`` into ``dcat:bbox`` + ``dcat:centroid``."""
    from shapely.geometry import box, shape

    for geometry in list(graph.objects(location, LOCN.geometry)):
        graph.remove((location, LOCN.geometry, geometry))
        try:
            outline = shape(json.loads(str(geometry)))
        except (ValueError, TypeError, AttributeError):
            continue  # not GeoJSON: nothing we can publish safely
        if outline.is_empty:
            continue
        if (location, DCAT.bbox, None) not in graph:
            envelope = box(*outline.bounds)
            graph.add((location, DCAT.bbox, Literal(envelope.wkt, datatype=GSP.wktLiteral)))
        if (location, DCAT.centroid, None) not in graph:
            centroid = outline.centroid
            graph.add((location, DCAT.centroid, Literal(centroid.wkt, datatype=GSP.wktLiteral)))
