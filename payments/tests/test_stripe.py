"""The Stripe provider against a mocked SDK (no network): what it sends and what it keeps."""

from decimal import Decimal

import pytest
import stripe

from core.exceptions import BusinessValidationError
from core.money import to_minor_units
from orders.models import OrderStatus
from payments.models import Payment, PaymentStatus, Refund
from payments.tests.factories import OrderFactory, SucceededPaymentFactory

URL = "/api/v1/payments/"

pytestmark = pytest.mark.django_db


class FakeStripe:
    """Records what reaches the SDK's service methods; can be told to fail."""

    def __init__(self):
        self.intents = []
        self.refunds = []
        self.api_keys = []
        self.error = None

    def create_intent(self, service, params, options=None):
        self.api_keys.append(service._requestor.api_key)
        if self.error:
            raise self.error
        self.intents.append((params, options))
        number = len(self.intents)
        return stripe.PaymentIntent.construct_from(
            {"id": f"pi_{number}", "object": "payment_intent", "client_secret": f"pi_{number}_s"},
            "sk",
        )

    def create_refund(self, service, params=None, options=None):
        if self.error:
            raise self.error
        self.refunds.append((params, options))
        return stripe.Refund.construct_from({"id": f"re_{len(self.refunds)}"}, "sk")


@pytest.fixture
def fake_stripe(monkeypatch, stripe_settings):
    sdk = FakeStripe()
    monkeypatch.setattr(
        stripe.PaymentIntentService,
        "create",
        lambda self, params, options=None: sdk.create_intent(self, params, options),
    )
    monkeypatch.setattr(
        stripe.RefundService,
        "create",
        lambda self, params=None, options=None: sdk.create_refund(self, params, options),
    )
    return sdk


def _pay(client, order):
    return client.post(URL, {"order_id": str(order.pk), "provider": "stripe"}, format="json")


@pytest.mark.parametrize(
    ("amount", "currency", "minor"),
    [
        (Decimal("49.99"), "USD", 4999),
        (Decimal("0.50"), "eur", 50),
        (Decimal("1500"), "JPY", 1500),
        (Decimal("1.25"), "KWD", 1250),
    ],
)
def test_amounts_are_sent_in_the_currencys_minor_units(amount, currency, minor):
    assert to_minor_units(amount, currency) == minor


def test_a_fractional_amount_in_a_zero_decimal_currency_is_refused():
    with pytest.raises(BusinessValidationError):
        to_minor_units(Decimal("10.50"), "JPY")


def test_stripe_payment_creates_an_intent_from_the_order(user_client, order, fake_stripe):
    response = _pay(user_client, order)

    assert response.status_code == 201, response.data
    payment = Payment.objects.get(order=order)
    [(params, options)] = fake_stripe.intents
    assert params == {
        "amount": 4999,
        "currency": "usd",
        "metadata": {"order_id": str(order.pk), "payment_id": str(payment.pk)},
        "automatic_payment_methods": {"enabled": True},
    }
    assert options == {"idempotency_key": f"payment-{payment.pk}-intent"}
    assert fake_stripe.api_keys == ["sk_test_dummy"]
    assert response.data["status"] == "pending"
    assert response.data["client_secret"] == "pi_1_s"
    assert payment.provider_reference == "pi_1"
    order.refresh_from_db()
    assert order.status == OrderStatus.PENDING  # until the webhook says so


def test_stripe_payment_of_a_yen_order_sends_whole_yen(user_client, user, fake_stripe):
    order = OrderFactory(user=user, currency="JPY", subtotal=Decimal("1500.00"))

    _pay(user_client, order)

    [(params, _)] = fake_stripe.intents
    assert (params["amount"], params["currency"]) == (1500, "jpy")


def test_stripe_retry_returns_the_same_intent_without_creating_another(
    user_client, order, fake_stripe
):
    first = _pay(user_client, order)

    retry = _pay(user_client, order)

    assert retry.status_code == 200
    assert retry.data["id"] == first.data["id"]
    assert retry.data["client_secret"] == first.data["client_secret"]
    assert len(fake_stripe.intents) == 1


def test_stripe_error_is_502_and_the_retry_reuses_the_idempotency_key(
    user_client, order, fake_stripe
):
    fake_stripe.error = stripe.APIConnectionError("connection reset")

    failed = _pay(user_client, order)
    fake_stripe.error = None
    retry = _pay(user_client, order)

    assert failed.status_code == 502
    assert failed.data["code"] == "payment_provider_error"
    assert retry.status_code == 200
    payment = Payment.objects.get(order=order)
    assert fake_stripe.intents[0][1] == {"idempotency_key": f"payment-{payment.pk}-intent"}


def test_stripe_without_a_secret_key_is_refused_clearly(user_client, order, fake_stripe, settings):
    settings.STRIPE_SECRET_KEY = ""

    response = _pay(user_client, order)

    assert response.status_code == 409
    assert response.data["code"] == "payment_provider_not_configured"
    assert "STRIPE_SECRET_KEY" in response.data["detail"]
    assert fake_stripe.api_keys == []


def test_stripe_refund_sends_the_intent_and_minor_units(staff_client, fake_stripe):
    payment = SucceededPaymentFactory(provider="stripe", provider_reference="pi_9")

    response = staff_client.post(f"{URL}{payment.pk}/refund/", {"amount": "12.34"}, format="json")

    assert response.status_code == 200, response.data
    [(params, options)] = fake_stripe.refunds
    assert params == {"payment_intent": "pi_9", "amount": 1234}
    assert options["idempotency_key"].startswith(f"payment-{payment.pk}-refund-")
    assert Refund.objects.get(payment=payment).provider_reference == "re_1"


def test_stripe_refund_error_is_502_and_records_nothing(staff_client, fake_stripe):
    payment = SucceededPaymentFactory(provider="stripe", provider_reference="pi_9")
    fake_stripe.error = stripe.InvalidRequestError("charge already refunded", param="amount")

    response = staff_client.post(f"{URL}{payment.pk}/refund/", format="json")

    assert response.status_code == 502
    assert response.data["code"] == "payment_provider_error"
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.SUCCEEDED
    assert not Refund.objects.exists()
