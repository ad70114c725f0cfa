from decimal import Decimal

import factory
from django.utils import timezone

from orders.models import OrderStatus
from orders.tests import factories as orders_factories
from payments.models import Payment, PaymentStatus


class OrderFactory(orders_factories.OrderFactory):
    """An order as checkout leaves it, for 49.99 (payments need no items)."""

    subtotal = Decimal("49.99")


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
