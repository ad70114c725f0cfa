"""Stores and the buyer cancelling one order at once, on real PostgreSQL connections: the
payment is refunded at most once per part and never beyond what was paid, stock comes back
exactly once per line, and every store's ledger nets to zero for what was cancelled."""

from decimal import Decimal

import pytest
from django.db import connection

from accounts.tests.factories import UserFactory, approved_store_for
from catalog.tests.factories import ProductFactory
from checkout.services import fulfilment_cancel, order_cancel, order_place
from core.exceptions import DomainError
from core.tests.concurrency import run_concurrently
from earnings.models import LedgerEntry
from orders.models import Fulfilment, FulfilmentStatus, OrderStatus
from orders.tests.factories import ADDRESS, fill_cart, stock_of
from payments.models import Payment, PaymentStatus, Refund
from payments.services import payment_create

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="needs PostgreSQL: real row locks and concurrent connections",
    ),
]

STOCK = 10


@pytest.mark.parametrize("round_", range(3))
def test_stores_and_the_buyer_cancelling_at_once_refund_and_restock_exactly_once(round_):
    buyer = UserFactory()
    owners = [UserFactory(is_seller=True) for _ in range(3)]
    products = [
        ProductFactory(
            store=approved_store_for(owner),
            created_by=owner,
            price=Decimal(price),
            stock_quantity=STOCK,
        )
        for owner, price in zip(owners, ["10.01", "20.02", "30.03"], strict=True)
    ]
    fill_cart(buyer, {products[0]: 1, products[1]: 2, products[2]: 3})
    order = order_place(user=buyer, shipping_address=ADDRESS)
    payment_create(user=buyer, order_id=order.pk)
    parts = {f.store.owner_id: f for f in Fulfilment.objects.select_related("store")}

    def seller_cancel(owner):
        return lambda: fulfilment_cancel(
            fulfilment=parts[owner.pk], by=owner, reason="Cannot serve"
        )

    outcomes = run_concurrently(
        seller_cancel(owners[0]),
        seller_cancel(owners[1]),
        seller_cancel(owners[0]),  # the same store twice (a double click)
        lambda: order_cancel(order=order, by=buyer),
        seller_cancel(owners[2]),
        lambda: order_cancel(order=order, by=buyer),
    )

    unexpected = [
        o for o in outcomes if isinstance(o, Exception) and not isinstance(o, DomainError)
    ]
    assert not unexpected, unexpected
    order.refresh_from_db()
    payment = Payment.objects.get(order=order)
    assert order.status == OrderStatus.CANCELLED
    assert set(Fulfilment.objects.values_list("status", flat=True)) == {FulfilmentStatus.CANCELLED}
    # Everything paid came back, once: no refund beyond the payment, one per part at most.
    refunds = list(Refund.objects.filter(payment=payment).values_list("amount", flat=True))
    assert sum(refunds) == payment.amount == order.total
    assert (payment.status, payment.amount_refunded) == (PaymentStatus.REFUNDED, order.total)
    for part in Fulfilment.objects.all():
        assert part.refunded == part.total
        assert sum(
            LedgerEntry.objects.filter(fulfilment=part).values_list("amount", flat=True),
            Decimal(0),
        ) == Decimal("0.00")
    assert [stock_of(p) for p in products] == [STOCK] * 3
