"""Session fixtures for cross-component tests against the running *test* instance.

The tests use the real services that ``smartregion up --instance test`` started (``make test``
does that first) over real connections; nothing is mocked. They only ever target the test
instance, so a developer's own catalogue (instance ``default``) is never touched.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from ckanapi import RemoteCKAN

from smartregion import credentials, sample
from smartregion.settings import PlatformSettings
from smartregion.stack import Stack

NOT_UP = (
    "The test instance is not running ({detail}). Start it with `make test` or "
    "`.venv/bin/smartregion up --instance test` (as root)."
)


def _test_settings() -> PlatformSettings:
    instance = os.environ.get("SMARTREGION_INSTANCE", "test")
    if instance != "test":
        pytest.exit(
            f"SMARTREGION_INSTANCE={instance}: the tests run against the test instance only.",
            returncode=2,
        )
    return PlatformSettings(instance="test")


@pytest.fixture(scope="session")
def platform_settings() -> PlatformSettings:
    """Settings of the test instance, after checking that all its services answer."""
    settings = _test_settings()
    down = [st.name for st in Stack(settings).states() if not st.running]
    if down:
        pytest.fail(NOT_UP.format(detail="not running: " + ", ".join(down)), pytrace=False)
    return settings


@pytest.fixture(scope="session")
def ckan_url(platform_settings: PlatformSettings) -> str:
    return platform_settings.ckan_url


@pytest.fixture(scope="session")
def api_token(platform_settings: PlatformSettings) -> str:
    path = platform_settings.api_token_file
    if not path.exists():
        pytest.fail(NOT_UP.format(detail=f"no API token at {path}"), pytrace=False)
    return credentials.read_token(path)


@pytest.fixture(scope="session")
def ckan_admin(ckan_url: str, api_token: str) -> Iterator[RemoteCKAN]:
    """Action API client acting as sysadmin ``admin`` through the stored token."""
    with sample.remote(ckan_url, api_token) as client:
        yield client


@pytest.fixture(scope="session")
def ckan_anonymous(ckan_url: str) -> Iterator[RemoteCKAN]:
    """Action API client without credentials, as the public sees the catalogue."""
    with sample.remote(ckan_url) as client:
        yield client


@pytest.fixture(scope="session")
def ckan_db_dsn(platform_settings: PlatformSettings) -> str:
    """DSN of the non-superuser ``ckan`` role, exactly what CKAN itself connects with."""
    stored = credentials.load(platform_settings.secrets_file)
    if "ckan_db_password" not in stored:
        pytest.fail(NOT_UP.format(detail="no secrets.json"), pytrace=False)
    return credentials.ckan_db_dsn(
        stored["ckan_db_password"], platform_settings.host, platform_settings.port("pg_port")
    )
