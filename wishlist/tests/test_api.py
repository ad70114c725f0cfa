"""wishlist/ through the API: the own list, adding and removing, moving to the cart,
sharing and the public shared view."""

import pytest

from accounts.tests.factories import UserFactory
from cart.models import CartItem
from cart.tests.factories import CartFactory, CartItemFactory
from catalog.tests.factories import ProductFactory, ProductImageFactory
from wishlist.models import Wishlist, WishlistItem
from wishlist.tests.factories import WishlistFactory, WishlistItemFactory

pytestmark = pytest.mark.django_db

WISHLIST = "/api/v1/wishlist/"
SHARE = f"{WISHLIST}share/"
NO_SUCH_ID = "00000000-0000-0000-0000-000000000000"


def item_url(item_or_id) -> str:
    return f"{WISHLIST}{getattr(item_or_id, 'pk', item_or_id)}/"


def move_url(item_or_id) -> str:
    return f"{item_url(item_or_id)}move-to-cart/"


def shared_url(token: str) -> str:
    return f"{WISHLIST}shared/{token}/"


def product_ids(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [row["product"]["id"] for row in response.json()["results"]]


def assert_error(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content
    body = response.json()
    assert body["code"] == code, body
    return body


def cart_lines(user) -> dict:
    return dict(CartItem.objects.filter(cart__user=user).values_list("product_id", "quantity"))


@pytest.fixture
def wishlist(user):
    return WishlistFactory(user=user)


@pytest.fixture
def product(db):
    return ProductFactory(price="20.00", stock_quantity=5)


# --- the own list -----------------------------------------------------------------------


def test_a_user_without_a_wishlist_gets_an_empty_list_and_none_is_created(user, user_client):
    response = user_client.get(WISHLIST)

    assert response.status_code == 200
    assert response.json()["count"] == 0
    assert not Wishlist.objects.exists()


def test_the_list_shows_items_newest_first_with_a_product_summary(wishlist, user_client):
    product = ProductFactory(
        name="Rose oil", price="10.00", discount_percent="25.00", stock_quantity=3
    )
    image = ProductImageFactory(product=product, is_primary=True)
    older = WishlistItemFactory(wishlist=wishlist)
    newer = WishlistItemFactory(wishlist=wishlist, product=product)

    response = user_client.get(WISHLIST)

    results = response.json()["results"]
    assert [row["id"] for row in results] == [str(newer.pk), str(older.pk)]
    summary = results[0]["product"]
    assert summary == {
        "id": str(product.pk),
        "name": "Rose oil",
        "slug": product.slug,
        "price": "10.00",
        "effective_price": "7.50",
        "currency": product.currency,
        "in_stock": True,
        "stock_quantity": 3,
        "is_active": True,
        "image": f"http://testserver{image.image.url}",
    }
    assert results[1]["product"]["image"] is None


def test_the_list_shows_the_current_price_and_stock(wishlist, user_client, product):
    WishlistItemFactory(wishlist=wishlist, product=product)
    product.price, product.stock_quantity = "12.00", 0
    product.save()

    summary = user_client.get(WISHLIST).json()["results"][0]["product"]

    assert (summary["price"], summary["in_stock"], summary["stock_quantity"]) == (
        "12.00",
        False,
        0,
    )


def test_the_owner_still_sees_products_no_longer_on_sale(wishlist, user_client):
    WishlistItemFactory(wishlist=wishlist, product=ProductFactory(is_active=False))

    results = user_client.get(WISHLIST).json()["results"]

    assert [row["product"]["is_active"] for row in results] == [False]


def test_a_user_sees_only_their_own_items(wishlist, user_client):
    mine = WishlistItemFactory(wishlist=wishlist)
    WishlistItemFactory()  # another user's

    assert product_ids(user_client.get(WISHLIST)) == [str(mine.product_id)]


def test_the_list_query_count_does_not_grow_with_the_items(
    wishlist, user_client, django_assert_max_num_queries
):
    def add(n):
        for _ in range(n):
            item = WishlistItemFactory(wishlist=wishlist)
            ProductImageFactory(product=item.product, is_primary=True)

    add(2)
    # user, count, items with products, images
    with django_assert_max_num_queries(4):
        small = user_client.get(WISHLIST)
    add(15)
    with django_assert_max_num_queries(4):
        big = user_client.get(WISHLIST)

    assert (small.json()["count"], big.json()["count"]) == (2, 17)
    assert all(row["product"]["image"] for row in big.json()["results"])


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("get", WISHLIST),
        ("post", WISHLIST),
        ("delete", item_url(NO_SUCH_ID)),
        ("post", move_url(NO_SUCH_ID)),
        ("post", SHARE),
        ("delete", SHARE),
    ],
)
def test_anonymous_callers_are_refused(api_client, method, url):
    assert_error(getattr(api_client, method)(url), 401, "not_authenticated")


# --- adding -----------------------------------------------------------------------------


def test_adding_a_product_creates_the_wishlist_lazily_and_answers_201(user, user_client, product):
    response = user_client.post(WISHLIST, {"product_id": str(product.pk)})

    assert response.status_code == 201, response.content
    assert response.json()["product"]["id"] == str(product.pk)
    assert list(WishlistItem.objects.values_list("wishlist__user", "product")) == [
        (user.pk, product.pk)
    ]


def test_adding_the_same_product_twice_answers_200_with_the_existing_item(user_client, product):
    first = user_client.post(WISHLIST, {"product_id": str(product.pk)})

    second = user_client.post(WISHLIST, {"product_id": str(product.pk)})

    assert second.status_code == 200
    assert second.json()["id"] == first.json()["id"]
    assert WishlistItem.objects.count() == 1


def test_two_users_may_keep_the_same_product(user_client, client_for, product):
    user_client.post(WISHLIST, {"product_id": str(product.pk)})

    response = client_for(UserFactory()).post(WISHLIST, {"product_id": str(product.pk)})

    assert response.status_code == 201
    assert WishlistItem.objects.count() == 2


@pytest.mark.parametrize("product_id", [NO_SUCH_ID, "inactive", "deleted", "not-a-uuid", None, ""])
def test_adding_an_unknown_or_unavailable_product_is_a_400(user_client, product_id):
    if product_id == "inactive":
        product_id = str(ProductFactory(is_active=False).pk)
    elif product_id == "deleted":
        product_id = str(ProductFactory(is_deleted=True).pk)

    response = user_client.post(WISHLIST, {"product_id": product_id})

    body = assert_error(response, 400, "validation_error")
    assert "product_id" in body["errors"]
    assert not WishlistItem.objects.exists()


# --- removing ---------------------------------------------------------------------------


def test_removing_an_item_answers_204(wishlist, user_client):
    item = WishlistItemFactory(wishlist=wishlist)

    response = user_client.delete(item_url(item))

    assert response.status_code == 204
    assert not WishlistItem.objects.exists()


def test_removing_another_users_item_is_a_404_and_keeps_it(user_client):
    item = WishlistItemFactory()

    assert_error(user_client.delete(item_url(item)), 404, "not_found")
    assert WishlistItem.objects.filter(pk=item.pk).exists()


def test_removing_an_unknown_or_malformed_item_is_a_404(user_client):
    assert_error(user_client.delete(item_url(NO_SUCH_ID)), 404, "not_found")
    assert_error(user_client.delete(item_url("not-a-uuid")), 404, "not_found")


# --- moving to the cart -----------------------------------------------------------------


def test_moving_an_item_puts_it_in_the_cart_and_off_the_wishlist(
    user, wishlist, user_client, product
):
    item = WishlistItemFactory(wishlist=wishlist, product=product)

    response = user_client.post(move_url(item), {"quantity": 2})

    assert response.status_code == 200, response.content
    body = response.json()
    assert [(line["product"]["id"], line["quantity"]) for line in body["items"]] == [
        (str(product.pk), 2)
    ]
    assert body["total"] == "40.00"
    assert cart_lines(user) == {product.pk: 2}
    assert not WishlistItem.objects.exists()


def test_moving_without_a_quantity_adds_one_to_an_existing_line(
    user, wishlist, user_client, product
):
    CartItemFactory(cart=CartFactory(user=user), product=product, quantity=2)
    item = WishlistItemFactory(wishlist=wishlist, product=product)

    response = user_client.post(move_url(item))

    assert response.status_code == 200
    assert cart_lines(user) == {product.pk: 3}


def test_moving_more_than_the_stock_is_a_400_and_removes_nothing(
    user, wishlist, user_client, product
):
    item = WishlistItemFactory(wishlist=wishlist, product=product)

    response = user_client.post(move_url(item), {"quantity": 6})

    body = assert_error(response, 400, "validation_error")
    assert "quantity" in body["errors"]
    assert WishlistItem.objects.filter(pk=item.pk).exists()
    assert cart_lines(user) == {}


def test_moving_a_product_no_longer_on_sale_is_a_400_and_removes_nothing(
    user, wishlist, user_client
):
    item = WishlistItemFactory(wishlist=wishlist, product=ProductFactory(is_active=False))

    response = user_client.post(move_url(item))

    assert_error(response, 400, "validation_error")
    assert WishlistItem.objects.filter(pk=item.pk).exists()
    assert cart_lines(user) == {}


@pytest.mark.parametrize("quantity", [0, -1, "two", 1.5])
def test_moving_a_bad_quantity_is_a_400(wishlist, user_client, quantity):
    item = WishlistItemFactory(wishlist=wishlist)

    response = user_client.post(move_url(item), {"quantity": quantity})

    body = assert_error(response, 400, "validation_error")
    assert "quantity" in body["errors"]
    assert WishlistItem.objects.filter(pk=item.pk).exists()


def test_moving_another_users_item_is_a_404_and_changes_nothing(user, user_client):
    item = WishlistItemFactory()

    assert_error(user_client.post(move_url(item)), 404, "not_found")
    assert WishlistItem.objects.filter(pk=item.pk).exists()
    assert cart_lines(user) == {}


def test_moving_merges_a_guest_cart_sent_along(user, wishlist, user_client, product):
    guest = CartFactory(guest=True)
    other = ProductFactory()
    CartItemFactory(cart=guest, product=other, quantity=1)
    item = WishlistItemFactory(wishlist=wishlist, product=product)

    response = user_client.post(move_url(item), HTTP_X_CART_TOKEN=guest.token)

    assert response.status_code == 200
    assert cart_lines(user) == {product.pk: 1, other.pk: 1}


# --- sharing ----------------------------------------------------------------------------


def test_sharing_makes_a_token_and_a_working_url(user, user_client, api_client):
    response = user_client.post(SHARE)

    assert response.status_code == 201, response.content
    body = response.json()
    assert len(body["token"]) >= 43  # 32 random bytes, base64url
    assert body["url"] == f"http://testserver{shared_url(body['token'])}"
    assert Wishlist.objects.get(user=user).share_token == body["token"]
    assert api_client.get(body["url"]).status_code == 200


def test_sharing_again_returns_the_same_token(user_client):
    first = user_client.post(SHARE).json()

    again = user_client.post(SHARE)

    assert again.status_code == 200
    assert again.json() == first


def test_two_users_get_different_tokens(user_client, client_for):
    mine = user_client.post(SHARE).json()["token"]
    theirs = client_for(UserFactory()).post(SHARE).json()["token"]

    assert mine != theirs


def test_the_shared_view_shows_the_items_of_products_on_sale_only(
    wishlist, user_client, api_client
):
    on_sale = WishlistItemFactory(wishlist=wishlist)
    WishlistItemFactory(wishlist=wishlist, product=ProductFactory(is_active=False))
    WishlistItemFactory(wishlist=wishlist, product=ProductFactory(is_deleted=True))
    token = user_client.post(SHARE).json()["token"]

    response = api_client.get(shared_url(token))

    assert product_ids(response) == [str(on_sale.product_id)]


def test_the_shared_view_reveals_nothing_about_the_owner(user, wishlist, api_client):
    WishlistItemFactory(wishlist=wishlist)
    shared = WishlistFactory(user=UserFactory(email="owner@example.com"), shared=True)
    WishlistItemFactory(wishlist=shared)

    response = api_client.get(shared_url(shared.share_token))

    assert response.status_code == 200
    text = response.content.decode()
    assert "owner@example.com" not in text
    assert str(shared.user_id) not in text
    assert str(shared.pk) not in text
    assert response.json()["count"] == 1  # only this list, not the other user's


def test_the_shared_view_is_read_only(api_client):
    shared = WishlistFactory(shared=True)

    response = api_client.post(shared_url(shared.share_token), {"product_id": NO_SUCH_ID})

    assert_error(response, 405, "method_not_allowed")


def test_revoking_the_share_makes_the_old_link_404(user, wishlist, user_client, api_client):
    token = user_client.post(SHARE).json()["token"]

    response = user_client.delete(SHARE)

    assert response.status_code == 204
    assert Wishlist.objects.get(user=user).share_token is None
    assert_error(api_client.get(shared_url(token)), 404, "not_found")


def test_sharing_after_revoking_makes_a_new_token(user_client, api_client):
    old = user_client.post(SHARE).json()["token"]
    user_client.delete(SHARE)

    new = user_client.post(SHARE).json()["token"]

    assert new != old
    assert api_client.get(shared_url(new)).status_code == 200
    assert_error(api_client.get(shared_url(old)), 404, "not_found")


def test_revoking_without_a_wishlist_answers_204(user_client):
    assert user_client.delete(SHARE).status_code == 204


@pytest.mark.parametrize("token", ["x" * 43, "short", "a" * 200, "bad token!", "%00" * 20], ids=str)
def test_an_unknown_or_malformed_token_is_a_404(api_client, token):
    WishlistFactory(shared=True)

    assert_error(api_client.get(shared_url(token)), 404, "not_found")


def test_the_shared_view_query_count_does_not_grow_with_the_items(
    api_client, django_assert_max_num_queries
):
    shared = WishlistFactory(shared=True)
    for _ in range(12):
        WishlistItemFactory(wishlist=shared)

    # wishlist by token, count, items with products, images
    with django_assert_max_num_queries(4):
        response = api_client.get(shared_url(shared.share_token))

    assert response.json()["count"] == 12
