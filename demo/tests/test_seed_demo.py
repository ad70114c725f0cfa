"""seed_demo runs that need a database of their own: what it does next to data that was
there before it, its output and its options. What one run writes: test_seeded_data.py."""

from collections import Counter
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from accounts.models import User
from cart.models import Cart
from catalog.models import Category, Product
from catalog.tests.factories import ProductFactory
from coupons.models import Coupon
from demo import seed as seed_module
from demo.accounts_seed import DEMO_SHOPPERS
from demo.tests.seeding import seed
from orders.models import Order, OrderItem, OrderStatus
from reviews.models import Review

pytestmark = pytest.mark.django_db


def test_existing_demo_user_is_kept_as_is():
    User.objects.create_user("customer@example.com", "my-own-password-123")

    seed(0)

    customer = User.objects.get(email="customer@example.com")
    assert customer.check_password("my-own-password-123")
    assert User.objects.filter(email__iexact="customer@example.com").count() == 1


def test_a_hand_made_product_with_a_demo_name_does_not_stop_the_seeding():
    seed(5, orders=0)
    first = Product.objects.order_by("created_at").first()
    taken_name = first.name
    first.delete()
    ProductFactory(name=taken_name.upper(), slug="hand-made")

    seed(10, orders=0)

    assert Product.objects.count() == 10  # 9 demo products and the hand-made one
    assert Product.objects.filter(name__iexact=taken_name).count() == 1


def test_progress_is_reported_and_verbosity_zero_is_silent():
    output = seed(12, batch_size=5, orders=0)

    assert "\r" in output
    assert "12/12" in output

    assert seed(15, batch_size=5, orders=0, verbosity=0) == ""
    assert Product.objects.count() == 15


def test_seeding_zero_products_creates_only_the_fixtures():
    output = seed(0)

    assert Product.objects.count() == 0
    assert Category.objects.exists()
    # Customers and coupons need no product; orders, reviews and carts do.
    assert User.objects.filter(email__startswith="shopper").count() == DEMO_SHOPPERS
    assert Coupon.objects.count() == 3
    assert not Order.objects.exists()
    assert not Review.objects.exists()
    assert not Cart.objects.exists()
    assert "no active products" in output


@pytest.mark.parametrize(("option", "value"), [("products", -1), ("batch_size", 0), ("orders", -1)])
def test_invalid_numbers_are_refused(option, value):
    with pytest.raises(CommandError):
        call_command("seed_demo", stdout=StringIO(), **{option: value})


def test_pending_orders_hold_their_stock_and_older_orders_leave_it_alone():
    seed(60, orders=0)
    stock = dict(Product.objects.values_list("pk", "stock_quantity"))

    seed(60, orders=120)

    held = Counter()
    for product_id, quantity in OrderItem.objects.filter(
        order__status=OrderStatus.PENDING
    ).values_list("product_id", "quantity"):
        held[product_id] += quantity
    assert held
    for product_id, quantity in Product.objects.values_list("pk", "stock_quantity"):
        assert quantity == stock[product_id] - held[product_id]


def test_recommendations_are_computed_once_at_the_end(monkeypatch):
    calls = []

    def compute(**kwargs):
        calls.append((Order.objects.filter(consultation__isnull=True).count(), kwargs))
        return 42

    monkeypatch.setattr(seed_module, "recommendations_compute", compute)

    output = seed(20, orders=30)

    assert calls == [(30, {"only_ordered": False})]
    assert "Recommendations: 42 rows" in output
