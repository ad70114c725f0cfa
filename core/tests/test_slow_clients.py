"""Slow clients cannot starve the server: with gunicorn's ASGI worker (the default of
config/gunicorn.py), eight connections sending a body at 1 byte/s leave /health/ answering
at once; the same eight take every sync worker, which is why the sync worker is not the
default (and must sit behind a buffering proxy, deploy/nginx/, if it is used at all)."""

import asyncio
import contextlib
import socket
import threading
import time
import urllib.error
import urllib.request

import pytest
import websockets

from conversations.consumers import CLOSE_UNAUTHENTICATED
from core.tests.servers import GunicornServer, production_environment

SLOW_CLIENTS = 8
HEALTH_WITHIN = 2.0


def _server(tmp_path, worker_class: str) -> GunicornServer:
    (tmp_path / "metrics").mkdir()
    env = production_environment(
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",  # /health/ needs no tables
        GUNICORN_WORKER_CLASS=worker_class,
        GUNICORN_WORKERS="2",
        API_RESPONSE_TIMES="False",
        PROMETHEUS_MULTIPROC_DIR=str(tmp_path / "metrics"),
    )
    return GunicornServer(env=env, log_path=tmp_path / "gunicorn.log").start()


class SlowClients:
    """Connections that announce a body and send it one byte a second, from one thread."""

    def __init__(self, port: int, count: int):
        self.sockets = []
        for _ in range(count):
            connection = socket.create_connection(("127.0.0.1", port), timeout=5)
            connection.sendall(
                b"POST /api/v1/auth/token/ HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                b"Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n"
            )
            self.sockets.append(connection)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._trickle, daemon=True)
        self._thread.start()

    def _trickle(self):
        while not self._stop.wait(1.0):
            for connection in self.sockets:
                # A connection the server gave up on is simply not fed any more.
                with contextlib.suppress(OSError):
                    connection.sendall(b" ")

    def close(self):
        self._stop.set()
        self._thread.join()
        for connection in self.sockets:
            connection.close()


def _health_seconds(port: int, timeout: float) -> float | None:
    """Seconds /health/ took to answer 200, or None when it did not within `timeout`."""
    started = time.monotonic()
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/health/", timeout=timeout) as r:
            assert r.status == 200
    except TimeoutError:
        return None
    return time.monotonic() - started


@pytest.fixture(scope="module")
def asgi_server(tmp_path_factory):
    server = _server(tmp_path_factory.mktemp("asgi"), "asgi")
    yield server
    server.stop()


def test_slow_clients_do_not_starve_the_asgi_workers(asgi_server):
    slow = SlowClients(asgi_server.port, SLOW_CLIENTS)
    try:
        time.sleep(1.5)  # every slow request has reached a worker and is trickling in
        answers = []
        for _ in range(4):
            answers.append(_health_seconds(asgi_server.port, timeout=HEALTH_WITHIN))
            time.sleep(0.3)
    finally:
        slow.close()

    assert None not in answers, answers
    assert max(answers) < HEALTH_WITHIN, answers


def test_the_same_slow_clients_starve_sync_workers(tmp_path):
    # The check above can fail: here two sync workers each sit reading a trickling body,
    # and /health/ waits behind them.
    server = _server(tmp_path, "sync")
    slow = SlowClients(server.port, SLOW_CLIENTS)
    try:
        time.sleep(1.5)
        answer = _health_seconds(server.port, timeout=HEALTH_WITHIN)
    finally:
        slow.close()
        server.stop()

    assert answer is None


def test_a_body_over_the_limit_is_refused_under_asgi_before_it_is_sent(asgi_server):
    # Django's ASGI handler reads a whole body before any middleware runs; this one
    # announces 50 MiB and sends none of it, and is answered 413 at once.
    with socket.create_connection(("127.0.0.1", asgi_server.port), timeout=5) as connection:
        connection.sendall(
            b"POST /api/v1/products/ HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            b"Content-Type: multipart/form-data; boundary=x\r\n"
            b"Content-Length: 52428800\r\n\r\n--x\r\n"
        )
        status_line = connection.makefile("rb").readline()

    assert status_line.startswith(b"HTTP/1.1 413"), status_line


def test_a_chunked_body_over_the_limit_is_refused_under_asgi(asgi_server):
    request = urllib.request.Request(
        f"http://127.0.0.1:{asgi_server.port}/api/v1/auth/token/",
        data=iter([b" " * 65536] * 20),  # 1.25 MiB without a Content-Length: chunked
        headers={"Content-Type": "application/json"},
        method="POST",
    )

    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=5)

    assert refused.value.code == 413


def test_the_asgi_worker_serves_the_conversations_socket(asgi_server):
    async def connect():
        url = f"ws://127.0.0.1:{asgi_server.port}/ws/v1/conversations/"
        async with websockets.connect(url, open_timeout=5) as socket_:
            with pytest.raises(websockets.ConnectionClosed) as closed:
                await asyncio.wait_for(socket_.recv(), timeout=5)
        return closed.value.rcvd.code

    assert asyncio.run(connect()) == CLOSE_UNAUTHENTICATED
