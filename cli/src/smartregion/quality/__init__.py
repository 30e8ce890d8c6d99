"""Metadata quality of the catalogue: DCAT-AP.de SHACL validation per dataset.

``smartregion catalogue validate`` reads the catalogue's DCAT output (all ``hydra:next`` pages),
validates it against GovData's shape sets (DCAT-AP.de 3.0, 2.0 with GovData's conventions, the
quality dashboard) and lists the findings per dataset, for the staff who maintain the records.

One module per step:

- :mod:`.source` loads the paged catalogue (or a file) into one graph;
- :mod:`.shapes` finds the shape sets (not part of this repository: they are AGPL-licensed);
- :mod:`.vocabulary` builds the background knowledge the shapes check code lists against;
- :mod:`.shacl` runs one profile and turns pySHACL's report into :class:`Finding` objects;
- :mod:`.attribution` finds the dataset each finding belongs to;
- :mod:`.report` groups findings per dataset and counts them per profile;
- :mod:`.render` writes the report as text or JSON;
- :mod:`.command` wires these together for the CLI.
"""

from smartregion.quality.report import Group, ProfileSummary, Report
from smartregion.quality.shacl import Finding, Level
from smartregion.quality.shapes import PROFILES, Profile, ShapesNotFound
from smartregion.quality.source import CatalogueLoadError, LoadedCatalogue, load_catalogue

__all__ = [
    "PROFILES",
    "CatalogueLoadError",
    "Finding",
    "Group",
    "Level",
    "LoadedCatalogue",
    "Profile",
    "ProfileSummary",
    "Report",
    "ShapesNotFound",
    "load_catalogue",
]
