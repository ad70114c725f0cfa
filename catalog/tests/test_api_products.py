from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.tests.factories import UserFactory, approved_store_for
from catalog.models import Product
from catalog.services import product_prices_refresh
from catalog.tests.factories import (
    BrandFactory,
    CategoryFactory,
    ProductFactory,
    ProductImageFactory,
)
from catalog.tests.helpers import PRODUCTS, assert_validation_error, product_url

pytestmark = pytest.mark.django_db


def names(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [item["name"] for item in response.json()["results"]]


def new_product_body(category_obj, **overrides):
    body = {"name": "Hydrating Serum", "price": "24.50", "category": str(category_obj.pk)}
    body.update(overrides)
    return body


# --- reading and visibility -------------------------------------------------------------


def test_anonymous_list_shows_only_active_undeleted_products(api_client):
    ProductFactory(name="Visible")
    ProductFactory(name="Inactive", is_active=False)
    ProductFactory(name="Deleted", is_deleted=True, deleted_at=timezone.now())

    assert names(api_client.get(PRODUCTS)) == ["Visible"]


def test_customer_sees_the_same_as_anonymous(user_client):
    ProductFactory(name="Visible")
    ProductFactory(name="Inactive", is_active=False)

    assert names(user_client.get(PRODUCTS)) == ["Visible"]


def test_seller_also_sees_own_inactive_but_not_other_sellers_inactive(seller, seller_client):
    ProductFactory(name="Public")
    ProductFactory(name="Mine hidden", is_active=False, created_by=seller)
    ProductFactory(name="Theirs hidden", is_active=False)

    assert sorted(names(seller_client.get(PRODUCTS))) == ["Mine hidden", "Public"]


def test_staff_sees_all_undeleted_and_can_filter_by_is_active(staff_client):
    ProductFactory(name="Active")
    ProductFactory(name="Inactive", is_active=False)
    ProductFactory(name="Deleted", is_deleted=True)

    assert sorted(names(staff_client.get(PRODUCTS))) == ["Active", "Inactive"]
    assert names(staff_client.get(PRODUCTS, {"is_active": "false"})) == ["Inactive"]
    assert names(staff_client.get(PRODUCTS, {"is_active": "true"})) == ["Active"]


def test_detail_shows_every_field_with_money_as_two_place_strings(api_client):
    product = ProductFactory(price=Decimal("20"), discount_percent=Decimal("25"))
    ProductImageFactory(product=product, is_primary=False, position=0, alt_text="side")
    primary = ProductImageFactory(product=product, is_primary=True, position=1)

    response = api_client.get(product_url(product))

    assert response.status_code == 200
    body = response.json()
    assert set(body) == {
        "id", "name", "slug", "description", "price", "currency", "discount_percent",
        "discount_starts_at", "discount_ends_at", "effective_price", "category", "brand",
        "stock_quantity", "in_stock", "is_active", "images", "average_rating",
        "review_count", "store", "skin_types", "concerns", "ingredients", "created_by",
        "created_at", "updated_at",
    }  # fmt: skip
    assert body["store"] == {
        "id": str(product.store_id),
        "slug": product.store.slug,
        "name": product.store.name,
    }
    assert body["price"] == "20.00"
    assert body["effective_price"] == "15.00"
    assert body["discount_percent"] == "25.00"
    assert body["category"] == {
        "id": str(product.category.pk),
        "name": product.category.name,
        "slug": product.category.slug,
    }
    assert body["brand"]["slug"] == product.brand.slug
    assert body["created_by"] == str(product.created_by_id)
    assert body["in_stock"] is True
    assert body["images"][0]["id"] == str(primary.pk)
    assert body["images"][0]["image"].startswith("http://testserver/media/products/")


def test_product_without_brand_shows_null_brand(api_client):
    product = ProductFactory(brand=None)

    assert api_client.get(product_url(product)).json()["brand"] is None


def test_expired_and_future_discounts_do_not_change_the_effective_price(api_client):
    now = timezone.now()
    expired = ProductFactory(
        price=Decimal("10.00"), discount_percent=Decimal("50"), discount_ends_at=now
    )
    future = ProductFactory(
        price=Decimal("10.00"),
        discount_percent=Decimal("50"),
        discount_starts_at=now + timedelta(days=1),
    )
    running = ProductFactory(
        price=Decimal("10.00"),
        discount_percent=Decimal("50"),
        discount_starts_at=now - timedelta(days=1),
        discount_ends_at=now + timedelta(days=1),
    )

    assert api_client.get(product_url(expired)).json()["effective_price"] == "10.00"
    assert api_client.get(product_url(future)).json()["effective_price"] == "10.00"
    assert api_client.get(product_url(running)).json()["effective_price"] == "5.00"


def test_detail_of_inactive_product_is_404_for_public_and_other_sellers(
    api_client, user_client, other_seller_client
):
    product = ProductFactory(is_active=False)

    for client in (api_client, user_client, other_seller_client):
        response = client.get(product_url(product))
        assert response.status_code == 404
        assert response.json()["code"] == "not_found"


def test_detail_of_own_inactive_product_is_visible_to_its_seller_and_staff(
    seller, seller_client, staff_client
):
    product = ProductFactory(is_active=False, created_by=seller)

    assert seller_client.get(product_url(product)).status_code == 200
    assert staff_client.get(product_url(product)).status_code == 200


def test_soft_deleted_product_is_404_even_for_staff_and_its_seller(
    seller, seller_client, staff_client
):
    product = ProductFactory(created_by=seller, is_deleted=True, deleted_at=timezone.now())

    assert seller_client.get(product_url(product)).status_code == 404
    assert staff_client.get(product_url(product)).status_code == 404


@pytest.mark.parametrize("bad_id", ["not-a-uuid", "123", "00000000-0000-0000-0000-00000000000g"])
def test_malformed_product_id_is_404(api_client, bad_id):
    response = api_client.get(f"{PRODUCTS}{bad_id}/")

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_unknown_product_id_is_404(api_client):
    response = api_client.get(f"{PRODUCTS}7f0c2d6e-1111-4a4a-9b9b-222233334444/")

    assert response.status_code == 404


# --- create -----------------------------------------------------------------------------


def test_seller_creates_product_owned_by_them_with_generated_slug(seller, seller_client):
    category = CategoryFactory()
    brand = BrandFactory()

    response = seller_client.post(
        PRODUCTS,
        new_product_body(
            category,
            brand=str(brand.pk),
            description="For dry skin.",
            stock_quantity=7,
            discount_percent="10",
            currency="EUR",
        ),
    )

    assert response.status_code == 201, response.content
    body = response.json()
    product = Product.objects.get(pk=body["id"])
    assert product.created_by == seller
    assert product.slug == "hydrating-serum" == body["slug"]
    assert body["price"] == "24.50"
    assert body["effective_price"] == "22.05"
    assert body["currency"] == "EUR"
    assert body["brand"]["id"] == str(brand.pk)
    assert body["stock_quantity"] == 7


def test_staff_can_create_a_product_in_a_store_they_name(staff, staff_client):
    store = approved_store_for(UserFactory())

    response = staff_client.post(
        PRODUCTS, {**new_product_body(CategoryFactory()), "store": str(store.pk)}
    )

    assert response.status_code == 201
    product = Product.objects.get(pk=response.json()["id"])
    assert product.created_by == staff
    assert product.store == store


def test_staff_without_a_store_must_name_one(staff_client):
    response = staff_client.post(PRODUCTS, new_product_body(CategoryFactory()))

    assert response.status_code == 400
    assert "store" in response.json()["errors"]


def test_a_seller_cannot_list_a_product_in_another_store(seller_client):
    other = approved_store_for(UserFactory())

    response = seller_client.post(
        PRODUCTS, {**new_product_body(CategoryFactory()), "store": str(other.pk)}
    )

    assert response.status_code == 400
    assert not Product.objects.exists()


def test_currency_defaults_to_the_store_currency(seller_client, settings):
    response = seller_client.post(PRODUCTS, new_product_body(CategoryFactory()))

    assert response.json()["currency"] == settings.DEFAULT_CURRENCY


def test_create_ignores_server_side_fields(seller, seller_client, other_seller):
    response = seller_client.post(
        PRODUCTS,
        new_product_body(
            CategoryFactory(),
            created_by=str(other_seller.pk),
            slug="chosen-slug",
            average_rating="5.00",
            review_count=99,
            is_deleted=True,
            id="7f0c2d6e-1111-4a4a-9b9b-222233334444",
        ),
    )

    assert response.status_code == 201
    product = Product.objects.get(pk=response.json()["id"])
    assert product.created_by == seller
    assert product.slug == "hydrating-serum"
    assert product.average_rating == 0
    assert product.review_count == 0
    assert product.is_deleted is False
    assert str(product.pk) != "7f0c2d6e-1111-4a4a-9b9b-222233334444"


def test_names_with_the_same_slug_get_distinct_slugs(seller_client):
    category = CategoryFactory()

    first = seller_client.post(PRODUCTS, new_product_body(category, name="Night Cream!"))
    second = seller_client.post(PRODUCTS, new_product_body(category, name="Night Cream?"))

    assert (first.status_code, second.status_code) == (201, 201)
    assert first.json()["slug"] == "night-cream"
    assert second.json()["slug"].startswith("night-cream-")
    assert second.json()["slug"] != first.json()["slug"]


def test_customer_cannot_create_a_product(user_client):
    response = user_client.post(PRODUCTS, new_product_body(CategoryFactory()))

    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"
    assert not Product.objects.exists()


def test_anonymous_cannot_create_a_product(api_client):
    response = api_client.post(PRODUCTS, new_product_body(CategoryFactory()))

    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"name": ""}, "name"),
        ({"name": "   "}, "name"),
        ({"name": "x" * 201}, "name"),
        ({"price": "0"}, "price"),
        ({"price": "-1.00"}, "price"),
        ({"price": "1.999"}, "price"),
        ({"price": "abc"}, "price"),
        ({"price": "NaN"}, "price"),
        ({"stock_quantity": -1}, "stock_quantity"),
        ({"stock_quantity": 2**40}, "stock_quantity"),
        ({"discount_percent": "100"}, "discount_percent"),
        ({"discount_percent": "-5"}, "discount_percent"),
        ({"currency": "usd"}, "currency"),
        ({"currency": "US"}, "currency"),
        ({"currency": "USDX"}, "currency"),
        ({"category": "not-a-uuid"}, "category"),
        ({"category": "7f0c2d6e-1111-4a4a-9b9b-222233334444"}, "category"),
        ({"brand": "nope"}, "brand"),
        ({"discount_starts_at": "yesterday"}, "discount_starts_at"),
        (
            {
                "discount_starts_at": "2030-01-02T00:00:00Z",
                "discount_ends_at": "2030-01-01T00:00:00Z",
            },
            "discount_ends_at",
        ),
    ],
)
def test_create_with_invalid_field_is_a_validation_error(seller_client, overrides, field):
    response = seller_client.post(PRODUCTS, new_product_body(CategoryFactory(), **overrides))

    assert_validation_error(response, field)
    assert not Product.objects.exists()


def test_create_without_required_fields_names_each_of_them(seller_client):
    response = seller_client.post(PRODUCTS, {})

    assert_validation_error(response, "name", "price", "category")


def test_name_must_be_unique_case_insensitively(seller_client):
    ProductFactory(name="Vitamin C Serum")

    response = seller_client.post(
        PRODUCTS, new_product_body(CategoryFactory(), name="VITAMIN c serum")
    )

    body = assert_validation_error(response, "name")
    assert "already exists" in body["errors"]["name"][0]


def test_name_of_a_soft_deleted_product_can_be_reused(seller, seller_client):
    old = ProductFactory(name="Retinol Cream", created_by=seller)
    assert seller_client.delete(product_url(old)).status_code == 204

    response = seller_client.post(
        PRODUCTS, new_product_body(CategoryFactory(), name="Retinol Cream")
    )

    assert response.status_code == 201
    assert response.json()["slug"] != old.slug


def test_a_name_taken_in_a_race_is_a_400_not_a_500(seller_client, monkeypatch):
    # Both checks that run before the INSERT are passed, as when two requests interleave;
    # the partial unique index must still refuse the duplicate.
    ProductFactory(name="Race Condition")
    monkeypatch.setattr("catalog.serializers.product_name_taken", lambda **kwargs: False)
    monkeypatch.setattr("catalog.services.product_name_taken", lambda **kwargs: False)

    response = seller_client.post(
        PRODUCTS, new_product_body(CategoryFactory(), name="race condition")
    )

    assert_validation_error(response, "name")
    assert Product.objects.count() == 1


def test_json_body_that_is_not_json_is_a_400(seller_client):
    response = seller_client.post(PRODUCTS, "{not json", content_type="application/json")

    assert response.status_code == 400
    assert response.json()["code"] == "validation_error"


def test_unsupported_content_type_is_415(seller_client):
    response = seller_client.post(PRODUCTS, "name=x", content_type="text/plain")

    assert response.status_code == 415
    assert response.json()["code"] == "unsupported_media_type"


# --- update -----------------------------------------------------------------------------


def test_seller_updates_own_product(seller, seller_client):
    product = ProductFactory(created_by=seller, name="Old name")
    new_category = CategoryFactory()

    response = seller_client.patch(
        product_url(product),
        {"name": "New name", "price": "9.99", "category": str(new_category.pk), "brand": None},
    )

    assert response.status_code == 200, response.content
    product.refresh_from_db()
    assert product.name == "New name"
    assert product.price == Decimal("9.99")
    assert product.category == new_category
    assert product.brand is None
    assert response.json()["category"]["id"] == str(new_category.pk)
    assert response.json()["slug"] == product.slug  # links keep working after a rename


def test_seller_can_keep_the_current_name_when_updating(seller, seller_client):
    product = ProductFactory(created_by=seller, name="Same")

    response = seller_client.patch(product_url(product), {"name": "Same", "stock_quantity": 0})

    assert response.status_code == 200
    assert response.json()["in_stock"] is False


def test_seller_can_deactivate_own_product_and_still_see_it(seller, seller_client, api_client):
    product = ProductFactory(created_by=seller)

    response = seller_client.patch(product_url(product), {"is_active": False})

    assert response.status_code == 200
    assert api_client.get(product_url(product)).status_code == 404
    assert seller_client.get(product_url(product)).status_code == 200


def test_put_replaces_the_writable_fields(seller, seller_client):
    product = ProductFactory(created_by=seller, description="old", discount_percent=Decimal(10))
    category = CategoryFactory()

    response = seller_client.put(
        product_url(product),
        {"name": "Replaced", "price": "5.00", "category": str(category.pk),
         "discount_percent": None},
    )  # fmt: skip

    assert response.status_code == 200, response.content
    product.refresh_from_db()
    assert (product.name, product.price, product.discount_percent) == (
        "Replaced", Decimal("5.00"), None,
    )  # fmt: skip


def test_put_without_required_fields_is_a_validation_error(seller, seller_client):
    product = ProductFactory(created_by=seller)

    assert_validation_error(seller_client.put(product_url(product), {"name": "x"}), "price")


def test_update_cannot_change_owner_slug_or_ratings(seller, seller_client, other_seller):
    product = ProductFactory(created_by=seller)
    slug = product.slug

    response = seller_client.patch(
        product_url(product),
        {"created_by": str(other_seller.pk), "slug": "x", "average_rating": "4.5",
         "review_count": 3, "is_deleted": True},
    )  # fmt: skip

    assert response.status_code == 200
    product.refresh_from_db()
    assert product.created_by == seller
    assert product.slug == slug
    assert product.average_rating == 0
    assert product.review_count == 0
    assert product.is_deleted is False


def test_update_to_a_taken_name_is_a_validation_error(seller, seller_client):
    ProductFactory(name="Taken")
    product = ProductFactory(created_by=seller)

    assert_validation_error(seller_client.patch(product_url(product), {"name": "taken"}), "name")


def test_update_discount_end_before_existing_start_is_a_validation_error(seller, seller_client):
    product = ProductFactory(
        created_by=seller,
        discount_percent=Decimal(10),
        discount_starts_at=timezone.now() + timedelta(days=2),
    )

    response = seller_client.patch(
        product_url(product),
        {"discount_ends_at": (timezone.now() + timedelta(days=1)).isoformat()},
    )

    assert_validation_error(response, "discount_ends_at")


def test_seller_cannot_update_another_sellers_product(other_seller_client):
    product = ProductFactory(name="Theirs")

    response = other_seller_client.patch(product_url(product), {"name": "Hijacked"})

    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"
    product.refresh_from_db()
    assert product.name == "Theirs"


def test_another_sellers_inactive_product_is_404_not_403(other_seller_client):
    product = ProductFactory(is_active=False)

    assert other_seller_client.patch(product_url(product), {"name": "x"}).status_code == 404


def test_customer_cannot_update_a_product(user_client):
    product = ProductFactory()

    assert user_client.patch(product_url(product), {"name": "x"}).status_code == 403


def test_anonymous_cannot_update_a_product(api_client):
    product = ProductFactory()

    assert api_client.patch(product_url(product), {"name": "x"}).status_code == 401


def test_seller_who_lost_the_seller_role_cannot_update(seller, seller_client):
    product = ProductFactory(created_by=seller)
    seller.is_seller = False
    seller.save()

    assert seller_client.patch(product_url(product), {"name": "x"}).status_code == 403


def test_staff_can_update_any_product(staff_client):
    product = ProductFactory(is_active=False)

    response = staff_client.patch(product_url(product), {"is_active": True, "stock_quantity": 3})

    assert response.status_code == 200
    product.refresh_from_db()
    assert product.is_active is True
    assert product.stock_quantity == 3


# --- delete -----------------------------------------------------------------------------


def test_delete_is_a_soft_delete_and_hides_the_product(seller, seller_client, api_client):
    product = ProductFactory(created_by=seller)

    response = seller_client.delete(product_url(product))

    assert response.status_code == 204
    product.refresh_from_db()
    assert product.is_deleted is True
    assert product.deleted_at is not None
    assert api_client.get(product_url(product)).status_code == 404
    assert names(api_client.get(PRODUCTS)) == []
    assert names(seller_client.get(PRODUCTS)) == []


def test_deleting_twice_is_404(seller, seller_client):
    product = ProductFactory(created_by=seller)
    seller_client.delete(product_url(product))

    assert seller_client.delete(product_url(product)).status_code == 404


def test_seller_cannot_delete_another_sellers_product(other_seller_client):
    product = ProductFactory()

    assert other_seller_client.delete(product_url(product)).status_code == 403
    product.refresh_from_db()
    assert product.is_deleted is False


def test_customer_and_anonymous_cannot_delete(user_client, api_client):
    product = ProductFactory()

    assert user_client.delete(product_url(product)).status_code == 403
    assert api_client.delete(product_url(product)).status_code == 401
    product.refresh_from_db()
    assert product.is_deleted is False


def test_staff_can_delete_any_product(staff_client):
    product = ProductFactory()

    assert staff_client.delete(product_url(product)).status_code == 204
    product.refresh_from_db()
    assert product.is_deleted is True


# --- search -----------------------------------------------------------------------------


def test_search_matches_part_of_the_name_case_insensitively(api_client):
    ProductFactory(name="Hyaluronic Acid Serum")
    ProductFactory(name="Mineral Sunscreen")

    assert names(api_client.get(PRODUCTS, {"search": "ACID ser"})) == ["Hyaluronic Acid Serum"]
    assert names(api_client.get(PRODUCTS, {"search": "uronic"})) == ["Hyaluronic Acid Serum"]


def test_search_matches_the_category_name(api_client):
    sunscreens = CategoryFactory(name="Sunscreens")
    ProductFactory(name="Daily Fluid", category=sunscreens)
    ProductFactory(name="Night Balm")

    assert names(api_client.get(PRODUCTS, {"search": "sunscr"})) == ["Daily Fluid"]


def test_search_matches_the_brand_name(api_client):
    ProductFactory(name="Cleanser", brand=BrandFactory(name="La Roche-Posay"))
    ProductFactory(name="Toner")

    assert names(api_client.get(PRODUCTS, {"search": "roche"})) == ["Cleanser"]


def test_search_with_several_words_needs_every_word_to_match_somewhere(api_client):
    cerave = BrandFactory(name="CeraVe")
    ProductFactory(name="Moisturising Cream", brand=cerave)
    ProductFactory(name="Moisturising Lotion", brand=cerave)
    ProductFactory(name="Foaming Cream")

    assert names(api_client.get(PRODUCTS, {"search": "cerave cream"})) == ["Moisturising Cream"]
    assert names(api_client.get(PRODUCTS, {"search": "  cream   moist "})) == ["Moisturising Cream"]


def test_search_without_a_match_is_empty(api_client):
    ProductFactory(name="Serum")

    assert names(api_client.get(PRODUCTS, {"search": "zzz"})) == []


def test_search_does_not_reveal_hidden_products(api_client):
    ProductFactory(name="Secret Serum", is_active=False)

    assert names(api_client.get(PRODUCTS, {"search": "secret"})) == []


def test_search_treats_sql_wildcards_literally(api_client):
    ProductFactory(name="Serum 100%")
    ProductFactory(name="Serum 1000")

    assert names(api_client.get(PRODUCTS, {"search": "100%"})) == ["Serum 100%"]


# --- filters ----------------------------------------------------------------------------


def test_category_filter_includes_subcategories_at_any_depth(api_client):
    skincare = CategoryFactory(slug="skincare")
    serums = CategoryFactory(parent=skincare)
    vitamin_c = CategoryFactory(parent=serums)
    ProductFactory(name="Top", category=skincare)
    ProductFactory(name="Child", category=serums)
    ProductFactory(name="Grandchild", category=vitamin_c)
    ProductFactory(name="Elsewhere")

    assert sorted(names(api_client.get(PRODUCTS, {"category": "skincare"}))) == [
        "Child", "Grandchild", "Top",
    ]  # fmt: skip
    assert sorted(names(api_client.get(PRODUCTS, {"category": serums.slug}))) == [
        "Child", "Grandchild",
    ]  # fmt: skip


def test_unknown_category_slug_gives_an_empty_list(api_client):
    ProductFactory()

    assert names(api_client.get(PRODUCTS, {"category": "no-such-category"})) == []


def test_brand_filter_uses_the_slug(api_client):
    ProductFactory(name="A", brand=BrandFactory(slug="avene"))
    ProductFactory(name="B")

    assert names(api_client.get(PRODUCTS, {"brand": "avene"})) == ["A"]


def test_price_filters_use_the_effective_price(api_client):
    ProductFactory(name="Cheap", price=Decimal("5.00"))
    ProductFactory(name="Discounted", price=Decimal("40.00"), discount_percent=Decimal("50"))
    ProductFactory(name="Dear", price=Decimal("40.00"))

    assert sorted(names(api_client.get(PRODUCTS, {"max_price": "20"}))) == ["Cheap", "Discounted"]
    assert sorted(names(api_client.get(PRODUCTS, {"min_price": "20.00"}))) == [
        "Dear", "Discounted",
    ]  # fmt: skip
    assert names(api_client.get(PRODUCTS, {"min_price": "21", "max_price": "39.99"})) == []


def test_in_stock_filter(api_client):
    ProductFactory(name="Available", stock_quantity=3)
    ProductFactory(name="Sold out", stock_quantity=0)

    assert names(api_client.get(PRODUCTS, {"in_stock": "true"})) == ["Available"]
    assert names(api_client.get(PRODUCTS, {"in_stock": "false"})) == ["Sold out"]


def test_seller_filter(api_client, seller):
    ProductFactory(name="Mine", created_by=seller)
    ProductFactory(name="Theirs")

    assert names(api_client.get(PRODUCTS, {"seller": str(seller.pk)})) == ["Mine"]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"min_price": "abc"}, "min_price"),
        ({"max_price": "1e999"}, "max_price"),
        ({"min_price": "-1"}, "min_price"),
        ({"min_price": "30", "max_price": "10"}, "max_price"),
        ({"in_stock": "maybe"}, "in_stock"),
        ({"is_active": "sometimes"}, "is_active"),
        ({"seller": "not-a-uuid"}, "seller"),
        ({"category": "bad slug!"}, "category"),
        ({"brand": "<script>"}, "brand"),
        ({"ordering": "stock_quantity"}, "ordering"),
        ({"ordering": "price;drop"}, "ordering"),
        ({"search": "x" * 201}, "search"),
    ],
)
def test_bad_filter_values_are_a_validation_error(api_client, params, field):
    assert_validation_error(api_client.get(PRODUCTS, params), field)


# --- ordering ---------------------------------------------------------------------------


def test_default_ordering_is_newest_first(api_client):
    ProductFactory(name="Old")
    ProductFactory(name="New")

    assert names(api_client.get(PRODUCTS)) == ["New", "Old"]
    assert names(api_client.get(PRODUCTS, {"ordering": "created_at"})) == ["Old", "New"]


def test_price_ordering_uses_the_effective_price(api_client):
    ProductFactory(name="Ten", price=Decimal("10.00"))
    ProductFactory(name="Thirty half off", price=Decimal("30.00"), discount_percent=Decimal("50"))
    ProductFactory(name="Twenty", price=Decimal("20.00"))

    assert names(api_client.get(PRODUCTS, {"ordering": "price"})) == [
        "Ten", "Thirty half off", "Twenty",
    ]  # fmt: skip
    assert names(api_client.get(PRODUCTS, {"ordering": "-price"})) == [
        "Twenty", "Thirty half off", "Ten",
    ]  # fmt: skip


def test_price_ordering_and_filters_use_the_stored_price_until_the_next_refresh(api_client):
    # A discount whose scheduled start has just passed: the listing sorts and filters by
    # the stored price, which follows at the next refresh; the field shows the exact price.
    ProductFactory(name="Ten", price=Decimal("10.00"))
    twenty = ProductFactory(
        name="Twenty quarter price",
        price=Decimal("20.00"),
        discount_percent=Decimal("75"),
        discount_starts_at=timezone.now() + timedelta(hours=1),
    )
    Product.objects.filter(pk=twenty.pk).update(
        discount_starts_at=timezone.now() - timedelta(minutes=1)
    )

    before = api_client.get(PRODUCTS, {"ordering": "price"}).json()["results"]
    cheap_before = names(api_client.get(PRODUCTS, {"max_price": "10"}))
    product_prices_refresh()
    after = names(api_client.get(PRODUCTS, {"ordering": "price"}))
    cheap_after = names(api_client.get(PRODUCTS, {"max_price": "10", "ordering": "-price"}))

    assert [(p["name"], p["effective_price"]) for p in before] == [
        ("Ten", "10.00"),
        ("Twenty quarter price", "5.00"),
    ]
    assert cheap_before == ["Ten"]
    assert after == ["Twenty quarter price", "Ten"]
    assert cheap_after == ["Ten", "Twenty quarter price"]


def test_equal_prices_page_by_newest_first_then_id_without_overlap(api_client):
    category, brand = CategoryFactory(), BrandFactory()
    created = ProductFactory.create_batch(6, price=Decimal("10.00"), category=category, brand=brand)
    Product.objects.update(created_at=timezone.now())  # all in the same instant

    def walk(order):
        return [
            name
            for page in (1, 2, 3)
            for name in names(
                api_client.get(PRODUCTS, {"ordering": order, "page_size": 2, "page": page})
            )
        ]

    expected = [p.name for p in sorted(created, key=lambda p: p.pk)]
    assert walk("price") == expected
    assert walk("-price") == expected


def test_name_ordering(api_client):
    for name in ("b", "c", "a"):
        ProductFactory(name=name)

    assert names(api_client.get(PRODUCTS, {"ordering": "name"})) == ["a", "b", "c"]
    assert names(api_client.get(PRODUCTS, {"ordering": "-name"})) == ["c", "b", "a"]


def test_rating_ordering_and_its_average_rating_alias(api_client):
    ProductFactory(name="Good", average_rating=Decimal("4.20"))
    ProductFactory(name="Best", average_rating=Decimal("4.90"))
    ProductFactory(name="Poor", average_rating=Decimal("2.00"))

    assert names(api_client.get(PRODUCTS, {"ordering": "-rating"})) == ["Best", "Good", "Poor"]
    assert names(api_client.get(PRODUCTS, {"ordering": "rating"})) == ["Poor", "Good", "Best"]
    assert names(api_client.get(PRODUCTS, {"ordering": "-average_rating"})) == [
        "Best", "Good", "Poor",
    ]  # fmt: skip


# --- pagination -------------------------------------------------------------------------


def test_list_is_paginated_with_page_size(api_client):
    category, brand = CategoryFactory(), BrandFactory()
    ProductFactory.create_batch(5, category=category, brand=brand)

    body = api_client.get(PRODUCTS, {"page_size": 2, "page": 2}).json()

    assert body["count"] == 5
    assert len(body["results"]) == 2
    assert body["next"] and body["previous"]


def test_page_size_is_capped_at_100(api_client, seller):
    category, brand = CategoryFactory(), BrandFactory()
    ProductFactory.create_batch(101, category=category, brand=brand, created_by=seller)

    body = api_client.get(PRODUCTS, {"page_size": 1000}).json()

    assert body["count"] == 101
    assert len(body["results"]) == 100


def test_page_beyond_the_end_is_404(api_client):
    ProductFactory()

    response = api_client.get(PRODUCTS, {"page": 5})

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


# --- query counts -----------------------------------------------------------------------


# The page of products (category, brand and store joined) and their images: one query on
# PostgreSQL (the images as an array per row), two elsewhere.
def _page_queries() -> int:
    return 1 if connection.vendor == "postgresql" else 2


def _make_products(count, category, brand, seller):
    for _ in range(count):
        product = ProductFactory(category=category, brand=brand, created_by=seller)
        ProductImageFactory(product=product, is_primary=True)
        ProductImageFactory(product=product, position=1)


@pytest.mark.parametrize("count", [5, 50])
def test_a_list_that_fits_one_page_costs_the_page_queries_whatever_the_page_size(
    api_client, seller, django_assert_num_queries, count
):
    # The last page gives the exact count without counting.
    _make_products(count, CategoryFactory(), BrandFactory(), seller)

    with django_assert_num_queries(_page_queries()):
        response = api_client.get(PRODUCTS, {"page_size": 100})

    assert len(response.json()["results"]) == count
    assert all(len(item["images"]) == 2 for item in response.json()["results"])


@pytest.mark.parametrize(
    "params", [{"ordering": "price"}, {"ordering": "-price", "min_price": "1", "max_price": "50"}]
)
def test_price_sorted_and_filtered_list_costs_the_page_queries(
    api_client, seller, django_assert_num_queries, params
):
    _make_products(5, CategoryFactory(), BrandFactory(), seller)

    with django_assert_num_queries(_page_queries()):
        response = api_client.get(PRODUCTS, params)

    assert len(response.json()["results"]) == 5


def test_a_product_and_its_images_cost_the_page_queries(
    api_client, seller, django_assert_num_queries
):
    _make_products(1, CategoryFactory(), BrandFactory(), seller)
    product = Product.objects.get()

    with django_assert_num_queries(_page_queries()):
        response = api_client.get(product_url(product))

    assert response.status_code == 200
    assert [image["is_primary"] for image in response.json()["images"]] == [True, False]


def test_filtered_product_list_query_count_does_not_grow_for_sellers_and_staff(
    seller, seller_client, staff_client
):
    category, brand = CategoryFactory(), BrandFactory()
    params = {"page_size": 100, "search": "product", "category": category.slug}
    counts = {}

    for size in (5, 50):
        _make_products(size - (5 if size == 50 else 0), category, brand, seller)
        for label, client in (("seller", seller_client), ("staff", staff_client)):
            with CaptureQueriesContext(connection) as queries:
                response = client.get(PRODUCTS, params)
            assert len(response.json()["results"]) == size
            counts[(label, size)] = len(queries)

    assert counts[("seller", 5)] == counts[("seller", 50)]
    assert counts[("staff", 5)] == counts[("staff", 50)]
    # user, category slug, category tree, the search's own lookups (category and brand
    # names; on PostgreSQL the name words, and the few-matches check: an estimate, then a
    # bounded count in a savepoint with its SET LOCALs), the count, page, images.
    assert counts[("seller", 50)] <= 16


def test_a_page_that_is_not_the_last_costs_the_same_whatever_its_size(api_client, seller):
    # Page, images and the count (on PostgreSQL: the planner's estimate, then the count
    # of at most EXACT_COUNT_LIMIT + 1 rows).
    _make_products(12, CategoryFactory(), BrandFactory(), seller)
    counts = []

    for size in (2, 10):
        with CaptureQueriesContext(connection) as queries:
            body = api_client.get(PRODUCTS, {"page_size": size}).json()
        assert len(body["results"]) == size
        assert body["count"] == 12
        counts.append(len(queries))

    assert counts[0] == counts[1] <= 4


def test_search_with_a_nul_character_is_a_validation_error(api_client):
    assert_validation_error(api_client.get(PRODUCTS, {"search": "a\x00b"}), "search")


@pytest.mark.parametrize("params", [{"page": "0"}, {"page": "two"}, {"page_size": "0"},
                                    {"page_size": "-5"}, {"page_size": "lots"}])  # fmt: skip
def test_a_page_or_page_size_that_is_not_a_positive_whole_number_is_400(api_client, params):
    response = api_client.get(PRODUCTS, params)

    assert_validation_error(response, *params)


def test_empty_page_parameters_mean_the_defaults(api_client):
    ProductFactory()

    response = api_client.get(PRODUCTS, {"page": "", "page_size": ""})

    assert response.status_code == 200
    assert response.json()["count"] == 1
