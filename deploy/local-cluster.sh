#!/usr/bin/env bash
# The scale-out deployment on one machine, all on loopback, for trying it and for the
# cluster test (deploy/tests/test_cluster.py):
#
#   PostgreSQL primary   (initdb, its own port)            CLUSTER_PORT_BASE + 0
#   PostgreSQL replica   (pg_basebackup, streaming)        CLUSTER_PORT_BASE + 1
#   PgBouncer            (transaction mode, to the primary) CLUSTER_PORT_BASE + 2
#   app instance A, B    (gunicorn -c config/gunicorn.py)   CLUSTER_PORT_BASE + 3, + 4
#   nginx                (deploy/nginx/marketplace.conf)    CLUSTER_PORT_BASE + 5
#   a Celery worker and one beat; Redis: the local one (REDIS_HOST_URL), db CLUSTER_REDIS_DB
#
#   deploy/local-cluster.sh up       start everything, migrate, seed a small demo
#   deploy/local-cluster.sh status   each piece, its pid and port
#   deploy/local-cluster.sh down     stop what `up` started (its pid files), remove the data
#
# Everything lives in CLUSTER_DIR (default /tmp/marketplace-cluster): data directories,
# configs, logs, pid files, and `env`, the settings every process got (source it to run
# manage.py against the cluster). Installs nginx and pgbouncer with apt when missing.
# CLUSTER_PORT_BASE, CLUSTER_REDIS_URL and CLUSTER_REDIS_DB (12), CLUSTER_SEED_PRODUCTS (40),
# CLUSTER_APP_WORKERS (gunicorn workers per instance, 2) and CLUSTER_EXTRA_ENV change it.
set -Eeuo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
DIR=${CLUSTER_DIR:-/tmp/marketplace-cluster}
BASE=${CLUSTER_PORT_BASE:-18600}
REDIS_HOST_URL=${CLUSTER_REDIS_URL:-redis://127.0.0.1:6379}
REDIS_DB=${CLUSTER_REDIS_DB:-12}
PRODUCTS=${CLUSTER_SEED_PRODUCTS:-40}
APP_WORKERS=${CLUSTER_APP_WORKERS:-2}
PY=${CLUSTER_PYTHON:-$ROOT/.venv/bin/python}
VENV_BIN=$(dirname "$PY")

PRIMARY_PORT=$BASE
REPLICA_PORT=$((BASE + 1))
PGBOUNCER_PORT=$((BASE + 2))
APP_A_PORT=$((BASE + 3))
APP_B_PORT=$((BASE + 4))
NGINX_PORT=$((BASE + 5))

PG_BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)

log() { printf '[cluster] %s\n' "$*" >&2; }

# PostgreSQL and PgBouncer refuse to run as root: they run as the postgres user then.
as_pg() {
    if [[ $(id -u) -eq 0 ]]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

ensure_packages() {
    local missing=()
    command -v nginx >/dev/null || [[ -x /usr/sbin/nginx ]] || missing+=(nginx)
    command -v pgbouncer >/dev/null || [[ -x /usr/sbin/pgbouncer ]] || missing+=(pgbouncer)
    [[ -n $PG_BIN && -x $PG_BIN/initdb ]] || missing+=(postgresql)
    if ((${#missing[@]})); then
        log "installing ${missing[*]}"
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" >/dev/null ||
            { apt-get update -q >/dev/null &&
                DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" >/dev/null; }
        PG_BIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
    fi
}

port_free() {
    ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

wait_for() {
    local what=$1 seconds=$2
    shift 2
    local deadline=$((SECONDS + seconds))
    until "$@" >/dev/null 2>&1; do
        if ((SECONDS > deadline)); then
            log "$what did not come up in ${seconds}s"
            return 1
        fi
        sleep 0.2
    done
}

http_ok() {
    "$PY" -c 'import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=2)' "$1"
}

# Starts "$@" with the app environment, in the background in its own session, its output
# in $DIR/log/$name.log and its pid in $DIR/run/$name.pid (what `down` stops).
spawn() {
    local name=$1
    shift
    setsid env -i "${APP_VARS[@]}" "$@" >>"$DIR/log/$name.log" 2>&1 </dev/null &
    echo $! >"$DIR/run/$name.pid"
}

write_env() {
    local secret jwt
    secret=$("$PY" -c 'import secrets; print(secrets.token_urlsafe(50))')
    jwt=$("$PY" -c 'import secrets; print(secrets.token_urlsafe(50))')
    cat >"$DIR/env" <<ENV
DEBUG=False
SECRET_KEY=$secret
JWT_SIGNING_KEY=$jwt
ALLOWED_HOSTS=127.0.0.1,localhost
SECURE_SSL_REDIRECT=False
DJANGO_SETTINGS_MODULE=config.settings
DATABASE_URL=postgres://postgres@127.0.0.1:$PGBOUNCER_PORT/marketplace
DATABASE_REPLICA_URL=postgres://postgres@127.0.0.1:$REPLICA_PORT/marketplace
DB_DISABLE_SERVER_SIDE_CURSORS=True
REDIS_URL=$REDIS_HOST_URL/$REDIS_DB
CELERY_BROKER_URL=$REDIS_HOST_URL/$REDIS_DB
CACHE_KEY_PREFIX=cluster
CATALOG_CACHE_SECONDS=60
TRUSTED_PROXY_COUNT=1
GUNICORN_WORKERS=$APP_WORKERS
GUNICORN_FORWARDED_ALLOW_IPS=127.0.0.1
PAYMENT_PROVIDERS=stripe
LOG_LEVEL=WARNING
MEDIA_ROOT=$DIR/media
PRIVATE_MEDIA_ROOT=$DIR/private
ENV
    # CLUSTER_EXTRA_ENV="THROTTLE_ANON=1000000/min ...": more settings, space-separated.
    local assignment
    for assignment in ${CLUSTER_EXTRA_ENV:-}; do
        echo "$assignment" >>"$DIR/env"
    done
}

# The environment of every app process: the cluster's settings over a clean one.
APP_VARS=()
load_app_vars() {
    local line
    APP_VARS=("PATH=$VENV_BIN:/usr/local/bin:/usr/bin:/bin" "HOME=$DIR" "PYTHONPATH=$ROOT" "LANG=C.UTF-8")
    while IFS= read -r line; do
        [[ -n $line ]] && APP_VARS+=("$line")
    done <"$DIR/env"
}

app_env() {
    env -i "${APP_VARS[@]}" "$@"
}

start_postgres() {
    log "PostgreSQL primary on $PRIMARY_PORT ($PG_BIN)"
    mkdir -p "$DIR/pg"
    chown postgres:postgres "$DIR/pg" 2>/dev/null || true
    as_pg "$PG_BIN/initdb" -D "$DIR/pg/primary" --auth=trust --username=postgres \
        --encoding=UTF8 --locale=C.UTF-8 >>"$DIR/log/postgres-primary.log"
    cat >>"$DIR/pg/primary/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $PRIMARY_PORT
unix_socket_directories = '$DIR/pg'
max_connections = 100
shared_buffers = 64MB
fsync = off
synchronous_commit = off
full_page_writes = off
wal_level = replica
max_wal_senders = 4
timezone = 'UTC'
CONF
    as_pg "$PG_BIN/pg_ctl" -D "$DIR/pg/primary" -l "$DIR/pg/primary.log" -w start >/dev/null
    head -1 "$DIR/pg/primary/postmaster.pid" >"$DIR/run/postgres-primary.pid"
    as_pg "$PG_BIN/psql" -h 127.0.0.1 -p "$PRIMARY_PORT" -U postgres -qc \
        "CREATE DATABASE marketplace" >/dev/null

    log "PostgreSQL replica on $REPLICA_PORT (pg_basebackup, streaming)"
    as_pg "$PG_BIN/pg_basebackup" -h 127.0.0.1 -p "$PRIMARY_PORT" -U postgres \
        -D "$DIR/pg/replica" -R -X stream -c fast
    cat >>"$DIR/pg/replica/postgresql.conf" <<CONF
port = $REPLICA_PORT
hot_standby = on
CONF
    as_pg "$PG_BIN/pg_ctl" -D "$DIR/pg/replica" -l "$DIR/pg/replica.log" -w start >/dev/null
    head -1 "$DIR/pg/replica/postmaster.pid" >"$DIR/run/postgres-replica.pid"
}

start_pgbouncer() {
    log "PgBouncer on $PGBOUNCER_PORT (transaction mode)"
    mkdir -p "$DIR/pgbouncer"
    cat >"$DIR/pgbouncer/pgbouncer.ini" <<INI
[databases]
marketplace = host=127.0.0.1 port=$PRIMARY_PORT dbname=marketplace user=postgres
[pgbouncer]
listen_addr = 127.0.0.1
listen_port = $PGBOUNCER_PORT
unix_socket_dir =
auth_type = any
pool_mode = transaction
default_pool_size = 20
max_client_conn = 400
ignore_startup_parameters = extra_float_digits,options
server_reset_query =
logfile = $DIR/log/pgbouncer.log
pidfile = $DIR/run/pgbouncer.pid
INI
    chown -R postgres:postgres "$DIR/pgbouncer" 2>/dev/null || true
    touch "$DIR/log/pgbouncer.log"
    chown postgres:postgres "$DIR/log/pgbouncer.log" "$DIR/run" 2>/dev/null || true
    as_pg pgbouncer -d "$DIR/pgbouncer/pgbouncer.ini"
    wait_for PgBouncer 10 test -s "$DIR/run/pgbouncer.pid"
}

migrate_and_seed() {
    log "migrate and seed $PRODUCTS demo products"
    # Straight to the primary: a migration's session may span transactions.
    (cd "$ROOT" && app_env DATABASE_URL="postgres://postgres@127.0.0.1:$PRIMARY_PORT/marketplace" \
        "$PY" manage.py migrate --noinput -v0)
    (cd "$ROOT" && app_env "$PY" manage.py seed_demo --products "$PRODUCTS" --orders 5 -v0)
}

start_apps() {
    local name port
    for name in a b; do
        [[ $name == a ]] && port=$APP_A_PORT || port=$APP_B_PORT
        log "app instance $name on $port"
        mkdir -p "$DIR/metrics-$name"
        (cd "$ROOT" && spawn "app-$name" GUNICORN_BIND="127.0.0.1:$port" \
            PROMETHEUS_MULTIPROC_DIR="$DIR/metrics-$name" \
            "$VENV_BIN/gunicorn" -c config/gunicorn.py)
    done
    log "Celery worker and beat"
    (cd "$ROOT" && spawn celery-worker "$VENV_BIN/celery" -A config worker \
        --loglevel=WARNING --concurrency=1 --hostname="cluster-worker@%h")
    (cd "$ROOT" && spawn celery-beat "$VENV_BIN/celery" -A config beat \
        --loglevel=WARNING --schedule="$DIR/celerybeat-schedule")
    wait_for "app instance a" 60 http_ok "http://127.0.0.1:$APP_A_PORT/health/"
    wait_for "app instance b" 60 http_ok "http://127.0.0.1:$APP_B_PORT/health/"
}

start_nginx() {
    log "nginx on $NGINX_PORT"
    mkdir -p "$DIR/nginx" "$DIR/staticfiles"
    # The shipped site, with only its machine-specific parts changed: plain HTTP on one
    # loopback port (no certificate), this cluster's instances, paths under $DIR.
    "$PY" - "$ROOT/deploy/nginx/marketplace.conf" "$DIR" "$NGINX_PORT" "$APP_A_PORT" "$APP_B_PORT" \
        >"$DIR/nginx/marketplace.conf" <<'PY'
import re
import sys

template, cluster_dir, port, app_a, app_b = sys.argv[1:]
text = open(template).read()
# Drop the plain-HTTP server that only redirects to HTTPS: the first `server {` block.
text = re.sub(r"\nserver \{\n    listen 80;.*?\n\}\n", "\n", text, count=1, flags=re.S)
text = re.sub(r"^\s*listen \[::\].*\n", "", text, flags=re.M)
text = re.sub(r"^\s*ssl_.*\n", "", text, flags=re.M)
text = text.replace("listen 443 ssl http2;", f"listen 127.0.0.1:{port};")
text = re.sub(
    r"(^\s*server 10\.0\.0\.\d+:8000 .*\n)+",
    f"    server 127.0.0.1:{app_a} max_fails=3 fail_timeout=10s;\n"
    f"    server 127.0.0.1:{app_b} max_fails=3 fail_timeout=10s;\n",
    text,
    flags=re.M,
)
text = text.replace("/srv/marketplace/staticfiles/", f"{cluster_dir}/staticfiles/")
text = text.replace("/srv/marketplace/media/", f"{cluster_dir}/media/")
print(text)
PY
    local user_line=""
    [[ $(id -u) -eq 0 ]] && user_line="user root;"
    cat >"$DIR/nginx/nginx.conf" <<CONF
$user_line
worker_processes 2;
pid $DIR/run/nginx.pid;
error_log $DIR/log/nginx-error.log warn;
events { worker_connections 1024; }
http {
    access_log off;
    client_body_temp_path $DIR/nginx/body;
    proxy_temp_path $DIR/nginx/proxy;
    fastcgi_temp_path $DIR/nginx/fastcgi;
    uwsgi_temp_path $DIR/nginx/uwsgi;
    scgi_temp_path $DIR/nginx/scgi;
    include $DIR/nginx/marketplace.conf;
}
CONF
    nginx -t -q -c "$DIR/nginx/nginx.conf" -p "$DIR/nginx" 2>>"$DIR/log/nginx-error.log"
    nginx -c "$DIR/nginx/nginx.conf" -p "$DIR/nginx"
    wait_for nginx 10 http_ok "http://127.0.0.1:$NGINX_PORT/health/"
}

flush_redis() {
    "$PY" -c 'import sys, redis; redis.Redis.from_url(sys.argv[1]).flushdb()' "$REDIS_HOST_URL/$REDIS_DB"
}

up() {
    if [[ -d $DIR/run ]]; then
        log "$DIR exists: run 'down' first"
        exit 1
    fi
    local port
    for port in $PRIMARY_PORT $REPLICA_PORT $PGBOUNCER_PORT $APP_A_PORT $APP_B_PORT $NGINX_PORT; do
        port_free "$port" || { log "port $port is taken"; exit 1; }
    done
    ensure_packages
    mkdir -p "$DIR/run" "$DIR/log" "$DIR/media" "$DIR/private"
    chmod 755 "$DIR"
    # On a failure half way, stop what did start.
    trap 'log "up failed; stopping what started"; down' ERR
    write_env
    load_app_vars
    flush_redis
    start_postgres
    start_pgbouncer
    migrate_and_seed
    start_apps
    start_nginx
    trap - ERR
    status
    log "up: http://127.0.0.1:$NGINX_PORT/ (instances on $APP_A_PORT and $APP_B_PORT)"
}

# Stops the process of a pid file, and waits for it to end.
stop_pid() {
    local name=$1 file="$DIR/run/$1.pid" pid
    [[ -f $file ]] || return 0
    pid=$(head -1 "$file")
    if [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null; then
        kill -TERM "$pid" 2>/dev/null || true
        local deadline=$((SECONDS + 30))
        while kill -0 "$pid" 2>/dev/null && ((SECONDS < deadline)); do sleep 0.2; done
        if kill -0 "$pid" 2>/dev/null; then
            log "$name ($pid) did not stop: SIGKILL"
            kill -KILL "$pid" 2>/dev/null || true
        fi
    fi
    rm -f "$file"
}

down() {
    trap - ERR
    [[ -d $DIR ]] || { log "nothing to stop ($DIR does not exist)"; return 0; }
    local name
    # nginx first (no new requests), then the app processes, then what they use.
    for name in nginx app-a app-b celery-beat celery-worker pgbouncer; do
        stop_pid "$name"
    done
    for name in replica primary; do
        if [[ -f $DIR/pg/$name/postmaster.pid ]]; then
            as_pg "$PG_BIN/pg_ctl" -D "$DIR/pg/$name" -m fast -w stop >/dev/null 2>&1 || stop_pid "postgres-$name"
        fi
        rm -f "$DIR/run/postgres-$name.pid"
    done
    flush_redis 2>/dev/null || true
    rm -rf "$DIR"
    log "down: stopped and removed $DIR"
}

status() {
    [[ -d $DIR/run ]] || { echo "not running ($DIR)"; return 0; }
    local name port pid state
    for name in postgres-primary postgres-replica pgbouncer app-a app-b celery-worker celery-beat nginx; do
        case $name in
            postgres-primary) port=$PRIMARY_PORT ;;
            postgres-replica) port=$REPLICA_PORT ;;
            pgbouncer) port=$PGBOUNCER_PORT ;;
            app-a) port=$APP_A_PORT ;;
            app-b) port=$APP_B_PORT ;;
            nginx) port=$NGINX_PORT ;;
            *) port=- ;;
        esac
        pid=$(head -1 "$DIR/run/$name.pid" 2>/dev/null || echo -)
        if [[ $pid != - ]] && kill -0 "$pid" 2>/dev/null; then state=running; else state=stopped; fi
        printf '%-17s %-8s pid %-8s port %s\n' "$name" "$state" "$pid" "$port"
    done
}

case ${1:-} in
    up) up ;;
    down) down ;;
    status) status ;;
    *)
        echo "usage: $0 up|down|status" >&2
        exit 2
        ;;
esac
