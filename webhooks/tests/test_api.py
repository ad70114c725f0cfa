"""webhooks/ through the API: staff only, the secret shown once, the SPEC error shape, the
SSRF rule at create and update and again at every send, ping, redelivery and the paginated
delivery log."""

import pytest

from catalog.services import product_update
from catalog.tests.factories import ProductFactory
from webhooks.models import Delivery, DeliveryStatus, Endpoint
from webhooks.tests.conftest import Reply
from webhooks.tests.helpers import body_of, signature_is_valid

pytestmark = pytest.mark.django_db

URL = "/api/v1/webhooks/"
PUBLIC_IP = "93.184.215.14"  # a public address (nothing is sent to it here)


def detail(endpoint, action: str = "") -> str:
    return f"{URL}{endpoint.pk}/" + (f"{action}/" if action else "")


def assert_error(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content
    body = response.json()
    assert body["code"] == code, body
    assert body["detail"]
    return body


@pytest.fixture
def public_dns(fake_dns):
    fake_dns({"hooks.partner.example": [PUBLIC_IP]})


@pytest.fixture
def endpoint(public_dns, endpoint_for):
    return endpoint_for("https://hooks.partner.example/in", events=["order.paid"])


def _emit(capture, name="Renamed"):
    with capture(execute=True):
        product_update(product=ProductFactory(), data={"name": name})


# --- who may ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", ""),
        ("post", ""),
        ("get", "{id}/"),
        ("patch", "{id}/"),
        ("delete", "{id}/"),
        ("post", "{id}/rotate-secret/"),
        ("post", "{id}/ping/"),
        ("post", "{id}/redeliver/"),
        ("get", "{id}/deliveries/"),
    ],
)
def test_only_staff_may_use_the_webhooks_endpoints(api_client, user_client, endpoint, method, path):
    url = URL + path.format(id=endpoint.pk)

    assert_error(getattr(api_client, method)(url, {}), 401, "not_authenticated")
    assert_error(getattr(user_client, method)(url, {}), 403, "permission_denied")
    assert Endpoint.objects.filter(pk=endpoint.pk).exists()


# --- the secret -------------------------------------------------------------------------


def test_creating_an_endpoint_shows_its_secret_once(staff, staff_client, public_dns):
    response = staff_client.post(
        URL,
        {
            "url": "https://hooks.partner.example/in",
            "description": "Partner",
            "events": ["order.paid", "order.created", "order.paid"],
        },
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["secret"].startswith("whsec_") and len(body["secret"]) > 40
    assert body["events"] == ["order.created", "order.paid"]
    assert (body["is_active"], body["consecutive_failures"], body["last_sequence"]) == (True, 0, 0)
    endpoint = Endpoint.objects.get(pk=body["id"])
    assert endpoint.secret == body["secret"]
    assert endpoint.created_by == staff
    for read in (staff_client.get(detail(endpoint)), staff_client.get(URL)):
        assert read.status_code == 200
        assert body["secret"] not in read.content.decode()
        assert "secret" not in read.content.decode()
    patched = staff_client.patch(detail(endpoint), {"description": "Renamed"})
    assert patched.status_code == 200 and "secret" not in patched.json()


def test_rotating_the_secret_shows_the_new_one_and_signs_with_it(
    staff_client, receiver, endpoint_for, django_capture_on_commit_callbacks
):
    endpoint = endpoint_for(receiver.url, events=["product.updated"])
    old = endpoint.secret

    response = staff_client.post(detail(endpoint, "rotate-secret"))

    assert response.status_code == 200, response.content
    new = response.json()["secret"]
    assert new != old and new.startswith("whsec_")
    _emit(django_capture_on_commit_callbacks)
    [request] = receiver.requests
    assert signature_is_valid(secret=new, request=request)
    assert not signature_is_valid(secret=old, request=request)


# --- input rules ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"url": "https://hooks.partner.example/", "events": []}, "events"),
        ({"url": "https://hooks.partner.example/", "events": ["order.refunded"]}, "events"),
        ({"url": "https://hooks.partner.example/", "events": ["ping"]}, "events"),
        ({"url": "ftp://hooks.partner.example/", "events": ["order.paid"]}, "url"),
        ({"url": "not a url", "events": ["order.paid"]}, "url"),
        ({"url": "https://bob:pw@hooks.partner.example/", "events": ["order.paid"]}, "url"),
        ({"url": "https://nowhere.invalid/", "events": ["order.paid"]}, "url"),
        ({"events": ["order.paid"]}, "url"),
    ],
)
def test_an_invalid_endpoint_is_refused_in_the_error_shape(
    staff_client, public_dns, payload, field
):
    body = assert_error(staff_client.post(URL, payload), 400, "validation_error")

    # A list item's error is named by its path (events.0).
    assert {key.split(".")[0] for key in body["errors"]} == {field}, body
    assert Endpoint.objects.count() == 0


def test_https_is_required_when_the_setting_says_so(staff_client, public_dns, settings):
    settings.WEBHOOK_REQUIRE_HTTPS = True
    payload = {"url": "http://hooks.partner.example/", "events": ["order.paid"]}

    body = assert_error(staff_client.post(URL, payload), 400, "validation_error")

    assert body["errors"]["url"] == ["The URL must use https."]
    payload["url"] = "https://hooks.partner.example/"
    assert staff_client.post(URL, payload).status_code == 201


# --- SSRF -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/hook",
        "http://127.0.0.1:8000/hook",
        "http://[::1]/hook",
        "http://localhost/hook",
        "http://10.1.2.3/hook",
        "http://192.168.1.20/hook",
        "http://172.16.0.1/hook",
        "http://169.254.169.254/latest/meta-data/",
        "http://100.64.0.1/hook",
        "http://0.0.0.0/hook",
        "http://[::ffff:127.0.0.1]/hook",
        "http://[fd00::1]/hook",
        "http://[fe80::1]/hook",
    ],
)
def test_an_endpoint_on_a_non_public_address_is_refused(staff_client, url):
    body = assert_error(
        staff_client.post(URL, {"url": url, "events": ["order.paid"]}), 400, "validation_error"
    )

    assert "not a public address" in body["errors"]["url"][0], body


def test_a_name_that_resolves_to_a_private_address_is_refused(staff_client, fake_dns):
    # One public address is not enough: every address the name has must be public.
    fake_dns({"sneaky.example": [PUBLIC_IP, "10.0.0.7"]})

    body = assert_error(
        staff_client.post(URL, {"url": "https://sneaky.example/", "events": ["order.paid"]}),
        400,
        "validation_error",
    )

    assert body["errors"]["url"] == [
        "The host sneaky.example resolves to 10.0.0.7, which is not a public address."
    ]


def test_changing_the_url_to_a_private_one_is_refused(staff_client, endpoint):
    body = assert_error(
        staff_client.patch(detail(endpoint), {"url": "http://169.254.169.254/"}),
        400,
        "validation_error",
    )

    assert "not a public address" in body["errors"]["url"][0]
    endpoint.refresh_from_db()
    assert endpoint.url == "https://hooks.partner.example/in"


def test_private_targets_are_allowed_when_the_setting_is_on(staff_client, settings):
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = True

    response = staff_client.post(URL, {"url": "http://127.0.0.1:8000/", "events": ["order.paid"]})

    assert response.status_code == 201, response.content


def test_a_name_that_resolves_to_a_private_address_by_send_time_is_not_called(
    receiver, settings, endpoint_for, fake_dns, django_capture_on_commit_callbacks
):
    # Saved while the name was public; by the time of the send it points at the receiver,
    # on loopback: the send checks again, and connects to nothing.
    fake_dns({"rebind.example": [PUBLIC_IP]})
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = False
    endpoint = endpoint_for(f"http://rebind.example:{receiver.port}/", events=["product.updated"])
    fake_dns({"rebind.example": ["127.0.0.1"]})

    _emit(django_capture_on_commit_callbacks)

    assert receiver.requests == []
    delivery = Delivery.objects.get(endpoint=endpoint)
    assert delivery.attempts == 1
    assert delivery.last_response_code is None
    assert delivery.last_error == (
        "Not sent: The host rebind.example resolves to 127.0.0.1, which is not a public address."
    )
    assert delivery.status == DeliveryStatus.PENDING  # retried: the name may be fixed


def test_a_redirect_to_a_private_address_is_not_followed(
    receiver, staff_client, endpoint_for, django_capture_on_commit_callbacks
):
    receiver.reply = Reply(status=307, headers={"Location": "http://169.254.169.254/"})
    endpoint = endpoint_for(receiver.url, events=["product.updated"])

    _emit(django_capture_on_commit_callbacks)

    delivery = Delivery.objects.get(endpoint=endpoint)
    assert delivery.last_response_code == 307
    assert delivery.last_error == (
        "HTTP 307: redirects are not followed (to http://169.254.169.254/)."
    )


# --- ping -------------------------------------------------------------------------------


def test_a_ping_is_sent_at_once_and_the_answer_shows_the_outcome(
    staff_client, receiver, endpoint_for
):
    endpoint = endpoint_for(receiver.url, events=["order.paid"], is_active=False)

    response = staff_client.post(detail(endpoint, "ping"))

    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["status"], body["attempts"], body["last_response_code"]) == ("delivered", 1, 200)
    assert body["event"]["type"] == "ping"
    assert body["last_response_body"] == '{"ok":true}'
    [request] = receiver.requests
    assert request.headers["X-Webhook-Event"] == "ping"
    assert body_of(request)["data"]["endpoint_id"] == str(endpoint.pk)
    assert signature_is_valid(secret=endpoint.secret, request=request)


def test_a_failed_ping_is_not_retried_and_does_not_count_toward_disabling(
    staff_client, receiver, endpoint_for, settings
):
    settings.WEBHOOK_DISABLE_AFTER_FAILURES = 1
    receiver.reply = Reply(status=500, body=b"broken")
    endpoint = endpoint_for(receiver.url, events=["order.paid"])

    body = staff_client.post(detail(endpoint, "ping")).json()

    assert (body["status"], body["last_response_code"], body["last_error"]) == (
        "failed",
        500,
        "HTTP 500.",
    )
    assert body["next_attempt_at"] is None
    assert body["last_response_body"] == "broken"
    endpoint.refresh_from_db()
    assert (endpoint.is_active, endpoint.consecutive_failures) == (True, 0)


# --- redelivery -------------------------------------------------------------------------


def test_redelivering_a_delivery_sends_the_same_event_again_as_a_new_delivery(
    staff_client, receiver, endpoint_for, django_capture_on_commit_callbacks
):
    endpoint = endpoint_for(receiver.url, events=["product.updated"])
    _emit(django_capture_on_commit_callbacks)
    _emit(django_capture_on_commit_callbacks, "Second")
    first = Delivery.objects.get(endpoint=endpoint, sequence=1)

    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(detail(endpoint, "redeliver"), {"delivery_id": str(first.pk)})

    assert response.status_code == 202, response.content
    body = response.json()
    assert body["id"] != str(first.pk)
    assert (body["redelivery_of"], body["sequence"]) == (str(first.pk), 1)
    assert Delivery.objects.get(pk=body["id"]).status == DeliveryStatus.DELIVERED
    original, again = receiver.requests[0], receiver.requests[2]
    assert again.headers["X-Webhook-Id"] == original.headers["X-Webhook-Id"]
    assert again.headers["X-Webhook-Sequence"] == "1"
    assert again.headers["X-Webhook-Delivery"] == body["id"]
    assert again.body == original.body
    assert signature_is_valid(secret=endpoint.secret, request=again)
    endpoint.refresh_from_db()
    assert endpoint.last_sequence == 2  # a redelivery takes no new number


@pytest.mark.django_db(transaction=True)
def test_the_redelivery_answer_shows_its_first_attempt(staff, client_for, receiver, endpoint_for):
    # Committed for real: the attempt runs after the service's commit, before the answer.
    endpoint = endpoint_for(receiver.url, events=["product.updated"])
    product_update(product=ProductFactory(), data={"name": "x"})
    delivery = Delivery.objects.get()

    response = client_for(staff).post(
        detail(endpoint, "redeliver"), {"delivery_id": str(delivery.pk)}
    )

    assert response.status_code == 202, response.content
    body = response.json()
    assert (body["status"], body["attempts"], body["last_response_code"]) == ("delivered", 1, 200)
    assert len(receiver.requests) == 2


def test_redelivering_an_event_by_its_id(
    staff_client, receiver, endpoint_for, django_capture_on_commit_callbacks
):
    endpoint = endpoint_for(receiver.url, events=["product.updated"])
    _emit(django_capture_on_commit_callbacks)
    event_id = receiver.requests[0].headers["X-Webhook-Id"]

    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(detail(endpoint, "redeliver"), {"event_id": event_id})

    assert response.status_code == 202, response.content
    assert response.json()["event"]["id"] == event_id
    assert [r.headers["X-Webhook-Id"] for r in receiver.requests] == [event_id, event_id]
    assert Delivery.objects.filter(endpoint=endpoint).count() == 2


def test_redelivery_names_one_delivery_or_event_of_this_endpoint(
    staff_client, private_targets, endpoint_for
):
    endpoint = endpoint_for("http://127.0.0.1:9/a", events=["product.updated"])
    other = endpoint_for("http://127.0.0.1:9/b", events=["product.updated"])
    product_update(product=ProductFactory(), data={"name": "x"})
    foreign = Delivery.objects.get(endpoint=other)
    url = detail(endpoint, "redeliver")

    assert_error(staff_client.post(url, {}), 400, "validation_error")
    both = {"delivery_id": str(foreign.pk), "event_id": str(foreign.event_id)}
    assert_error(staff_client.post(url, both), 400, "validation_error")
    body = assert_error(
        staff_client.post(url, {"delivery_id": str(foreign.pk)}), 400, "validation_error"
    )
    assert body["errors"]["delivery_id"]
    body = assert_error(
        staff_client.post(url, {"event_id": "00000000-0000-4000-8000-000000000000"}),
        400,
        "validation_error",
    )
    assert body["errors"]["event_id"]


def test_redelivering_to_a_disabled_endpoint_is_a_conflict(
    staff_client, private_targets, endpoint_for
):
    endpoint = endpoint_for("http://127.0.0.1:9/a", events=["product.updated"])
    product_update(product=ProductFactory(), data={"name": "x"})
    delivery = Delivery.objects.get()
    Endpoint.objects.filter(pk=endpoint.pk).update(is_active=False)

    assert_error(
        staff_client.post(detail(endpoint, "redeliver"), {"delivery_id": str(delivery.pk)}),
        409,
        "conflict",
    )


# --- the delivery log -------------------------------------------------------------------


def test_the_delivery_log_is_paginated_newest_first_and_filtered_by_status(
    staff_client, receiver, endpoint_for, django_capture_on_commit_callbacks
):
    endpoint = endpoint_for(receiver.url, events=["product.updated"])
    receiver.replies = [Reply(status=500)]
    for name in ["One", "Two", "Three"]:
        _emit(django_capture_on_commit_callbacks, name)

    page = staff_client.get(detail(endpoint, "deliveries"), {"page_size": 2}).json()

    assert page["count"] == 3
    assert [row["sequence"] for row in page["results"]] == [3, 2]
    assert page["next"]
    row = page["results"][0]
    assert set(row) >= {
        "id",
        "event",
        "sequence",
        "status",
        "attempts",
        "last_response_code",
        "last_duration_ms",
        "last_error",
        "last_response_body",
        "next_attempt_at",
    }
    pending = staff_client.get(detail(endpoint, "deliveries"), {"status": "pending"}).json()
    assert [(r["sequence"], r["last_response_code"]) for r in pending["results"]] == [(1, 500)]
    assert_error(
        staff_client.get(detail(endpoint, "deliveries"), {"status": "lost"}),
        400,
        "validation_error",
    )


def test_the_delivery_log_and_the_endpoint_list_cost_the_same_queries_at_any_size(
    staff_client, private_targets, endpoint_for, django_assert_max_num_queries
):
    endpoint = endpoint_for("http://127.0.0.1:9/a", events=["product.updated"])
    product_update(product=ProductFactory(), data={"name": "x"})
    with django_assert_max_num_queries(5) as small_log:
        staff_client.get(detail(endpoint, "deliveries"))
    with django_assert_max_num_queries(4) as small_list:
        staff_client.get(URL)
    for index in range(10):
        endpoint_for(f"http://127.0.0.1:9/{index}", events=["product.updated"])
        product_update(product=ProductFactory(), data={"name": f"n{index}"})

    with django_assert_max_num_queries(len(small_log.captured_queries)):
        log = staff_client.get(detail(endpoint, "deliveries"), {"page_size": 50})
    with django_assert_max_num_queries(len(small_list.captured_queries)):
        listed = staff_client.get(URL, {"page_size": 50})

    assert log.json()["count"] == 11
    assert listed.json()["count"] == 11


def test_deleting_an_endpoint_removes_its_log(staff_client, private_targets, endpoint_for):
    endpoint = endpoint_for("http://127.0.0.1:9/a", events=["product.updated"])
    product_update(product=ProductFactory(), data={"name": "x"})

    assert staff_client.delete(detail(endpoint)).status_code == 204

    assert not Endpoint.objects.exists()
    assert not Delivery.objects.exists()


def test_the_deployment_checklist_warns_about_private_targets(settings):
    from webhooks.checks import W_PRIVATE_TARGETS, private_targets_check

    settings.DEBUG = False
    assert private_targets_check(None) == []
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = True

    assert [warning.id for warning in private_targets_check(None)] == [W_PRIVATE_TARGETS]
