"""Hand-built history for the metrics tests: orders, payments and carts at chosen times."""

from datetime import UTC, datetime
from decimal import Decimal

from cart.models import Cart
from cart.tests.factories import CartFactory
from orders.models import Order, OrderStatus
from orders.tests.factories import OrderFactory, OrderItemFactory
from payments.models import Payment, PaymentStatus
from payments.tests.factories import PaymentFactory

# Inside the window the tests ask for (March 2026) unless said otherwise.
IN_WINDOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
BEFORE_WINDOW = datetime(2026, 2, 27, 12, 0, tzinfo=UTC)
AFTER_WINDOW = datetime(2026, 4, 1, 0, 0, tzinfo=UTC)
MARCH = {"from": "2026-03-01", "to": "2026-03-31"}

# What an order's payment looks like once the order reached a status.
PAYMENT_OF = {
    OrderStatus.PENDING: None,
    OrderStatus.PAID: PaymentStatus.SUCCEEDED,
    OrderStatus.SHIPPED: PaymentStatus.SUCCEEDED,
    OrderStatus.DELIVERED: PaymentStatus.SUCCEEDED,
    OrderStatus.CANCELLED: None,
}


def place(
    *,
    lines,
    status=OrderStatus.DELIVERED,
    at=IN_WINDOW,
    currency="USD",
    discount="0.00",
    payment=...,
    refunded="0.00",
    user=None,
) -> Order:
    """An order of `lines` [(product, quantity, unit price)] placed at `at`, with the
    payment its status implies (or `payment`: a PaymentStatus, or None for none)."""
    subtotal = sum((Decimal(price) * quantity for _, quantity, price in lines), Decimal("0"))
    extra = {"user": user} if user is not None else {}
    order = OrderFactory(
        status=status,
        currency=currency,
        subtotal=subtotal,
        discount_total=Decimal(discount),
        total=subtotal - Decimal(discount),
        **extra,
    )
    for product, quantity, price in lines:
        OrderItemFactory(
            order=order,
            product=product,
            unit_price=Decimal(price),
            quantity=quantity,
            line_total=Decimal(price) * quantity,
        )
    Order.objects.filter(pk=order.pk).update(created_at=at)
    payment_status = PAYMENT_OF[status] if payment is ... else payment
    if payment_status is not None:
        pay(order, status=payment_status, refunded=refunded, at=at)
    order.refresh_from_db()
    return order


def pay(order: Order, *, status, refunded="0.00", at=IN_WINDOW) -> Payment:
    payment = PaymentFactory(
        order=order,
        status=status,
        amount=order.total,
        currency=order.currency,
        amount_refunded=Decimal(refunded),
    )
    Payment.objects.filter(pk=payment.pk).update(created_at=at)
    return payment


def carts(count: int, *, at=IN_WINDOW) -> None:
    made = [CartFactory(guest=True) for _ in range(count)]
    Cart.objects.filter(pk__in=[cart.pk for cart in made]).update(created_at=at)


def metrics(client, **params):
    response = client.get("/api/v1/dashboard/metrics/", params)
    assert response.status_code == 200, response.content
    return response.json()
