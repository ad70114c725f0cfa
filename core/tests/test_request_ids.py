"""X-Request-ID on every answer, in every log line and in the tasks a request queues."""

import io
import json
import logging
import re
import time

import pytest
from celery import shared_task
from celery.contrib.testing.worker import start_worker

from catalog.tests.factories import ProductFactory
from config.celery import app as celery_app
from core.logs import (
    TASK_HEADER,
    JsonFormatter,
    RequestIdFilter,
    add_request_id_to_task_headers,
    bind_request_id,
    current_request_id,
    request_id_for,
    unbind_request_id,
)
from core.routes import route_template
from orders.tests.factories import ADDRESS, fill_cart

FRESH = re.compile(r"[0-9a-f]{32}")


def _json_lines_of(logger: logging.Logger):
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RequestIdFilter())
    handler.setFormatter(JsonFormatter())
    previous_level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    finally:
        logger.removeHandler(handler)
        logger.setLevel(previous_level)


@pytest.fixture
def log_lines():
    """The JSON lines the root logger writes through our filter and formatter, as dicts."""
    yield from _json_lines_of(logging.getLogger())


@pytest.fixture
def task_log_lines():
    # A starting worker sets Django up again, which configures the root logger anew; the
    # task's own logger is not in LOGGING and keeps its handler.
    yield from _json_lines_of(logging.getLogger("core.tests.task"))


# --- the header ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "client_id",
    ["abc", "7f9c2ba4-e88f-11ee-a506-0242ac120002", "a.b_c-d:e", "x" * 128, "Z"],
)
@pytest.mark.django_db
def test_a_well_formed_client_id_is_kept(api_client, client_id):
    response = api_client.get("/api/v1/products/", HTTP_X_REQUEST_ID=client_id)

    assert response["X-Request-ID"] == client_id


@pytest.mark.parametrize(
    "client_id",
    ["", "x" * 129, "has space", "semi;colon", "new\\nline", "<script>", "caf\u00e9", "a/b"],
)
@pytest.mark.django_db
def test_a_malformed_or_too_long_client_id_is_replaced_by_a_fresh_one(api_client, client_id):
    response = api_client.get("/api/v1/products/", HTTP_X_REQUEST_ID=client_id)

    assert response["X-Request-ID"] != client_id
    assert FRESH.fullmatch(response["X-Request-ID"])


@pytest.mark.django_db
def test_every_answer_without_an_id_gets_its_own(api_client):
    first = api_client.get("/api/v1/products/")["X-Request-ID"]
    second = api_client.get("/api/v1/products/")["X-Request-ID"]

    assert FRESH.fullmatch(first)
    assert FRESH.fullmatch(second)
    assert first != second


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("get", "/api/v1/no-such-thing/", 404),
        ("get", "/nowhere", 404),
        ("get", "/api/v1/orders/", 401),
        ("post", "/api/v1/auth/token/", 400),
        ("put", "/health/", 405),
    ],
)
@pytest.mark.django_db
def test_errors_and_unknown_urls_carry_the_id_too(api_client, method, path, status):
    response = getattr(api_client, method)(path, HTTP_X_REQUEST_ID="req-err-1")

    assert response.status_code == status
    assert response["X-Request-ID"] == "req-err-1"


@pytest.mark.urls("core.tests.urls")
def test_a_server_error_carries_the_id(client, settings):
    settings.DEBUG = False

    response = client.get("/boom/", HTTP_X_REQUEST_ID="req-500")

    assert response.status_code == 500
    assert response["X-Request-ID"] == "req-500"


def test_the_id_is_unbound_once_the_answer_is_out(client):
    client.get("/nowhere", HTTP_X_REQUEST_ID="req-gone")

    assert current_request_id() is None


def test_request_id_for_keeps_only_well_formed_ids():
    assert request_id_for("ok-1") == "ok-1"
    assert FRESH.fullmatch(request_id_for(None))
    assert FRESH.fullmatch(request_id_for("bad id"))


# --- log lines ------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_access_line_is_one_json_object_with_the_request_fields(log_lines, user, client_for):
    product = ProductFactory()

    response = client_for(user).get(f"/api/v1/products/{product.pk}/", HTTP_X_REQUEST_ID="req-1")

    assert response.status_code == 200
    (line,) = [entry for entry in log_lines() if entry["logger"] == "access"]
    assert line["request_id"] == "req-1"
    assert line["level"] == "INFO"
    assert line["method"] == "GET"
    assert line["route"] == "/api/v1/products/{pk}/"
    assert line["status"] == 200
    assert isinstance(line["duration_ms"], float)
    assert line["duration_ms"] >= 0
    assert line["user_id"] == str(user.pk)
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", line["time"])
    assert line["message"].startswith("GET /api/v1/products/{pk}/ 200 ")


@pytest.mark.django_db
def test_every_line_logged_during_a_request_carries_its_id(log_lines, api_client, monkeypatch):
    from catalog import views

    logger = logging.getLogger("catalog.views")
    original = views.ProductViewSet.list

    def listing(self, request, *args, **kwargs):
        logger.info("listing products")
        return original(self, request, *args, **kwargs)

    monkeypatch.setattr(views.ProductViewSet, "list", listing)

    api_client.get("/api/v1/products/", HTTP_X_REQUEST_ID="req-inner")

    lines = {entry["logger"]: entry for entry in log_lines()}
    assert lines["catalog.views"]["request_id"] == "req-inner"
    assert lines["access"]["request_id"] == "req-inner"
    assert lines["access"]["user_id"] is None


def test_a_line_outside_any_request_has_a_null_id(log_lines):
    logging.getLogger("somewhere").warning("no request here")

    (line,) = log_lines()
    assert line["request_id"] is None
    assert line["level"] == "WARNING"


def test_an_unknown_url_is_logged_without_a_route(log_lines, client):
    client.get("/nowhere/at/all/42", HTTP_X_REQUEST_ID="req-404")

    (line,) = [entry for entry in log_lines() if entry["logger"] == "access"]
    assert line["route"] is None
    assert line["status"] == 404
    assert line["level"] == "WARNING"


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("get", "/api/v1/no-such-thing/", 404),
        ("get", "/api/v1/orders/", 401),
        ("post", "/api/v1/auth/token/", 400),
        ("put", "/health/", 405),
    ],
)
@pytest.mark.django_db
def test_a_4xx_is_logged_once(caplog, api_client, method, path, status):
    caplog.set_level(logging.INFO)

    response = getattr(api_client, method)(path)

    assert response.status_code == status
    warnings = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert [(r.name, r.status) for r in warnings] == [("access", status)]


@pytest.mark.urls("core.tests.urls")
def test_a_500_logs_its_traceback_once_and_one_access_line(caplog, client, settings):
    settings.DEBUG = False
    caplog.set_level(logging.INFO)

    client.get("/boom/")

    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert [r.name for r in errors if r.exc_info] == ["core.exceptions"]
    assert [r.name for r in errors if not r.exc_info] == ["access"]


def test_the_text_format_is_one_readable_line(client, settings):
    from core.logs import TextFormatter

    record = logging.LogRecord("access", logging.INFO, __file__, 1, "GET /x 200", None, None)
    token = bind_request_id("req-text")
    try:
        RequestIdFilter().filter(record)
    finally:
        unbind_request_id(token)

    line = TextFormatter().format(record)

    assert re.fullmatch(r"\S+Z INFO access \[req-text\] GET /x 200", line)


@pytest.mark.parametrize(
    ("route", "template"),
    [
        ("api/v1/products/$", "/api/v1/products/"),
        ("api/v1/products/(?P<pk>[0-9a-f]{8}-(?:[0-9a-f]{4}))/$", "/api/v1/products/{pk}/"),
        (
            "api/v1/products/(?P<pk>[^/.]+)/images/(?P<image_id>[^/.]+)/$",
            "/api/v1/products/{pk}/images/{image_id}/",
        ),
        ("api/v1/wishlist/shared/<str:token>/", "/api/v1/wishlist/shared/{token}/"),
        ("api/v1/products/<uuid:pk>/recommendations/", "/api/v1/products/{pk}/recommendations/"),
        ("health/", "/health/"),
    ],
)
def test_routes_are_url_patterns_not_raw_paths(route, template):
    assert route_template(route) == template


# --- Celery -----------------------------------------------------------------------------

ran_with: list = []


@shared_task(name="core.tests.test_request_ids.log_something")
def log_something() -> None:
    ran_with.append(current_request_id())
    logging.getLogger("core.tests.task").info("task ran")


def test_a_queued_task_carries_the_request_id_in_its_headers():
    headers: dict = {}
    token = bind_request_id("req-headers")
    try:
        add_request_id_to_task_headers(headers=headers)
    finally:
        unbind_request_id(token)

    assert headers == {TASK_HEADER: "req-headers"}


def test_a_task_queued_outside_a_request_gets_no_header():
    headers: dict = {}

    add_request_id_to_task_headers(headers=headers)

    assert headers == {}


@pytest.mark.django_db(transaction=True)
def test_a_task_run_by_a_worker_logs_with_the_id_of_the_request_that_queued_it(
    task_log_lines,
):
    # A real worker thread consuming the in-memory broker: the id crosses the broker.
    ran_with.clear()
    celery_app.conf.task_always_eager = False
    try:
        with start_worker(celery_app, pool="solo", perform_ping_check=False):
            token = bind_request_id("req-queued")
            try:
                log_something.delay()
            finally:
                unbind_request_id(token)
            deadline = time.monotonic() + 10
            while not ran_with and time.monotonic() < deadline:
                time.sleep(0.02)
    finally:
        celery_app.conf.task_always_eager = True

    assert ran_with == ["req-queued"]
    (line,) = task_log_lines()
    assert line["request_id"] == "req-queued"
    assert current_request_id() is None


# Real commits: the checkout's email task runs (eagerly, no broker) when the checkout's
# transaction commits, inside the request.
@pytest.mark.django_db(transaction=True)
def test_an_eager_task_of_a_checkout_logs_with_the_checkout_request_id(log_lines, user, client_for):
    fill_cart(user, {ProductFactory(stock_quantity=3): 1})

    response = client_for(user).post(
        "/api/v1/orders/",
        {"shipping_address": {k: v for k, v in ADDRESS.items() if v}},
        HTTP_X_REQUEST_ID="req-checkout",
    )

    assert response.status_code == 201, response.content
    task_lines = [entry for entry in log_lines() if entry["logger"] == "celery.app.trace"]
    assert task_lines
    assert {entry["request_id"] for entry in task_lines} == {"req-checkout"}
