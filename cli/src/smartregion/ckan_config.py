"""CKAN's ``ckan.ini`` for an instance, and the database schema it needs.

The file is generated once with ``ckan generate config`` so that its secrets (SECRET_KEY, JWT
and CSRF secrets) stay stable and existing sessions and API tokens keep working; our own
settings are then applied on every ``up`` with ``ckan config-tool``, so a changed port or
plugin list reaches the file without losing anything an operator added by hand.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import ClassVar

from smartregion import credentials
from smartregion.catalogue_init import write_license_file
from smartregion.process import PlatformError, ensure_dir, run
from smartregion.settings import PlatformSettings

SITE_TITLE = "Smart Region Ostfriesland – Offene Daten"

# pgsearch must come first: it replaces Solr as CKAN's search backend, and the spatial and
# DCAT plugins query datasets through it. smartregion comes before scheming and dcat so its
# templates take precedence.
DEFAULT_PLUGINS = (
    "pgsearch smartregion dcat scheming_datasets scheming_organizations scheming_groups "
    "spatial_metadata spatial_query"
)

#: The catalogue: DCAT-AP.de profile, German schemas, licences with dcat-ap.de URIs as ids.
CATALOGUE_OPTIONS = {
    "scheming.dataset_schemas": "ckanext.smartregion:schemas/dataset.yaml",
    "scheming.organization_schemas": "ckanext.smartregion:schemas/organization.yaml",
    "scheming.group_schemas": "ckanext.smartregion:schemas/group.yaml",
    "scheming.presets": "ckanext.scheming:presets.json ckanext.dcat.schemas:presets.yaml",
    "ckanext.dcat.rdf.profiles": "dcatap_de",
    # GeoJSON, not WKT: the official DCAT-AP 3.0.0 shapes reject WKT literals in dct:spatial.
    "ckanext.dcat.output_spatial_format": "geojson",
    "ckanext.dcat.enable_content_negotiation": "true",
    "ckanext.dcat.resource.inherit.license": "true",
}

EMPTY_COOKIE_KEYS = ("SESSION_COOKIE_DOMAIN", "SESSION_COOKIE_PATH")

SITE_DESCRIPTION = (
    "Offene Daten der Smart Region Ostfriesland: Landkreis Aurich, Stadt Emden, Landkreis Leer "
    "und Landkreis Wittmund."
)

# CKAN declares solr_url as required (ckan/config/config_declaration.yaml) and refuses to start
# with it empty. Nothing listens here; the pgsearch plugin answers all searches instead.
UNUSED_SOLR_URL = "http://127.0.0.1:8983/solr/unused"


def ckan_resource_formats() -> str:
    """Path of CKAN's resource_formats.json in the installed CKAN.

    ``ckan generate config`` writes this absolute path into the ini; we refresh it on every
    ``up`` so the file keeps working after the virtualenv is rebuilt elsewhere.
    """
    spec = importlib.util.find_spec("ckan")
    if spec is None or not spec.submodule_search_locations:
        raise PlatformError("CKAN is not installed in this virtualenv (run make install).")
    package_dir = Path(next(iter(spec.submodule_search_locations)))
    return str(package_dir / "config" / "resource_formats.json")


class CkanConfig:
    def __init__(self, settings: PlatformSettings, plugins: str = DEFAULT_PLUGINS) -> None:
        self.s = settings
        self.ini = settings.ckan_ini
        self.plugins = plugins
        self.ckan = settings.venv_bin("ckan")

    def options(self, db_password: str) -> dict[str, str]:
        """Every setting we own in [app:main]; anything else in the file is left alone."""
        s = self.s
        return {
            "sqlalchemy.url": credentials.ckan_db_dsn(db_password, s.host, s.port("pg_port")),
            "ckan.site_url": s.ckan_url,
            "ckan.site_id": f"smartregion-{s.instance}",
            "ckan.redis.url": f"redis://{s.host}:{s.port('redis_port')}/0",
            "ckan.storage_path": str(s.ckan_dir / "storage"),
            "ckan.plugins": self.plugins,
            "ckanext.spatial.search_backend": "solr-spatial-field",
            "ckan.locale_default": "de",
            "ckan.locales_offered": "de en",
            "ckan.site_title": SITE_TITLE,
            "ckan.site_description": SITE_DESCRIPTION,
            "ckan.auth.create_user_via_web": "false",
            # Keep deleted datasets in the search index (state=deleted, hidden by default) so
            # that package_search(include_deleted=True) can find them, as with Solr.
            "ckan.search.remove_deleted_packages": "false",
            "solr_url": UNUSED_SOLR_URL,
            "ckan.resource_formats": ckan_resource_formats(),
            # CKAN's generated default (image_view datatables_view) names plugins we do not
            # load; each new resource would log two warnings. Views come with ckan-extensions/.
            "ckan.views.default_views": "",
            **CATALOGUE_OPTIONS,
            "ckanext.dcat.datasets_per_page": str(s.dcat_page_size),
            "licenses_group_url": f"file://{s.licenses_file}",
            "ckan.devserver.host": s.host,
            "ckan.devserver.port": str(s.port("ckan_port")),
        }

    # Logging goes to stderr (CKAN's generated handler); gunicorn's --capture-output puts it
    # into <data>/log/ckan.log. INFO, not the generated DEBUG for ckanext.
    LOGGING: ClassVar[dict[str, dict[str, str]]] = {
        "logger_root": {"level": "WARNING"},
        "logger_ckan": {"level": "INFO"},
        "logger_ckanext": {"level": "INFO"},
    }

    def ensure(self) -> bool:
        """Create the ini if missing, apply our settings; return True if the file changed."""
        ensure_dir(self.s.ckan_dir, mode=0o750)
        ensure_dir(self.s.ckan_dir / "storage", mode=0o750)
        licenses_changed = write_license_file(self.s)
        if not self.ini.exists():
            run([self.ckan, "generate", "config", self.ini])
            self.ini.chmod(0o600)
        before = self.ini.read_bytes()
        self._drop_empty_cookie_scope()
        password = credentials.ckan_db_password(self.s.secrets_file)
        pairs = [f"{k}={v}" for k, v in self.options(password).items()]
        run([self.ckan, "config-tool", self.ini, *pairs])
        for section, values in self.LOGGING.items():
            run(
                [
                    self.ckan, "config-tool", self.ini, "--section", section,
                    *[f"{k}={v}" for k, v in values.items()],
                ]
            )
        return licenses_changed or self.ini.read_bytes() != before

    def _drop_empty_cookie_scope(self) -> None:
        """Remove ``SESSION_COOKIE_DOMAIN =`` / ``SESSION_COOKIE_PATH =`` with no value.

        ``ckan generate config`` writes them empty, and Flask then sends ``Domain=`` on the
        session cookie; browsers ignore that, but standard cookie jars (Python's, curl's)
        drop the cookie, so scripted logins fail. Unset, the cookie is host-only on ``/``.
        """
        lines = self.ini.read_text().splitlines(keepends=True)
        kept = [
            line for line in lines
            if line.split("=")[0].strip() not in EMPTY_COOKIE_KEYS or line.split("=", 1)[1].strip()
        ]
        if kept != lines:
            self.ini.write_text("".join(kept))

    def ckan_cmd(self, *args: str, input_text: str | None = None) -> str:
        """Run ``ckan -c <ini> ...`` and return its stdout."""
        return run([self.ckan, "-c", self.ini, *args], input_text=input_text).stdout

    def init_db(self) -> None:
        """Create or upgrade CKAN's tables (core and plugin migrations); safe to repeat."""
        self.ckan_cmd("db", "init")

    def index_missing_datasets(self) -> None:
        """Index datasets the search index lacks (after an upgrade of the index schema, or
        a crash between a dataset write and its index write); cheap when nothing is missing.
        """
        self.ckan_cmd("search-index", "rebuild", "--only-missing", "--quiet")
