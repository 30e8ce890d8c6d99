"""The catalogue as published passes GovData's DCAT-AP.de shape sets, every page of it.

This is the acceptance test of the DCAT-AP.de profile: `/catalog.ttl` of the test instance,
all `hydra:next` pages, validated by `smartregion catalogue validate`'s code against v30, v20
and the dashboard rules, must have no violation. Warnings are allowed. On failure the per-dataset
report is printed, exactly as operators see it.
"""

from __future__ import annotations

import pytest

from smartregion.quality import render, shapes
from smartregion.quality.command import validate_catalogue
from smartregion.settings import PlatformSettings


def test_catalogue_endpoint_has_no_violations(
    platform_settings: PlatformSettings, ckan_url: str
) -> None:
    shapes_dir = shapes.locate(platform_settings.shacl_dir_candidates(), shapes.PROFILES)

    report = validate_catalogue(f"{ckan_url}/catalog.ttl", "all", shapes_dir)

    assert report.datasets > 0, render.text(report)
    if report.violations:
        pytest.fail(render.text(report), pytrace=False)
    assert [p.key for p in report.profiles] == ["v30", "v20", "dashboard"]
