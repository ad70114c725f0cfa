"""Each of the seven events, emitted by the real services (driven through the API as a
client would), only for the endpoints subscribed to it, only once the write commits, and
at a cost of one query per event while no endpoint listens."""

from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from catalog.services import PRODUCT_UPDATED, product_update
from catalog.tests.factories import ProductFactory
from checkout.services import order_place
from core import events
from orders.models import OrderStatus
from orders.services import ORDER_STATUS_CHANGED
from orders.tests.factories import ADDRESS, OrderFactory, fill_cart
from webhooks.models import SUBSCRIBABLE_EVENTS, Delivery, Event, EventType
from webhooks.tests.helpers import body_of, types_received

pytestmark = pytest.mark.django_db

INLINE = {"shipping_address": {k: v for k, v in ADDRESS.items() if v}}


@pytest.fixture
def listening(receiver, endpoint_for):
    """An endpoint subscribed to every event, on the local receiver."""
    return endpoint_for(receiver.url)


def _place(user, user_client, lines, capture):
    fill_cart(user, lines)
    with capture(execute=True):
        response = user_client.post("/api/v1/orders/", INLINE)
    assert response.status_code == 201, response.content
    return response.json()


def test_an_order_placed_through_the_api_emits_order_created(
    listening, receiver, user, user_client, django_capture_on_commit_callbacks
):
    product = ProductFactory(price=Decimal("12.50"), stock_quantity=50)

    order = _place(user, user_client, {product: 2}, django_capture_on_commit_callbacks)

    assert types_received(receiver) == ["order.created"]
    data = body_of(receiver.requests[0])["data"]
    assert (data["id"], data["status"], data["total"]) == (order["id"], "pending", "25.00")
    assert data["items"] == [
        {
            "product_id": str(product.pk),
            "product_name": product.name,
            "quantity": 2,
            "unit_price": "12.50",
            "line_total": "25.00",
        }
    ]


def test_paying_shipping_and_cancelling_emit_their_events_with_the_previous_status(
    listening, receiver, user, user_client, staff_client, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    product = ProductFactory(stock_quantity=50)
    shipped = _place(user, user_client, {product: 1}, capture)
    with capture(execute=True):
        paid = user_client.post(
            "/api/v1/payments/",
            {"order_id": shipped["id"], "provider": "fake", "token": "tok_success"},
        )
    assert paid.status_code == 201, paid.content
    with capture(execute=True):
        response = staff_client.post(
            f"/api/v1/orders/{shipped['id']}/ship/", {"tracking_number": "1Z9", "carrier": "UPS"}
        )
    assert response.status_code == 200, response.content
    cancelled = _place(user, user_client, {product: 1}, capture)
    with capture(execute=True):
        response = user_client.post(f"/api/v1/orders/{cancelled['id']}/cancel/", {})
    assert response.status_code == 200, response.content

    assert types_received(receiver) == [
        "order.created",
        "order.paid",
        "order.shipped",
        "order.created",
        "order.cancelled",
    ]
    bodies = [body_of(request)["data"] for request in receiver.requests]
    assert [(b["id"], b["previous_status"], b["status"]) for b in bodies[1:3]] == [
        (shipped["id"], "pending", "paid"),
        (shipped["id"], "paid", "shipped"),
    ]
    assert (bodies[2]["tracking_number"], bodies[2]["carrier"]) == ("1Z9", "UPS")
    assert (bodies[4]["id"], bodies[4]["previous_status"]) == (cancelled["id"], "pending")
    # Delivering is no event of its own: nothing more is sent.
    with capture(execute=True):
        assert staff_client.post(f"/api/v1/orders/{shipped['id']}/deliver/").status_code == 200
    assert len(receiver.requests) == 5


def test_a_paid_order_cancelled_is_announced_once_with_its_refund_done(
    listening, receiver, user, user_client, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    order = _place(user, user_client, {ProductFactory(stock_quantity=5): 1}, capture)
    with capture(execute=True):
        paid = {"order_id": order["id"], "provider": "fake", "token": "tok_success"}
        assert user_client.post("/api/v1/payments/", paid).status_code == 201
    with capture(execute=True):
        response = user_client.post(f"/api/v1/orders/{order['id']}/cancel/", {"reason": "Oops"})
    assert response.status_code == 200, response.content

    assert types_received(receiver)[-1] == "order.cancelled"
    assert types_received(receiver).count("order.cancelled") == 1
    data = body_of(receiver.requests[-1])["data"]
    assert (data["previous_status"], data["status"], data["cancel_reason"]) == (
        "paid",
        "cancelled",
        "Oops",
    )


def test_a_product_update_through_the_api_emits_product_updated(
    listening, receiver, seller, seller_client, django_capture_on_commit_callbacks
):
    product = ProductFactory(created_by=seller, stock_quantity=50)

    with django_capture_on_commit_callbacks(execute=True):
        response = seller_client.patch(
            f"/api/v1/products/{product.pk}/", {"price": "9.99", "description": "New."}
        )

    assert response.status_code == 200, response.content
    assert types_received(receiver) == ["product.updated"]
    data = body_of(receiver.requests[0])["data"]
    assert (data["id"], data["price"], data["changed_fields"]) == (
        str(product.pk),
        "9.99",
        ["description", "price"],
    )


def test_stock_low_is_emitted_when_a_checkout_takes_the_stock_down_to_the_threshold(
    listening, receiver, user, user_client, settings, django_capture_on_commit_callbacks
):
    settings.LOW_STOCK_THRESHOLD = 5
    low, plenty = ProductFactory(stock_quantity=7), ProductFactory(stock_quantity=100)

    _place(user, user_client, {low: 3, plenty: 3}, django_capture_on_commit_callbacks)
    # Already low: the next sale is no new crossing.
    _place(user, user_client, {low: 1}, django_capture_on_commit_callbacks)

    assert types_received(receiver) == ["stock.low", "order.created", "order.created"]
    data = body_of(receiver.requests[0])["data"]
    assert (data["product_id"], data["stock_quantity"], data["threshold"]) == (str(low.pk), 4, 5)


def test_stock_low_is_emitted_when_an_update_sets_the_stock_at_or_below_the_threshold(
    listening, receiver, seller, seller_client, settings, django_capture_on_commit_callbacks
):
    settings.LOW_STOCK_THRESHOLD = 5
    product = ProductFactory(created_by=seller, stock_quantity=20)
    url = f"/api/v1/products/{product.pk}/"

    for stock in (6, 5, 2):
        with django_capture_on_commit_callbacks(execute=True):
            assert seller_client.patch(url, {"stock_quantity": stock}).status_code == 200

    assert types_received(receiver) == [
        "product.updated",
        "product.updated",
        "stock.low",
        "product.updated",
    ]
    assert body_of(receiver.requests[2])["data"]["stock_quantity"] == 5


def test_a_review_posted_through_the_api_emits_review_created(
    listening, receiver, user, user_client, django_capture_on_commit_callbacks
):
    product = ProductFactory()

    with django_capture_on_commit_callbacks(execute=True):
        response = user_client.post(
            "/api/v1/reviews/", {"product": str(product.pk), "rating": 4, "comment": "Good."}
        )

    assert response.status_code == 201, response.content
    assert types_received(receiver) == ["review.created"]
    data = body_of(receiver.requests[0])["data"]
    assert (data["id"], data["product_id"], data["rating"], data["comment"]) == (
        response.json()["id"],
        str(product.pk),
        4,
        "Good.",
    )


def test_only_active_endpoints_subscribed_to_the_event_receive_it(
    receiver, endpoint_for, django_capture_on_commit_callbacks
):
    endpoint_for(receiver.url + "/orders", events=["order.created"])
    endpoint_for(receiver.url + "/off", events=["product.updated"], is_active=False)
    endpoint_for(receiver.url + "/products", events=["product.updated", "stock.low"])

    with django_capture_on_commit_callbacks(execute=True):
        product_update(product=ProductFactory(), data={"name": "Renamed"})

    assert [request.path for request in receiver.requests] == ["/hooks/products"]


@pytest.mark.django_db(transaction=True)
def test_a_write_that_rolls_back_emits_nothing(receiver, endpoint_for):
    endpoint_for(receiver.url, events=["product.updated"])
    product = ProductFactory()

    with pytest.raises(RuntimeError), transaction.atomic():
        product_update(product=product, data={"name": "Never"})
        raise RuntimeError("the rest of the write failed")

    assert Event.objects.count() == 0
    assert Delivery.objects.count() == 0
    assert receiver.requests == []


@pytest.mark.django_db(transaction=True)
def test_the_event_is_written_with_the_change_and_sent_only_after_the_commit(
    receiver, endpoint_for
):
    endpoint_for(receiver.url, events=["product.updated"])
    product = ProductFactory()

    with transaction.atomic():
        product_update(product=product, data={"name": "Committed"})
        assert Delivery.objects.count() == 1  # in the outbox, in this transaction
        assert receiver.requests == []  # not sent before the commit

    assert types_received(receiver) == ["product.updated"]
    assert Delivery.objects.get().status == "delivered"


# --- what the handlers cost inside the publisher's transaction ------------------------------


def test_with_no_endpoint_an_event_costs_one_query(django_assert_num_queries):
    product = ProductFactory()

    with django_assert_num_queries(1):
        events.publish(PRODUCT_UPDATED, product_id=product.pk, fields=["name"])

    assert Event.objects.count() == 0


def test_with_endpoints_an_event_costs_four_queries_however_many_listen(
    private_targets, endpoint_for, django_assert_num_queries
):
    for index in range(5):
        endpoint_for(f"http://127.0.0.1:9/{index}", events=["product.updated"])
    endpoint_for("http://127.0.0.1:9/other", events=["order.paid"])
    product = ProductFactory()

    # The endpoints, the product's snapshot, the event, the deliveries (one INSERT).
    with django_assert_num_queries(4):
        events.publish(PRODUCT_UPDATED, product_id=product.pk, fields=["name"])

    assert Delivery.objects.count() == 5


def test_a_status_change_that_is_no_event_costs_no_query(django_assert_num_queries):
    order = OrderFactory(status=OrderStatus.SHIPPED)

    with django_assert_num_queries(0):
        events.publish(
            ORDER_STATUS_CHANGED,
            order_id=order.pk,
            previous=OrderStatus.SHIPPED,
            status=OrderStatus.DELIVERED,
        )


def test_every_event_type_but_ping_can_be_subscribed_to():
    assert set(SUBSCRIBABLE_EVENTS) == {
        "order.created",
        "order.paid",
        "order.shipped",
        "order.cancelled",
        "product.updated",
        "stock.low",
        "review.created",
    }
    assert EventType.PING not in SUBSCRIBABLE_EVENTS


def test_placing_an_order_costs_one_query_more_when_no_endpoint_listens(user, monkeypatch):
    # What the webhooks' handlers add to a checkout: the one query that finds nobody.
    def queries_of_a_checkout():
        fill_cart(user, {ProductFactory(stock_quantity=50): 1})
        with CaptureQueriesContext(connection) as captured:
            order_place(user=user, shipping_address=ADDRESS)
        return len(captured.captured_queries)

    with_webhooks = queries_of_a_checkout()
    monkeypatch.setattr(events, "_subscribers", {})
    without = queries_of_a_checkout()

    assert with_webhooks - without == 1
