"""Shared fixtures of the broker's unit tests that need the test instance's database."""

from __future__ import annotations

import pytest

from smartregion import credentials
from smartregion.settings import PlatformSettings


@pytest.fixture(scope="session")
def database_dsn() -> str:
    """The broker database of the test instance (``make test`` starts it)."""
    settings = PlatformSettings(instance="test")
    password = credentials.broker_db_password(settings.secrets_file)
    return credentials.broker_db_dsn(password, "127.0.0.1", settings.port("pg_port"))
