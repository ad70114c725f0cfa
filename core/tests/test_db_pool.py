"""Under gunicorn's ASGI worker each process keeps a pool of database connections
(config/settings.py, DB_POOL, turned on by config/gunicorn.py): requests borrow the same
backends instead of opening and closing one each. Without the pool every request's
connection is closed when it ends, so none is left open between requests."""

import urllib.request

import pytest
from django.db import connection

from core.tests.servers import GunicornServer, database_url, production_environment, wait_until

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="needs PostgreSQL: the server and the test share the database",
    ),
]

CATEGORIES = "/api/v1/categories/"


def _server(tmp_path, **env) -> GunicornServer:
    (tmp_path / "metrics").mkdir()
    environment = production_environment(
        DATABASE_URL=database_url(),
        GUNICORN_WORKERS="1",
        API_RESPONSE_TIMES="False",
        PROMETHEUS_MULTIPROC_DIR=str(tmp_path / "metrics"),
        **env,
    )
    return GunicornServer(env=environment, log_path=tmp_path / "gunicorn.log").start()


def _other_backends() -> set[int]:
    """The backends connected to the test database, but this test's own."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid()"
        )
        return {pid for (pid,) in cursor.fetchall()}


def _read(server: GunicornServer, times: int) -> None:
    for _ in range(times):
        with urllib.request.urlopen(server.base_url + CATEGORIES, timeout=10) as response:
            assert response.status == 200


def test_asgi_workers_serve_every_request_from_the_same_pooled_connections(tmp_path):
    before = _other_backends()
    server = _server(tmp_path)
    try:
        _read(server, 10)
        pooled = _other_backends() - before
        _read(server, 20)
        after = _other_backends() - before
    finally:
        server.stop()

    # One request at a time needs one connection (the pool may have opened one more).
    assert 1 <= len(pooled) <= 2
    assert after == pooled


def test_without_the_pool_no_connection_outlives_its_request(tmp_path):
    before = _other_backends()
    server = _server(tmp_path, DB_POOL="False")
    try:
        _read(server, 10)
        # The last request's connection closes just after its answer is sent.
        wait_until(
            lambda: not _other_backends() - before, timeout=5, what="no connection left open"
        )
    finally:
        server.stop()
