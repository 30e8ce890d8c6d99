"""Generated credentials of an instance, kept in ``<data>/secrets.json`` (mode 0600).

Passwords are generated once with :mod:`secrets` and reused on every ``up``, so the database
role and the CKAN config stay in step. The CKAN admin password is deliberately *not* stored:
it is shown once when the account is created.
"""

from __future__ import annotations

import json
import os
import secrets
from pathlib import Path

CKAN_DB_USER = "ckan"
CKAN_DB_NAME = "ckan"
BROKER_DB_USER = "broker"
BROKER_DB_NAME = "ngsild"


def _write_private(path: Path, text: str) -> None:
    """Write a file that only root can read, without a window where it is world-readable."""
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(text)
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)


def load(path: Path) -> dict[str, str]:
    if not path.exists():
        return {}
    data = json.loads(path.read_text())
    if not isinstance(data, dict):
        raise ValueError(f"{path} must contain a JSON object")
    return {str(k): str(v) for k, v in data.items()}


def ensure_secret(path: Path, key: str) -> str:
    """Return the stored secret ``key``, generating and saving it on first use."""
    data = load(path)
    if key not in data:
        data[key] = secrets.token_urlsafe(24)
        _write_private(path, json.dumps(data, indent=2, sort_keys=True) + "\n")
    return data[key]


def ckan_db_password(path: Path) -> str:
    return ensure_secret(path, "ckan_db_password")


def ckan_db_dsn(password: str, host: str, port: int) -> str:
    """Connection string of the (non-superuser) ckan role, as CKAN and tests use it."""
    return f"postgresql://{CKAN_DB_USER}:{password}@{host}:{port}/{CKAN_DB_NAME}"


def broker_db_password(path: Path) -> str:
    return ensure_secret(path, "broker_db_password")


def broker_token(path: Path) -> str:
    """Bearer token for writes to the NGSI-LD broker (adapters and tests read it here)."""
    return ensure_secret(path, "broker_token")


def broker_db_dsn(password: str, host: str, port: int) -> str:
    return f"postgresql://{BROKER_DB_USER}:{password}@{host}:{port}/{BROKER_DB_NAME}"


def write_token(path: Path, token: str) -> None:
    _write_private(path, token.strip() + "\n")


def read_token(path: Path) -> str:
    return path.read_text().strip()
