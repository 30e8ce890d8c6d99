#!/usr/bin/env bash
# Fallback of `make stop` when .venv (and so the `smartregion` command) is missing, e.g. after
# `make clean`: stop the services of every instance under the data root through their pidfiles,
# checking each pid's command line so that a recycled pid is never signalled.
# Mirrors `smartregion down --all`; keep the two in step.
set -euo pipefail

DATA_ROOT="${SMARTREGION_DATA_ROOT:-/var/lib/smartregion}"
PG_CTL=/usr/lib/postgresql/15/bin/pg_ctl

dirs=()
[[ -n "${SMARTREGION_DATA_DIR:-}" ]] && dirs+=("$SMARTREGION_DATA_DIR")
for d in "$DATA_ROOT"/*/; do [[ -d "$d" ]] && dirs+=("${d%/}"); done
if [[ ${#dirs[@]} -eq 0 ]]; then
  echo "stop: nichts lief / nothing was running"
  exit 0
fi

stopped=0
stop_pidfile() {  # <name> <pidfile> <expected text in the command line>
  local name=$1 pidfile=$2 needle=$3 pid
  [[ -f "$pidfile" ]] || return 0
  pid=$(head -n1 "$pidfile" | tr -dc '0-9')
  [[ -n "$pid" ]] && tr '\0' ' ' < "/proc/$pid/cmdline" 2>/dev/null | grep -q -- "$needle" || return 0
  kill -TERM "$pid" 2>/dev/null || return 0
  for _ in $(seq 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
  kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null
  echo "stop: $name ($pidfile)"
  stopped=1
}

for dir in "${dirs[@]}"; do
  stop_pidfile adapters "$dir/run/adapters.pid" "adapters run"
  stop_pidfile demo-feed "$dir/run/demo-feed.pid" smartregion.demo_feed
  stop_pidfile broker "$dir/run/broker.pid" ngsild-broker
  stop_pidfile ckan "$dir/run/ckan.pid" smartregion.ckan_wsgi
  stop_pidfile mosquitto "$dir/mosquitto/mosquitto.pid" mosquitto
  stop_pidfile redis "$dir/redis/redis.pid" redis-server
  if [[ -f "$dir/postgres/postmaster.pid" && -x "$PG_CTL" ]]; then
    (cd / && runuser -u postgres -- "$PG_CTL" -D "$dir/postgres" -m fast -w stop >/dev/null 2>&1) \
      && echo "stop: postgresql ($dir/postgres)" && stopped=1 || true
  fi
done
[[ $stopped -eq 1 ]] || echo "stop: nichts lief / nothing was running"
