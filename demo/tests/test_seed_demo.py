from collections import Counter, defaultdict
from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db.models import Count, Sum
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.text import slugify

from accounts.models import Profile, User
from cart.models import Cart, CartItem
from catalog.models import Brand, Category, Product
from catalog.tests.factories import ProductFactory
from coupons.models import Coupon, CouponRedemption
from demo import seed as seed_module
from demo.accounts_seed import DEMO_SHOPPERS, DEMO_USERS, SHOPPER_EMAIL, SHOPPER_PASSWORD
from demo.activity import CARTS_PER_ORDER, WISHLIST_OWNERS
from demo.catalog_seed import BRANDS, CATALOG_TREE
from demo.history import PRODUCT_POOL
from orders.models import Order, OrderItem, OrderStatus
from payments.models import Payment, PaymentStatus, Refund
from recommendations.models import ProductRecommendation, RecommendationKind
from reviews.models import Review, ReviewStatus
from wishlist.models import Wishlist, WishlistItem

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
    assert User.objects.count() == len(DEMO_USERS) + DEMO_SHOPPERS
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


def test_seeded_products_store_their_effective_price():
    seed(200, batch_size=64)
    products = list(Product.objects.all())

    assert all(product.current_price == product.effective_price for product in products)
    # Running, ended and open-ended sales are all among them, so this compares real
    # discounts and not only plain prices.
    assert any(product.current_price < product.price for product in products)
    assert any(
        product.discount_percent and product.current_price == product.price for product in products
    )


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


# --- the demo history -------------------------------------------------------------------

HISTORY_ORDERS = 120


@pytest.fixture
def seeded():
    """A catalog with a history, seeded once per test."""
    return seed(60, orders=HISTORY_ORDERS)


def counts() -> dict:
    return {
        model.__name__: model.objects.count()
        for model in (
            User,
            Order,
            OrderItem,
            Payment,
            Refund,
            Coupon,
            CouponRedemption,
            Review,
            Wishlist,
            WishlistItem,
            Cart,
            CartItem,
        )
    }


def test_history_has_customers_orders_in_every_status_and_their_payments(seeded):
    assert Order.objects.count() == HISTORY_ORDERS
    statuses = Counter(Order.objects.values_list("status", flat=True))
    assert set(statuses) == set(OrderStatus.values)
    assert statuses[OrderStatus.DELIVERED] > statuses[OrderStatus.PENDING]
    buyers = set(Order.objects.values_list("user__email", flat=True))
    assert len(buyers) > DEMO_SHOPPERS // 2
    assert all(email.endswith("@example.com") for email in buyers)
    payments = Counter(Payment.objects.values_list("status", flat=True))
    assert payments[PaymentStatus.SUCCEEDED] > 0
    assert payments[PaymentStatus.FAILED] > 0
    assert payments[PaymentStatus.REFUNDED] + payments[PaymentStatus.PARTIALLY_REFUNDED] > 0
    assert set(Payment.objects.values_list("provider", flat=True)) == {"fake"}
    assert Order.objects.filter(status=OrderStatus.CANCELLED, payment__isnull=True).exists()


def test_orders_are_spread_over_the_last_sixty_days(seeded):
    now = timezone.now()
    placed = list(Order.objects.values_list("created_at", flat=True))

    assert min(placed) >= now - timedelta(days=61)
    assert max(placed) <= now
    assert len({moment.date() for moment in placed}) >= 30
    # An unpaid order older than the expiry delay would have been cancelled already.
    assert not Order.objects.filter(
        status=OrderStatus.PENDING, created_at__lt=now - timedelta(hours=1)
    ).exists()
    for order in Order.objects.exclude(status=OrderStatus.PENDING):
        steps = [order.paid_at, order.shipped_at, order.delivered_at]
        reached = [step for step in steps if step is not None]
        assert reached == sorted(reached)
        assert all(order.created_at <= step <= now for step in reached)


def test_order_totals_items_payments_and_refunds_are_consistent(seeded):
    lines = dict(
        OrderItem.objects.values("order")
        .annotate(sum=Sum("line_total"))
        .values_list("order", "sum")
    )
    for order in Order.objects.select_related("payment"):
        assert order.subtotal == lines[order.pk]
        assert order.total == order.subtotal - order.discount_total >= 0
        payment = getattr(order, "payment", None)
        if order.status in (OrderStatus.PAID, OrderStatus.SHIPPED, OrderStatus.DELIVERED):
            assert payment.status in (PaymentStatus.SUCCEEDED, PaymentStatus.PARTIALLY_REFUNDED)
            assert order.paid_at is not None
        if payment is not None:
            assert payment.amount == order.total
            assert payment.currency == order.currency
            refunded = payment.refunds.aggregate(sum=Sum("amount"))["sum"] or Decimal("0")
            assert payment.amount_refunded == refunded
    for item in OrderItem.objects.select_related("product"):
        assert item.line_total == item.unit_price * item.quantity
        assert (item.product_name, item.product_slug) == (item.product.name, item.product.slug)


def test_coupons_include_an_expired_one_and_uses_match_redemptions(seeded):
    coupons = {coupon.code: coupon for coupon in Coupon.objects.all()}

    assert set(coupons) == {"WELCOME10", "SAVE5", "SPRING15"}
    assert coupons["SPRING15"].valid_until < timezone.now()
    assert coupons["SAVE5"].min_subtotal == Decimal("30.00")
    for coupon in coupons.values():
        assert coupon.times_used == coupon.redemptions.count()
    assert CouponRedemption.objects.exists()
    assert not coupons["SPRING15"].redemptions.exists()
    per_user = CouponRedemption.objects.filter(coupon__code="WELCOME10").values("user")
    assert all(row["n"] == 1 for row in per_user.annotate(n=Count("id")))
    for redemption in CouponRedemption.objects.select_related("order", "coupon"):
        assert redemption.order.status != OrderStatus.CANCELLED  # a cancel gives it back
        assert redemption.order.coupon_code == redemption.coupon.code
        assert redemption.amount == redemption.order.discount_total > 0
    assert not Order.objects.filter(subtotal__lt=30, coupon_code="SAVE5").exists()


def test_reviews_vary_and_only_buyers_are_verified(seeded):
    reviews = Review.objects.all()

    assert reviews.count() > 10
    assert len(set(reviews.values_list("rating", flat=True))) >= 3
    assert reviews.exclude(comment="").exists()
    assert reviews.filter(verified_purchase=True).exists()
    assert set(reviews.values_list("status", flat=True)) >= {ReviewStatus.APPROVED}
    bought = set(
        OrderItem.objects.filter(
            order__status__in=[OrderStatus.PAID, OrderStatus.SHIPPED, OrderStatus.DELIVERED]
        ).values_list("order__user_id", "product_id")
    )
    for review in reviews:
        assert review.verified_purchase == ((review.user_id, review.product_id) in bought)


def test_product_ratings_match_their_approved_reviews(seeded):
    approved = defaultdict(list)
    for product_id, rating in Review.objects.filter(status=ReviewStatus.APPROVED).values_list(
        "product_id", "rating"
    ):
        approved[product_id].append(rating)

    assert approved
    for product in Product.objects.all():
        ratings = approved.get(product.pk, [])
        expected = (
            (Decimal(sum(ratings)) / len(ratings)).quantize(Decimal("0.01"), ROUND_HALF_UP)
            if ratings
            else Decimal("0.00")
        )
        assert (product.review_count, product.average_rating) == (len(ratings), expected)


def test_wishlists_and_carts_are_created(seeded):
    assert Wishlist.objects.count() == WISHLIST_OWNERS
    assert WishlistItem.objects.count() >= 2 * WISHLIST_OWNERS
    guest_carts = Cart.objects.filter(user__isnull=True)
    assert guest_carts.count() == HISTORY_ORDERS * CARTS_PER_ORDER
    assert Cart.objects.filter(user__isnull=False).exists()
    assert not Cart.objects.annotate(n=Count("items")).filter(n=0).exists()
    assert guest_carts.filter(created_at__lt=timezone.now() - timedelta(days=30)).exists()


def test_the_history_stays_within_a_bounded_pool_of_products():
    seed(PRODUCT_POOL + 60, orders=HISTORY_ORDERS)

    sold = OrderItem.objects.values("product").distinct().count()

    assert 10 <= sold <= PRODUCT_POOL


def test_running_twice_adds_no_history_and_takes_no_stock_again():
    seed(60, orders=HISTORY_ORDERS)
    before = counts()
    stock = dict(Product.objects.values_list("pk", "stock_quantity"))

    output = seed(60, orders=HISTORY_ORDERS)

    assert counts() == before
    assert dict(Product.objects.values_list("pk", "stock_quantity")) == stock
    assert "0 orders created" in output
    assert "0 reviews" in output


def test_pending_orders_hold_their_stock_and_older_orders_leave_it_alone():
    seed(60, orders=0)
    stock = dict(Product.objects.values_list("pk", "stock_quantity"))

    seed(60, orders=HISTORY_ORDERS)

    held = Counter()
    for product_id, quantity in OrderItem.objects.filter(
        order__status=OrderStatus.PENDING
    ).values_list("product_id", "quantity"):
        held[product_id] += quantity
    assert held
    for product_id, quantity in Product.objects.values_list("pk", "stock_quantity"):
        assert quantity == stock[product_id] - held[product_id]


def test_more_orders_later_adds_only_the_difference():
    seed(40, orders=50)
    first = set(Order.objects.values_list("pk", flat=True))

    output = seed(40, orders=80)

    assert Order.objects.count() == 80
    assert first < set(Order.objects.values_list("pk", flat=True))
    assert "30 orders created" in output
    for coupon in Coupon.objects.all():
        assert coupon.times_used == coupon.redemptions.count()


def test_demo_shoppers_can_log_in_with_the_printed_password(seeded):
    shopper = User.objects.get(email=SHOPPER_EMAIL.format(7))

    assert shopper.check_password(SHOPPER_PASSWORD)
    assert shopper.profile.first_name
    assert SHOPPER_PASSWORD in seeded
    assert "orders created" in seeded


def test_recommendations_are_precomputed_from_the_history(seeded):
    assert ProductRecommendation.objects.filter(kind=RecommendationKind.BOUGHT_TOGETHER).exists()
    assert "Recommendations:" in seeded


def test_recommendations_are_computed_once_at_the_end(monkeypatch):
    calls = []

    def compute(**kwargs):
        calls.append((Order.objects.count(), kwargs))
        return 42

    monkeypatch.setattr(seed_module, "recommendations_compute", compute)

    output = seed(20, orders=30)

    assert calls == [(30, {"only_ordered": False})]
    assert "Recommendations: 42 rows" in output


def test_metrics_show_real_figures_after_seeding(seeded, staff_client):
    response = staff_client.get("/api/v1/dashboard/metrics/")

    assert response.status_code == 200
    data = response.json()
    assert Decimal(data["revenue"]["USD"]["gross"]) > 0
    assert Decimal(data["revenue"]["USD"]["refunds"]) >= 0
    assert sum(data["orders_by_status"].values()) > 0
    assert data["order_completion_rate"] is not None
    assert data["payment_success_rate"] is not None
    assert data["cart_to_order_conversion"]["rate"] is not None
    assert data["top_products"]["by_units"]
    assert data["average_order_value"]["USD"]
