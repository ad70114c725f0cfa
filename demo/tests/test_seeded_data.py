"""What one seed_demo run writes: the catalog, the demo accounts and the history.

The data is seeded ONCE for the whole module, in a transaction that is rolled back after
its last test; each test runs in a savepoint inside it (pytest-django's `db`), so tests
that seed again on top of it (a second run, a bigger N, more orders) are undone as well.
"""

from collections import Counter, defaultdict
from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal

import pytest
from django.db import transaction
from django.db.models import Count, F, Sum
from django.db.models.functions import Lower
from django.test import override_settings
from django.utils import timezone
from django.utils.text import slugify

from accounts.models import Profile, User
from cart.models import Cart
from catalog.models import Brand, Category, Product
from conversations.selectors import conversation_list_for
from coupons.models import Coupon, CouponRedemption
from demo.accounts_seed import DEMO_SHOPPERS, DEMO_USERS, SHOPPER_EMAIL, SHOPPER_PASSWORD
from demo.activity import CARTS_PER_ORDER, WISHLIST_OWNERS
from demo.catalog_seed import BRANDS, CATALOG_TREE
from demo.history import PRODUCT_POOL
from demo.stores_seed import DEMO_STORES
from demo.tests.seeding import counts, seed
from earnings.models import LedgerEntry, LedgerEntryKind, Payout, PayoutStatus
from orders.models import Fulfilment, FulfilmentStatus, Order, OrderItem, OrderStatus
from payments.models import Payment, PaymentStatus
from recommendations.models import ProductRecommendation, RecommendationKind
from reviews.models import Review, ReviewStatus
from stores.models import Store
from wishlist.models import Wishlist, WishlistItem

pytestmark = pytest.mark.django_db

CENT = Decimal("0.01")
SUBCATEGORY_COUNT = sum(len(children) for children in CATALOG_TREE.values())
# More products than the history's pool, in several batches (the last one partial).
SEEDED_PRODUCTS = PRODUCT_POOL + 80
BATCH_SIZE = 64
HISTORY_ORDERS = 120
SEED_OPTIONS = {"batch_size": BATCH_SIZE, "orders": HISTORY_ORDERS}


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker):
    """The output of one `seed_demo --products 200 --orders 120 --batch-size 64`, whose
    rows every test of the module sees."""
    with django_db_blocker.unblock(), transaction.atomic():
        # The root conftest's fast hasher is per test; this runs before any test does.
        with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
            output = seed(SEEDED_PRODUCTS, **SEED_OPTIONS)
        yield output
        transaction.set_rollback(True)


# --- the catalog and the accounts -----------------------------------------------------


def test_seed_creates_the_category_tree_brands_users_and_products(seeded):
    tops = Category.objects.filter(parent=None)
    assert set(tops.values_list("slug", flat=True)) == {"skincare", "haircare", "aesthetics"}
    assert Category.objects.count() == len(CATALOG_TREE) + SUBCATEGORY_COUNT
    assert all(top.children.count() >= 3 for top in tops)
    assert Brand.objects.count() == len(BRANDS) >= 10
    other_owners = {spec.email for spec in DEMO_STORES} - {spec["email"] for spec in DEMO_USERS}
    assert User.objects.count() == len(DEMO_USERS) + DEMO_SHOPPERS + len(other_owners)
    assert Product.objects.count() == SEEDED_PRODUCTS


def test_stores_of_both_kinds_in_every_review_state_sell_the_products(seeded):
    stores = {store.slug: store for store in Store.objects.select_related("owner")}
    assert set(stores) == {spec.slug for spec in DEMO_STORES}
    assert {store.kind for store in stores.values()} == {"brand", "dermatologist"}
    assert {store.status for store in stores.values()} == {"approved", "pending", "suspended"}
    assert stores["solenne-labs"].owner.email == "seller@example.com"
    assert stores["dr-amara-osei"].verified and stores["dr-amara-osei"].license_number
    assert not stores["nord-skin-studio"].owner.is_seller  # still waiting for review
    products = Product.objects.all()
    assert not products.filter(store__isnull=True).exists()
    assert not products.filter(store__status="pending").exists()
    assert products.filter(store__status="suspended").exists()  # hidden from the public
    for store in stores.values():
        on_sale = products.filter(store=store, is_active=True, is_deleted=False).count()
        assert store.product_count == on_sale
    assert stores["solenne-labs"].product_count > 0


def test_demo_users_have_their_roles_a_profile_and_the_printed_password(seeded):
    for spec in DEMO_USERS:
        user = User.objects.get(email=spec["email"])
        assert user.check_password(spec["password"])
        assert Profile.objects.filter(user=user).exists()
        assert spec["email"] in seeded
        assert spec["password"] in seeded
    assert User.objects.get(email="staff@example.com").is_staff
    assert User.objects.get(email="seller@example.com").is_seller
    customer = User.objects.get(email="customer@example.com")
    assert not (customer.is_staff or customer.is_seller or customer.is_superuser)


def test_products_are_varied_and_valid(seeded):
    products = Product.objects.select_related("category", "brand", "store")

    names = list(products.values_list(Lower("name"), flat=True))
    assert len(set(names)) == SEEDED_PRODUCTS == 200
    for product in products:
        assert product.slug == slugify(product.name)
        assert product.category.parent is not None  # products sit in subcategories
        assert product.brand is not None
        assert product.price > 0
        assert product.price == product.price.quantize(Decimal("0.01"))
        assert product.created_by_id == product.store.owner_id
        assert product.description
    assert products.values("category").distinct().count() >= 10
    assert products.values("brand").distinct().count() == len(BRANDS)
    assert products.values("price").distinct().count() >= 5
    assert products.filter(stock_quantity=0).exists()
    assert products.filter(stock_quantity__gt=0).count() > 150
    assert products.exclude(discount_percent=None).exists()
    assert products.filter(is_active=False).exists()
    assert products.filter(is_active=True).count() > 180


def test_seeded_products_store_their_effective_price(seeded):
    products = list(Product.objects.all())

    assert all(product.current_price == product.effective_price for product in products)
    # Running, ended and open-ended sales are all among them, so this compares real
    # discounts and not only plain prices.
    assert any(product.current_price < product.price for product in products)
    assert any(
        product.discount_percent and product.current_price == product.price for product in products
    )


def test_running_twice_duplicates_nothing(seeded):
    before = {
        "users": User.objects.count(),
        "categories": Category.objects.count(),
        "brands": Brand.objects.count(),
        "products": set(Product.objects.values_list("id", "slug")),
    }

    output = seed(SEEDED_PRODUCTS, **SEED_OPTIONS)

    assert User.objects.count() == before["users"]
    assert Category.objects.count() == before["categories"]
    assert Brand.objects.count() == before["brands"]
    assert set(Product.objects.values_list("id", "slug")) == before["products"]
    assert "0 products created" in output


def test_a_bigger_n_adds_only_the_difference(seeded):
    first = set(Product.objects.values_list("slug", flat=True))

    output = seed(SEEDED_PRODUCTS + 35, **SEED_OPTIONS)

    slugs = set(Product.objects.values_list("slug", flat=True))
    assert len(slugs) == SEEDED_PRODUCTS + 35
    assert first < slugs
    assert "35 products created" in output


# --- the demo history -------------------------------------------------------------------


def test_history_has_customers_orders_in_every_status_and_their_payments(seeded):
    # The consultations' orders are not the history's.
    assert Order.objects.filter(consultation__isnull=True).count() == HISTORY_ORDERS
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
        if item.product is None:  # a consultation, a service of its store
            assert item.product_slug.startswith("consultation-")
            continue
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


def test_the_history_stays_within_a_bounded_pool_of_products(seeded):
    assert Product.objects.filter(is_active=True).count() > PRODUCT_POOL

    sold = OrderItem.objects.values("product").distinct().count()

    assert 10 <= sold <= PRODUCT_POOL


def test_running_twice_adds_no_history_and_takes_no_stock_again(seeded):
    before = counts()
    stock = dict(Product.objects.values_list("pk", "stock_quantity"))

    output = seed(SEEDED_PRODUCTS, **SEED_OPTIONS)

    assert counts() == before
    assert dict(Product.objects.values_list("pk", "stock_quantity")) == stock
    assert "0 orders created" in output
    assert "0 reviews" in output


def test_more_orders_later_adds_only_the_difference(seeded):
    first = set(Order.objects.values_list("pk", flat=True))

    output = seed(SEEDED_PRODUCTS, batch_size=BATCH_SIZE, orders=HISTORY_ORDERS + 30)

    assert Order.objects.filter(consultation__isnull=True).count() == HISTORY_ORDERS + 30
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


def test_the_demo_customer_has_conversations_one_of_them_unread(seeded):
    customer = User.objects.get(email="customer@example.com")
    rows = {row.store.slug: row for row in conversation_list_for(user=customer)}

    assert set(rows) == {"solenne-labs", "dr-amara-osei"}
    assert rows["solenne-labs"].product is not None
    assert rows["solenne-labs"].unread_count == 0
    assert rows["dr-amara-osei"].unread_count == 1
    assert rows["dr-amara-osei"].last_message.sender_side == "store"


# --- the marketplace -------------------------------------------------------------------


def test_orders_are_split_into_store_parts_in_every_status_with_their_commissions(seeded):
    from_parts = Fulfilment.objects.values("order_id").annotate(total=Sum("total"))
    totals = dict(Order.objects.values_list("pk", "total"))
    assert all(row["total"] == totals[row["order_id"]] for row in from_parts)
    assert len(from_parts) == Order.objects.count()
    assert set(Fulfilment.objects.values_list("status", flat=True)) == set(FulfilmentStatus.values)
    assert Fulfilment.objects.values("order_id").annotate(n=Count("id")).filter(n__gt=1).exists()
    assert not OrderItem.objects.filter(fulfilment=None).exists()
    assert (
        OrderItem.objects.filter(commission_amount__gt=0).count()
        == OrderItem.objects.filter(line_total__gt=0).count()
    )
    for payment in Payment.objects.all():
        refunded = Fulfilment.objects.filter(order_id=payment.order_id).aggregate(r=Sum("refunded"))
        assert Decimal(str(refunded["r"])).quantize(CENT) == payment.amount_refunded


def test_the_stores_have_ledgers_balances_and_a_payout(seeded, client_for):
    sold = Fulfilment.objects.exclude(paid_at=None)
    assert (
        LedgerEntry.objects.filter(kind=LedgerEntryKind.SALE).count()
        == sold.filter(subtotal__gt=F("commission")).count()
    )
    assert LedgerEntry.objects.filter(kind=LedgerEntryKind.REFUND).exists()
    assert LedgerEntry.objects.filter(kind=LedgerEntryKind.COMMISSION_REVERSAL).exists()
    payout = Payout.objects.filter(status=PayoutStatus.PAID).select_related("store").first()
    assert payout is not None
    assert LedgerEntry.objects.get(payout=payout).amount == -payout.amount
    # The seller of the paid-out store sees it in the API, with a balance that adds up.
    seller = client_for(payout.store.owner)
    balance = seller.get("/api/v1/seller/balance/").data
    paid_out = {row["currency"]: row["paid_out"] for row in balance["balances"]}
    assert paid_out[payout.currency] == str(payout.amount)
    parts = seller.get("/api/v1/seller/fulfilments/").data
    assert parts["count"] == Fulfilment.objects.filter(store=payout.store).count()


def test_running_twice_adds_no_parts_entries_or_payouts(seeded):
    before = (Fulfilment.objects.count(), LedgerEntry.objects.count(), Payout.objects.count())

    seed(SEEDED_PRODUCTS, **SEED_OPTIONS)

    after = (Fulfilment.objects.count(), LedgerEntry.objects.count(), Payout.objects.count())
    assert after == before


def test_dermatologists_offer_services_and_the_customer_has_consultations(seeded, client_for):
    from consultations.models import Consultation, ConsultationService, ConsultationStatus

    customer = User.objects.get(email="customer@example.com")
    rows = {c.status: c for c in Consultation.objects.filter(customer=customer)}

    assert ConsultationService.objects.filter(store__slug="clear-skin-clinic").count() == 2
    assert set(rows) == {ConsultationStatus.COMPLETED, ConsultationStatus.CONFIRMED}
    completed = rows[ConsultationStatus.COMPLETED]
    assert completed.summary and completed.recommendations.exists()
    assert completed.order.fulfilments.get().status == "delivered"
    assert rows[ConsultationStatus.CONFIRMED].starts_at > completed.starts_at
    answer = client_for(customer).get("/api/v1/consultations/").json()
    assert {row["status"] for row in answer["results"]} == {"completed", "confirmed"}
