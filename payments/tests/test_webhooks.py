"""Stripe webhooks with payloads signed locally the way Stripe signs them."""

import time
from decimal import Decimal

import pytest

from orders.models import OrderStatus
from payments.exceptions import PaymentProviderError
from payments.models import PaymentStatus, Refund, WebhookEvent
from payments.tests.conftest import sign, stripe_event
from payments.tests.factories import PaymentFactory

URL = "/api/v1/payments/webhooks/stripe/"

pytestmark = pytest.mark.django_db


@pytest.fixture
def stripe_payment(order, stripe_settings):
    """A pending Stripe payment of a pending 49.99 USD order."""
    return PaymentFactory(order=order, provider="stripe", provider_reference="pi_123")


def _intent(payment, **fields):
    return {
        "id": payment.provider_reference,
        "object": "payment_intent",
        "amount": 4999,
        "amount_received": 4999,
        "currency": "usd",
        "metadata": {"order_id": str(payment.order_id), "payment_id": str(payment.pk)},
        **fields,
    }


def _post(client, payload: bytes, signature: str | None = None):
    headers = {} if signature is None else {"HTTP_STRIPE_SIGNATURE": signature}
    return client.post(URL, payload, content_type="application/json", **headers)


def _deliver(client, payload: bytes):
    return _post(client, payload, sign(payload))


def test_signed_succeeded_event_marks_payment_succeeded_and_order_paid(api_client, stripe_payment):
    response = _deliver(
        api_client, stripe_event("payment_intent.succeeded", _intent(stripe_payment))
    )

    assert response.status_code == 200, response.data
    assert response.data == {"received": True, "duplicate": False}
    stripe_payment.refresh_from_db()
    assert stripe_payment.status == PaymentStatus.SUCCEEDED
    assert stripe_payment.succeeded_at is not None
    stripe_payment.order.refresh_from_db()
    assert stripe_payment.order.status == OrderStatus.PAID
    assert WebhookEvent.objects.filter(provider="stripe", event_id="evt_1").exists()


def test_event_is_matched_by_metadata_when_the_reference_is_unknown(api_client, stripe_payment):
    stripe_payment.provider_reference = ""
    stripe_payment.save()

    _deliver(
        api_client,
        stripe_event("payment_intent.succeeded", _intent(stripe_payment, id="pi_lost")),
    )

    stripe_payment.refresh_from_db()
    assert stripe_payment.status == PaymentStatus.SUCCEEDED
    assert stripe_payment.provider_reference == "pi_lost"


def test_webhook_with_a_bad_signature_is_400_and_changes_nothing(api_client, stripe_payment):
    payload = stripe_event("payment_intent.succeeded", _intent(stripe_payment))

    response = _post(api_client, payload, sign(payload, secret="whsec_wrong"))

    assert response.status_code == 400
    assert response.data["code"] == "validation_error"
    stripe_payment.refresh_from_db()
    assert stripe_payment.status == PaymentStatus.PENDING
    assert not WebhookEvent.objects.exists()


def test_webhook_with_a_tampered_body_is_400(api_client, stripe_payment):
    payload = stripe_event("payment_intent.succeeded", _intent(stripe_payment))
    signature = sign(payload)
    tampered = payload.replace(b"4999", b"1")

    response = _post(api_client, tampered, signature)

    assert response.status_code == 400
    assert not WebhookEvent.objects.exists()


def test_webhook_without_a_signature_is_400(api_client, stripe_payment):
    payload = stripe_event("payment_intent.succeeded", _intent(stripe_payment))

    response = _post(api_client, payload)

    assert response.status_code == 400
    stripe_payment.refresh_from_db()
    assert stripe_payment.status == PaymentStatus.PENDING


@pytest.mark.parametrize("header", ["garbage", "t=abc,v1=00", "t=123", "v1=00"])
def test_webhook_with_a_malformed_signature_header_is_400(api_client, stripe_payment, header):
    payload = stripe_event("payment_intent.succeeded", _intent(stripe_payment))

    assert _post(api_client, payload, header).status_code == 400


def test_webhook_with_a_stale_timestamp_is_400(api_client, stripe_payment):
    payload = stripe_event("payment_intent.succeeded", _intent(stripe_payment))
    stale = int(time.time()) - 301

    response = _post(api_client, payload, sign(payload, timestamp=stale))

    assert response.status_code == 400
    assert "tolerance" in response.data["detail"]
    stripe_payment.refresh_from_db()
    assert stripe_payment.status == PaymentStatus.PENDING


@pytest.mark.parametrize("payload", [b"{not json", b"[1, 2]", b"{}", b"\xff\xfe\x00"])
def test_webhook_with_a_signed_but_malformed_body_is_400(api_client, stripe_settings, payload):
    response = _post(api_client, payload, sign(payload))

    assert response.status_code == 400
    assert response.data["code"] == "validation_error"
    assert not WebhookEvent.objects.exists()


def test_webhook_without_a_configured_secret_is_503(api_client, stripe_payment, settings):
    payload = stripe_event("payment_intent.succeeded", _intent(stripe_payment))
    signature = sign(payload)
    settings.STRIPE_WEBHOOK_SECRET = ""

    response = _post(api_client, payload, signature)

    assert response.status_code == 503
    assert "STRIPE_WEBHOOK_SECRET" in response.data["detail"]


def test_replayed_event_is_applied_only_once(api_client, stripe_payment):
    payload = stripe_event(
        "payment_intent.payment_failed",
        _intent(stripe_payment, last_payment_error={"code": "card_declined"}),
    )
    _deliver(api_client, payload)
    # The customer retried: the payment is pending again when the old event is replayed.
    stripe_payment.refresh_from_db()
    stripe_payment.status = PaymentStatus.PENDING
    stripe_payment.save()

    replay = _deliver(api_client, payload)

    assert replay.status_code == 200
    assert replay.data == {"received": True, "duplicate": True}
    stripe_payment.refresh_from_db()
    assert stripe_payment.status == PaymentStatus.PENDING
    assert WebhookEvent.objects.count() == 1


def test_payment_failed_event_marks_the_payment_failed_with_the_reason(api_client, stripe_payment):
    error = {"code": "card_declined", "decline_code": "insufficient_funds", "message": "No."}

    _deliver(
        api_client,
        stripe_event(
            "payment_intent.payment_failed", _intent(stripe_payment, last_payment_error=error)
        ),
    )

    stripe_payment.refresh_from_db()
    assert stripe_payment.status == PaymentStatus.FAILED
    assert stripe_payment.failure_reason == "insufficient_funds"
    stripe_payment.order.refresh_from_db()
    assert stripe_payment.order.status == OrderStatus.PENDING


def test_a_late_failure_never_undoes_a_success(api_client, stripe_payment):
    _deliver(
        api_client,
        stripe_event("payment_intent.succeeded", _intent(stripe_payment), event_id="evt_ok"),
    )

    _deliver(
        api_client,
        stripe_event("payment_intent.payment_failed", _intent(stripe_payment), event_id="evt_ko"),
    )

    stripe_payment.refresh_from_db()
    assert stripe_payment.status == PaymentStatus.SUCCEEDED


def test_other_event_types_are_acknowledged_and_ignored(api_client, stripe_payment):
    response = _deliver(
        api_client, stripe_event("charge.refunded", {"id": "ch_1", "object": "charge"})
    )

    assert response.status_code == 200
    assert WebhookEvent.objects.get().event_type == "charge.refunded"
    stripe_payment.refresh_from_db()
    assert stripe_payment.status == PaymentStatus.PENDING


def test_event_for_an_unknown_payment_is_acknowledged(api_client, stripe_settings):
    intent = {"id": "pi_unknown", "amount": 100, "currency": "usd", "metadata": {"payment_id": "x"}}

    response = _deliver(api_client, stripe_event("payment_intent.succeeded", intent))

    assert response.status_code == 200
    assert WebhookEvent.objects.count() == 1


def test_success_for_a_cancelled_order_is_refunded_and_the_order_stays_cancelled(
    api_client, stripe_payment, monkeypatch
):
    refunded = []
    monkeypatch.setattr(
        "payments.providers.stripe.StripeProvider.refund",
        lambda self, *, payment, amount: refunded.append(amount) or "re_auto",
    )
    order = stripe_payment.order
    order.status = OrderStatus.CANCELLED
    order.save()

    response = _deliver(
        api_client, stripe_event("payment_intent.succeeded", _intent(stripe_payment))
    )

    assert response.status_code == 200
    stripe_payment.refresh_from_db()
    assert stripe_payment.status == PaymentStatus.REFUNDED
    assert stripe_payment.succeeded_at is not None
    assert stripe_payment.needs_review is False
    assert refunded == [Decimal("49.99")]
    assert Refund.objects.get(payment=stripe_payment).provider_reference == "re_auto"
    order.refresh_from_db()
    assert order.status == OrderStatus.CANCELLED


def test_success_for_a_cancelled_order_is_flagged_when_the_refund_fails(
    api_client, stripe_payment, monkeypatch
):
    def refuse(self, *, payment, amount):
        raise PaymentProviderError("Stripe is down")

    monkeypatch.setattr("payments.providers.stripe.StripeProvider.refund", refuse)
    order = stripe_payment.order
    order.status = OrderStatus.CANCELLED
    order.save()

    response = _deliver(
        api_client, stripe_event("payment_intent.succeeded", _intent(stripe_payment))
    )

    assert response.status_code == 200
    stripe_payment.refresh_from_db()
    assert stripe_payment.status == PaymentStatus.SUCCEEDED
    assert stripe_payment.needs_review is True
    assert not Refund.objects.exists()
    order.refresh_from_db()
    assert order.status == OrderStatus.CANCELLED
    assert WebhookEvent.objects.count() == 1


@pytest.mark.parametrize("fields", [{"amount": 100, "amount_received": 100}, {"currency": "eur"}])
def test_success_with_another_amount_or_currency_is_flagged_and_not_paid(
    api_client, stripe_payment, fields
):
    _deliver(
        api_client, stripe_event("payment_intent.succeeded", _intent(stripe_payment, **fields))
    )

    stripe_payment.refresh_from_db()
    assert stripe_payment.needs_review is True
    assert stripe_payment.status == PaymentStatus.PENDING
    assert stripe_payment.failure_reason.startswith("amount_mismatch")
    stripe_payment.order.refresh_from_db()
    assert stripe_payment.order.status == OrderStatus.PENDING


def test_webhook_ignores_credentials_and_needs_none(api_client, stripe_payment):
    api_client.credentials(HTTP_AUTHORIZATION="Bearer not-a-token")

    response = _deliver(
        api_client, stripe_event("payment_intent.succeeded", _intent(stripe_payment))
    )

    assert response.status_code == 200


def test_webhook_with_a_timestamp_too_far_in_the_future_is_400(api_client, stripe_payment):
    payload = stripe_event("payment_intent.succeeded", _intent(stripe_payment))
    ahead = int(time.time()) + 400  # well past the 300 s tolerance, even on a slow run

    response = _post(api_client, payload, sign(payload, timestamp=ahead))

    assert response.status_code == 400
    assert "tolerance" in response.data["detail"]
    stripe_payment.refresh_from_db()
    assert stripe_payment.status == PaymentStatus.PENDING
    assert not WebhookEvent.objects.exists()


def test_webhook_with_a_timestamp_slightly_ahead_is_accepted(api_client, stripe_payment):
    # Clocks drift: a few seconds ahead, inside the tolerance, is fine.
    payload = stripe_event("payment_intent.succeeded", _intent(stripe_payment))

    response = _post(api_client, payload, sign(payload, timestamp=int(time.time()) + 30))

    assert response.status_code == 200, response.data


DEEP = b"[" * 100_000


def test_an_unsigned_deeply_nested_body_is_refused_on_its_signature(api_client, stripe_settings):
    response = _post(api_client, DEEP, "t=1,v1=00")

    assert response.status_code == 400
    assert response.data["code"] == "validation_error"
    assert "signature" in response.data["detail"]


def test_a_signed_deeply_nested_body_is_a_400(api_client, stripe_settings):
    response = _post(api_client, DEEP, sign(DEEP))

    assert response.status_code == 400
    assert response.data["errors"] == {"non_field_errors": ["The payload is not valid JSON."]}
    assert not WebhookEvent.objects.exists()


def test_the_signature_is_checked_before_the_body_is_parsed(api_client, stripe_settings):
    # Malformed JSON with a wrong signature: the answer names the signature, so the body
    # was never handed to a parser.
    response = _post(api_client, b"{not json", sign(b"{not json", secret="whsec_wrong"))

    assert response.status_code == 400
    assert "signature" in response.data["detail"]


def test_webhook_calls_are_throttled_per_address(api_client, stripe_settings, monkeypatch):
    from rest_framework.throttling import ScopedRateThrottle

    monkeypatch.setattr(ScopedRateThrottle, "THROTTLE_RATES", {"stripe_webhook": "2/min"})
    payload = b"{}"

    answers = [_post(api_client, payload, "t=1,v1=00").status_code for _ in range(3)]
    other_address = api_client.post(
        URL, payload, content_type="application/json", REMOTE_ADDR="10.9.8.7"
    )

    assert answers == [400, 400, 429]
    assert other_address.status_code == 400
