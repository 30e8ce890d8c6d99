"""``smartregion``: the operator's command line (up, down, status, env).

Messages are German first, then English, because the platform's operators are the region's
administrations and its developers are not all German speakers.
"""

from __future__ import annotations

import argparse
import shlex
import sys
from collections.abc import Sequence
from pathlib import Path

from pydantic import ValidationError

from smartregion import adapters_command, catalogue_init, harvest_command
from smartregion.process import PlatformError
from smartregion.quality import command as quality_command
from smartregion.quality.shapes import PROFILE_KEYS
from smartregion.settings import INSTANCES, InstanceName, PlatformSettings
from smartregion.stack import Stack, UpResult

# The expanded IRI, so that the link works without a Link header (the platform @context).
LIVE_EXAMPLE_TYPE = "https://smartdatamodels.org/dataModel.Environment/WaterObserved"


def _settings(instance: InstanceName | None) -> PlatformSettings:
    return PlatformSettings() if instance is None else PlatformSettings(instance=instance)


def _print_summary(settings: PlatformSettings, result: UpResult) -> None:
    url = settings.ckan_url
    lines = [
        "",
        f"Smart Region Ostfriesland läuft / is running (Instanz / instance: {settings.instance})",
        "",
        f"  Katalog / catalogue:      {url}/",
        f"  Datensätze / datasets:    {url}/dataset",
        f"  API:                      {url}/api/3/action/package_search",
        f"  DCAT (Turtle):            {url}/catalog.ttl",
        f"  NGSI-LD-Broker / broker:  {settings.broker_url}/ngsi-ld/v1/types"
        f" (Schreib-Token / write token: broker_token in {settings.secrets_file})",
        "  Anmeldung / login:        admin",
    ]
    if result.adapters_config is not None:
        lines[-1:-1] = [
            "  Live-Daten / live data:   "
            f"{settings.broker_url}/ngsi-ld/v1/entities?type={LIVE_EXAMPLE_TYPE}",
            f"                            Datensätze / datasets: {url}/dataset?q=name:live-*",
            f"  Adapter / adapters:       {result.adapters_config} "
            f"(Stand / status: {settings.data}/adapters/status.json)",
            f"  Demo-Quellen / demo feed: {settings.feed_url}/ (statt / instead of the "
            "public APIs, offline)",
        ]
    if result.admin_password:
        lines += [
            "",
            f"  Passwort des Administrators (wird nur jetzt angezeigt): {result.admin_password}",
            "  Admin password (shown only now, not stored; reset with "
            f"`ckan -c {settings.ckan_ini} user setpass admin`)",
        ]
    status_cmd = "smartregion status" + (" --instance test" if settings.instance == "test" else "")
    lines += [
        "",
        f"  API-Token für Werkzeuge / API token for tools: {settings.api_token_file}",
        f"  Logs:                     {settings.log_dir}/",
        f"  Daten / data:             {settings.data}/",
        "",
        f"  Status: {status_cmd}",
        "  Stoppen / stop: make stop  (smartregion down --all)",
    ]
    if result.sample_report is not None:
        lines.insert(2, "  " + result.sample_report.summary())
    if result.catalogue_report is not None:
        lines.insert(2, "  " + result.catalogue_report.summary())
    print("\n".join(lines))


def cmd_up(args: argparse.Namespace) -> int:
    settings = _settings(args.instance)
    print(f"smartregion up (Instanz / instance: {settings.instance}, data: {settings.data})")
    result = Stack(settings).up(load_sample=not args.no_sample)
    _print_summary(settings, result)
    return 0


def cmd_down(args: argparse.Namespace) -> int:
    instances: Sequence[InstanceName | None] = INSTANCES if args.all else [args.instance]
    for instance in instances:
        settings = _settings(instance)
        stopped = Stack(settings).down()
        what = ", ".join(stopped) if stopped else "nichts lief / nothing was running"
        print(f"smartregion down ({settings.instance}): {what}")
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    settings = _settings(args.instance)
    states = Stack(settings).states()
    print(f"Instanz / instance: {settings.instance}   Daten / data: {settings.data}")
    for st in states:
        label = "running" if st.running else (st.detail or "stopped")
        pid = str(st.pid) if st.pid else "-"
        where = f"{settings.host}:{st.port}" if st.port else "-"
        print(f"  {st.name:<11} {label:<14} pid {pid:<8} {where}")
    if all(st.running for st in states):
        print(f"  Katalog / catalogue: {settings.ckan_url}/")
        return 0
    return 3


def cmd_env(args: argparse.Namespace) -> int:
    """``export CKAN_INI=...`` so that CKAN's own ``ckan`` command works on the instance.

    Deliberately no SMARTREGION_* ports: exported into a shell they would pin every later
    ``smartregion up --instance test`` to this instance's ports.
    """
    settings = _settings(args.instance)
    print(f"export CKAN_INI={shlex.quote(str(settings.ckan_ini))}")
    return 0


def cmd_catalogue_init(args: argparse.Namespace) -> int:
    """Organisations and theme groups from schemas/ into CKAN, licence register to disk."""
    settings = _settings(args.instance)
    print(f"smartregion catalogue init (Instanz / instance: {settings.instance})")
    report = catalogue_init.run(settings)
    print(report.summary())
    return 0


def cmd_catalogue_validate(args: argparse.Namespace) -> int:
    """SHACL report (DCAT-AP.de) of the whole catalogue, per dataset; exit 0/1, 2 = not loadable."""
    settings = _settings(args.instance)
    options = quality_command.Options(
        url=args.url or quality_command.default_url(settings),
        profile=args.profile,
        shapes_dir=args.shapes_dir,
        as_json=args.json,
        max_pages=args.max_pages,
    )
    return quality_command.run(settings, options)


def cmd_adapters_run(args: argparse.Namespace) -> int:
    """Run the configured NGSI-LD adapters once (--once) or on their intervals."""
    return adapters_command.run(_settings(args.instance), args)


def cmd_adapters_list(args: argparse.Namespace) -> int:
    return adapters_command.list_adapters()


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="smartregion",
        description="Smart Region Ostfriesland: Dienste einer Instanz starten, stoppen, prüfen / "
        "start, stop and check the services of an instance.",
    )
    sub = parser.add_subparsers(dest="command", required=True)

    def add_instance(p: argparse.ArgumentParser) -> None:
        p.add_argument(
            "--instance",
            choices=INSTANCES,
            default=None,
            help="default (make run) or test (make test); "
            "if omitted: $SMARTREGION_INSTANCE, else default",
        )

    up = sub.add_parser("up", help="start everything that is not running yet (idempotent)")
    add_instance(up)
    up.add_argument("--no-sample", action="store_true", help="do not load the sample catalogue")
    up.set_defaults(func=cmd_up)

    down = sub.add_parser("down", help="stop the services of an instance")
    add_instance(down)
    down.add_argument("--all", action="store_true", help="stop both instances")
    down.set_defaults(func=cmd_down)

    status = sub.add_parser("status", help="show services; exit 0 only if all run")
    add_instance(status)
    status.set_defaults(func=cmd_status)

    env = sub.add_parser("env", help="print `export CKAN_INI=...` for CKAN's own ckan command")
    add_instance(env)
    env.set_defaults(func=cmd_env)

    catalogue = sub.add_parser("catalogue", help="work on the CKAN catalogue's metadata")
    catalogue_sub = catalogue.add_subparsers(dest="catalogue_command", required=True)
    init = catalogue_sub.add_parser(
        "init",
        help="create or update the partner organisations and theme groups from schemas/",
    )
    add_instance(init)
    init.set_defaults(func=cmd_catalogue_init)
    validate = catalogue_sub.add_parser(
        "validate",
        help="DCAT-AP.de SHACL report per dataset (exit 0 clean, 1 violations, 2 not loadable)",
        description="Validate the catalogue's DCAT output (all hydra:next pages) against "
        "GovData's DCAT-AP.de shape sets and list the findings per dataset.",
    )
    add_instance(validate)
    validate.add_argument(
        "--url",
        default=None,
        help="catalogue to validate: http(s) URL, file:// URL or file path "
        "(default: <instance CKAN>/catalog.ttl)",
    )
    validate.add_argument(
        "--profile", choices=["all", *PROFILE_KEYS], default="all", help="shape set(s) to apply"
    )
    validate.add_argument(
        "--shapes-dir",
        type=Path,
        default=None,
        help="folder with shapes/ and vocab/ (default: $SMARTREGION_SHACL_DIR, else "
        "../shared/conformance/dcat-ap-de)",
    )
    validate.add_argument("--json", action="store_true", help="machine-readable report")
    validate.add_argument(
        "--max-pages",
        type=int,
        default=quality_command.DEFAULT_MAX_PAGES,
        help="stop with exit 2 if the catalogue has more pages than this",
    )
    validate.set_defaults(func=cmd_catalogue_validate)

    adapters = sub.add_parser("adapters", help="the NGSI-LD adapters of live sources")
    adapters_sub = adapters.add_subparsers(dest="adapters_command", required=True)
    run = adapters_sub.add_parser(
        "run", help="run the configured streams (default <data>/adapters.yaml)"
    )
    add_instance(run)
    run.add_argument("--config", type=Path, default=None, help="adapter configuration (YAML)")
    run.add_argument("--once", action="store_true", help="one run, print the report, exit "
                     "0 if clean, 1 if a stream had problems or entities wait in the outbox")
    run.add_argument("--status-file", type=Path, default=None,
                     help="keep the latest report of every stream in this JSON file")
    run.add_argument("names", nargs="*", metavar="NAME", help="only these adapters")
    run.set_defaults(func=cmd_adapters_run)
    listing = adapters_sub.add_parser("list", help="the registered adapters and their types")
    listing.set_defaults(func=cmd_adapters_list)

    harvest_command.add_parser(sub, add_instance)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args))
    except PlatformError as exc:
        print(f"smartregion: Fehler / error: {exc}", file=sys.stderr)
        return 1
    except ValidationError as exc:
        print(f"smartregion: ungültige Einstellung / invalid setting:\n{exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
