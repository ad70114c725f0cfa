"""Order rules at the service level: checkout arithmetic, the status machine, cancel."""

import itertools
from decimal import Decimal

import pytest
from django.utils import timezone

from accounts.tests.factories import UserFactory
from cart.models import Cart
from cart.tests.factories import CartFactory, CartItemFactory
from catalog.models import Product
from catalog.tests.factories import ProductFactory
from checkout.services import order_cancel, order_place, order_place_from_request_cart
from core.exceptions import BusinessValidationError, InsufficientStock, InvalidTransition
from orders.models import Order, OrderStatus
from orders.serializers import OrderSerializer
from orders.services import TRANSITIONS, order_deliver, order_mark_paid, order_ship
from orders.tests.factories import ADDRESS, OrderFactory, cart_lines, fill_cart, stock_of
from payments.models import Payment, PaymentStatus, Refund

pytestmark = pytest.mark.django_db


def place(user, lines: dict) -> Order:
    fill_cart(user, lines)
    return order_place(user=user, shipping_address=ADDRESS)


# --- checkout -------------------------------------------------------------------------


def test_checkout_prices_lines_at_the_discounted_price_rounded_half_up(user):
    # 19.99 less 15 % = 16.9915 -> 16.99
    product = ProductFactory(price=Decimal("19.99"), discount_percent=Decimal("15"))
    other = ProductFactory(price=Decimal("0.10"))

    order = place(user, {product: 3, other: 7})

    lines = {item.product_id: item for item in order.items.all()}
    assert lines[product.pk].unit_price == Decimal("16.99")
    assert lines[product.pk].line_total == Decimal("50.97")
    assert lines[other.pk].line_total == Decimal("0.70")
    assert order.subtotal == order.total == Decimal("51.67")
    assert order.discount_total == Decimal("0")


def test_checkout_ignores_an_expired_discount(user):
    product = ProductFactory(
        price=Decimal("10.00"),
        discount_percent=Decimal("50"),
        discount_ends_at=timezone.now(),
    )

    order = place(user, {product: 1})

    assert order.total == Decimal("10.00")


def test_checkout_deducts_exactly_what_it_sold(user):
    a = ProductFactory(stock_quantity=5)
    b = ProductFactory(stock_quantity=2)

    place(user, {a: 5, b: 1})

    assert (stock_of(a), stock_of(b)) == (0, 1)


def test_checking_out_the_same_cart_twice_buys_once(user):
    product = ProductFactory(stock_quantity=5)
    place(user, {product: 2})

    with pytest.raises(BusinessValidationError):
        order_place(user=user, shipping_address=ADDRESS)

    assert stock_of(product) == 3
    assert Order.objects.count() == 1


def test_insufficient_stock_raises_with_every_failing_line_and_writes_nothing(user):
    a = ProductFactory(stock_quantity=1)
    b = ProductFactory(stock_quantity=1)
    c = ProductFactory(stock_quantity=9)
    fill_cart(user, {a: 2, b: 3, c: 1})

    with pytest.raises(InsufficientStock) as raised:
        order_place(user=user, shipping_address=ADDRESS)

    failing = {line["product_id"]: line["requested"] for line in raised.value.extra["lines"]}
    assert failing == {str(a.pk): 2, str(b.pk): 3}
    assert (stock_of(a), stock_of(b), stock_of(c)) == (1, 1, 9)
    assert cart_lines(user) == {a.pk: 2, b.pk: 3, c.pk: 1}
    assert not Order.objects.exists()


def test_item_snapshots_survive_a_product_rename_reprice_and_delete(user):
    renamed = ProductFactory(name="Old name", price=Decimal("5.00"))
    deleted = ProductFactory(name="Doomed", price=Decimal("7.00"))
    order = place(user, {renamed: 1, deleted: 2})

    renamed.name, renamed.slug, renamed.price = "New name", "new-name", Decimal("99.00")
    renamed.save()
    deleted.delete()

    items = {item.product_name: item for item in Order.objects.get(pk=order.pk).items.all()}
    assert set(items) == {"Old name", "Doomed"}
    assert items["Old name"].unit_price == Decimal("5.00")
    assert items["Old name"].product_slug != "new-name"
    assert items["Doomed"].product is None
    assert items["Doomed"].line_total == Decimal("14.00")
    assert Order.objects.get(pk=order.pk).total == Decimal("19.00")


# --- the status machine ---------------------------------------------------------------

# What each service moves an order to.
SERVICES = {
    OrderStatus.PAID: lambda order, by: order_mark_paid(order=order),
    OrderStatus.SHIPPED: lambda order, by: order_ship(
        order=order, by=by, tracking_number="1Z", carrier="UPS"
    ),
    OrderStatus.DELIVERED: lambda order, by: order_deliver(order=order, by=by),
    OrderStatus.CANCELLED: lambda order, by: order_cancel(order=order, by=by),
}
ALLOWED = {
    (OrderStatus.PENDING, OrderStatus.PAID),
    (OrderStatus.PENDING, OrderStatus.CANCELLED),
    (OrderStatus.PAID, OrderStatus.SHIPPED),
    (OrderStatus.PAID, OrderStatus.CANCELLED),
    (OrderStatus.SHIPPED, OrderStatus.DELIVERED),
}
STAMPS = {
    OrderStatus.PAID: "paid_at",
    OrderStatus.SHIPPED: "shipped_at",
    OrderStatus.DELIVERED: "delivered_at",
    OrderStatus.CANCELLED: "cancelled_at",
}


def test_the_transition_table_is_the_spec():
    table = {(a, b) for a, targets in TRANSITIONS.items() for b in targets}
    assert table == ALLOWED


@pytest.mark.parametrize(
    ("current", "target"), sorted(itertools.product(OrderStatus.values, SERVICES))
)
def test_every_status_change_is_allowed_or_409(staff, current, target):
    order = OrderFactory(status=current)
    move = SERVICES[target]

    if (current, target) in ALLOWED:
        result = move(order, staff)
        order.refresh_from_db()
        assert result.status == order.status == target
        assert getattr(order, STAMPS[target]) is not None
    else:
        with pytest.raises(InvalidTransition) as raised:
            move(order, staff)
        assert raised.value.code == "invalid_transition"
        order.refresh_from_db()
        assert order.status == current
        assert getattr(order, STAMPS[target]) is None


def test_mark_paid_reads_the_current_status_not_the_callers_copy(staff):
    order = OrderFactory()
    stale = Order.objects.get(pk=order.pk)
    order_cancel(order=order, by=staff)

    with pytest.raises(InvalidTransition):
        order_mark_paid(order=stale)

    assert Order.objects.get(pk=order.pk).status == OrderStatus.CANCELLED


def test_ship_stores_tracking_and_refuses_blank_values(staff):
    order = OrderFactory(status=OrderStatus.PAID)

    with pytest.raises(BusinessValidationError) as raised:
        order_ship(order=order, by=staff, tracking_number=" ", carrier="")
    shipped = order_ship(order=order, by=staff, tracking_number=" 1Z ", carrier="UPS")

    assert set(raised.value.extra["errors"]) == {"tracking_number", "carrier"}
    assert (shipped.tracking_number, shipped.carrier) == ("1Z", "UPS")


# --- cancel ---------------------------------------------------------------------------


def test_cancel_restores_exactly_the_stock_the_order_took(user):
    a = ProductFactory(stock_quantity=10)
    b = ProductFactory(stock_quantity=4)
    order = place(user, {a: 3, b: 4})
    # Stock moves for other reasons meanwhile: the cancel adds back, it does not reset.
    Product.objects.filter(pk=a.pk).update(stock_quantity=1)

    order_cancel(order=order, by=user, reason="Changed my mind")

    assert (stock_of(a), stock_of(b)) == (4, 4)
    order.refresh_from_db()
    assert (order.status, order.cancel_reason) == (OrderStatus.CANCELLED, "Changed my mind")


def test_cancel_skips_lines_whose_product_was_deleted(user):
    kept = ProductFactory(stock_quantity=5)
    gone = ProductFactory(stock_quantity=5)
    order = place(user, {kept: 2, gone: 1})
    gone.delete()

    order_cancel(order=order, by=user)

    assert stock_of(kept) == 5
    assert order.items.count() == 2


def test_cancelling_twice_restores_stock_once(user):
    product = ProductFactory(stock_quantity=5)
    order = place(user, {product: 2})
    order_cancel(order=order, by=user)

    with pytest.raises(InvalidTransition):
        order_cancel(order=order, by=user)

    assert stock_of(product) == 5


def _payment(order, **fields) -> Payment:
    values = {
        "order": order,
        "user": order.user,
        "provider": "fake",
        "status": PaymentStatus.SUCCEEDED,
        "amount": order.total,
        "currency": order.currency,
    }
    return Payment.objects.create(**{**values, **fields})


def test_cancelling_a_paid_order_refunds_the_whole_payment(staff):
    order = OrderFactory(status=OrderStatus.PAID, subtotal=Decimal("40.00"))
    payment = _payment(order)

    order_cancel(order=order, by=staff, reason="Out of stock at the warehouse")

    payment.refresh_from_db()
    assert payment.status == PaymentStatus.REFUNDED
    assert payment.amount_refunded == Decimal("40.00")
    refund = Refund.objects.get(payment=payment)
    assert refund.amount == Decimal("40.00")
    assert refund.created_by == staff
    assert refund.reason == "Out of stock at the warehouse"


def test_cancelling_a_partly_refunded_paid_order_refunds_the_rest(staff):
    order = OrderFactory(status=OrderStatus.PAID, subtotal=Decimal("40.00"))
    payment = _payment(
        order, status=PaymentStatus.PARTIALLY_REFUNDED, amount_refunded=Decimal("15.00")
    )

    order_cancel(order=order, by=staff)

    payment.refresh_from_db()
    assert payment.amount_refunded == Decimal("40.00")
    assert Refund.objects.get(payment=payment).amount == Decimal("25.00")


def test_cancelling_a_pending_order_refunds_nothing(user):
    order = OrderFactory(user=user)
    payment = _payment(order, status=PaymentStatus.PENDING)

    order_cancel(order=order, by=user)

    assert not Refund.objects.filter(payment=payment).exists()


def test_a_failed_refund_leaves_the_paid_order_as_it_was(staff, monkeypatch):
    from payments.providers.fake import FakeProvider

    product = ProductFactory(stock_quantity=5)
    order = place(UserFactory(), {product: 2})
    order_mark_paid(order=order)
    _payment(order)

    def refuse(self, **kwargs):
        raise RuntimeError("provider down")

    monkeypatch.setattr(FakeProvider, "refund", refuse)

    with pytest.raises(RuntimeError):
        order_cancel(order=order, by=staff)

    order.refresh_from_db()
    assert order.status == OrderStatus.PAID
    assert stock_of(product) == 3


# --- checkout of the cart a request works on --------------------------------------------


def test_checkout_of_the_request_cart_merges_the_guest_cart_sent_along_first(user):
    mine, guests = ProductFactory(), ProductFactory()
    fill_cart(user, {mine: 1})
    guest_cart = CartFactory(guest=True)
    CartItemFactory(cart=guest_cart, product=guests, quantity=2)

    order = order_place_from_request_cart(
        user=user, token=guest_cart.token, shipping_address=ADDRESS
    )

    assert {item.product_id: item.quantity for item in order.items.all()} == {
        mine.pk: 1,
        guests.pk: 2,
    }
    assert not Cart.objects.filter(pk=guest_cart.pk).exists()


def test_the_order_placed_from_the_request_cart_serializes_without_a_query(
    user, rf, django_assert_num_queries
):
    # What lets the view build its answer after the commit: nothing left to read.
    fill_cart(user, {ProductFactory(): 1, ProductFactory(): 2})
    request = rf.post("/api/v1/orders/")
    request.user = user

    order = order_place_from_request_cart(user=user, token=None, shipping_address=ADDRESS)
    with django_assert_num_queries(0):
        data = OrderSerializer(order, context={"request": request}).data

    assert len(data["items"]) == 2
    assert len(data["fulfilments"]) == 2  # one per store
