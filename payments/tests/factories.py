from decimal import Decimal

import factory
from django.utils import timezone

from accounts.tests.factories import UserFactory
from orders.models import Order, OrderStatus
from payments.models import Payment, PaymentStatus


class OrderFactory(factory.django.DjangoModelFactory):
    """An order as checkout leaves it (no items needed by payments)."""

    class Meta:
        model = Order

    user = factory.SubFactory(UserFactory)
    email = factory.LazyAttribute(lambda order: order.user.email)
    status = OrderStatus.PENDING
    currency = "USD"
    subtotal = Decimal("49.99")
    discount_total = Decimal("0.00")
    total = factory.LazyAttribute(lambda order: order.subtotal - order.discount_total)
    shipping_address = factory.LazyFunction(
        lambda: {
            "full_name": "Ada Lovelace",
            "line1": "1 Main St",
            "city": "London",
            "postal_code": "N1 1AA",
            "country": "GB",
        }
    )


class PaymentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Payment

    order = factory.SubFactory(OrderFactory)
    user = factory.LazyAttribute(lambda payment: payment.order.user)
    provider = "fake"
    status = PaymentStatus.PENDING
    amount = factory.LazyAttribute(lambda payment: payment.order.total)
    currency = factory.LazyAttribute(lambda payment: payment.order.currency)


class SucceededPaymentFactory(PaymentFactory):
    """A captured payment of a paid order."""

    order = factory.SubFactory(OrderFactory, status=OrderStatus.PAID)
    status = PaymentStatus.SUCCEEDED
    provider_reference = factory.Sequence(lambda n: f"fake_ch_{n}")
    succeeded_at = factory.LazyFunction(timezone.now)
