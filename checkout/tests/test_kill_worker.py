"""Killing gunicorn workers (SIGKILL) in the middle of HTTP checkouts keeps the checkout's
guarantees: a small run of bench/kill_worker_checkout.py against the test database."""

import importlib.util

import pytest
from django.db import connection

from core.tests.servers import ROOT, database_url

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="needs PostgreSQL: gunicorn's workers and the test share the database",
    ),
]


def _bench():
    spec = importlib.util.spec_from_file_location(
        "kill_worker_checkout", ROOT / "bench" / "kill_worker_checkout.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_killing_gunicorn_workers_mid_checkout_keeps_every_guarantee(tmp_path):
    bench = _bench()

    report = bench.run(
        database_url(),
        buyers=40,
        products=5,
        kills=6,
        kill_every=0.25,
        clients=8,
        log_dir=tmp_path,
    )

    assert report.kills >= 3, report.lines()
    assert report.orders == report.buyers == 40, report.lines()
    assert report.unfinished_buyers == 0, report.lines()
    assert report.keys_in_progress == 0, report.lines()
    assert report.committed_answered_500 == 0, report.lines()
    assert report.answers.get("500", 0) == 0, report.lines()
    assert report.stock_exact, report.lines()
    assert report.ok
