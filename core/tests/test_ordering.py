"""`?ordering=` is one mechanism on every list: known names sort, anything else is a 400."""

import pytest

from accounts.tests.factories import UserFactory
from catalog.tests.factories import BrandFactory, CategoryFactory, ProductFactory
from coupons.tests.factories import CouponFactory
from payments.tests.factories import PaymentFactory
from reviews.tests.factories import ReviewFactory
from wishlist.tests.factories import WishlistFactory, WishlistItemFactory

pytestmark = pytest.mark.django_db

LISTS = [
    ("/api/v1/products/", "anonymous", "price", ProductFactory),
    ("/api/v1/reviews/", "anonymous", "-rating", ReviewFactory),
    ("/api/v1/categories/", "anonymous", "name", CategoryFactory),
    ("/api/v1/brands/", "anonymous", "-created_at", BrandFactory),
    ("/api/v1/orders/", "staff", "-total", None),
    ("/api/v1/payments/", "staff", "amount", PaymentFactory),
    ("/api/v1/users/", "staff", "email", UserFactory),
    ("/api/v1/coupons/", "staff", "-times_used", CouponFactory),
]


def _client(role, api_client, staff_client):
    return staff_client if role == "staff" else api_client


@pytest.mark.parametrize(("url", "role", "known", "factory"), LISTS)
def test_an_unknown_ordering_is_a_400_on_every_list(
    url, role, known, factory, api_client, staff_client
):
    client = _client(role, api_client, staff_client)

    response = client.get(url, {"ordering": "no_such_field"})

    assert response.status_code == 400, (url, response.content)
    body = response.json()
    assert body["code"] == "validation_error"
    assert list(body["errors"]) == ["ordering"]
    assert known.lstrip("-") in body["errors"]["ordering"][0]


@pytest.mark.parametrize(("url", "role", "known", "factory"), LISTS)
def test_a_known_ordering_sorts(url, role, known, factory, api_client, staff_client):
    if factory is not None:
        factory.create_batch(2)
    client = _client(role, api_client, staff_client)

    response = client.get(url, {"ordering": known})

    assert response.status_code == 200, (url, response.content)


def test_the_schema_lists_the_ordering_values_of_a_list(api_client):
    schema = api_client.get("/api/schema/", {"format": "json"}).json()

    [param] = [
        p
        for p in schema["paths"]["/api/v1/orders/"]["get"]["parameters"]
        if p["name"] == "ordering"
    ]
    assert param["schema"]["items"]["enum"] == ["created_at", "-created_at", "total", "-total"]
    assert (param["style"], param["explode"]) == ("form", False)


def test_a_list_without_ordering_choices_refuses_an_ordering(user_client):
    response = user_client.get("/api/v1/users/me/addresses/", {"ordering": "created_at"})

    assert response.status_code == 400
    assert response.json()["errors"] == {"ordering": ["This list cannot be reordered."]}


def test_the_wishlist_orders_by_when_items_were_added(user, user_client):
    wishlist = WishlistFactory(user=user)
    first, second = WishlistItemFactory.create_batch(2, wishlist=wishlist)

    response = user_client.get("/api/v1/wishlist/", {"ordering": "added_at"})

    assert response.status_code == 200, response.content
    assert [item["id"] for item in response.json()["results"]] == [str(first.pk), str(second.pk)]
