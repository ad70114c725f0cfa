#!/usr/bin/env bash
# Requests per second of the anonymous product list and detail under load, served by the
# project's gunicorn (config/gunicorn.py, 2 sync workers, DEBUG off), with the catalog
# cache on, with answers not cached (counts kept), and with nothing cached, next to a "floor" measured in the same run: plain Django returning the
# same kind of page with one query and no middleware. Only the ratios mean something; they
# are printed with the floor's own figures.
#
# The floor and the load generator are not part of this repository: point BENCH_TOOLS at a
# directory that holds them (floor/setup.sh, floor/serve.sh, floor/stop.sh and load.sh, as
# in the shared benchmark kit):
#
#   BENCH_TOOLS=/path/to/bench-kit bench/throughput.sh
#
# Environment (defaults in brackets):
#   BENCH_TOOLS                 required, see above
#   BENCH_N                     products in both catalogs [10000]
#   PROJECT_DATABASE_URL        the project's database [SQLite file in the state directory]
#   FLOOR_DATABASE_URL          the floor's database [its own SQLite file]; the floor only
#                               adds a products_product table, so it may share a database
#   PROJECT_REDIS_URL           Redis for the project's cache and throttles [none: memory]
#   PORT_FLOOR, PORT_CACHED, PORT_UNCACHED, PORT_BARE   [18451, 18450, 18452, 18453]
#                               (loopback only; BARE: answers and counts not cached)
#   LOAD_SECONDS, CONNECTIONS   load per URL [10, 16]
#   STATE_DIR                   logs, PID files, SQLite files [/tmp/marketplace-throughput]
#
# The project runs with production settings for loopback: DEBUG=False, throwaway keys,
# ALLOWED_HOSTS=127.0.0.1, no HTTPS redirect; throttles lifted (a load test is one client);
# GUNICORN_MAX_REQUESTS=0 and no access log, as the floor (worker recycling mid-run and a
# log line per request would measure something else).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/.." && pwd)"
TOOLS="${BENCH_TOOLS:?set BENCH_TOOLS to the directory holding floor/ and load.sh}"
N="${BENCH_N:-10000}"
STATE="${STATE_DIR:-/tmp/marketplace-throughput}"
PORT_FLOOR="${PORT_FLOOR:-18451}"
PORT_CACHED="${PORT_CACHED:-18450}"
PORT_UNCACHED="${PORT_UNCACHED:-18452}"
PORT_BARE="${PORT_BARE:-18453}"
SECS="${LOAD_SECONDS:-10}"
CONNS="${CONNECTIONS:-16}"
PY="$ROOT/.venv/bin/python"
mkdir -p "$STATE"
PROJECT_DB="${PROJECT_DATABASE_URL:-sqlite:///$STATE/project.sqlite3}"

say() { echo "[throughput] $*"; }

project_env() {  # run a command with the project's production-for-loopback environment
  env DEBUG=False \
    SECRET_KEY=throughput-only-3c9f1a7e5b2d4f6a8c0e1b3d5f7a9c1e3b5d7f9a \
    JWT_SIGNING_KEY=throughput-only-jwt-8e6c4a2f0d1b3e5c7a9f1d3b5e7c9a1f \
    ALLOWED_HOSTS=127.0.0.1,localhost \
    SECURE_SSL_REDIRECT=False SECURE_HSTS_SECONDS=0 \
    THROTTLE_ANON=100000000/min THROTTLE_USER=100000000/min \
    DATABASE_URL="$PROJECT_DB" REDIS_URL="${PROJECT_REDIS_URL:-}" \
    "$@"
}

start_project() {  # start_project PORT CACHE_SECONDS COUNT_CACHE_SECONDS
  local port="$1" seconds="$2" count_seconds="$3"
  project_env CATALOG_CACHE_SECONDS="$seconds" CATALOG_COUNT_CACHE_SECONDS="$count_seconds" \
    GUNICORN_BIND="127.0.0.1:$port" GUNICORN_WORKER_CLASS=sync GUNICORN_WORKERS=2 GUNICORN_THREADS=1 \
    GUNICORN_MAX_REQUESTS=0 GUNICORN_ACCESSLOG= GUNICORN_LOGLEVEL=warning \
    GUNICORN_ERRORLOG="$STATE/project-$port.log" \
    "$ROOT/.venv/bin/gunicorn" -c "$ROOT/config/gunicorn.py" --chdir "$ROOT" \
    --pid "$STATE/project-$port.pid" --daemon config.wsgi
  for _ in $(seq 1 100); do
    curl -sf -o /dev/null "http://127.0.0.1:$port/health/" && return 0
    sleep 0.2
  done
  echo "the project did not start on port $port; see $STATE/project-$port.log" >&2
  exit 1
}

stop_project() {
  local pidfile="$STATE/project-$1.pid"
  if [ -f "$pidfile" ]; then
    kill -TERM "$(cat "$pidfile")" 2>/dev/null || true
    rm -f "$pidfile"
  fi
}

cleanup() {
  stop_project "$PORT_CACHED"
  stop_project "$PORT_UNCACHED"
  stop_project "$PORT_BARE"
  LIMIT_STATE_DIR="$STATE/floor" "$TOOLS/floor/stop.sh" "$PORT_FLOOR" >/dev/null 2>&1 || true
}
trap cleanup EXIT

say "project: migrate and seed $N products ($PROJECT_DB)"
project_env "$PY" "$ROOT/manage.py" migrate --noinput -v 0
project_env "$PY" "$ROOT/manage.py" seed_demo --products "$N" --orders 0 -v 0

say "floor: set up $N products"
if [ -n "${FLOOR_DATABASE_URL:-}" ]; then
  DATABASE_URL="$FLOOR_DATABASE_URL" BENCH_N="$N" LIMIT_STATE_DIR="$STATE/floor" \
    "$TOOLS/floor/setup.sh" >/dev/null
else
  env -u DATABASE_URL BENCH_N="$N" LIMIT_STATE_DIR="$STATE/floor" \
    "$TOOLS/floor/setup.sh" >/dev/null
fi

say "starting the floor ($PORT_FLOOR), the project cached ($PORT_CACHED), uncached ($PORT_UNCACHED) and bare ($PORT_BARE)"
if [ -n "${FLOOR_DATABASE_URL:-}" ]; then
  DATABASE_URL="$FLOOR_DATABASE_URL" LIMIT_STATE_DIR="$STATE/floor" \
    "$TOOLS/floor/serve.sh" "$PORT_FLOOR" >/dev/null
else
  env -u DATABASE_URL LIMIT_STATE_DIR="$STATE/floor" "$TOOLS/floor/serve.sh" "$PORT_FLOOR" >/dev/null
fi
start_project "$PORT_CACHED" 300 300
start_project "$PORT_UNCACHED" 0 300
start_project "$PORT_BARE" 0 0

first_id() {  # first_id URL -> the id of the first result of a list
  curl -sf "$1" | "$PY" -c 'import json, sys; print(json.load(sys.stdin)["results"][0]["id"])'
}
FLOOR_ID="$(first_id "http://127.0.0.1:$PORT_FLOOR/products/")"
PRODUCT_ID="$(first_id "http://127.0.0.1:$PORT_CACHED/api/v1/products/")"

declare -A RPS
load() {  # load NAME URL
  local line
  line="$("$TOOLS/load.sh" "$2" "$SECS" "$CONNS" | grep '^RESULT')"
  echo "$line"
  case "$line" in *" non2xx3xx=0 "*) ;; *) echo "!! $1 answered errors: $line" >&2 ;; esac
  RPS[$1]="$(echo "$line" | sed -E 's/.* rps=([0-9.]+).*/\1/')"
}

say "load: $SECS s, $CONNS connections per URL"
load floor_list "http://127.0.0.1:$PORT_FLOOR/products/"
load cached_list "http://127.0.0.1:$PORT_CACHED/api/v1/products/"
load uncached_list "http://127.0.0.1:$PORT_UNCACHED/api/v1/products/"
load bare_list "http://127.0.0.1:$PORT_BARE/api/v1/products/"
load floor_detail "http://127.0.0.1:$PORT_FLOOR/products/$FLOOR_ID/"
load cached_detail "http://127.0.0.1:$PORT_CACHED/api/v1/products/$PRODUCT_ID/"
load uncached_detail "http://127.0.0.1:$PORT_UNCACHED/api/v1/products/$PRODUCT_ID/"
load bare_detail "http://127.0.0.1:$PORT_BARE/api/v1/products/$PRODUCT_ID/"

ratio() { "$PY" -c "print(f'{float($1) / float($2):.2f}')"; }
echo
printf '%-22s %10s %10s %8s %8s\n' "endpoint" "floor rps" "rps" "ratio" "target"
printf '%-22s %10s %10s %8s %8s\n' "list, cached" "${RPS[floor_list]}" "${RPS[cached_list]}" \
  "$(ratio "${RPS[cached_list]}" "${RPS[floor_list]}")" ">=0.8"
printf '%-22s %10s %10s %8s %8s\n' "list, uncached" "${RPS[floor_list]}" "${RPS[uncached_list]}" \
  "$(ratio "${RPS[uncached_list]}" "${RPS[floor_list]}")" ">=0.4"
printf '%-22s %10s %10s %8s %8s\n' "list, nothing cached" "${RPS[floor_list]}" "${RPS[bare_list]}" \
  "$(ratio "${RPS[bare_list]}" "${RPS[floor_list]}")" ">=0.4"
printf '%-22s %10s %10s %8s %8s\n' "detail, cached" "${RPS[floor_detail]}" "${RPS[cached_detail]}" \
  "$(ratio "${RPS[cached_detail]}" "${RPS[floor_detail]}")" ">=0.8"
printf '%-22s %10s %10s %8s %8s\n' "detail, uncached" "${RPS[floor_detail]}" "${RPS[uncached_detail]}" \
  "$(ratio "${RPS[uncached_detail]}" "${RPS[floor_detail]}")" ">=0.5"
printf '%-22s %10s %10s %8s %8s\n' "detail, nothing cached" "${RPS[floor_detail]}" "${RPS[bare_detail]}" \
  "$(ratio "${RPS[bare_detail]}" "${RPS[floor_detail]}")" ">=0.5"
