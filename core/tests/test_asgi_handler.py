"""The ASGI handler runs at most ASGI_MAX_CONCURRENT_REQUESTS views at once per process and
closes each request's database connection before the next view starts, so a process never
holds more connections than that, even while clients are slow to read their answers; and it
runs a request's middleware and view in one hop to a thread."""

import asyncio
import threading
import time

import pytest
from asgiref.sync import SyncToAsync
from django.db import connection, connections
from django.http import JsonResponse
from django.urls import path

from core.asgi import BoundedASGIHandler

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.urls(__name__)]

_lock = threading.Lock()
_running = []
_opened = []
_peaks = {"views": 0, "connections": 0}


def _slow_view(request):
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    with _lock:
        _running.append(1)
        _opened.append(connections["default"])
        open_now = sum(1 for wrapper in _opened if wrapper.connection is not None)
        _peaks["views"] = max(_peaks["views"], len(_running))
        _peaks["connections"] = max(_peaks["connections"], open_now)
    time.sleep(0.1)
    with _lock:
        _running.pop()
    return JsonResponse({"ok": True})


urlpatterns = [path("slow/", _slow_view)]


async def _request(handler) -> int:
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": "/slow/",
        "raw_path": b"/slow/",
        "query_string": b"",
        "headers": [(b"host", b"testserver")],
        "client": ("127.0.0.1", 40000),
        "server": ("testserver", 80),
    }
    sent = []
    request_sent = False

    async def receive():
        nonlocal request_sent
        if not request_sent:
            request_sent = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await asyncio.sleep(3600)  # the client stays connected

    async def send(message):
        sent.append(message)
        # A client that reads its answer slowly.
        await asyncio.sleep(0.2)

    await handler(scope, receive, send)
    return sent[0]["status"]


@pytest.fixture
def burst(settings):
    settings.ASGI_MAX_CONCURRENT_REQUESTS = 2
    settings.ALLOWED_HOSTS = ["testserver"]
    _opened.clear()
    _peaks.update(views=0, connections=0)
    handler = BoundedASGIHandler()

    async def requests():
        return await asyncio.gather(*(_request(handler) for _ in range(8)))

    return lambda: asyncio.run(requests())


def test_at_most_n_views_run_at_once_per_process(burst):
    statuses = burst()

    assert statuses == [200] * 8
    assert _peaks["views"] == 2


@pytest.mark.skipif(
    connection.vendor == "sqlite", reason="SQLite ignores closing its in-memory test database"
)
def test_a_request_closes_its_connection_before_the_next_view_starts(burst):
    # Without the close the eight connections stay open while their answers are read.
    burst()

    assert _peaks["connections"] == 2
    assert all(wrapper.connection is None for wrapper in _opened)


def test_the_middleware_and_the_view_run_in_one_thread_hop(settings, monkeypatch):
    # Built in async mode, Django's chain hops to a thread and back at every middleware that
    # can run either way (a dozen times here); in sync mode the whole request is one hop,
    # beside the request_started signal and closing the response.
    settings.ALLOWED_HOSTS = ["testserver"]
    hops = []
    original = SyncToAsync.__call__

    def counted(self, *args, **kwargs):
        hops.append(getattr(self.func, "__qualname__", repr(self.func)))
        return original(self, *args, **kwargs)

    handler = BoundedASGIHandler()
    monkeypatch.setattr(SyncToAsync, "__call__", counted)
    status = asyncio.run(_request(handler))

    assert status == 200
    assert hops.count("BoundedASGIHandler._respond") == 1
    assert len(hops) <= 3, hops
