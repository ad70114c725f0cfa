from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db.models.functions import Lower
from django.utils.text import slugify

from accounts.models import Profile, User
from catalog.models import Brand, Category, Product
from catalog.tests.factories import ProductFactory
from core.management.commands.seed_demo import BRANDS, CATALOG_TREE, DEMO_USERS

pytestmark = pytest.mark.django_db

SUBCATEGORY_COUNT = sum(len(children) for children in CATALOG_TREE.values())


def seed(products, **options):
    out = StringIO()
    call_command("seed_demo", products=products, stdout=out, **options)
    return out.getvalue()


def test_seed_creates_the_category_tree_brands_users_and_products():
    seed(40, batch_size=15)

    tops = Category.objects.filter(parent=None)
    assert set(tops.values_list("slug", flat=True)) == {"skincare", "haircare", "aesthetics"}
    assert Category.objects.count() == len(CATALOG_TREE) + SUBCATEGORY_COUNT
    assert all(top.children.count() >= 3 for top in tops)
    assert Brand.objects.count() == len(BRANDS) >= 10
    assert User.objects.count() == 3
    assert Product.objects.count() == 40


def test_demo_users_have_their_roles_a_profile_and_the_printed_password():
    output = seed(0)

    for spec in DEMO_USERS:
        user = User.objects.get(email=spec["email"])
        assert user.check_password(spec["password"])
        assert Profile.objects.filter(user=user).exists()
        assert spec["email"] in output
        assert spec["password"] in output
    assert User.objects.get(email="staff@example.com").is_staff
    assert User.objects.get(email="seller@example.com").is_seller
    customer = User.objects.get(email="customer@example.com")
    assert not (customer.is_staff or customer.is_seller or customer.is_superuser)


def test_products_are_varied_and_valid():
    seed(200, batch_size=64)
    products = Product.objects.select_related("category", "brand")

    names = list(products.values_list(Lower("name"), flat=True))
    assert len(set(names)) == 200
    for product in products:
        assert product.slug == slugify(product.name)
        assert product.category.parent is not None  # products sit in subcategories
        assert product.brand is not None
        assert product.price > 0
        assert product.price == product.price.quantize(Decimal("0.01"))
        assert product.created_by.email == "seller@example.com"
        assert product.description
    assert products.values("category").distinct().count() >= 10
    assert products.values("brand").distinct().count() == len(BRANDS)
    assert products.values("price").distinct().count() >= 5
    assert products.filter(stock_quantity=0).exists()
    assert products.filter(stock_quantity__gt=0).count() > 150
    assert products.exclude(discount_percent=None).exists()
    assert products.filter(is_active=False).exists()
    assert products.filter(is_active=True).count() > 180


def test_running_twice_duplicates_nothing():
    seed(30, batch_size=8)
    before = {
        "users": User.objects.count(),
        "categories": Category.objects.count(),
        "brands": Brand.objects.count(),
        "products": set(Product.objects.values_list("id", "slug")),
    }

    output = seed(30, batch_size=8)

    assert User.objects.count() == before["users"]
    assert Category.objects.count() == before["categories"]
    assert Brand.objects.count() == before["brands"]
    assert set(Product.objects.values_list("id", "slug")) == before["products"]
    assert "0 products created" in output


def test_a_bigger_n_adds_only_the_difference():
    seed(25, batch_size=10)
    first = set(Product.objects.values_list("slug", flat=True))

    output = seed(60, batch_size=10)

    slugs = set(Product.objects.values_list("slug", flat=True))
    assert len(slugs) == 60
    assert first < slugs
    assert "35 products created" in output


def test_existing_demo_user_is_kept_as_is():
    User.objects.create_user("customer@example.com", "my-own-password-123")

    seed(0)

    customer = User.objects.get(email="customer@example.com")
    assert customer.check_password("my-own-password-123")
    assert User.objects.filter(email__iexact="customer@example.com").count() == 1


def test_a_hand_made_product_with_a_demo_name_does_not_stop_the_seeding():
    seed(5)
    first = Product.objects.order_by("created_at").first()
    taken_name = first.name
    first.delete()
    ProductFactory(name=taken_name.upper(), slug="hand-made")

    seed(10)

    assert Product.objects.count() == 10  # 9 demo products and the hand-made one
    assert Product.objects.filter(name__iexact=taken_name).count() == 1


def test_progress_is_reported_and_verbosity_zero_is_silent():
    output = seed(12, batch_size=5)

    assert "\r" in output
    assert "12/12" in output

    assert seed(15, batch_size=5, verbosity=0) == ""
    assert Product.objects.count() == 15


def test_seeding_zero_products_creates_only_the_fixtures():
    seed(0)

    assert Product.objects.count() == 0
    assert Category.objects.exists()


@pytest.mark.parametrize(("option", "value"), [("products", -1), ("batch_size", 0)])
def test_invalid_numbers_are_refused(option, value):
    with pytest.raises(CommandError):
        call_command("seed_demo", stdout=StringIO(), **{option: value})
