from decimal import Decimal

import pytest
from django.test import Client

from accounts.tests.factories import UserFactory
from catalog.admin import ProductAdmin
from catalog.models import Brand
from catalog.tests.factories import (
    BrandFactory,
    CategoryFactory,
    ProductFactory,
    ProductImageFactory,
    make_image_file,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client_():
    client = Client()
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


@pytest.mark.parametrize("model", ["category", "brand", "product", "productimage"])
def test_changelist_and_add_pages_render(admin_client_, model):
    ProductImageFactory(product=ProductFactory(discount_percent=10))

    assert admin_client_.get(f"/admin/catalog/{model}/").status_code == 200
    assert admin_client_.get(f"/admin/catalog/{model}/add/").status_code == 200


def test_product_changelist_shows_effective_price_and_supports_search_and_filters(admin_client_):
    ProductFactory(name="Findable Serum", price="20.00", discount_percent=25)
    ProductFactory(name="Other", is_active=False)

    found = admin_client_.get("/admin/catalog/product/", {"q": "findable"})
    filtered = admin_client_.get("/admin/catalog/product/", {"is_active__exact": "0"})

    assert "Findable Serum" in found.content.decode()
    assert "15.00" in found.content.decode()
    assert "Other" not in found.content.decode()
    assert "Other" in filtered.content.decode()
    assert "Findable Serum" not in filtered.content.decode()


def test_product_changelist_sorts_by_the_effective_price(admin_client_):
    ProductFactory(name="Ten", price=Decimal("10.00"))
    ProductFactory(name="Forty at ninety off", price=Decimal("40.00"), discount_percent=90)
    ProductFactory(name="Twenty", price=Decimal("20.00"))
    column = ProductAdmin.list_display.index("effective_price_display") + 1

    response = admin_client_.get("/admin/catalog/product/", {"o": str(column)})

    shown = [product.name for product in response.context["cl"].result_list]
    assert shown == ["Forty at ninety off", "Ten", "Twenty"]


def test_editing_the_price_in_the_admin_updates_the_stored_price(admin_client_):
    product = ProductFactory(price=Decimal("10.00"), discount_percent=Decimal("50"))
    form = {
        "name": product.name,
        "slug": product.slug,
        "description": product.description,
        "price": "30.00",
        "currency": product.currency,
        "discount_percent": "50",
        "category": str(product.category_id),
        "brand": str(product.brand_id),
        "stock_quantity": "10",
        "is_active": "on",
        "created_by": str(product.created_by_id),
        "images-TOTAL_FORMS": "0",
        "images-INITIAL_FORMS": "0",
    }

    response = admin_client_.post(f"/admin/catalog/product/{product.pk}/change/", form)

    assert response.status_code == 302, response.context["adminform"].form.errors
    product.refresh_from_db()
    assert (product.price, product.current_price) == (Decimal("30.00"), Decimal("15.00"))


def test_product_change_page_renders_with_image_inline(admin_client_):
    product = ProductFactory()
    ProductImageFactory(product=product, is_primary=True)

    response = admin_client_.get(f"/admin/catalog/product/{product.pk}/change/")

    assert response.status_code == 200
    assert "images-TOTAL_FORMS" in response.content.decode()


@pytest.mark.parametrize(
    ("action", "start", "end"), [("activate", False, True), ("deactivate", True, False)]
)
def test_bulk_activate_and_deactivate(admin_client_, action, start, end):
    products = ProductFactory.create_batch(2, is_active=start)
    untouched = ProductFactory(is_active=start)

    response = admin_client_.post(
        "/admin/catalog/product/",
        {"action": action, "_selected_action": [str(p.pk) for p in products]},
    )

    assert response.status_code == 302
    for product in products:
        product.refresh_from_db()
        assert product.is_active is end
    untouched.refresh_from_db()
    assert untouched.is_active is start


def test_bulk_soft_delete(admin_client_):
    product = ProductFactory()

    admin_client_.post(
        "/admin/catalog/product/", {"action": "soft_delete", "_selected_action": [str(product.pk)]}
    )

    product.refresh_from_db()
    assert product.is_deleted is True


def test_category_changelist_filters_by_parent(admin_client_):
    parent = CategoryFactory(name="Parent cat")
    CategoryFactory(name="Child cat", parent=parent)
    CategoryFactory(name="Lonely cat")
    BrandFactory()

    response = admin_client_.get("/admin/catalog/category/", {"parent__id__exact": str(parent.pk)})

    content = response.content.decode()
    assert "Child cat" in content
    assert "Lonely cat" not in content


def test_admin_refuses_an_oversize_brand_logo(admin_client_, settings):
    settings.MAX_IMAGE_UPLOAD_BYTES = 50

    response = admin_client_.post(
        "/admin/catalog/brand/add/",
        {"name": "Big", "slug": "big", "description": "", "logo": make_image_file()},
    )

    assert response.status_code == 200  # the form again, with the error
    assert "too large" in response.content.decode()
    assert not Brand.objects.exists()


def test_admin_accepts_a_valid_brand_logo(admin_client_):
    response = admin_client_.post(
        "/admin/catalog/brand/add/",
        {"name": "Fine", "slug": "fine", "description": "", "logo": make_image_file()},
    )

    assert response.status_code == 302
    assert Brand.objects.get(slug="fine").logo
