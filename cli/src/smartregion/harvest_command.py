"""``smartregion harvest run|status``: the harvesters (harvesters/) from the CLI.

``run`` harvests the sources of the named partners (``--all``: every partner) from the
configuration — by default the instance's ``<data>/harvest.yaml`` — or one ad-hoc source
(``--type dcat --url URL --organization ORG``). It shows a progress bar per source, prints a
summary, writes the JSON report to ``<data>/harvest/reports/`` and records the job in
PostgreSQL; the exit code is 1 when any source failed. ``status`` shows the last run of each
source from that history and whether it is due.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from smartregion import credentials
from smartregion.process import PlatformError
from smartregion.settings import PlatformSettings

if TYPE_CHECKING:
    from smartregion_harvesters.config import HarvestConfig
    from smartregion_harvesters.history import JobHistory


def config_path(settings: PlatformSettings, given: Path | None) -> Path:
    return given or settings.data / "harvest.yaml"


def history(settings: PlatformSettings) -> JobHistory:
    from smartregion_harvesters.history import JobHistory

    password = credentials.ckan_db_password(settings.secrets_file)
    return JobHistory(credentials.ckan_db_dsn(password, settings.host, settings.port("pg_port")))


def _load(settings: PlatformSettings, args: argparse.Namespace) -> HarvestConfig:
    from smartregion_harvesters.config import ConfigError, HarvestConfig, load_config

    if args.type:
        if not (args.url and args.organization):
            raise PlatformError("--type needs --url and --organization")
        source = {"name": "ad-hoc", "type": args.type, "url": args.url}
        try:
            return HarvestConfig.model_validate(
                {"partners": {args.organization: {"organization": args.organization,
                                                  "sources": [source]}}})
        except ValueError as error:
            raise PlatformError(str(error)) from error
    path = config_path(settings, args.config)
    if not path.is_file():
        raise PlatformError(f"Keine Harvesting-Konfiguration / no harvest configuration: {path} "
                            "(format: harvesters/README.md; --config names another file, "
                            "--type/--url/--organization harvest one source ad hoc)")
    try:
        return load_config(path)
    except ConfigError as error:
        raise PlatformError(str(error)) from error


def run(settings: PlatformSettings, args: argparse.Namespace) -> int:
    from ckanapi import RemoteCKAN
    from smartregion_harvesters.catalogue import Catalogue
    from smartregion_harvesters.runner import Runner, plan
    from tqdm import tqdm

    config = _load(settings, args)
    if not (args.all or args.partners or args.type):
        raise PlatformError("Welche Partner? / which partners? Name them, or --all")
    job_history = history(settings)
    try:
        planned = plan(config, [] if args.all else args.partners, history=job_history,
                       due_only=args.due)
    except ValueError as error:
        raise PlatformError(str(error)) from error
    os.environ.setdefault("CKAN_INI", str(settings.ckan_ini))  # the DCAT profile's CKAN
    token = credentials.read_token(settings.api_token_file)
    ckan = RemoteCKAN(settings.ckan_url, apikey=token, user_agent="smartregion-harvester/0.1")

    def progress(label: str) -> Any:
        return tqdm(desc=label, unit=" Einträge", file=sys.stderr, disable=args.quiet or None)

    runner = Runner(Catalogue(ckan), history=job_history, progress=progress, full=args.full,
                    allow_empty=args.allow_empty)
    report = runner.run(planned)
    path = report.write(settings.data / "harvest" / "reports")
    for line in report.errors:
        print(f"FEHLER / ERROR: {line}")
    for source in report.sources:
        print(source.summary())
        for problem in source.errors:
            print(f"  Fehler / error [{problem.stage}] {problem.guid or ''}: {problem.message}")
        for duplicate in source.duplicates:
            print(f"  Dublette / duplicate: {duplicate['identifier']} "
                  f"(schon / already: {', '.join(e['name'] for e in duplicate['existing'])})")
    if not planned:
        print("Nichts zu tun / nothing to do (no enabled source" +
              (" is due)" if args.due else ")"))
    print(f"Bericht / report: {path}")
    return 1 if report.failed else 0


def status(settings: PlatformSettings, args: argparse.Namespace) -> int:
    from smartregion_harvesters.config import ConfigError, load_config, schedule_interval
    from smartregion_harvesters.mapping import source_key

    job_history = history(settings)
    last = job_history.last_runs()
    path = config_path(settings, args.config)
    configured: dict[str, str] = {}
    if path.is_file():
        try:
            config = load_config(path)
        except ConfigError as error:
            raise PlatformError(str(error)) from error
        for name, partner in config.partners.items():
            for source in partner.sources:
                configured[source_key(name, source)] = partner.schedule
    if not last and not configured:
        print("Noch keine Harvesting-Läufe / no harvest runs yet")
        return 0
    now = dt.datetime.now(dt.UTC)
    print(f"{'Quelle / source':40} {'letzter Lauf / last run':26} {'Status':8} "
          f"{'neu':>5} {'geänd.':>6} {'gleich':>6} {'zurück':>6} {'Fehler':>6}  fällig/due")
    for source_id in sorted(set(last) | set(configured)):
        run_ = last.get(source_id)
        due = "-"
        if source_id in configured:  # due as for `run --due`: since the last good run
            interval = schedule_interval(configured[source_id])
            good = job_history.last_success(source_id)
            due = "ja/yes" if good is None or now - good >= interval else "nein/no"
        if run_ is None:
            print(f"{source_id:40} {'nie / never':26} {'':8} {'':>5} {'':>6} {'':>6} {'':>6} "
                  f"{'':>6}  {due}")
            continue
        counts = run_.counts
        print(f"{source_id:40} {run_.started.isoformat(timespec='seconds'):26} "
              f"{run_.status:8} {counts['added']:>5} {counts['updated']:>6} "
              f"{counts['unchanged']:>6} {counts['withdrawn']:>6} {counts['errors']:>6}  {due}")
    return 0


def add_parser(sub: Any, add_instance: Any) -> None:
    """``harvest run`` and ``harvest status`` under the main parser."""
    harvest = sub.add_parser("harvest", help="metadata of the partners' sources into the catalogue")
    harvest_sub = harvest.add_subparsers(dest="harvest_command", required=True)
    run_parser = harvest_sub.add_parser(
        "run", help="harvest the sources of partners (default config <data>/harvest.yaml)")
    add_instance(run_parser)
    run_parser.add_argument("partners", nargs="*", metavar="PARTNER")
    run_parser.add_argument("--all", action="store_true", help="every configured partner")
    run_parser.add_argument("--config", type=Path, default=None, help="harvest configuration")
    run_parser.add_argument("--type", default=None,
                            help="ad hoc: harvest one source of this type (ckan, dcat, csw, "
                                 "wfs, files) with --url and --organization")
    run_parser.add_argument("--url", default=None, help="ad hoc: the source's URL")
    run_parser.add_argument("--organization", default=None,
                            help="ad hoc: CKAN organisation that receives the datasets")
    run_parser.add_argument("--due", action="store_true",
                            help="only sources whose schedule says they are due (for cron)")
    run_parser.add_argument("--full", action="store_true",
                            help="map every record again, even if the source says unchanged")
    run_parser.add_argument("--allow-empty", action="store_true",
                            help="withdraw all datasets of a source that now lists none")
    run_parser.add_argument("--quiet", action="store_true", help="no progress bars")
    run_parser.set_defaults(func=lambda args: run(_settings(args), args))
    status_parser = harvest_sub.add_parser("status", help="last run of every source, and due")
    add_instance(status_parser)
    status_parser.add_argument("--config", type=Path, default=None)
    status_parser.set_defaults(func=lambda args: status(_settings(args), args))


def _settings(args: argparse.Namespace) -> PlatformSettings:
    return PlatformSettings() if args.instance is None else PlatformSettings(
        instance=args.instance)
