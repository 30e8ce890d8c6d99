"""CKAN's sysadmin account and the API token the platform's tools use.

The admin password is generated here, handed to CKAN on stdin of a helper process (never on a
command line, where any local user could read it in the process list) and shown to the
operator once; only CKAN's hash of it is kept. The API token is created once with
``ckan user token add`` and stored in ``<data>/api-token`` (0600); harvesters, adapters, the
sample loader and the tests read it from there.

Run as ``python -m smartregion.ckan_admin <ini> <name> <email>`` with the password on stdin, the
module creates the user if missing and prints ``created`` or ``exists``.
"""

from __future__ import annotations

import secrets
import subprocess
import sys

from smartregion import credentials
from smartregion.ckan_config import CkanConfig
from smartregion.process import PlatformError

ADMIN_NAME = "admin"
ADMIN_EMAIL = "admin@localhost.invalid"
TOKEN_NAME = "smartregion-tools"


def ensure_sysadmin(config: CkanConfig) -> str | None:
    """Create the sysadmin if missing; return the new password, or None if it existed."""
    password = secrets.token_urlsafe(15)
    result = subprocess.run(
        [sys.executable, "-m", "smartregion.ckan_admin", str(config.ini), ADMIN_NAME, ADMIN_EMAIL],
        input=password + "\n",
        capture_output=True,
        text=True,
        check=False,
    )
    lines = result.stdout.strip().splitlines()
    outcome = lines[-1] if lines else ""
    if result.returncode != 0 or outcome not in ("created", "exists"):
        raise PlatformError(
            f"Could not create the CKAN admin user:\n{(result.stdout + result.stderr)[-3000:]}"
        )
    return password if outcome == "created" else None


def ensure_api_token(config: CkanConfig) -> bool:
    """Create the tools' API token unless the token file exists; return True if created."""
    token_file = config.s.api_token_file
    if token_file.exists() and token_file.read_text().strip():
        return False
    out = config.ckan_cmd("user", "token", "add", ADMIN_NAME, TOKEN_NAME, "--quiet")
    lines = [line.strip() for line in out.splitlines() if line.strip()]
    if not lines:
        raise PlatformError("`ckan user token add` printed no token.")
    credentials.write_token(token_file, lines[-1])
    return True


def _create_user_in_ckan(ini: str, name: str, email: str, password: str) -> str:
    """Inside the virtualenv: load CKAN from the ini and create the sysadmin if missing."""
    from ckan import logic, model
    from ckan.cli import load_config
    from ckan.config.middleware import make_app

    app = make_app(load_config(ini))
    user = model.User.by_name(name)
    if user is None:
        site_user = logic.get_action("get_site_user")({"ignore_auth": True}, {})
        context = {"ignore_auth": True, "user": site_user["name"]}
        # user_create checks the acting user's rights during dictization: needs a request.
        with app._wsgi_app.test_request_context():  # type: ignore[attr-defined]
            logic.get_action("user_create")(
                context, {"name": name, "email": email, "password": password}
            )
        user = model.User.by_name(name)
        outcome = "created"
    else:
        outcome = "exists"
    assert user is not None
    if not user.sysadmin:
        user.sysadmin = True
        model.Session.add(user)
        model.repo.commit_and_remove()
    return outcome


def main() -> None:
    ini, name, email = sys.argv[1:4]
    password = sys.stdin.readline().strip()
    print(_create_user_in_ckan(ini, name, email, password))


if __name__ == "__main__":
    main()
