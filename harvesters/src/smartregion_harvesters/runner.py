"""The queue-free runner: one job harvests the chosen sources one after another.

Per record: fetch → map → complete (partner defaults) → validate → compare → import. A record
that fails is an error line in the report; the others go on. A source whose gather fails is
an error line too, and then nothing of it is withdrawn: only a *complete* gather that no
longer lists a record withdraws its dataset — and not even that when the source suddenly
lists nothing at all, which is far more often a broken source than an emptied one.
"""

from __future__ import annotations

import datetime as dt
from collections import deque
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Protocol

import requests
from ckanapi import CKANAPIError, NotAuthorized, ValidationError

from . import mapping, validate
from .base import GatherError, Harvester, RecordError, RemoteRecord, harvester_class
from .catalogue import Catalogue, CatalogueIndex, Known, now_iso
from .config import HarvestConfig, PartnerConfig, SourceConfig, schedule_interval
from .history import JobHistory
from .report import JobReport, Problem, SourceReport

_CATALOGUE_ERRORS = (CKANAPIError, NotAuthorized, requests.RequestException)
IMPORTS_IN_FLIGHT = 2


class Progress(Protocol):
    def update(self, n: int = 1) -> Any: ...
    def close(self) -> Any: ...


ProgressFactory = Callable[[str], Progress]


class _Silent:
    def update(self, n: int = 1) -> None:
        pass

    def close(self) -> None:
        pass


def silent(_: str) -> Progress:
    return _Silent()


@dataclass(frozen=True)
class PlannedSource:
    partner_name: str
    partner: PartnerConfig
    source: SourceConfig

    @property
    def source_id(self) -> str:
        return mapping.source_key(self.partner_name, self.source)


def plan(config: HarvestConfig, partners: Iterable[str] = (), *,
         history: JobHistory | None = None, due_only: bool = False,
         now: dt.datetime | None = None) -> list[PlannedSource]:
    """The enabled sources of the named partners (all when none are named); with
    ``due_only`` only those whose schedule interval has passed since their last good run."""
    wanted = list(partners)
    unknown = [name for name in wanted if name not in config.partners]
    if unknown:
        raise ValueError(f"unknown partner(s): {', '.join(unknown)} (configured: "
                         f"{', '.join(sorted(config.partners)) or 'none'})")
    planned = [PlannedSource(name, partner, source)
               for name, partner in config.partners.items()
               if not wanted or name in wanted
               for source in partner.sources if source.enabled]
    if due_only and history is not None:
        moment = now or dt.datetime.now(dt.UTC)
        planned = [p for p in planned if _due(p, history, moment)]
    return planned


def _due(planned: PlannedSource, history: JobHistory, now: dt.datetime) -> bool:
    last = history.last_success(planned.source_id)
    return last is None or now - last >= schedule_interval(planned.partner.schedule)


class Runner:
    def __init__(self, catalogue: Catalogue, *, history: JobHistory | None = None,
                 harvester_factory: Callable[[SourceConfig], Harvester] | None = None,
                 progress: ProgressFactory = silent, full: bool = False,
                 allow_empty: bool = False) -> None:
        self.catalogue = catalogue
        self.history = history
        self.make_harvester = harvester_factory or _default_harvester
        self.progress = progress
        self.full = full
        self.allow_empty = allow_empty

    def run(self, sources: list[PlannedSource]) -> JobReport:
        job = JobReport(job_id=None, started=now_iso())
        if self.history is not None:
            job.job_id = self.history.start(job.started)
        try:
            index = self.catalogue.load_index()
        except _CATALOGUE_ERRORS as error:
            job.errors.append(f"Katalog nicht erreichbar / catalogue not reachable: "
                              f"{type(error).__name__}: {error}")
            index = None
        if index is not None:
            for planned in sources:
                report = self.run_source(planned, index)
                job.sources.append(report)
                if self.history is not None and job.job_id is not None:
                    self.history.record_source(job.job_id, report)
        job.finished = now_iso()
        if self.history is not None and job.job_id is not None:
            self.history.finish(job)
        return job

    def run_source(self, planned: PlannedSource, index: CatalogueIndex) -> SourceReport:
        source = planned.source
        report = SourceReport(source_id=planned.source_id, type=source.type, url=source.url,
                              organization=planned.partner.organization, started=now_iso())
        try:
            harvester = self.make_harvester(source)
        except ValueError as error:
            report.errors.append(Problem("gather", str(error)))
            report.finished = now_iso()
            return report
        seen: set[str] = set()
        bar = self.progress(planned.source_id)
        # Imports run in one worker thread, in order, while the next record is fetched and
        # mapped: CKAN's time and ours overlap (at most IMPORTS_IN_FLIGHT waiting).
        imports = ThreadPoolExecutor(max_workers=1, thread_name_prefix="harvest-import")
        self._in_flight: deque[Future[None]] = deque()
        self._imports = imports
        try:
            for record in harvester.gather():
                if record.guid in seen:
                    report.warnings.append(Problem("gather", "listed twice", record.guid))
                    continue
                seen.add(record.guid)
                report.gathered += 1
                self._harvest_record(harvester, planned, record, index, report)
                bar.update()
            report.gather_complete = True
            self._wait_for_imports(0)
        except GatherError as error:
            report.errors.append(Problem("gather", str(error)))
        except _CATALOGUE_ERRORS as error:
            report.errors.append(Problem("import", f"catalogue: {type(error).__name__}: {error}"))
        except Exception as error:  # a parser choking on garbage: this source only
            report.errors.append(Problem("gather", f"unreadable answer: "
                                                   f"{type(error).__name__}: {error}"))
        finally:
            try:
                self._wait_for_imports(0)  # what was mapped before a failure still lands
            except _CATALOGUE_ERRORS as error:
                report.errors.append(Problem("import", f"catalogue: {error}"))
                report.gather_complete = False
            imports.shutdown()
            bar.close()
            harvester.close()
        if report.gather_complete:
            self._withdraw_missing(planned, seen, index, report)
        report.finished = now_iso()
        return report

    # one record --------------------------------------------------------------------------

    def _harvest_record(self, harvester: Harvester, planned: PlannedSource,
                        record: RemoteRecord, index: CatalogueIndex,
                        report: SourceReport) -> None:
        source_id = planned.source_id
        known = index.by_harvest_key.get((source_id, record.guid))
        if (not self.full and known is not None and known.state == "active"
                and record.modified and known.source_modified == record.modified):
            report.unchanged.append(known.name)  # incremental: the source says unchanged
            return
        stage = "fetch"
        try:
            fetched = harvester.fetch(record)
            stage = "map"
            mapped = harvester.map(fetched)
            dataset = mapping.complete(mapped, planned.partner_name, planned.partner,
                                       planned.source)
            stage = "validate"
            wrong = validate.problems(dataset)
            if wrong:
                raise RecordError("; ".join(wrong))
        except (RecordError, GatherError) as error:
            report.errors.append(Problem(stage, str(error), record.guid))
            return
        except Exception as error:  # garbage in one record must not stop the source
            report.errors.append(Problem(stage, f"{type(error).__name__}: {error}",
                                         record.guid))
            return
        report.warnings.extend(Problem("map", text, record.guid) for text in mapped.warnings)
        digest = mapping.content_hash(dataset, [u.data for u in mapped.uploads])
        if known is not None and known.state == "active" and known.hash == digest:
            report.unchanged.append(known.name)
            return
        others = index.others_with_identifier(dataset["identifier"], source_id, record.guid)
        if others:
            report.duplicates.append({
                "guid": record.guid, "identifier": dataset["identifier"],
                "existing": [{"name": k.name, "source": k.source_id or "von Hand / by hand"}
                             for k in others],
                "imported": known is not None})
            if known is None:
                return  # the catalogue has it already from elsewhere: not a second time
        dataset["harvest_hash"] = digest
        dataset["harvest_time"] = now_iso()
        index.claim(dataset["identifier"], source_id, record.guid)
        self._wait_for_imports(IMPORTS_IN_FLIGHT - 1)
        self._in_flight.append(self._imports.submit(
            self._import_reported, dataset, mapped.uploads, known, planned, record, index,
            report))

    def _wait_for_imports(self, at_most: int) -> None:
        """Until no more than ``at_most`` imports are pending; re-raises a worker's
        catalogue error here, in the source's loop."""
        while len(self._in_flight) > at_most:
            self._in_flight.popleft().result()

    def _import_reported(self, dataset: dict[str, Any], uploads: list, known: Known | None,
                         planned: PlannedSource, record: RemoteRecord, index: CatalogueIndex,
                         report: SourceReport) -> None:
        try:
            self._import(dataset, uploads, known, planned, record, index, report)
        except ValidationError as error:
            report.errors.append(Problem("import", f"CKAN: {error.error_dict}", record.guid))

    def _import(self, dataset: dict[str, Any], uploads: list, known: Known | None,
                planned: PlannedSource, record: RemoteRecord, index: CatalogueIndex,
                report: SourceReport) -> None:
        if known is not None:
            dataset["name"] = known.name
            dataset["state"] = "active"
            index.add(self.catalogue.update(known.id, dataset, uploads))
            report.updated.append(known.name)
            return
        name = mapping.dataset_name(dataset["title"], f"{planned.source_id} {record.guid}")
        holder = index.by_name.get(name)
        if holder is not None:  # someone else's (by hand or another source): never touched
            name = mapping.dataset_name(dataset["title"], f"{planned.source_id} {record.guid} 2")
        revived = self._withdrawn_own(name, planned.source_id, record.guid)
        dataset["name"] = name
        if revived is not None:
            dataset["state"] = "active"
            index.add(self.catalogue.update(revived["id"], dataset, uploads))
            report.updated.append(name)
            return
        index.add(self.catalogue.create(dataset, uploads))
        report.added.append(name)

    def _withdrawn_own(self, name: str, source_id: str, guid: str) -> dict[str, Any] | None:
        """The dataset of this record that an earlier run withdrew (CKAN keeps its name)."""
        found = self.catalogue.show(name)
        if found and found.get("state") == "deleted" and (
                found.get("harvest_source_id"), found.get("harvest_guid")) == (source_id, guid):
            return found
        return None

    # withdrawals -------------------------------------------------------------------------

    def _withdraw_missing(self, planned: PlannedSource, seen: set[str], index: CatalogueIndex,
                          report: SourceReport) -> None:
        gone = [k for k in index.of_source(planned.source_id)
                if k.guid not in seen and k.state == "active"]
        if not gone:
            return
        if not seen and not self.allow_empty:
            report.errors.append(Problem(
                "withdraw", f"die Quelle listet keinen Eintrag mehr; {len(gone)} Datensätze "
                "bleiben stehen / the source lists nothing: nothing withdrawn "
                "(--allow-empty to withdraw)"))
            return
        for known in gone:
            try:
                self.catalogue.withdraw(known)
            except _CATALOGUE_ERRORS as error:
                report.errors.append(Problem("withdraw", f"{type(error).__name__}: {error}",
                                             known.guid))
                continue
            index.add(Known(**{**known.__dict__, "state": "deleted"}))
            report.withdrawn.append(known.name)


def _default_harvester(source: SourceConfig) -> Harvester:
    return harvester_class(source.type)(source)


def run_config(config: HarvestConfig, catalogue: Catalogue, partners: Iterable[str] = (),
               **options: Any) -> JobReport:
    """Convenience for scripts: plan and run."""
    return Runner(catalogue, **options).run(plan(config, partners))
