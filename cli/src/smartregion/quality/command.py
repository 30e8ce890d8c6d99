"""``smartregion catalogue validate``: load, validate every profile, report, exit status.

Exit status: 0 when no profile has a violation, 1 when one has, 2 when the catalogue or the
shapes cannot be loaded. Warnings and infos are listed but never fail the run.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

from smartregion.quality import render, shapes, vocabulary
from smartregion.quality.report import Report, build_report
from smartregion.quality.shacl import ProfileRun, run_profile
from smartregion.quality.source import DEFAULT_MAX_PAGES, CatalogueLoadError, load_catalogue

__all__ = ["DEFAULT_MAX_PAGES", "Options", "default_url", "run", "validate_catalogue"]
from smartregion.settings import PlatformSettings

EXIT_CANNOT_LOAD = 2


@dataclass(frozen=True)
class Options:
    url: str
    profile: str = "all"
    shapes_dir: Path | None = None
    as_json: bool = False
    max_pages: int = DEFAULT_MAX_PAGES


def default_url(settings: PlatformSettings) -> str:
    return f"{settings.ckan_url}/catalog.ttl"


def validate_catalogue(
    source: str, profile_choice: str, shapes_dir: Path, max_pages: int = DEFAULT_MAX_PAGES
) -> Report:
    """Validate everything ``source`` holds against the chosen profiles; raises on load errors."""
    profiles = shapes.select_profiles(profile_choice)
    catalogue = load_catalogue(source, max_pages=max_pages)
    # One graph for all profiles: the catalogue plus the code lists, built once.
    graph = catalogue.graph + vocabulary.load_vocabularies(shapes_dir)
    graph += vocabulary.accepted_codes(catalogue.graph)
    runs: list[ProfileRun] = [
        run_profile(graph, profile, shapes.load(shapes_dir, profile)) for profile in profiles
    ]
    return build_report(catalogue, graph, runs, shapes_dir)


def run(settings: PlatformSettings, options: Options) -> int:
    candidates = [options.shapes_dir] if options.shapes_dir else settings.shacl_dir_candidates()
    try:
        shapes_dir = shapes.locate(candidates, shapes.select_profiles(options.profile))
        report = validate_catalogue(options.url, options.profile, shapes_dir, options.max_pages)
    except shapes.ShapesNotFound as exc:
        print(f"smartregion catalogue validate: {exc}", file=sys.stderr)
        return EXIT_CANNOT_LOAD
    except CatalogueLoadError as exc:
        print(
            f"smartregion catalogue validate: Katalog nicht lesbar / cannot load catalogue: {exc}",
            file=sys.stderr,
        )
        return EXIT_CANNOT_LOAD
    sys.stdout.write(render.json_text(report) if options.as_json else render.text(report))
    return report.exit_code
