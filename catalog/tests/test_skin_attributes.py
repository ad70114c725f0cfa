"""Products' skin attributes: written by the store, validated, shown, filtered."""

import pytest
from django.db import connection

from catalog.models import Product
from catalog.selectors import json_list_has_q
from catalog.tests.factories import CategoryFactory, ProductFactory
from catalog.tests.helpers import PRODUCTS, assert_validation_error, product_url

pytestmark = pytest.mark.django_db


def names(response) -> list[str]:
    assert response.status_code == 200, response.content
    return sorted(item["name"] for item in response.json()["results"])


def test_seller_sets_skin_attributes_stored_canonical(seller_client):
    body = {
        "name": "Calming Gel",
        "price": "12.00",
        "category": str(CategoryFactory().pk),
        "skin_types": ["sensitive", "dry", "dry"],
        "concerns": ["redness"],
        "ingredients": ["  Centella  Asiatica ", "niacinamide", "NIACINAMIDE"],
    }

    response = seller_client.post(PRODUCTS, body, format="json")

    assert response.status_code == 201, response.content
    data = response.json()
    assert data["skin_types"] == ["dry", "sensitive"]
    assert data["concerns"] == ["redness"]
    assert data["ingredients"] == ["centella asiatica", "niacinamide"]
    product = Product.objects.get(pk=data["id"])
    assert product.ingredients == ["centella asiatica", "niacinamide"]


def test_seller_updates_skin_attributes(seller, seller_client):
    product = ProductFactory(created_by=seller)

    response = seller_client.patch(
        product_url(product), {"concerns": ["acne", "pores"]}, format="json"
    )

    assert response.status_code == 200, response.content
    assert response.json()["concerns"] == ["acne", "pores"]


@pytest.mark.parametrize(
    "field, value",
    [
        ("skin_types", ["greasy"]),
        ("concerns", ["wrinkles"]),
        ("concerns", "acne"),
        ("ingredients", ["x" * 61]),
        ("ingredients", [f"i{n}" for n in range(101)]),
    ],
)
def test_unknown_or_oversized_skin_attributes_are_400(seller, seller_client, field, value):
    product = ProductFactory(created_by=seller)

    response = seller_client.patch(product_url(product), {field: value}, format="json")

    body = assert_validation_error(response)
    # An element's error is named after its place in the list (`concerns.0`).
    assert any(key.split(".")[0] == field for key in body["errors"]), body


def test_list_and_detail_show_skin_attributes(api_client):
    product = ProductFactory(skin_types=["oily"], concerns=["acne"], ingredients=["zinc"])

    listed = api_client.get(PRODUCTS).json()["results"][0]
    detail = api_client.get(product_url(product)).json()

    for body in (listed, detail):
        assert body["skin_types"] == ["oily"]
        assert body["concerns"] == ["acne"]
        assert body["ingredients"] == ["zinc"]


def test_filter_by_skin_type_and_concern(api_client):
    ProductFactory(name="Dry acne", skin_types=["dry"], concerns=["acne"])
    ProductFactory(name="Oily acne", skin_types=["combination", "oily"], concerns=["acne"])
    ProductFactory(name="Sensitive", skin_types=["sensitive"], concerns=["sensitivity"])
    ProductFactory(name="Nothing")

    assert names(api_client.get(PRODUCTS, {"skin_type": "oily"})) == ["Oily acne"]
    assert names(api_client.get(PRODUCTS, {"concern": "acne"})) == ["Dry acne", "Oily acne"]
    # "sensitive" is not a part of "sensitivity": whole values only.
    assert names(api_client.get(PRODUCTS, {"skin_type": "sensitive"})) == ["Sensitive"]
    assert names(api_client.get(PRODUCTS, {"concern": "acne", "skin_type": "dry"})) == ["Dry acne"]


@pytest.mark.parametrize("param", ["skin_type", "concern"])
def test_unknown_filter_value_is_400(api_client, param):
    assert_validation_error(api_client.get(PRODUCTS, {param: "purple"}), param)


def test_facets_count_skin_types_and_concerns_as_the_filters_do(api_client):
    ProductFactory(skin_types=["dry"], concerns=["acne", "redness"])
    ProductFactory(skin_types=["dry", "oily"], concerns=["acne"])
    ProductFactory(skin_types=["sensitive"], concerns=[])
    ProductFactory(skin_types=["oily"], concerns=["acne"], is_active=False)

    body = api_client.get(f"{PRODUCTS}facets/").json()

    assert body["skin_types"] == [
        {"value": "dry", "count": 2},
        {"value": "oily", "count": 1},
        {"value": "sensitive", "count": 1},
    ]
    assert body["concerns"] == [{"value": "acne", "count": 2}, {"value": "redness", "count": 1}]
    for entry in body["concerns"]:
        listed = api_client.get(PRODUCTS, {"concern": entry["value"]}).json()["count"]
        assert listed == entry["count"]
    narrowed = api_client.get(f"{PRODUCTS}facets/", {"concern": "redness"}).json()
    assert narrowed["skin_types"] == [{"value": "dry", "count": 1}]


@pytest.mark.postgres
@pytest.mark.skipif(connection.vendor != "postgresql", reason="GIN indexes are PostgreSQL's")
@pytest.mark.parametrize(
    "field, value, index",
    [
        ("skin_types", "dry", "catalog_prod_skin_gin"),
        ("concerns", "acne", "catalog_prod_concern_gin"),
    ],
)
def test_the_skin_filters_can_use_their_gin_index(field, value, index):
    ProductFactory.create_batch(3, skin_types=["dry"], concerns=["acne"])
    queryset = Product.objects.filter(json_list_has_q(field=field, value=value)).order_by()
    with connection.cursor() as cursor:
        # A tiny table is cheaper to scan; the question is whether the index applies.
        cursor.execute("SET LOCAL enable_seqscan = off")
        plan = queryset.explain()

    assert index in plan, plan
    assert queryset.count() == 3


@pytest.mark.postgres
@pytest.mark.skipif(connection.vendor != "postgresql", reason="the search document is PostgreSQL's")
def test_search_finds_products_by_concern_and_ingredient(seller_client):
    category = CategoryFactory()
    for name, concerns, ingredients in [
        ("Gentle Gel", ["acne"], ["zinc"]),
        ("Night Balm", ["aging"], ["niacinamide"]),
    ]:
        body = {
            "name": name,
            "price": "10.00",
            "category": str(category.pk),
            "concerns": concerns,
            "ingredients": ingredients,
            "stock_quantity": 3,
        }
        assert seller_client.post(PRODUCTS, body, format="json").status_code == 201

    assert names(seller_client.get(PRODUCTS, {"search": "acne"})) == ["Gentle Gel"]
    assert names(seller_client.get(PRODUCTS, {"search": "niacinamide"})) == ["Night Balm"]
