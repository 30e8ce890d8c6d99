"""What a harvest job did, per source: counts for the summary, the datasets by outcome, and
every error and assumption with the record it concerns — written as JSON per job."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any


@dataclass
class Problem:
    stage: str  # gather, fetch, map, validate, import, withdraw
    message: str
    guid: str | None = None


@dataclass
class SourceReport:
    source_id: str
    type: str
    url: str
    organization: str
    started: str
    finished: str | None = None
    gathered: int = 0
    gather_complete: bool = False
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    withdrawn: list[str] = field(default_factory=list)
    duplicates: list[dict[str, Any]] = field(default_factory=list)
    errors: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)

    @property
    def failed(self) -> bool:
        return bool(self.errors)

    @property
    def status(self) -> str:
        if not self.errors:
            return "ok"
        return "failed" if not self.gather_complete else "partial"

    def counts(self) -> dict[str, int]:
        return {"added": len(self.added), "updated": len(self.updated),
                "unchanged": len(self.unchanged), "withdrawn": len(self.withdrawn),
                "duplicates": len(self.duplicates), "errors": len(self.errors)}

    def summary(self) -> str:
        counts = self.counts()
        text = (f"{self.source_id} ({self.type}): {counts['added']} neu/added, "
                f"{counts['updated']} geändert/updated, {counts['unchanged']} unverändert/"
                f"unchanged, {counts['withdrawn']} zurückgezogen/withdrawn, "
                f"{counts['errors']} Fehler/errors")
        if counts["duplicates"]:
            text += f", {counts['duplicates']} Dubletten/duplicates"
        return text

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["status"] = self.status
        data["counts"] = self.counts()
        return data


@dataclass
class JobReport:
    job_id: int | None
    started: str
    finished: str | None = None
    sources: list[SourceReport] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # job-level (catalogue not reachable …)

    @property
    def failed(self) -> bool:
        return bool(self.errors) or any(source.failed for source in self.sources)

    def totals(self) -> dict[str, int]:
        totals = {"added": 0, "updated": 0, "unchanged": 0, "withdrawn": 0, "duplicates": 0,
                  "errors": len(self.errors)}
        for source in self.sources:
            for key, value in source.counts().items():
                totals[key] += value
        return totals

    def to_json(self) -> dict[str, Any]:
        return {"job_id": self.job_id, "started": self.started, "finished": self.finished,
                "status": "failed" if self.failed else "ok", "totals": self.totals(),
                "errors": self.errors, "sources": [s.to_json() for s in self.sources]}

    def write(self, directory: Path) -> Path:
        directory.mkdir(parents=True, exist_ok=True)
        stamp = self.started.replace(":", "").replace("-", "")
        name = f"job-{self.job_id}.json" if self.job_id is not None else f"job-{stamp}.json"
        path = directory / name
        path.write_text(json.dumps(self.to_json(), indent=2, ensure_ascii=False) + "\n",
                        encoding="utf-8")
        return path
