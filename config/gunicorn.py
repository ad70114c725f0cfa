"""Gunicorn settings for production: `gunicorn -c config/gunicorn.py config.wsgi`.

Every value can be overridden from the environment (GUNICORN_* variables, see .env.example).
"""

import glob
import multiprocessing
import os
import tempfile

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
workers = int(os.environ.get("GUNICORN_WORKERS", multiprocessing.cpu_count() * 2 + 1))
threads = int(os.environ.get("GUNICORN_THREADS", 1))
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

# --- Prometheus with several workers -----------------------------------------------------
# Each worker is its own process with its own counters: prometheus_client's multiprocess
# mode has every worker write its values to files in one directory, and /metrics (in
# whichever worker answers) sums them all. The variable must be in the environment before
# any worker imports prometheus_client, so it is set here, in the master, before forking:
# a fresh directory unless PROMETHEUS_MULTIPROC_DIR names one.
if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="marketplace-metrics-")


def on_starting(server):
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
