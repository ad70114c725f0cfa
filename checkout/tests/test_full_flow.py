"""The whole purchase, through the public API only, as a web client would drive it:
guest cart -> register -> log in and merge -> check out -> pay -> ship -> deliver."""

from decimal import Decimal

import pytest
from django.core import mail

from catalog.tests.factories import ProductFactory

pytestmark = pytest.mark.django_db(transaction=True)

ADDRESS = {
    "full_name": "Ada Buyer",
    "line1": "1 Market Street",
    "city": "Springfield",
    "postal_code": "12345",
    "country": "US",
}


def _subjects():
    return [message.subject for message in mail.outbox]


def test_guest_to_delivered_order(api_client, staff_client):
    serum = ProductFactory(name="Night Serum", price=Decimal("40.00"), stock_quantity=5)
    cream = ProductFactory(
        name="Day Cream", price=Decimal("20.00"), discount_percent=Decimal("10"), stock_quantity=3
    )

    # A guest fills a cart and receives its token.
    added = api_client.post("/api/v1/cart/", {"product_id": str(serum.pk), "quantity": 2})
    assert added.status_code == 200, added.data
    guest_token = added["X-Cart-Token"]
    api_client.credentials(HTTP_X_CART_TOKEN=guest_token)
    added = api_client.post("/api/v1/cart/", {"product_id": str(cream.pk), "quantity": 1})
    assert added.data["subtotal"] == "98.00"  # 2 x 40.00 + 18.00 (10 % off 20.00)

    # The guest registers and logs in; the first cart call with both tokens merges.
    email, password = "ada@example.com", "Sturdy-pass-2026"
    registered = api_client.post("/api/v1/auth/register/", {"email": email, "password": password})
    assert registered.status_code == 201, registered.data
    tokens = api_client.post("/api/v1/auth/token/", {"email": email, "password": password})
    assert tokens.status_code == 200
    api_client.credentials(
        HTTP_AUTHORIZATION=f"Bearer {tokens.data['access']}", HTTP_X_CART_TOKEN=guest_token
    )
    cart = api_client.get("/api/v1/cart/")
    assert cart.status_code == 200
    assert cart.data["token"] is None
    assert cart.data["item_count"] == 3
    assert cart.data["total"] == "98.00"
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens.data['access']}")

    # Checkout: stock is taken, prices are snapshotted, the cart is emptied, an email goes.
    placed = api_client.post(
        "/api/v1/orders/",
        {"shipping_address": ADDRESS},
        format="json",
        HTTP_IDEMPOTENCY_KEY="checkout-1",
    )
    assert placed.status_code == 201, placed.data
    order = placed.data
    assert order["status"] == "pending"
    assert (order["subtotal"], order["discount_total"], order["total"]) == (
        "98.00",
        "0.00",
        "98.00",
    )
    assert sorted((i["product_name"], i["unit_price"], i["quantity"]) for i in order["items"]) == [
        ("Day Cream", "18.00", 1),
        ("Night Serum", "40.00", 2),
    ]
    serum.refresh_from_db()
    cream.refresh_from_db()
    assert (serum.stock_quantity, cream.stock_quantity) == (3, 2)
    assert api_client.get("/api/v1/cart/").data["item_count"] == 0
    assert _subjects() == [f"Order {order['id']} received"]

    # A retry of the same checkout answers the same order and takes nothing more.
    replay = api_client.post(
        "/api/v1/orders/",
        {"shipping_address": ADDRESS},
        format="json",
        HTTP_IDEMPOTENCY_KEY="checkout-1",
    )
    assert replay.status_code == 201
    assert replay.data["id"] == order["id"]
    serum.refresh_from_db()
    assert serum.stock_quantity == 3

    # Payment with the fake provider: the order is paid, amount from the order.
    paid = api_client.post(
        "/api/v1/payments/",
        {"order_id": order["id"], "provider": "fake", "token": "tok_success", "amount": "1.00"},
        format="json",
    )
    assert paid.status_code == 201, paid.data
    assert (paid.data["status"], paid.data["amount"], paid.data["currency"]) == (
        "succeeded",
        "98.00",
        order["currency"],
    )
    assert api_client.get(f"/api/v1/orders/{order['id']}/").data["status"] == "paid"
    assert _subjects()[-1] == f"Order {order['id']}: payment received"

    # The customer may not ship; staff ship with tracking, then deliver.
    assert api_client.post(f"/api/v1/orders/{order['id']}/ship/", {}).status_code == 403
    shipped = staff_client.post(
        f"/api/v1/orders/{order['id']}/ship/",
        {"tracking_number": "1Z999", "carrier": "UPS"},
        format="json",
    )
    assert shipped.status_code == 200, shipped.data
    assert shipped.data["status"] == "shipped"
    assert _subjects()[-1] == f"Order {order['id']} has shipped"
    delivered = staff_client.post(f"/api/v1/orders/{order['id']}/deliver/")
    assert delivered.status_code == 200
    assert delivered.data["status"] == "delivered"

    # Delivered is final: a cancel is an invalid transition and stock stays as sold.
    cancel = api_client.post(f"/api/v1/orders/{order['id']}/cancel/")
    assert cancel.status_code == 409
    assert cancel.data["code"] == "invalid_transition"
    serum.refresh_from_db()
    cream.refresh_from_db()
    assert (serum.stock_quantity, cream.stock_quantity) == (3, 2)
    # The buyer got three emails; each of the two stores was told of its paid part.
    assert len([m for m in mail.outbox if m.to == [email]]) == 3
    sellers = sorted(m.to[0] for m in mail.outbox if m.to != [email])
    assert sellers == sorted([serum.store.owner.email, cream.store.owner.email])


def test_checkout_with_a_guest_token_merges_that_cart_first(user, client_for):
    product = ProductFactory(stock_quantity=4)
    guest = client_for(user)
    guest.credentials()  # no access token: a guest
    token = guest.post("/api/v1/cart/", {"product_id": str(product.pk), "quantity": 2})[
        "X-Cart-Token"
    ]

    client = client_for(user)
    placed = client.post(
        "/api/v1/orders/",
        {"shipping_address": ADDRESS},
        format="json",
        HTTP_X_CART_TOKEN=token,
    )

    assert placed.status_code == 201, placed.data
    assert [item["quantity"] for item in placed.data["items"]] == [2]
    product.refresh_from_db()
    assert product.stock_quantity == 2
