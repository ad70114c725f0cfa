"""GET, POST and DELETE cart/: the caller's cart, for guests and users."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from cart.models import Cart, CartItem
from cart.tests.factories import CartFactory, CartItemFactory
from cart.tests.helpers import CART, assert_validation_error, make_stale, token_header
from catalog.tests.factories import ProductFactory, ProductImageFactory

pytestmark = pytest.mark.django_db


# --- GET --------------------------------------------------------------------------------


def test_guest_without_token_gets_an_empty_cart_and_nothing_is_created(api_client):
    response = api_client.get(CART)

    assert response.status_code == 200
    assert response.json() == {
        "id": None,
        "token": None,
        "items": [],
        "item_count": 0,
        "subtotal": "0.00",
        "discount": "0.00",
        "total": "0.00",
        "currency": "USD",
        "coupon": None,
        "coupon_valid": None,
        "coupon_reason": None,
    }
    assert "X-Cart-Token" not in response
    assert Cart.objects.count() == 0


@pytest.mark.parametrize(
    "token", ["unknown-token", "not a token!", "x" * 500, "abc\u00e9"], ids=str.__len__
)
def test_guest_with_unknown_or_malformed_token_gets_an_empty_cart(api_client, guest_cart, token):
    CartItemFactory(cart=guest_cart)

    response = api_client.get(CART, **token_header(token))

    assert response.status_code == 200
    assert response.json()["items"] == []
    assert response.json()["id"] is None
    assert Cart.objects.count() == 1


def test_guest_with_token_gets_their_cart_and_the_token_back(api_client, guest_cart):
    item = CartItemFactory(cart=guest_cart, quantity=2)

    response = api_client.get(CART, **token_header(guest_cart.token))

    assert response.status_code == 200
    body = response.json()
    assert body["id"] == str(guest_cart.pk)
    assert body["token"] == guest_cart.token
    assert response["X-Cart-Token"] == guest_cart.token
    assert [line["id"] for line in body["items"]] == [str(item.pk)]
    assert body["item_count"] == 2


def test_user_without_cart_gets_an_empty_cart_and_nothing_is_created(user_client):
    response = user_client.get(CART)

    assert response.status_code == 200
    assert response.json()["items"] == []
    assert response.json()["id"] is None
    assert Cart.objects.count() == 0


def test_user_gets_their_own_cart_without_a_token(user, user_client):
    cart = CartFactory(user=user)
    CartItemFactory(cart=cart)
    CartItemFactory()  # someone else's

    response = user_client.get(CART)

    body = response.json()
    assert body["id"] == str(cart.pk)
    assert body["token"] is None
    assert "X-Cart-Token" not in response
    assert len(body["items"]) == 1


def test_cart_lines_show_a_product_summary(api_client, guest_cart):
    product = ProductFactory(name="Serum", slug="serum", stock_quantity=4)
    ProductImageFactory(product=product, is_primary=False, position=1)
    primary = ProductImageFactory(product=product, is_primary=True)
    CartItemFactory(cart=guest_cart, product=product, quantity=2)

    response = api_client.get(CART, **token_header(guest_cart.token))

    summary = response.json()["items"][0]["product"]
    assert summary["id"] == str(product.pk)
    assert summary["name"] == "Serum"
    assert summary["slug"] == "serum"
    assert summary["image"] == f"http://testserver{primary.image.url}"
    assert summary["is_active"] is True
    assert summary["in_stock"] is True
    assert summary["stock_quantity"] == 4


def test_a_product_without_images_shows_no_image(api_client, guest_cart):
    CartItemFactory(cart=guest_cart)

    response = api_client.get(CART, **token_header(guest_cart.token))

    assert response.json()["items"][0]["product"]["image"] is None


def test_a_product_deactivated_after_it_was_added_shows_as_inactive(api_client, guest_cart):
    item = CartItemFactory(cart=guest_cart, product=ProductFactory(stock_quantity=0))
    item.product.is_deleted = True
    item.product.save()

    response = api_client.get(CART, **token_header(guest_cart.token))

    summary = response.json()["items"][0]["product"]
    assert summary["is_active"] is False
    assert summary["in_stock"] is False


def test_totals_use_the_discounted_effective_price(api_client, guest_cart):
    discounted = ProductFactory(price=Decimal("19.99"), discount_percent=Decimal("10"))
    plain = ProductFactory(price=Decimal("0.10"))
    CartItemFactory(cart=guest_cart, product=discounted, quantity=3)
    CartItemFactory(cart=guest_cart, product=plain, quantity=7)

    body = api_client.get(CART, **token_header(guest_cart.token)).json()

    lines = {line["product"]["id"]: line for line in body["items"]}
    # 19.99 less 10% = 17.991, rounded half up to 17.99; 3 x 17.99 = 53.97.
    assert lines[str(discounted.pk)]["unit_price"] == "17.99"
    assert lines[str(discounted.pk)]["line_total"] == "53.97"
    assert lines[str(plain.pk)]["unit_price"] == "0.10"
    assert lines[str(plain.pk)]["line_total"] == "0.70"
    assert body["item_count"] == 10
    assert body["subtotal"] == "54.67"
    assert body["discount"] == "0.00"
    assert body["total"] == "54.67"
    assert body["currency"] == "USD"


def test_a_discount_outside_its_window_does_not_apply(api_client, guest_cart):
    product = ProductFactory(
        price=Decimal("10.00"),
        discount_percent=Decimal("50"),
        discount_ends_at=timezone.now() - timedelta(days=1),
    )
    CartItemFactory(cart=guest_cart, product=product, quantity=2)

    body = api_client.get(CART, **token_header(guest_cart.token)).json()

    assert body["items"][0]["unit_price"] == "10.00"
    assert body["total"] == "20.00"


def test_line_prices_follow_the_products_current_price(api_client, guest_cart):
    item = CartItemFactory(cart=guest_cart, quantity=2)
    item.product.price = Decimal("5.25")
    item.product.save()

    body = api_client.get(CART, **token_header(guest_cart.token)).json()

    assert body["items"][0]["unit_price"] == "5.25"
    assert body["total"] == "10.50"


@pytest.mark.parametrize("lines", [1, 20])
def test_reading_the_cart_takes_the_same_queries_whatever_its_size(
    user, user_client, django_assert_max_num_queries, lines
):
    cart = CartFactory(user=user)
    for _ in range(lines):
        item = CartItemFactory(cart=cart)
        ProductImageFactory(product=item.product)

    # JWT user, cart, lines with products, images.
    with django_assert_max_num_queries(4):
        response = user_client.get(CART)

    assert len(response.json()["items"]) == lines


def test_an_invalid_access_token_is_refused_even_on_a_guest_cart(api_client, guest_cart):
    api_client.credentials(HTTP_AUTHORIZATION="Bearer not-a-jwt")

    response = api_client.get(CART, **token_header(guest_cart.token))

    assert response.status_code == 401
    assert response.json()["code"] == "authentication_failed"


def test_cart_answers_carrying_a_token_are_not_cached(api_client, guest_cart):
    response = api_client.get(CART, **token_header(guest_cart.token))

    assert "no-store" in response["Cache-Control"]


# --- POST -------------------------------------------------------------------------------


def test_guest_first_add_creates_a_cart_and_issues_a_token(api_client, product):
    response = api_client.post(CART, {"product_id": str(product.pk), "quantity": 2})

    assert response.status_code == 200, response.content
    cart = Cart.objects.get()
    assert cart.user is None
    assert len(cart.token) >= 43
    assert response["X-Cart-Token"] == cart.token
    body = response.json()
    assert body["token"] == cart.token
    assert body["id"] == str(cart.pk)
    assert body["items"][0]["quantity"] == 2
    assert body["items"][0]["product"]["id"] == str(product.pk)


def test_guest_reuses_the_token_to_fill_the_same_cart(api_client, product):
    token = api_client.post(CART, {"product_id": str(product.pk)})["X-Cart-Token"]
    other = ProductFactory()

    response = api_client.post(CART, {"product_id": str(other.pk)}, **token_header(token))

    assert response.status_code == 200
    assert response["X-Cart-Token"] == token
    assert Cart.objects.count() == 1
    assert response.json()["item_count"] == 2


def test_guest_with_unknown_token_gets_a_new_cart_and_token_on_add(api_client, product):
    response = api_client.post(
        CART, {"product_id": str(product.pk)}, **token_header("forgotten-token")
    )

    assert response.status_code == 200
    token = response["X-Cart-Token"]
    assert token != "forgotten-token"
    assert Cart.objects.get().token == token


def test_two_guests_get_different_tokens(product, api_client):
    first = api_client.post(CART, {"product_id": str(product.pk)})["X-Cart-Token"]
    second = api_client.post(CART, {"product_id": str(product.pk)})["X-Cart-Token"]

    assert first != second
    assert Cart.objects.count() == 2


def test_user_first_add_creates_their_cart_without_a_token(user, user_client, product):
    response = user_client.post(CART, {"product_id": str(product.pk), "quantity": 1})

    assert response.status_code == 200
    cart = Cart.objects.get()
    assert cart.user == user
    assert cart.token is None
    assert response.json()["token"] is None
    assert "X-Cart-Token" not in response


def test_quantity_defaults_to_one(user_client, product):
    response = user_client.post(CART, {"product_id": str(product.pk)})

    assert response.json()["items"][0]["quantity"] == 1


def test_adding_a_product_already_in_the_cart_increases_its_line(user, user_client, product):
    item = CartItemFactory(cart=CartFactory(user=user), product=product, quantity=2)

    response = user_client.post(CART, {"product_id": str(product.pk), "quantity": 3})

    assert response.status_code == 200
    item.refresh_from_db()
    assert item.quantity == 5
    assert CartItem.objects.count() == 1
    assert response.json()["items"][0]["line_total"] == "99.95"


@pytest.mark.parametrize("quantity", [0, -1, "abc", 1.5, "", None, True, 2**40])
def test_adding_a_bad_quantity_is_refused(user_client, product, quantity):
    response = user_client.post(CART, {"product_id": str(product.pk), "quantity": quantity})

    assert_validation_error(response, "quantity")
    assert CartItem.objects.count() == 0


@pytest.mark.parametrize("product_id", [None, "", "not-a-uuid", 12])
def test_adding_without_a_valid_product_id_is_refused(user_client, product_id):
    response = user_client.post(CART, {"product_id": product_id, "quantity": 1})

    assert_validation_error(response, "product_id")


def test_adding_an_unknown_product_is_refused(user_client):
    response = user_client.post(
        CART, {"product_id": "00000000-0000-4000-8000-000000000000", "quantity": 1}
    )

    body = assert_validation_error(response, "product_id")
    assert "no longer available" in body["errors"]["product_id"][0]


@pytest.mark.parametrize("flags", [{"is_active": False}, {"is_deleted": True}])
def test_adding_an_inactive_or_deleted_product_is_refused(user_client, flags):
    product = ProductFactory(**flags)

    response = user_client.post(CART, {"product_id": str(product.pk), "quantity": 1})

    body = assert_validation_error(response, "product_id")
    assert "no longer available" in body["errors"]["product_id"][0]
    assert CartItem.objects.count() == 0


def test_adding_more_than_the_stock_is_refused_naming_the_stock(user_client):
    product = ProductFactory(stock_quantity=5)

    response = user_client.post(CART, {"product_id": str(product.pk), "quantity": 6})

    body = assert_validation_error(response, "quantity")
    assert body["errors"]["quantity"] == ["Only 5 in stock."]
    assert CartItem.objects.count() == 0


def test_adding_up_to_the_stock_is_accepted(user_client):
    product = ProductFactory(stock_quantity=5)

    response = user_client.post(CART, {"product_id": str(product.pk), "quantity": 5})

    assert response.status_code == 200
    assert response.json()["item_count"] == 5


def test_increasing_a_line_beyond_the_stock_is_refused(user, user_client):
    product = ProductFactory(stock_quantity=5)
    item = CartItemFactory(cart=CartFactory(user=user), product=product, quantity=4)

    response = user_client.post(CART, {"product_id": str(product.pk), "quantity": 2})

    body = assert_validation_error(response, "quantity")
    assert body["errors"]["quantity"] == ["Only 5 in stock, and your cart already holds 4."]
    item.refresh_from_db()
    assert item.quantity == 4


def test_adding_an_out_of_stock_product_is_refused(user_client):
    product = ProductFactory(stock_quantity=0)

    response = user_client.post(CART, {"product_id": str(product.pk), "quantity": 1})

    body = assert_validation_error(response, "quantity")
    assert body["errors"]["quantity"] == ["This product is out of stock."]


def test_adding_a_product_in_another_currency_is_refused(user, user_client):
    CartItemFactory(cart=CartFactory(user=user), product=ProductFactory(currency="USD"))
    euro = ProductFactory(currency="EUR")

    response = user_client.post(CART, {"product_id": str(euro.pk), "quantity": 1})

    body = assert_validation_error(response, "product_id")
    assert "EUR" in body["errors"]["product_id"][0]
    assert CartItem.objects.count() == 1


def test_an_empty_cart_takes_the_currency_of_its_first_product(user_client):
    euro = ProductFactory(currency="EUR")

    response = user_client.post(CART, {"product_id": str(euro.pk), "quantity": 1})

    assert response.json()["currency"] == "EUR"


def test_a_refused_first_add_leaves_no_guest_cart_behind(api_client):
    product = ProductFactory(stock_quantity=1)

    response = api_client.post(CART, {"product_id": str(product.pk), "quantity": 2})

    assert response.status_code == 400
    assert "X-Cart-Token" not in response
    assert Cart.objects.count() == 0


def test_adding_bumps_the_carts_updated_at(api_client, guest_cart, product):
    make_stale(guest_cart, days=3)

    api_client.post(CART, {"product_id": str(product.pk)}, **token_header(guest_cart.token))

    guest_cart.refresh_from_db()
    assert timezone.now() - guest_cart.updated_at < timedelta(minutes=1)


def test_a_non_json_body_is_a_clear_400(user_client):
    response = user_client.generic("POST", CART, "{not json", content_type="application/json")

    assert response.status_code == 400
    assert response.json()["code"] == "validation_error"


# --- DELETE -----------------------------------------------------------------------------


def test_user_empties_their_cart(user, user_client):
    cart = CartFactory(user=user)
    CartItemFactory.create_batch(3, cart=cart)
    other = CartItemFactory()

    response = user_client.delete(CART)

    assert response.status_code == 204
    assert not CartItem.objects.filter(cart=cart).exists()
    assert Cart.objects.filter(pk=cart.pk).exists()
    assert CartItem.objects.filter(pk=other.pk).exists()


def test_guest_empties_their_cart_with_the_token(api_client, guest_cart):
    CartItemFactory.create_batch(2, cart=guest_cart)
    make_stale(guest_cart, days=3)

    response = api_client.delete(CART, **token_header(guest_cart.token))

    assert response.status_code == 204
    assert not guest_cart.items.exists()
    guest_cart.refresh_from_db()
    assert timezone.now() - guest_cart.updated_at < timedelta(minutes=1)


def test_emptying_without_a_cart_is_a_harmless_204(api_client, guest_cart):
    CartItemFactory(cart=guest_cart)

    response = api_client.delete(CART, **token_header("unknown"))

    assert response.status_code == 204
    assert guest_cart.items.count() == 1
    assert Cart.objects.count() == 1
