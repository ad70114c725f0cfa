from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from accounts.tests.factories import UserFactory, approved_store_for
from catalog import services
from catalog.models import Category, Product, ProductImage
from catalog.selectors import (
    category_ancestor_ids,
    category_descendant_ids,
    effective_price_expression,
    product_list_for,
)
from catalog.tests.factories import (
    BrandFactory,
    CategoryFactory,
    ProductFactory,
    ProductImageFactory,
    make_image_file,
)
from core.exceptions import BusinessValidationError, Conflict

pytestmark = pytest.mark.django_db


def a_store():
    return approved_store_for(UserFactory())


# --- effective price in SQL -------------------------------------------------------------


@pytest.mark.parametrize(
    ("price", "percent", "window", "expected"),
    [
        ("19.99", None, None, "19.99"),
        ("19.99", "15", None, "16.99"),
        ("100.00", "33.33", None, "66.67"),
        ("0.99", "12.5", None, "0.87"),
        ("10.05", "50", None, "5.03"),  # a half cent rounds up, as quantize_money does
        ("0.01", "50", None, "0.01"),
        ("12345.67", "99.99", None, "1.23"),
        ("50.00", "20", (-1, 1), "40.00"),
        ("50.00", "20", (1, 2), "50.00"),
        ("50.00", "20", (-2, -1), "50.00"),
        ("50.00", "20", (None, 1), "40.00"),
        ("50.00", "20", (-1, None), "40.00"),
    ],
)
def test_sql_effective_price_equals_the_model_property_and_the_stored_price(
    price, percent, window, expected
):
    now = timezone.now()
    starts = ends = None
    if window:
        starts = now + timedelta(days=window[0]) if window[0] is not None else None
        ends = now + timedelta(days=window[1]) if window[1] is not None else None
    product = ProductFactory(
        price=Decimal(price),
        discount_percent=Decimal(percent) if percent else None,
        discount_starts_at=starts,
        discount_ends_at=ends,
    )

    # The SQL twin fills and refreshes current_price; the property is what buyers pay.
    stored = Product.objects.annotate(sql_price=effective_price_expression()).get(pk=product.pk)

    assert stored.sql_price == Decimal(expected)
    assert stored.effective_price == Decimal(expected)
    assert stored.current_price == Decimal(expected)


# --- visibility -------------------------------------------------------------------------


def test_product_list_for_follows_the_role_rules():
    seller, staff, customer = (
        UserFactory(is_seller=True),
        UserFactory(is_staff=True),
        UserFactory(),
    )
    public = ProductFactory()
    own_hidden = ProductFactory(is_active=False, created_by=seller)
    other_hidden = ProductFactory(is_active=False)
    ProductFactory(is_deleted=True, created_by=seller)

    def visible(user):
        return set(product_list_for(user=user).values_list("pk", flat=True))

    assert visible(None) == {public.pk}
    assert visible(customer) == {public.pk}
    assert visible(seller) == {public.pk, own_hidden.pk}
    assert visible(staff) == {public.pk, own_hidden.pk, other_hidden.pk}


# --- products ---------------------------------------------------------------------------


def test_product_create_sets_owner_slug_and_default_currency(settings):
    seller = UserFactory(is_seller=True)

    product = services.product_create(
        created_by=seller,
        store=seller.store,
        name="Eye Cream",
        price=Decimal("12.00"),
        category=CategoryFactory(),
    )

    assert product.created_by == seller
    assert product.slug == "eye-cream"
    assert product.currency == settings.DEFAULT_CURRENCY


def test_product_create_with_a_taken_name_raises_a_name_error():
    ProductFactory(name="Eye Cream")

    with pytest.raises(BusinessValidationError) as caught:
        services.product_create(
            created_by=None,
            store=a_store(),
            name="EYE CREAM",
            price=Decimal("1"),
            category=CategoryFactory(),
        )
    assert "name" in caught.value.extra["errors"]


def test_product_create_maps_the_unique_index_to_a_name_error(monkeypatch):
    ProductFactory(name="Eye Cream")
    # As when a concurrent request inserts the name between the check and the INSERT.
    monkeypatch.setattr(services, "product_name_taken", lambda **kwargs: False)

    with pytest.raises(BusinessValidationError) as caught:
        services.product_create(
            created_by=None,
            store=a_store(),
            name="eye cream",
            price=Decimal("1"),
            category=CategoryFactory(),
        )

    assert "name" in caught.value.extra["errors"]
    assert Product.objects.count() == 1


def test_product_create_refuses_a_discount_that_ends_before_it_starts():
    now = timezone.now()

    with pytest.raises(BusinessValidationError):
        services.product_create(
            created_by=None,
            store=a_store(),
            name="X",
            price=Decimal("1"),
            category=CategoryFactory(),
            discount_percent=Decimal("10"),
            discount_starts_at=now,
            discount_ends_at=now,
        )


def test_product_create_refuses_a_non_positive_price():
    with pytest.raises(ValidationError):
        services.product_create(
            created_by=None,
            store=a_store(),
            name="X",
            price=Decimal("0"),
            category=CategoryFactory(),
        )


def test_product_update_changes_only_writable_fields():
    product = ProductFactory(name="Before")
    owner = product.created_by

    services.product_update(
        product=product, data={"name": "After", "created_by": None, "is_deleted": True}
    )

    product.refresh_from_db()
    assert product.name == "After"
    assert product.created_by == owner
    assert product.is_deleted is False


def test_product_soft_delete_keeps_the_row_and_frees_the_name():
    product = ProductFactory(name="Gone")

    services.product_soft_delete(product=product)

    product.refresh_from_db()
    assert product.is_deleted and product.deleted_at is not None
    again = services.product_create(
        created_by=None,
        store=a_store(),
        name="Gone",
        price=Decimal("1"),
        category=CategoryFactory(),
    )
    assert again.slug != product.slug


def test_product_set_active_changes_only_what_differs():
    active = ProductFactory()
    inactive = ProductFactory(is_active=False)

    changed = services.product_set_active(products=Product.objects.all(), is_active=False)

    assert changed == 1
    active.refresh_from_db()
    inactive.refresh_from_db()
    assert not active.is_active and not inactive.is_active


# --- images -----------------------------------------------------------------------------


def test_first_image_is_primary_and_a_new_primary_replaces_it():
    product = ProductFactory()

    first = services.product_image_add(product=product, image=make_image_file())
    second = services.product_image_add(product=product, image=make_image_file())
    third = services.product_image_add(product=product, image=make_image_file(), is_primary=True)

    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.is_primary, second.is_primary, third.is_primary) == (False, False, True)
    assert [first.position, second.position, third.position] == [0, 1, 2]


def test_deleting_the_primary_promotes_the_lowest_position():
    product = ProductFactory()
    primary = ProductImageFactory(product=product, is_primary=True, position=0)
    later = ProductImageFactory(product=product, position=5)
    sooner = ProductImageFactory(product=product, position=2)

    services.product_image_delete(product_image=primary)

    sooner.refresh_from_db()
    later.refresh_from_db()
    assert sooner.is_primary and not later.is_primary


def test_deleting_a_non_primary_image_keeps_the_primary():
    product = ProductFactory()
    primary = ProductImageFactory(product=product, is_primary=True)
    other = ProductImageFactory(product=product, position=1)

    services.product_image_delete(product_image=other)

    primary.refresh_from_db()
    assert primary.is_primary
    assert ProductImage.objects.filter(product=product).count() == 1


# --- categories and brands --------------------------------------------------------------


def test_category_tree_helpers():
    root = CategoryFactory()
    child = CategoryFactory(parent=root)
    grandchild = CategoryFactory(parent=child)
    CategoryFactory()

    assert category_descendant_ids(category_ids=[root.pk]) == {root.pk, child.pk, grandchild.pk}
    assert category_ancestor_ids(category_id=grandchild.pk) == [child.pk, root.pk]


def test_category_create_makes_a_unique_slug_when_none_is_given():
    first = services.category_create(name="Hair Care")
    second = services.category_create(name="Hair Care")
    unicode_only = services.category_create(name="护肤")

    assert first.slug == "hair-care"
    assert second.slug.startswith("hair-care-") and second.slug != first.slug
    assert unicode_only.slug


def test_category_update_refuses_a_cycle():
    root = services.category_create(name="Root")
    child = services.category_create(name="Child", parent=root)

    with pytest.raises(BusinessValidationError):
        services.category_update(category=root, data={"parent": child})


def test_category_delete_with_products_raises_conflict():
    category = CategoryFactory()
    ProductFactory(category=category)

    with pytest.raises(Conflict):
        services.category_delete(category=category)
    assert Category.objects.filter(pk=category.pk).exists()


def test_brand_delete_with_products_raises_conflict():
    brand = BrandFactory()
    ProductFactory(brand=brand)

    with pytest.raises(Conflict):
        services.brand_delete(brand=brand)


def test_brand_create_and_update_keep_slugs_unique():
    first = services.brand_create(name="Nuxe")
    second = services.brand_create(name="NUXE!", slug="")

    services.brand_update(brand=second, data={"slug": ""})

    second.refresh_from_db()
    assert first.slug == "nuxe"
    assert second.slug.startswith("nuxe-")
