"""A delivered request: its signature, body and headers, as a receiver sees them on a real
HTTP server; and the rules of the connection (timeouts, redirects, the answer's size)."""

import json
import time

import pytest

from catalog.services import product_update
from catalog.tests.factories import ProductFactory
from core.metrics import WEBHOOK_DELIVERIES
from webhooks import services
from webhooks.models import Delivery, DeliveryStatus, EventType
from webhooks.tests.conftest import Reply, closed_port
from webhooks.tests.helpers import body_of, signature_is_valid, signature_parts

pytestmark = pytest.mark.django_db


@pytest.fixture
def product(db):
    return ProductFactory(name="Night Serum", stock_quantity=40)


def _update(product, django_capture_on_commit_callbacks, **data):
    with django_capture_on_commit_callbacks(execute=True):
        product_update(product=product, data=data or {"name": "Night Serum 2"})


def test_a_delivery_is_signed_with_hmac_sha256_of_timestamp_and_body(
    receiver, endpoint_for, product, django_capture_on_commit_callbacks
):
    endpoint = endpoint_for(receiver.url, events=[EventType.PRODUCT_UPDATED])

    before = int(time.time())
    _update(product, django_capture_on_commit_callbacks)

    [request] = receiver.requests
    assert signature_is_valid(secret=endpoint.secret, request=request)
    timestamp, _ = signature_parts(request.headers["X-Webhook-Signature"])
    assert before <= timestamp <= int(time.time()) + 1
    # Another secret, or a body changed by one byte, does not verify.
    assert not signature_is_valid(secret=endpoint.secret + "x", request=request)
    request.body = request.body.replace(b"Night", b"Nite!")
    assert not signature_is_valid(secret=endpoint.secret, request=request)


def test_the_body_and_headers_name_the_event_its_id_and_its_sequence(
    receiver, endpoint_for, product, django_capture_on_commit_callbacks
):
    endpoint = endpoint_for(receiver.url, events=[EventType.PRODUCT_UPDATED])

    _update(product, django_capture_on_commit_callbacks, name="Renamed", stock_quantity=30)

    [request] = receiver.requests
    body = body_of(request)
    assert set(body) == {"id", "type", "created_at", "sequence", "data"}
    assert body["type"] == "product.updated"
    assert body["sequence"] == 1
    assert body["created_at"].endswith("Z")
    assert body["data"]["id"] == str(product.pk)
    assert body["data"]["name"] == "Renamed"
    assert body["data"]["stock_quantity"] == 30
    assert body["data"]["changed_fields"] == ["name", "stock_quantity"]
    headers = request.headers
    assert headers["Content-Type"] == "application/json"
    assert headers["X-Webhook-Id"] == body["id"]
    assert headers["X-Webhook-Event"] == "product.updated"
    assert headers["X-Webhook-Sequence"] == "1"
    assert headers["X-Webhook-Attempt"] == "1"
    delivery = Delivery.objects.get(endpoint=endpoint)
    assert headers["X-Webhook-Delivery"] == str(delivery.pk)
    assert request.path == "/hooks"
    assert (delivery.status, delivery.attempts, delivery.last_response_code) == (
        DeliveryStatus.DELIVERED,
        1,
        200,
    )
    assert delivery.last_response_body == '{"ok":true}'
    assert delivery.last_duration_ms is not None


def test_sequence_numbers_count_up_per_endpoint(
    receiver, endpoint_for, product, django_capture_on_commit_callbacks
):
    first = endpoint_for(receiver.url + "/a", events=[EventType.PRODUCT_UPDATED])
    for name in ["One", "Two", "Three"]:
        _update(product, django_capture_on_commit_callbacks, name=name)
    second = endpoint_for(receiver.url + "/b", events=[EventType.PRODUCT_UPDATED])
    _update(product, django_capture_on_commit_callbacks, name="Four")

    by_path: dict[str, list[int]] = {}
    for request in receiver.requests:
        by_path.setdefault(request.path, []).append(body_of(request)["sequence"])
    assert by_path == {"/hooks/a": [1, 2, 3, 4], "/hooks/b": [1]}
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.last_sequence, second.last_sequence) == (4, 1)


def test_the_connection_goes_to_the_address_that_was_checked_with_the_host_header(
    receiver, endpoint_for, fake_dns, product, django_capture_on_commit_callbacks
):
    # The name resolves to the receiver's address; the request is sent to that address and
    # names the host in its Host header, as a virtual host expects.
    fake_dns({"hooks.partner.test": ["127.0.0.1"]})
    endpoint_for(f"http://hooks.partner.test:{receiver.port}/in", events=["product.updated"])

    _update(product, django_capture_on_commit_callbacks)

    [request] = receiver.requests
    assert request.headers["Host"] == f"hooks.partner.test:{receiver.port}"
    assert request.path == "/in"


def test_a_redirect_is_not_followed_and_counts_as_a_failure(
    receiver, endpoint_for, product, django_capture_on_commit_callbacks
):
    receiver.reply = Reply(status=302, headers={"Location": receiver.url + "/elsewhere"})
    endpoint = endpoint_for(receiver.url, events=[EventType.PRODUCT_UPDATED])

    _update(product, django_capture_on_commit_callbacks)

    assert [request.path for request in receiver.requests] == ["/hooks"]
    delivery = Delivery.objects.get(endpoint=endpoint)
    assert delivery.status == DeliveryStatus.PENDING  # retried later, from the schedule
    assert delivery.last_response_code == 302
    assert "redirects are not followed" in delivery.last_error
    assert delivery.next_attempt_at is not None


def test_the_answers_body_is_kept_up_to_one_kib(
    receiver, endpoint_for, product, django_capture_on_commit_callbacks
):
    receiver.reply = Reply(status=500, body=b"x" * 100_000)
    endpoint = endpoint_for(receiver.url, events=[EventType.PRODUCT_UPDATED])

    _update(product, django_capture_on_commit_callbacks)

    delivery = Delivery.objects.get(endpoint=endpoint)
    assert delivery.last_response_code == 500
    assert delivery.last_response_body == "x" * 1024
    assert delivery.last_error == "HTTP 500."


def test_a_receiver_slower_than_the_read_timeout_is_a_failed_attempt(
    receiver, endpoint_for, fast_timeouts, product, django_capture_on_commit_callbacks
):
    receiver.reply = Reply(delay=2.0)
    endpoint = endpoint_for(receiver.url, events=[EventType.PRODUCT_UPDATED])

    started = time.monotonic()
    _update(product, django_capture_on_commit_callbacks)

    assert time.monotonic() - started < 1.9  # bounded by the timeout, not the receiver
    delivery = Delivery.objects.get(endpoint=endpoint)
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.PENDING, 1)
    assert delivery.last_response_code is None
    assert delivery.last_error == "Timed out waiting for the answer."
    endpoint.refresh_from_db()
    assert endpoint.consecutive_failures == 1


def test_a_receiver_that_is_down_is_a_failed_attempt(
    private_targets, endpoint_for, product, django_capture_on_commit_callbacks
):
    endpoint = endpoint_for(f"http://127.0.0.1:{closed_port()}/", events=["product.updated"])

    _update(product, django_capture_on_commit_callbacks)

    delivery = Delivery.objects.get(endpoint=endpoint)
    assert delivery.attempts == 1
    assert delivery.last_error.startswith("Could not connect to 127.0.0.1")


def test_each_attempt_is_counted_by_outcome_for_prometheus(
    receiver, endpoint_for, product, django_capture_on_commit_callbacks
):
    def count(outcome):
        return WEBHOOK_DELIVERIES.labels(outcome=outcome)._value.get()

    endpoint_for(receiver.url, events=[EventType.PRODUCT_UPDATED])
    delivered, failed = count("delivered"), count("failed")

    _update(product, django_capture_on_commit_callbacks)
    receiver.reply = Reply(status=503)
    _update(product, django_capture_on_commit_callbacks, name="Again")

    assert (count("delivered"), count("failed")) == (delivered + 1, failed + 1)


def test_the_body_is_json_that_a_receiver_can_parse_byte_for_byte(
    receiver, endpoint_for, product, django_capture_on_commit_callbacks
):
    endpoint_for(receiver.url, events=[EventType.PRODUCT_UPDATED])

    _update(product, django_capture_on_commit_callbacks, name="Crème de nuit")

    [request] = receiver.requests
    delivery = Delivery.objects.select_related("event").get()
    assert request.body == services.delivery_body(delivery)
    assert json.loads(request.body)["data"]["name"] == "Crème de nuit"


def test_an_answer_that_is_not_text_is_kept_readable(
    receiver, endpoint_for, product, django_capture_on_commit_callbacks
):
    receiver.reply = Reply(status=500, body=b"\x00\xffbad")
    endpoint = endpoint_for(receiver.url, events=[EventType.PRODUCT_UPDATED])

    _update(product, django_capture_on_commit_callbacks)

    delivery = Delivery.objects.get(endpoint=endpoint)
    assert delivery.last_response_body == "\ufffd\ufffdbad"
