"""POST orders/: the cart becomes an order in one transaction, or nothing changes."""

from decimal import Decimal

import pytest
from django.core import mail

from accounts.tests.factories import AddressFactory, UserFactory
from cart.models import Cart
from catalog.tests.factories import ProductFactory
from checkout.services import UnpaidOrdersLimit, order_place
from core.models import IdempotencyKey
from orders.models import Order, OrderItem
from orders.tests.factories import ADDRESS, cart_lines, fill_cart, stock_of

pytestmark = pytest.mark.django_db

URL = "/api/v1/orders/"
INLINE = {"shipping_address": {k: v for k, v in ADDRESS.items() if v}}


@pytest.fixture
def products(db):
    plain = ProductFactory(name="Plain soap", price=Decimal("10.00"), stock_quantity=5)
    discounted = ProductFactory(
        name="Night cream", price=Decimal("20.00"), discount_percent=Decimal("25"), stock_quantity=3
    )
    return plain, discounted


def test_checkout_creates_the_order_deducts_stock_and_empties_the_cart(
    user, user_client, products, django_capture_on_commit_callbacks
):
    plain, discounted = products
    fill_cart(user, {plain: 2, discounted: 3})

    with django_capture_on_commit_callbacks(execute=True):
        response = user_client.post(URL, INLINE)

    assert response.status_code == 201, response.data
    body = response.data
    assert body["status"] == "pending"
    assert body["user"] == str(user.pk)
    assert body["email"] == user.email
    assert body["currency"] == "USD"
    # 2 x 10.00 + 3 x 15.00 (20.00 less 25 %)
    assert (body["subtotal"], body["discount_total"], body["total"]) == ("65.00", "0.00", "65.00")
    items = {item["product_name"]: item for item in body["items"]}
    assert items["Plain soap"]["unit_price"] == "10.00"
    assert items["Plain soap"]["quantity"] == 2
    assert items["Plain soap"]["line_total"] == "20.00"
    assert items["Night cream"]["unit_price"] == "15.00"
    assert items["Night cream"]["line_total"] == "45.00"
    assert items["Night cream"]["product_slug"] == discounted.slug
    assert items["Night cream"]["product_id"] == str(discounted.pk)
    assert body["shipping_address"]["city"] == "London"
    assert (stock_of(plain), stock_of(discounted)) == (3, 0)
    assert cart_lines(user) == {}
    assert len(mail.outbox) == 1
    email = mail.outbox[0]
    assert email.to == [user.email]
    assert body["id"] in email.subject
    assert "Night cream" in email.body and "65.00" in email.body
    assert "Night cream" in email.alternatives[0][0]


def test_checkout_stores_the_inline_address_with_blank_optional_fields(user, user_client, products):
    fill_cart(user, {products[0]: 1})

    response = user_client.post(URL, INLINE)

    assert response.status_code == 201, response.data
    order = Order.objects.get(pk=response.data["id"])
    assert order.shipping_address == ADDRESS


def test_checkout_with_an_address_book_entry_snapshots_it(user, user_client, products):
    address = AddressFactory(user=user, line2="Flat 3", phone="+44 20 7946 0000", country="GB")
    fill_cart(user, {products[0]: 1})

    response = user_client.post(URL, {"address_id": str(address.pk)})

    assert response.status_code == 201, response.data
    snapshot = response.data["shipping_address"]
    assert snapshot["full_name"] == address.full_name
    assert snapshot["line2"] == "Flat 3"
    assert snapshot["phone"] == "+44 20 7946 0000"
    # Later edits of the address book do not move the order.
    address.city = "Elsewhere"
    address.save()
    assert Order.objects.get(pk=response.data["id"]).shipping_address["city"] != "Elsewhere"


def test_checkout_with_another_users_address_is_refused(user, user_client, products):
    foreign = AddressFactory(user=UserFactory())
    fill_cart(user, {products[0]: 1})

    response = user_client.post(URL, {"address_id": str(foreign.pk)})

    assert response.status_code == 400
    assert response.data["code"] == "validation_error"
    assert "address_id" in response.data["errors"]
    assert not Order.objects.exists()
    assert stock_of(products[0]) == 5


@pytest.mark.parametrize(
    "payload",
    [
        {},
        {"address_id": None},
        {"address_id": "00000000-0000-0000-0000-000000000000", **INLINE},
    ],
    ids=["none", "null-id", "both"],
)
def test_checkout_needs_exactly_one_address(user, user_client, products, payload):
    AddressFactory(user=user)
    fill_cart(user, {products[0]: 1})

    response = user_client.post(URL, payload)

    assert response.status_code == 400
    assert response.data["code"] == "validation_error"
    assert not Order.objects.exists()


@pytest.mark.parametrize(
    ("field", "value"),
    [("country", "GBR"), ("country", "XX"), ("city", ""), ("phone", "call me"), ("line1", None)],
)
def test_checkout_validates_the_inline_address(user, user_client, products, field, value):
    fill_cart(user, {products[0]: 1})
    address = {**INLINE["shipping_address"], field: value}

    response = user_client.post(URL, {"shipping_address": address})

    assert response.status_code == 400
    assert f"shipping_address.{field}" in response.data["errors"]
    assert not Order.objects.exists()


def test_checkout_with_a_malformed_body_is_400(user, user_client, products):
    fill_cart(user, {products[0]: 1})

    response = user_client.post(URL, "[1, 2", content_type="application/json")

    assert response.status_code == 400
    assert response.data["code"] == "validation_error"


def test_checkout_of_an_empty_cart_is_400(user, user_client, products):
    no_cart = user_client.post(URL, INLINE)
    fill_cart(user, {})
    empty_cart = user_client.post(URL, INLINE)

    for response in (no_cart, empty_cart):
        assert response.status_code == 400
        assert response.data["code"] == "validation_error"
        assert "cart" in response.data["errors"]
    assert not Order.objects.exists()


def test_checkout_of_a_cart_mixing_currencies_is_400(user, user_client):
    usd = ProductFactory(currency="USD")
    eur = ProductFactory(currency="EUR")
    fill_cart(user, {usd: 1, eur: 1})

    response = user_client.post(URL, INLINE)

    assert response.status_code == 400
    assert "cart" in response.data["errors"]
    assert (stock_of(usd), stock_of(eur)) == (10, 10)
    assert not Order.objects.exists()


def test_checkout_with_too_little_stock_changes_nothing_and_lists_every_failing_line(
    user, user_client, django_capture_on_commit_callbacks
):
    short = ProductFactory(name="Short", stock_quantity=1)
    fine = ProductFactory(name="Fine", stock_quantity=5)
    sold_out = ProductFactory(name="Sold out", stock_quantity=0)
    fill_cart(user, {short: 2, fine: 1, sold_out: 1})

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = user_client.post(URL, INLINE)

    assert response.status_code == 409
    assert response.data["code"] == "insufficient_stock"
    lines = {line["name"]: line for line in response.data["lines"]}
    assert set(lines) == {"Short", "Sold out"}
    assert lines["Short"] == {
        "product_id": str(short.pk),
        "name": "Short",
        "requested": 2,
        "available": 1,
        "reason": "insufficient_stock",
    }
    assert lines["Sold out"]["available"] == 0
    # The line that could be deducted was rolled back with the rest.
    assert (stock_of(short), stock_of(fine), stock_of(sold_out)) == (1, 5, 0)
    assert not Order.objects.exists() and not OrderItem.objects.exists()
    assert cart_lines(user) == {short.pk: 2, fine.pk: 1, sold_out.pk: 1}
    assert callbacks == [] and mail.outbox == []


@pytest.mark.parametrize("change", [{"is_active": False}, {"is_deleted": True}])
def test_checkout_of_a_product_no_longer_sold_is_409_unavailable(user, user_client, change):
    gone = ProductFactory(stock_quantity=5)
    fill_cart(user, {gone: 1})
    type(gone).objects.filter(pk=gone.pk).update(**change)

    response = user_client.post(URL, INLINE)

    assert response.status_code == 409
    assert response.data["code"] == "insufficient_stock"
    assert response.data["lines"] == [
        {
            "product_id": str(gone.pk),
            "name": gone.name,
            "requested": 1,
            "available": 0,
            "reason": "unavailable",
        }
    ]
    assert stock_of(gone) == 5
    assert not Order.objects.exists()


def test_checkout_needs_authentication(api_client):
    response = api_client.post(URL, INLINE)

    assert response.status_code == 401
    assert response.data["code"] == "not_authenticated"


def test_checkout_only_uses_the_callers_cart(user, user_client, products):
    other = UserFactory()
    fill_cart(other, {products[0]: 2})
    fill_cart(user, {products[1]: 1})

    response = user_client.post(URL, INLINE)

    assert response.status_code == 201
    assert [item["product_name"] for item in response.data["items"]] == ["Night cream"]
    assert cart_lines(other) == {products[0].pk: 2}
    assert stock_of(products[0]) == 5


# --- Idempotency-Key ------------------------------------------------------------------


def test_a_replayed_idempotency_key_returns_the_first_answer_without_a_second_order(
    user, user_client, products
):
    plain, _ = products
    fill_cart(user, {plain: 2})
    first = user_client.post(URL, INLINE, HTTP_IDEMPOTENCY_KEY="checkout-1")
    # The client does not know the first one worked and refills nothing: a plain retry.
    fill_cart(user, {plain: 2})

    replay = user_client.post(URL, INLINE, HTTP_IDEMPOTENCY_KEY="checkout-1")

    assert first.status_code == 201
    assert replay.status_code == 201
    assert replay.json() == first.json()
    assert replay["Idempotent-Replayed"] == "true"
    assert Order.objects.count() == 1
    assert stock_of(plain) == 3
    assert cart_lines(user) == {plain.pk: 2}


def test_an_idempotency_key_reused_with_another_body_is_422(user, user_client, products):
    address = AddressFactory(user=user)
    fill_cart(user, {products[0]: 1})
    user_client.post(URL, INLINE, HTTP_IDEMPOTENCY_KEY="checkout-2")
    fill_cart(user, {products[0]: 1})

    response = user_client.post(
        URL, {"address_id": str(address.pk)}, HTTP_IDEMPOTENCY_KEY="checkout-2"
    )

    assert response.status_code == 422
    assert response.data["code"] == "idempotency_conflict"
    assert Order.objects.count() == 1


def test_an_insufficient_stock_answer_is_replayed_for_its_key(user, user_client):
    product = ProductFactory(stock_quantity=1)
    fill_cart(user, {product: 2})
    first = user_client.post(URL, INLINE, HTTP_IDEMPOTENCY_KEY="checkout-3")
    type(product).objects.filter(pk=product.pk).update(stock_quantity=10)

    replay = user_client.post(URL, INLINE, HTTP_IDEMPOTENCY_KEY="checkout-3")

    assert first.status_code == replay.status_code == 409
    assert replay.json() == first.json()
    assert not Order.objects.exists()


def test_an_invalid_body_does_not_use_up_the_key(user, user_client, products):
    fill_cart(user, {products[0]: 1})
    first = user_client.post(URL, {}, HTTP_IDEMPOTENCY_KEY="checkout-4")  # no address

    retry = user_client.post(URL, INLINE, HTTP_IDEMPOTENCY_KEY="checkout-4")

    assert first.status_code == 400
    assert retry.status_code == 201
    assert Order.objects.count() == 1


def test_without_an_idempotency_key_each_post_is_a_new_checkout(user, user_client, products):
    plain, _ = products
    fill_cart(user, {plain: 1})
    first = user_client.post(URL, INLINE)
    fill_cart(user, {plain: 1})
    second = user_client.post(URL, INLINE)

    assert first.status_code == second.status_code == 201
    assert first.data["id"] != second.data["id"]
    assert Order.objects.count() == 2
    assert stock_of(plain) == 3
    assert not IdempotencyKey.objects.exists()


def test_the_same_key_of_two_users_makes_two_orders(user, user_client, products, client_for):
    other = UserFactory()
    fill_cart(user, {products[0]: 1})
    fill_cart(other, {products[0]: 1})

    mine = user_client.post(URL, INLINE, HTTP_IDEMPOTENCY_KEY="shared")
    theirs = client_for(other).post(URL, INLINE, HTTP_IDEMPOTENCY_KEY="shared")

    assert mine.status_code == theirs.status_code == 201
    assert mine.data["id"] != theirs.data["id"]
    assert Cart.objects.get(user=other).items.count() == 0


def test_checkout_of_a_cart_whose_total_outgrew_an_order_is_400_and_changes_nothing(
    user, user_client
):
    # The price was raised after the lines went in: the cart never refused them.
    product = ProductFactory(price=Decimal("10.00"), stock_quantity=5)
    fill_cart(user, {product: 2})
    type(product).objects.filter(pk=product.pk).update(
        price=Decimal("9999999999.99"), current_price=Decimal("9999999999.99")
    )

    response = user_client.post(URL, INLINE)

    assert response.status_code == 400
    assert "cart" in response.json()["errors"]
    assert not Order.objects.exists()
    assert stock_of(product) == 5
    assert cart_lines(user) == {product.pk: 2}


def test_a_user_with_too_many_unpaid_orders_cannot_place_another(user, settings):
    settings.ORDER_MAX_PENDING_PER_USER = 2
    product = ProductFactory(stock_quantity=50)
    for _ in range(2):
        fill_cart(user, {product: 1})
        order_place(user=user, shipping_address=ADDRESS)
    fill_cart(user, {product: 1})

    with pytest.raises(UnpaidOrdersLimit):
        order_place(user=user, shipping_address=ADDRESS)

    assert stock_of(product) == 48
    assert cart_lines(user) == {product.pk: 1}


def test_unpaid_orders_hold_a_limited_number_of_units(user, user_client, settings):
    settings.ORDER_MAX_PENDING_UNITS_PER_USER = 10
    product = ProductFactory(stock_quantity=17)
    fill_cart(user, {product: 8})
    order_place(user=user, shipping_address=ADDRESS)
    fill_cart(user, {product: 3})

    response = user_client.post("/api/v1/orders/", {"shipping_address": ADDRESS}, format="json")

    assert response.status_code == 409
    assert response.json()["code"] == "conflict"
    assert "at most 10" in response.json()["detail"]
    assert stock_of(product) == 9
