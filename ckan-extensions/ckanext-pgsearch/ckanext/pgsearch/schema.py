"""Create the index table and helper functions once per process.

CKAN's engine only exists after its startup schema check, so the schema cannot be
created at plugin load; it is created on the first use of the backend instead, in
its own transaction, under an advisory lock so that several web workers starting
at once do not race each other.
"""

from __future__ import annotations

import logging
import threading
from importlib import resources

from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

log = logging.getLogger(__name__)

_ADVISORY_LOCK_KEY = 0x70677365  # "pgse"
#: Bump when schema.sql changes incompatibly; an index table of another version is rebuilt.
SCHEMA_VERSION = "pgsearch schema 2"
_lock = threading.Lock()
_ready_engines: set[int] = set()
_sort_collations: dict[int, str] = {}


class IndexSchemaError(RuntimeError):
    """The index table could not be created (for example PostGIS is missing)."""


def ensure_schema(engine: Engine) -> None:
    """Create ``pgsearch_index`` and its functions if they are missing."""
    if id(engine) in _ready_engines:
        return
    with _lock:
        if id(engine) in _ready_engines:
            return
        ddl = resources.files("ckanext.pgsearch").joinpath("sql/schema.sql").read_text("utf-8")
        try:
            with engine.begin() as connection:
                connection.execute(
                    text("SELECT pg_advisory_xact_lock(:key)"), {"key": _ADVISORY_LOCK_KEY}
                )
                _require_extensions(connection)
                _drop_outdated_table(connection)
                # Through the DB-API cursor without parameters: the DDL contains '%'.
                with connection.connection.cursor() as cursor:
                    cursor.execute(ddl)
                    cursor.execute(f"COMMENT ON TABLE pgsearch_index IS '{SCHEMA_VERSION}'")
                _sort_collations[id(engine)] = _pick_collation(connection)
        except SQLAlchemyError as error:
            raise IndexSchemaError(f"could not create the search index table: {error}") from error
        _ready_engines.add(id(engine))
        log.info("pgsearch: search index schema ready")


def sort_collation(engine: Engine) -> str:
    """The collation used to sort titles the way German readers expect (Ä next to A)."""
    return _sort_collations.get(id(engine), "default")


def _require_extensions(connection) -> None:
    installed = {
        row[0]
        for row in connection.execute(
            text("SELECT extname FROM pg_extension WHERE extname IN ('postgis', 'pg_trgm')")
        )
    }
    missing = {"postgis", "pg_trgm"} - installed
    if missing:
        names = ", ".join(sorted(missing))
        raise IndexSchemaError(
            f"the CKAN database lacks the extension(s) {names}; a superuser must run "
            f"'CREATE EXTENSION {names.replace(', ', '; CREATE EXTENSION ')};' in it "
            "('smartregion up' does this for the platform's own cluster)"
        )


def _drop_outdated_table(connection) -> None:
    version = connection.execute(
        text("SELECT obj_description(to_regclass('pgsearch_index'), 'pg_class')")
    ).scalar()
    exists = connection.execute(text("SELECT to_regclass('pgsearch_index') IS NOT NULL")).scalar()
    if exists and version != SCHEMA_VERSION:
        log.warning(
            "pgsearch: index table has schema %r, expected %r: recreating it; "
            "run 'ckan search-index rebuild' to fill it",
            version,
            SCHEMA_VERSION,
        )
        connection.execute(text("DROP TABLE pgsearch_index"))


def _pick_collation(connection) -> str:
    found = (
        connection.execute(
            text("SELECT collname FROM pg_collation WHERE collname IN ('de-x-icu', 'und-x-icu')")
        )
        .scalars()
        .all()
    )
    for candidate in ("de-x-icu", "und-x-icu"):
        if candidate in found:
            return candidate
    return "default"
