#!/usr/bin/env bash
# Install the Debian 12 packages the one-machine platform needs, and only those that are missing.
#
# Why this shape:
# - `dpkg-query` first, so a machine that already has everything needs no network and no
#   `apt-get update` (make run / make test stay fast and work offline on the second run).
# - On a machine without postgresql-common we write createcluster.conf *before* installing it,
#   so Debian does not create and start a system cluster on 5432: the platform runs its own
#   clusters on its own ports, and 5432 stays free for whoever else needs it.
#   An existing PostgreSQL installation is never touched.
set -euo pipefail

PACKAGES=(
  postgresql-15 postgresql-15-postgis-3 postgresql-contrib
  redis-server
  mosquitto mosquitto-clients
  libpq-dev libmagic1
  python3-venv python3-dev build-essential
  git curl iproute2
)

if [[ "$(id -u)" -ne 0 ]]; then
  echo "install-system-packages: must run as root (apt-get install)." >&2
  exit 1
fi

is_installed() {
  [[ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null)" == "install ok installed" ]]
}

missing=()
for pkg in "${PACKAGES[@]}"; do
  is_installed "$pkg" || missing+=("$pkg")
done

if [[ ${#missing[@]} -eq 0 ]]; then
  echo "System packages: all present."
  exit 0
fi

if ! is_installed postgresql-common && [[ ! -e /etc/postgresql-common/createcluster.conf ]]; then
  echo "System packages: postgresql-common is new here; disabling its default cluster on 5432."
  mkdir -p /etc/postgresql-common
  cat > /etc/postgresql-common/createcluster.conf <<'CONF'
# Written by Smart Region Ostfriesland (cli/scripts/install-system-packages.sh) before
# postgresql-common was installed: the platform runs its own PostgreSQL clusters on its
# own ports, so Debian's default "main" cluster on 5432 is not needed.
create_main_cluster = false
CONF
fi

echo "System packages: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends "${missing[@]}"

# Debian starts redis-server and mosquitto as system services on 6379/1883 when it installs them.
# They do not disturb us (we run our own on other ports), so we leave the admin's choice alone.
