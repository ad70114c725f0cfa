"""Gunicorn settings for production: `gunicorn -c config/gunicorn.py`.

Every value can be overridden from the environment (GUNICORN_* variables, see .env.example).
"""

import glob
import multiprocessing
import os
import tempfile

# gunicorn's own ASGI worker by default: an event loop per process, on which a client that
# sends its request slowly only costs a coroutine, never a worker (two such clients took
# both sync workers and every other request waited). It serves config/asgi.py: the API and
# the conversations socket. sync and gthread are WSGI workers (config/wsgi.py, no socket)
# for when an ASGI server cannot be used; behind a buffering proxy (deploy/nginx/) slow
# clients never reach them.
worker_class = os.environ.get("GUNICORN_WORKER_CLASS", "asgi")
_APPLICATIONS = {
    "asgi": "config.asgi:application",
    "sync": "config.wsgi:application",
    "gthread": "config.wsgi:application",
}
if worker_class not in _APPLICATIONS:
    raise RuntimeError(f"GUNICORN_WORKER_CLASS must be one of {', '.join(_APPLICATIONS)}")
wsgi_app = _APPLICATIONS[worker_class]
if worker_class == "asgi":
    # Each ASGI worker keeps a pool of database connections (config/settings.py, DB_POOL)
    # instead of opening one per request.
    os.environ.setdefault("DB_POOL", "True")

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
workers = int(os.environ.get("GUNICORN_WORKERS", multiprocessing.cpu_count() * 2 + 1))
# gthread only: threads per worker (the ASGI worker runs each view in a thread of its own,
# at most ASGI_MAX_CONCURRENT_REQUESTS at once).
threads = int(os.environ.get("GUNICORN_THREADS", 1))
# gthread only: connections a worker holds open (keep-alive ones included); gunicorn 27's
# ASGI worker does not enforce it.
worker_connections = int(os.environ.get("GUNICORN_WORKER_CONNECTIONS", 1000))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", 30))
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", 30))
keepalive = int(os.environ.get("GUNICORN_KEEPALIVE", 5))
# Recycle workers now and then so a slow leak cannot grow without bound.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", 1000))
max_requests_jitter = int(os.environ.get("GUNICORN_MAX_REQUESTS_JITTER", 100))
# The application writes one access line per request (with its request id, route and
# user, in LOG_FORMAT); gunicorn's own access log would repeat each of them. "-" turns it on.
accesslog = os.environ.get("GUNICORN_ACCESSLOG") or None
errorlog = os.environ.get("GUNICORN_ERRORLOG", "-")
loglevel = os.environ.get("GUNICORN_LOGLEVEL", "info")
forwarded_allow_ips = os.environ.get("GUNICORN_FORWARDED_ALLOW_IPS", "127.0.0.1")
# gunicorn's control socket (for gunicornc) only where asked for: its default path is one
# per user, which the several instances of a host (deploy/nginx/) would fight over.
if os.environ.get("GUNICORN_CONTROL_SOCKET"):
    control_socket = os.environ["GUNICORN_CONTROL_SOCKET"]
else:
    control_socket_disable = True

# --- Prometheus with several workers -----------------------------------------------------
# Each worker is its own process with its own counters: prometheus_client's multiprocess
# mode has every worker write its values to files in one directory, and /metrics (in
# whichever worker answers) sums them all. The variable must be in the environment before
# any worker imports prometheus_client, so it is set here, in the master, before forking:
# a fresh directory unless PROMETHEUS_MULTIPROC_DIR names one.
if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="marketplace-metrics-")


def on_starting(server):
    # An application named on the command line (an older `gunicorn ... config.wsgi`) must
    # suit the worker class: the ASGI worker cannot serve the WSGI application, nor back.
    named = (getattr(server.app, "app_uri", None) or wsgi_app).partition(":")[0]
    if named in ("config.asgi", "config.wsgi") and named != wsgi_app.partition(":")[0]:
        raise RuntimeError(
            f"GUNICORN_WORKER_CLASS={worker_class} serves {wsgi_app}, not {named}: "
            "run `gunicorn -c config/gunicorn.py` without naming the application"
        )
    # Values of a previous run would otherwise be added to this one's.
    for path in glob.glob(os.path.join(os.environ["PROMETHEUS_MULTIPROC_DIR"], "*.db")):
        os.remove(path)


def child_exit(server, worker):
    # Imported here, not above: the master must not load prometheus_client before the
    # variable above is set, or the forked workers would inherit single-process values.
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def worker_exit(server, worker):
    # The worker's last, unfinished minute of the response-time KPI. This file is read
    # before Django is set up; the worker's application has it ready by now.
    from core.response_times import recorder

    recorder.flush()
