from decimal import Decimal

import pytest

from checkout.services import order_cancel
from core.exceptions import BusinessValidationError, Conflict, InvalidTransition
from orders.models import OrderStatus
from payments import services
from payments.exceptions import PaymentProviderError
from payments.models import Payment, PaymentStatus, Refund
from payments.providers.fake import FakeProvider
from payments.tests.factories import OrderFactory, PaymentFactory, SucceededPaymentFactory

pytestmark = pytest.mark.django_db


def test_refund_without_amount_refunds_all_that_is_left(staff):
    payment = SucceededPaymentFactory(amount_refunded=Decimal("9.99"))

    refund = services.payment_refund(payment=payment, by=staff, reason="Returned")

    assert refund.amount == Decimal("40.00")
    assert refund.created_by == staff
    payment.refresh_from_db()
    assert payment.amount_refunded == Decimal("49.99")
    assert payment.status == PaymentStatus.REFUNDED


def test_partial_refund_marks_the_payment_partially_refunded():
    payment = SucceededPaymentFactory()

    services.payment_refund(payment=payment, amount=Decimal("0.01"))

    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PARTIALLY_REFUNDED
    assert payment.refundable_amount == Decimal("49.98")


@pytest.mark.parametrize("amount", [Decimal("0"), Decimal("-1"), Decimal("1.005"), "NaN"])
def test_refund_refuses_an_invalid_amount(amount):
    payment = SucceededPaymentFactory()

    with pytest.raises(BusinessValidationError) as raised:
        services.payment_refund(payment=payment, amount=amount)

    assert "amount" in raised.value.extra["errors"]
    assert not Refund.objects.exists()


def test_refund_refuses_more_than_is_refundable():
    payment = SucceededPaymentFactory(amount_refunded=Decimal("49.00"))

    with pytest.raises(BusinessValidationError):
        services.payment_refund(payment=payment, amount=Decimal("1.00"))

    payment.refresh_from_db()
    assert payment.amount_refunded == Decimal("49.00")


@pytest.mark.parametrize(
    "status", [PaymentStatus.PENDING, PaymentStatus.FAILED, PaymentStatus.REFUNDED]
)
def test_refund_refuses_a_payment_that_is_not_refundable(status):
    payment = PaymentFactory(status=status)

    with pytest.raises(Conflict):
        services.payment_refund(payment=payment)


def test_refund_that_the_provider_refuses_records_nothing(monkeypatch):
    payment = SucceededPaymentFactory()

    def refuse(self, *, payment, amount):
        raise PaymentProviderError("card network down")

    monkeypatch.setattr(FakeProvider, "refund", refuse)

    with pytest.raises(PaymentProviderError):
        services.payment_refund(payment=payment)

    payment.refresh_from_db()
    assert payment.status == PaymentStatus.SUCCEEDED
    assert payment.amount_refunded == Decimal("0")
    assert not Refund.objects.exists()


def test_refund_reads_the_current_row_not_a_stale_instance():
    payment = SucceededPaymentFactory()
    stale = Payment.objects.get(pk=payment.pk)
    services.payment_refund(payment=payment, amount=Decimal("40.00"))

    with pytest.raises(BusinessValidationError):
        services.payment_refund(payment=stale, amount=Decimal("40.00"))


def test_attempt_refuses_an_order_cancelled_after_the_payment_started(user):
    order = OrderFactory(user=user)
    payment, created = services.payment_start(user=user, order_id=order.pk, provider="fake")
    order.status = OrderStatus.CANCELLED
    order.save()

    with pytest.raises(InvalidTransition):
        services.payment_attempt(payment=payment, token="tok_success")

    assert created is True
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PENDING


def test_cancelling_a_paid_order_refunds_its_payment(user):
    order = OrderFactory(user=user)
    services.payment_create(user=user, order_id=order.pk, token="tok_success")
    order.refresh_from_db()

    order_cancel(order=order, by=user, reason="Changed my mind")

    payment = Payment.objects.get(order=order)
    assert payment.status == PaymentStatus.REFUNDED
    assert payment.amount_refunded == order.total
    order.refresh_from_db()
    assert order.status == OrderStatus.CANCELLED
