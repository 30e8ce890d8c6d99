"""The bundled source types; importing this package registers them."""

from . import ckan, csw, dcat, files, wfs  # noqa: F401
