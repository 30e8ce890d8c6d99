"""Job history in PostgreSQL (schema ``harvest`` of the catalogue's database).

One row per source and job with the counts, the status and the full JSON report, so that
``smartregion harvest status`` can say when each source last ran, how it went and whether it
is due again, and an operator can query the history with SQL.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

import psycopg2
import psycopg2.extras

from .report import JobReport, SourceReport

SCHEMA_SQL = """
CREATE SCHEMA IF NOT EXISTS harvest;
CREATE TABLE IF NOT EXISTS harvest.job (
    id          bigserial PRIMARY KEY,
    started     timestamptz NOT NULL,
    finished    timestamptz,
    status      text NOT NULL DEFAULT 'running',
    errors      jsonb NOT NULL DEFAULT '[]'
);
CREATE TABLE IF NOT EXISTS harvest.source_run (
    job_id      bigint NOT NULL REFERENCES harvest.job (id) ON DELETE CASCADE,
    source_id   text NOT NULL,
    type        text NOT NULL,
    url         text NOT NULL,
    started     timestamptz NOT NULL,
    finished    timestamptz,
    status      text NOT NULL,
    added       integer NOT NULL,
    updated     integer NOT NULL,
    unchanged   integer NOT NULL,
    withdrawn   integer NOT NULL,
    duplicates  integer NOT NULL,
    errors      integer NOT NULL,
    report      jsonb NOT NULL,
    PRIMARY KEY (job_id, source_id)
);
CREATE INDEX IF NOT EXISTS source_run_latest ON harvest.source_run (source_id, started DESC);
"""


@dataclass(frozen=True)
class LastRun:
    source_id: str
    job_id: int
    started: dt.datetime
    finished: dt.datetime | None
    status: str
    counts: dict[str, int]


class JobHistory:
    def __init__(self, dsn: str) -> None:
        self.dsn = dsn

    def _connect(self) -> Any:
        connection = psycopg2.connect(self.dsn, connect_timeout=10)
        connection.autocommit = True
        return connection

    def ensure_schema(self) -> None:
        with self._connect() as connection, connection.cursor() as cursor:
            cursor.execute(SCHEMA_SQL)

    def start(self, started: str) -> int:
        self.ensure_schema()
        with self._connect() as connection, connection.cursor() as cursor:
            cursor.execute("INSERT INTO harvest.job (started) VALUES (%s) RETURNING id",
                           (started,))
            job_id: int = cursor.fetchone()[0]
            return job_id

    def record_source(self, job_id: int, report: SourceReport) -> None:
        counts = report.counts()
        with self._connect() as connection, connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO harvest.source_run (job_id, source_id, type, url, started, "
                "finished, status, added, updated, unchanged, withdrawn, duplicates, errors, "
                "report) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
                (job_id, report.source_id, report.type, report.url, report.started,
                 report.finished, report.status, counts["added"], counts["updated"],
                 counts["unchanged"], counts["withdrawn"], counts["duplicates"],
                 counts["errors"], json.dumps(report.to_json(), ensure_ascii=False)))

    def finish(self, report: JobReport) -> None:
        with self._connect() as connection, connection.cursor() as cursor:
            cursor.execute(
                "UPDATE harvest.job SET finished = %s, status = %s, errors = %s WHERE id = %s",
                (report.finished, "failed" if report.failed else "ok",
                 json.dumps(report.errors, ensure_ascii=False), report.job_id))

    def last_runs(self) -> dict[str, LastRun]:
        """The latest run of every source that ever ran."""
        self.ensure_schema()
        with self._connect() as connection, connection.cursor(
                cursor_factory=psycopg2.extras.RealDictCursor) as cursor:
            cursor.execute(
                "SELECT DISTINCT ON (source_id) source_id, job_id, started, finished, status, "
                "added, updated, unchanged, withdrawn, duplicates, errors "
                "FROM harvest.source_run ORDER BY source_id, started DESC")
            rows = cursor.fetchall()
        return {row["source_id"]: LastRun(
            source_id=row["source_id"], job_id=row["job_id"], started=row["started"],
            finished=row["finished"], status=row["status"],
            counts={key: row[key] for key in ("added", "updated", "unchanged", "withdrawn",
                                              "duplicates", "errors")}) for row in rows}

    def last_success(self, source_id: str) -> dt.datetime | None:
        self.ensure_schema()
        with self._connect() as connection, connection.cursor() as cursor:
            cursor.execute("SELECT max(started) FROM harvest.source_run "
                           "WHERE source_id = %s AND status = 'ok'", (source_id,))
            found: dt.datetime | None = cursor.fetchone()[0]
            return found
