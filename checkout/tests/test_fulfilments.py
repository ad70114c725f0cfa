"""An order of several stores: one fulfilment per store, the coupon shared to the cent,
commissions frozen at sale, each store's cancel refunding exactly its share, the order's
status following its parts, and the stores' ledgers following the money."""

from decimal import Decimal

import pytest

from accounts.tests.factories import UserFactory, approved_store_for
from cart.models import Cart
from catalog.tests.factories import CategoryFactory, ProductFactory
from checkout.services import fulfilment_cancel, order_cancel, order_place
from core.exceptions import BusinessValidationError, InvalidTransition
from coupons.models import Coupon
from coupons.tests.factories import CouponFactory
from earnings.models import CommissionRule, LedgerEntry, LedgerEntryKind
from orders.models import Fulfilment, FulfilmentStatus, OrderStatus
from orders.services import fulfilment_deliver, fulfilment_ship, order_ship
from orders.tests.factories import ADDRESS, fill_cart, stock_of
from payments.models import Payment, PaymentStatus, Refund
from payments.services import payment_create, payment_refund

pytestmark = pytest.mark.django_db


def product_of(store, price: str, **fields):
    return ProductFactory(
        store=store, created_by=store.owner, price=Decimal(price), stock_quantity=10, **fields
    )


@pytest.fixture
def stores():
    return [approved_store_for(UserFactory(is_seller=True)) for _ in range(3)]


def place(user, lines: dict, coupon: Coupon | None = None):
    cart = fill_cart(user, lines)
    if coupon is not None:
        cart.coupon = coupon
        cart.save(update_fields=["coupon"])
    return order_place(user=user, shipping_address=ADDRESS)


def pay(order):
    payment_create(user=order.user, order_id=order.pk)
    order.refresh_from_db()
    return Payment.objects.get(order=order)


def part_of(order, store) -> Fulfilment:
    return Fulfilment.objects.get(order=order, store=store)


def ledger_total(fulfilment) -> Decimal:
    # Summed here: SQLite's SUM of decimals goes through floating point.
    return sum(
        LedgerEntry.objects.filter(fulfilment=fulfilment).values_list("amount", flat=True),
        Decimal("0.00"),
    )


# --- checkout ---------------------------------------------------------------------------


def test_checkout_splits_the_order_into_one_fulfilment_per_store_with_its_lines(user, stores):
    a, b = product_of(stores[0], "30.00"), product_of(stores[1], "12.50")
    a2 = product_of(stores[0], "5.00")

    order = place(user, {a: 1, a2: 2, b: 2})

    parts = {f.store_id: f for f in order.fulfilments.all()}
    assert set(parts) == {stores[0].pk, stores[1].pk}
    first, second = parts[stores[0].pk], parts[stores[1].pk]
    assert {i.product_id for i in first.items.all()} == {a.pk, a2.pk}
    assert {i.product_id for i in second.items.all()} == {b.pk}
    assert (first.subtotal, first.total, first.status) == (
        Decimal("40.00"),
        Decimal("40.00"),
        FulfilmentStatus.PENDING,
    )
    assert (second.subtotal, second.total) == (Decimal("25.00"), Decimal("25.00"))
    assert first.total + second.total == order.total == Decimal("65.00")


def test_a_coupon_is_shared_across_stores_in_proportion_to_the_cent(user, stores):
    # 10 % of 100.00 is 10.00 over 33.33 / 33.33 / 33.34: 3.333.. / 3.333.. / 3.334 ->
    # 3.33 / 3.33 / 3.34 (the remainder cent to the largest fraction).
    lines = {
        product_of(store, price): 1
        for store, price in zip(stores, ["33.33", "33.33", "33.34"], strict=True)
    }
    coupon = CouponFactory(value=Decimal("10.00"))

    order = place(user, lines, coupon)

    shares = {f.store_id: f.discount_share for f in order.fulfilments.all()}
    assert order.discount_total == Decimal("10.00")
    assert [shares[s.pk] for s in stores] == [Decimal("3.33"), Decimal("3.33"), Decimal("3.34")]
    assert sum(f.total for f in order.fulfilments.all()) == order.total == Decimal("90.00")


def test_an_indivisible_coupon_cent_goes_to_the_same_store_every_time(user, stores):
    # 0.01 off split over two equal parts: the tie goes to the first store in a fixed order.
    a, b = product_of(stores[0], "10.00"), product_of(stores[1], "10.00")
    coupon = CouponFactory(fixed=True, value=Decimal("0.01"))

    first = place(user, {a: 1, b: 1}, coupon)
    again = place(UserFactory(), {a: 1, b: 1}, coupon)

    def shares(order):
        return sorted((str(f.store_id), f.discount_share) for f in order.fulfilments.all())

    assert shares(first) == shares(again)
    assert sorted(share for _, share in shares(first)) == [Decimal("0.00"), Decimal("0.01")]


def test_each_line_keeps_the_commission_of_the_most_specific_rule(user, stores):
    face = CategoryFactory(name="Face")
    serums = CategoryFactory(name="Serums", parent=face)
    store = stores[0]
    CommissionRule.objects.create(rate=Decimal("20.00"), category=face)
    CommissionRule.objects.create(rate=Decimal("15.00"), store=store)
    CommissionRule.objects.create(rate=Decimal("12.50"), store=store, category=serums)
    both = product_of(store, "19.99", category=serums)  # store and category: 12.5 %
    store_only = product_of(store, "10.00")  # store: 15 %
    category_only = product_of(stores[1], "10.00", category=serums)  # category (parent): 20 %
    default = product_of(stores[2], "10.00")  # PLATFORM_COMMISSION_PERCENT: 10 %

    order = place(user, {both: 1, store_only: 1, category_only: 1, default: 1})

    lines = {i.product_id: i for i in order.items.all()}
    assert (lines[both.pk].commission_rate, lines[both.pk].commission_amount) == (
        Decimal("12.50"),
        Decimal("2.50"),  # 2.49875 rounded half up
    )
    assert lines[store_only.pk].commission_rate == Decimal("15.00")
    assert lines[category_only.pk].commission_rate == Decimal("20.00")
    assert lines[default.pk].commission_rate == Decimal("10.00")
    assert part_of(order, store).commission == Decimal("4.00")

    # Later rule changes never touch what was sold.
    CommissionRule.objects.all().update(rate=Decimal("50.00"))
    assert order.items.get(product=both).commission_rate == Decimal("12.50")


# --- paying -----------------------------------------------------------------------------


def test_paying_marks_every_part_paid_and_credits_each_store_its_earnings(user, stores):
    a, b = product_of(stores[0], "40.00"), product_of(stores[1], "25.00")
    coupon = CouponFactory(value=Decimal("10.00"))
    order = place(user, {a: 1, b: 1}, coupon)

    pay(order)

    assert order.status == OrderStatus.PAID
    for store, earned in ((stores[0], Decimal("36.00")), (stores[1], Decimal("22.50"))):
        part = part_of(order, store)
        assert part.status == FulfilmentStatus.PAID and part.paid_at is not None
        # The store earns on its line totals before the coupon, less the 10 % commission.
        sale = LedgerEntry.objects.get(fulfilment=part)
        assert (sale.kind, sale.amount, sale.store_id) == (LedgerEntryKind.SALE, earned, store.pk)


# --- the order's status follows its parts ----------------------------------------------


def test_the_order_ships_when_every_live_part_has_shipped_and_is_delivered_with_them(user, stores):
    a, b, c = (product_of(store, "10.00") for store in stores)
    order = place(user, {a: 1, b: 1, c: 1})
    pay(order)
    first, second, third = (part_of(order, store) for store in stores)

    fulfilment_ship(fulfilment=first, by=stores[0].owner, tracking_number="1Z1", carrier="UPS")
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID

    fulfilment_cancel(fulfilment=third, by=stores[2].owner, reason="Out of stock")
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID

    fulfilment_ship(fulfilment=second, by=stores[1].owner, tracking_number="1Z2", carrier="DHL")
    order.refresh_from_db()
    assert order.status == OrderStatus.SHIPPED  # every part not cancelled has shipped

    fulfilment_deliver(fulfilment=first, by=stores[0].owner)
    order.refresh_from_db()
    assert order.status == OrderStatus.SHIPPED
    fulfilment_deliver(fulfilment=second, by=stores[1].owner)
    order.refresh_from_db()
    assert order.status == OrderStatus.DELIVERED and order.delivered_at is not None


@pytest.mark.parametrize(
    ("status", "action", "allowed"),
    [
        (FulfilmentStatus.PENDING, "ship", False),
        (FulfilmentStatus.PENDING, "deliver", False),
        (FulfilmentStatus.PENDING, "cancel", True),
        (FulfilmentStatus.PAID, "ship", True),
        (FulfilmentStatus.PAID, "deliver", False),
        (FulfilmentStatus.PAID, "cancel", True),
        (FulfilmentStatus.SHIPPED, "ship", False),
        (FulfilmentStatus.SHIPPED, "deliver", True),
        (FulfilmentStatus.SHIPPED, "cancel", False),
        (FulfilmentStatus.DELIVERED, "ship", False),
        (FulfilmentStatus.DELIVERED, "deliver", False),
        (FulfilmentStatus.DELIVERED, "cancel", False),
        (FulfilmentStatus.CANCELLED, "ship", False),
        (FulfilmentStatus.CANCELLED, "deliver", False),
        (FulfilmentStatus.CANCELLED, "cancel", False),
    ],
)
def test_every_fulfilment_transition_is_allowed_or_409(user, stores, status, action, allowed):
    order = place(user, {product_of(stores[0], "10.00"): 1, product_of(stores[1], "5.00"): 1})
    part = part_of(order, stores[0])
    Fulfilment.objects.filter(pk=part.pk).update(status=status)
    owner = stores[0].owner
    actions = {
        "ship": lambda: fulfilment_ship(
            fulfilment=part, by=owner, tracking_number="1Z", carrier="UPS"
        ),
        "deliver": lambda: fulfilment_deliver(fulfilment=part, by=owner),
        "cancel": lambda: fulfilment_cancel(fulfilment=part, by=owner, reason="Cannot serve"),
    }
    if allowed:
        actions[action]()
        part.refresh_from_db()
        assert part.status != status
    else:
        with pytest.raises(InvalidTransition):
            actions[action]()
        part.refresh_from_db()
        assert part.status == status


def test_shipping_needs_a_tracking_number_and_a_carrier(user, stores):
    order = place(user, {product_of(stores[0], "10.00"): 1})
    pay(order)
    part = part_of(order, stores[0])

    with pytest.raises(BusinessValidationError) as refused:
        fulfilment_ship(fulfilment=part, by=stores[0].owner, tracking_number=" ", carrier="")

    assert set(refused.value.extra["errors"]) == {"tracking_number", "carrier"}
    part.refresh_from_db()
    assert part.status == FulfilmentStatus.PAID


def test_staff_shipping_the_order_ships_every_part_left_to_ship(user, stores, staff):
    a, b, c = (product_of(store, "10.00") for store in stores)
    order = place(user, {a: 1, b: 1, c: 1})
    pay(order)
    fulfilment_ship(
        fulfilment=part_of(order, stores[0]), by=stores[0].owner, tracking_number="A", carrier="X"
    )
    fulfilment_cancel(fulfilment=part_of(order, stores[2]), by=stores[2].owner, reason="Gone")

    order = order_ship(order=order, by=staff, tracking_number="1Z", carrier="UPS")

    assert order.status == OrderStatus.SHIPPED
    statuses = {f.store_id: (f.status, f.tracking_number) for f in order.fulfilments.all()}
    assert statuses == {
        stores[0].pk: (FulfilmentStatus.SHIPPED, "A"),  # shipped by its store, kept
        stores[1].pk: (FulfilmentStatus.SHIPPED, "1Z"),
        stores[2].pk: (FulfilmentStatus.CANCELLED, ""),
    }


# --- a store cancels its part ----------------------------------------------------------


def test_a_store_cancelling_its_paid_part_refunds_exactly_its_share_and_restocks_its_lines(
    user, stores
):
    a, b = product_of(stores[0], "33.33"), product_of(stores[1], "66.67")
    coupon = CouponFactory(value=Decimal("10.00"))
    order = place(user, {a: 2, b: 1}, coupon)  # 66.66 + 66.67 = 133.33, 13.33 off
    payment = pay(order)
    part = part_of(order, stores[0])
    assert part.total == Decimal("66.66") - part.discount_share

    fulfilment_cancel(fulfilment=part, by=stores[0].owner, reason="Damaged in the warehouse")

    part.refresh_from_db()
    payment.refresh_from_db()
    refund = Refund.objects.get(payment=payment)
    assert refund.amount == part.total == part.refunded
    assert (payment.status, payment.amount_refunded) == (
        PaymentStatus.PARTIALLY_REFUNDED,
        part.total,
    )
    assert (part.status, part.cancel_reason) == (
        FulfilmentStatus.CANCELLED,
        "Damaged in the warehouse",
    )
    assert (stock_of(a), stock_of(b)) == (10, 9)  # only the cancelled part's lines came back
    # Its sale is reversed to the cent: nothing is left on its ledger.
    assert ledger_total(part) == Decimal("0.00")
    assert ledger_total(part_of(order, stores[1])) == Decimal("60.00")
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID  # the other part is still to ship
    assert Coupon.objects.get(pk=coupon.pk).times_used == 1


def test_the_last_part_cancelled_cancels_the_order_and_gives_the_coupon_back(user, stores):
    a, b = product_of(stores[0], "10.00"), product_of(stores[1], "20.00")
    coupon = CouponFactory(value=Decimal("10.00"))
    order = place(user, {a: 1, b: 1}, coupon)
    payment = pay(order)

    fulfilment_cancel(fulfilment=part_of(order, stores[0]), by=stores[0].owner, reason="No")
    fulfilment_cancel(fulfilment=part_of(order, stores[1]), by=stores[1].owner, reason="No")

    order.refresh_from_db()
    payment.refresh_from_db()
    assert order.status == OrderStatus.CANCELLED
    assert (payment.status, payment.amount_refunded) == (PaymentStatus.REFUNDED, order.total)
    assert Coupon.objects.get(pk=coupon.pk).times_used == 0
    assert (stock_of(a), stock_of(b)) == (10, 10)


def test_a_store_must_say_why_it_cancels(user, stores):
    order = place(user, {product_of(stores[0], "10.00"): 1})
    part = part_of(order, stores[0])

    with pytest.raises(BusinessValidationError) as refused:
        fulfilment_cancel(fulfilment=part, by=stores[0].owner, reason="  ")

    assert "reason" in refused.value.extra["errors"]
    part.refresh_from_db()
    assert part.status == FulfilmentStatus.PENDING


def test_the_buyer_cancelling_after_a_store_did_is_refunded_only_the_rest(user, stores):
    a, b = product_of(stores[0], "10.00"), product_of(stores[1], "20.00")
    order = place(user, {a: 1, b: 1})
    payment = pay(order)
    fulfilment_cancel(fulfilment=part_of(order, stores[0]), by=stores[0].owner, reason="No")

    order_cancel(order=order, by=user)

    payment.refresh_from_db()
    assert sorted(r.amount for r in payment.refunds.all()) == [Decimal("10.00"), Decimal("20.00")]
    assert (payment.amount_refunded, payment.status) == (Decimal("30.00"), PaymentStatus.REFUNDED)
    assert (stock_of(a), stock_of(b)) == (10, 10)
    assert all(ledger_total(f) == 0 for f in order.fulfilments.all())


def test_a_part_cancelled_before_payment_is_refunded_when_the_payment_arrives(user, stores):
    a, b = product_of(stores[0], "10.00"), product_of(stores[1], "20.00")
    order = place(user, {a: 1, b: 1})
    cancelled = part_of(order, stores[0])
    fulfilment_cancel(fulfilment=cancelled, by=stores[0].owner, reason="Discontinued")

    payment = pay(order)

    payment.refresh_from_db()
    assert order.status == OrderStatus.PAID
    assert (payment.amount, payment.amount_refunded) == (Decimal("30.00"), Decimal("10.00"))
    # Only the live part earns; the cancelled one never had a sale.
    assert not LedgerEntry.objects.filter(fulfilment=cancelled).exists()
    assert ledger_total(part_of(order, stores[1])) == Decimal("18.00")
    assert stock_of(a) == 10


def test_a_staff_refund_is_shared_across_the_parts_and_their_ledgers(user, stores, staff):
    a, b = product_of(stores[0], "10.00"), product_of(stores[1], "30.00")
    order = place(user, {a: 1, b: 1})
    payment = pay(order)

    payment_refund(payment=payment, amount=Decimal("10.00"), by=staff, reason="Late delivery")

    first, second = part_of(order, stores[0]), part_of(order, stores[1])
    assert (first.refunded, second.refunded) == (Decimal("2.50"), Decimal("7.50"))
    # A quarter of each sale is taken back, and a quarter of its commission given back.
    assert ledger_total(first) == Decimal("9.00") - Decimal("2.25")
    assert ledger_total(second) == Decimal("27.00") - Decimal("6.75")


def test_a_refund_of_one_part_is_capped_at_what_is_left_of_it(user, stores, staff):
    order = place(user, {product_of(stores[0], "10.00"): 1, product_of(stores[1], "30.00"): 1})
    payment = pay(order)
    part = part_of(order, stores[0])

    with pytest.raises(BusinessValidationError):
        payment_refund(payment=payment, amount=Decimal("10.01"), by=staff, fulfilment=part)

    assert not Refund.objects.exists()
    payment_refund(payment=payment, amount=Decimal("10.00"), by=staff, fulfilment=part)
    part.refresh_from_db()
    assert part.refunded == Decimal("10.00")


def test_the_buyer_cannot_cancel_once_a_part_has_shipped(user, stores):
    order = place(user, {product_of(stores[0], "10.00"): 1, product_of(stores[1], "5.00"): 1})
    pay(order)
    fulfilment_ship(
        fulfilment=part_of(order, stores[0]), by=stores[0].owner, tracking_number="1Z", carrier="X"
    )

    with pytest.raises(InvalidTransition):
        order_cancel(order=order, by=user)

    assert Cart.objects.filter(user=user).exists()
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID
