"""What a store's status and figures mean for the catalog, carts, checkout, reviews,
wishlists and recommendations."""

import threading
from decimal import Decimal

import pytest
from django.db import connection

from accounts.tests.factories import UserFactory
from cart.tests.factories import CartFactory, CartItemFactory
from catalog.models import Product
from catalog.services import product_create, product_soft_delete, product_update
from catalog.tests.factories import CategoryFactory, ProductFactory
from recommendations.selectors import product_recommendations
from reviews.models import ReviewStatus
from reviews.services import review_create, review_hide
from stores.models import StoreStatus
from stores.services import store_reinstate, store_suspend
from stores.tests.factories import StoreFactory
from wishlist.tests.factories import WishlistItemFactory

pytestmark = pytest.mark.django_db

PRODUCTS = "/api/v1/products/"


@pytest.fixture
def store():
    return StoreFactory(status=StoreStatus.APPROVED)


@pytest.fixture
def product(store):
    return ProductFactory(store=store, created_by=store.owner, stock_quantity=5)


def _ids(response) -> list[str]:
    return [row["id"] for row in response.json()["results"]]


def test_a_suspended_stores_products_leave_the_public_catalog_and_come_back(
    api_client, store, product
):
    store_suspend(store=store, reason="Checks")
    hidden_list = api_client.get(PRODUCTS)
    hidden_search = api_client.get(PRODUCTS, {"search": product.name})
    hidden_detail = api_client.get(f"{PRODUCTS}{product.pk}/")

    store_reinstate(store=store)

    assert _ids(hidden_list) == _ids(hidden_search) == []
    assert hidden_detail.status_code == 404
    assert _ids(api_client.get(PRODUCTS)) == [str(product.pk)]


def test_the_owner_and_staff_still_see_a_suspended_stores_products(
    client_for, staff_client, store, product
):
    store_suspend(store=store, reason="Checks")

    assert _ids(client_for(store.owner).get(PRODUCTS)) == [str(product.pk)]
    assert _ids(staff_client.get(PRODUCTS)) == [str(product.pk)]


def test_products_of_a_pending_store_are_not_public(api_client):
    pending = StoreFactory()
    ProductFactory(store=pending, created_by=pending.owner)

    assert _ids(api_client.get(PRODUCTS)) == []


def test_products_filter_by_store_slug_and_show_their_store(api_client, store, product):
    other = StoreFactory(status=StoreStatus.APPROVED)
    ProductFactory(store=other, created_by=other.owner)

    response = api_client.get(PRODUCTS, {"store": store.slug})

    assert _ids(response) == [str(product.pk)]
    assert response.json()["results"][0]["store"] == {
        "id": str(store.pk),
        "slug": store.slug,
        "name": store.name,
    }
    assert _ids(api_client.get(PRODUCTS, {"store": "nobody"})) == []


def test_a_suspended_stores_product_cannot_be_added_to_a_cart(api_client, store, product):
    store_suspend(store=store, reason="Checks")

    response = api_client.post("/api/v1/cart/", {"product_id": str(product.pk), "quantity": 1})

    assert response.status_code == 400
    assert "product_id" in response.json()["errors"]


def test_checking_out_a_cart_holding_a_suspended_stores_product_is_a_clear_400(
    user, user_client, store, product
):
    other = ProductFactory(stock_quantity=5)
    cart = CartFactory(user=user)
    CartItemFactory(cart=cart, product=product, quantity=2)
    CartItemFactory(cart=cart, product=other, quantity=1)
    store_suspend(store=store, reason="Checks")

    response = user_client.post(
        "/api/v1/orders/",
        {
            "shipping_address": {
                "full_name": "Ana",
                "line1": "1 Main St",
                "city": "Lisbon",
                "postal_code": "1000",
                "country": "PT",
            }
        },
    )

    assert response.status_code == 400
    assert product.name in response.json()["errors"]["cart"][0]
    product.refresh_from_db()
    other.refresh_from_db()
    assert (product.stock_quantity, other.stock_quantity) == (5, 5)  # nothing changed
    assert cart.items.count() == 2


def test_a_cart_shows_a_suspended_stores_line_as_unavailable(api_client, store, product):
    added = api_client.post("/api/v1/cart/", {"product_id": str(product.pk), "quantity": 1})
    token = added["X-Cart-Token"]
    store_suspend(store=store, reason="Checks")

    response = api_client.get("/api/v1/cart/", HTTP_X_CART_TOKEN=token)

    assert response.json()["items"][0]["product"]["is_active"] is False


def test_a_wishlist_shows_a_suspended_stores_product_as_unavailable(
    user, user_client, store, product
):
    WishlistItemFactory(wishlist__user=user, product=product)
    store_suspend(store=store, reason="Checks")

    response = user_client.get("/api/v1/wishlist/")

    assert response.json()["results"][0]["product"]["is_active"] is False


def test_recommendations_leave_out_a_suspended_stores_products(store, product):
    source = ProductFactory(category=product.category)
    store_suspend(store=store, reason="Checks")

    recommended = product_recommendations(product=source, limit=10)

    assert product.pk not in {item.product.pk for item in recommended.similar}


def test_a_suspended_stores_product_cannot_be_reviewed(user, store, product):
    store_suspend(store=store, reason="Checks")

    with pytest.raises(Exception) as caught:
        review_create(user=user, product_id=product.pk, rating=5)

    assert getattr(caught.value, "code", "") == "validation_error"


def test_a_seller_cannot_review_their_own_stores_product(client_for, store, product):
    response = client_for(store.owner).post(
        "/api/v1/reviews/", {"product": str(product.pk), "rating": 5}
    )

    assert response.status_code == 403


def test_a_suspended_store_cannot_list_new_products(client_for, store):
    store_suspend(store=store, reason="Checks")
    store.owner.refresh_from_db()

    response = client_for(store.owner).post(
        PRODUCTS,
        {"name": "New", "price": "5.00", "category": str(CategoryFactory().pk)},
    )

    assert response.status_code == 403
    assert not Product.objects.filter(name="New").exists()


# --- storefront figures ---------------------------------------------------------------


def _create(store, name, **fields):
    return product_create(
        created_by=store.owner,
        store=store,
        name=name,
        price=Decimal("10.00"),
        category=CategoryFactory(),
        **fields,
    )


def test_the_product_count_follows_creations_deactivations_and_deletions(store):
    first = _create(store, "One")
    _create(store, "Two")
    _create(store, "Hidden", is_active=False)
    store.refresh_from_db()
    assert store.product_count == 2

    product_update(product=first, data={"is_active": False})
    store.refresh_from_db()
    assert store.product_count == 1

    product_update(product=first, data={"is_active": True})
    product_soft_delete(product=first)
    store.refresh_from_db()
    assert store.product_count == 1


def test_the_store_rating_is_over_its_products_approved_reviews(store):
    cream, serum = _create(store, "Cream"), _create(store, "Serum")
    elsewhere = ProductFactory()
    review_create(user=UserFactory(), product_id=cream.pk, rating=5)
    review_create(user=UserFactory(), product_id=cream.pk, rating=4)
    hidden = review_create(user=UserFactory(), product_id=serum.pk, rating=1)
    review_create(user=UserFactory(), product_id=serum.pk, rating=2)
    review_create(user=UserFactory(), product_id=elsewhere.pk, rating=1)
    review_hide(review=hidden, by=UserFactory(is_staff=True))

    store.refresh_from_db()

    # (5 + 4 + 2) / 3, rounded half up; not the average of the products' averages.
    assert store.review_count == 3
    assert store.average_rating == Decimal("3.67")
    hidden.refresh_from_db()
    assert hidden.status == ReviewStatus.HIDDEN


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_reviews_of_one_stores_products_keep_its_figures_exact():
    if connection.vendor != "postgresql":
        pytest.skip("row locks need PostgreSQL")
    store = StoreFactory(status=StoreStatus.APPROVED)
    products = [_create(store, f"Product {number}") for number in range(4)]
    reviewers = [UserFactory() for _ in range(12)]
    barrier = threading.Barrier(len(reviewers))
    errors = []

    def review(number, reviewer):
        try:
            barrier.wait()
            rating = number % 5 + 1
            review_create(user=reviewer, product_id=products[number % 4].pk, rating=rating)
        except Exception as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [
        threading.Thread(target=review, args=(number, reviewer))
        for number, reviewer in enumerate(reviewers)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    store.refresh_from_db()
    ratings = [number % 5 + 1 for number in range(12)]
    assert store.review_count == 12
    assert store.average_rating == (Decimal(sum(ratings)) / 12).quantize(Decimal("0.01"))


def test_suspending_a_store_drops_its_products_from_cached_public_lists(
    api_client, store, product, django_capture_on_commit_callbacks
):
    assert _ids(api_client.get(PRODUCTS)) == [str(product.pk)]  # now cached
    assert _ids(api_client.get(PRODUCTS)) == [str(product.pk)]

    with django_capture_on_commit_callbacks(execute=True):
        store_suspend(store=store, reason="Checks")

    assert _ids(api_client.get(PRODUCTS)) == []
    assert api_client.get(f"{PRODUCTS}{product.pk}/").status_code == 404
