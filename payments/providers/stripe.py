"""Stripe PaymentIntents through the official SDK. A payment stays pending until Stripe's
signed webhook says it succeeded or failed."""

import json
import logging
import time
from decimal import Decimal

import stripe
from django.conf import settings

from core.exceptions import BusinessValidationError
from payments.exceptions import (
    PaymentProviderError,
    ProviderNotConfigured,
    WebhookNotConfigured,
    WebhookVerificationError,
)
from payments.models import PaymentStatus
from payments.providers.base import PaymentProvider, ProviderResult, WebhookEvent

logger = logging.getLogger(__name__)

# https://docs.stripe.com/currencies#zero-decimal: amounts are whole units, not cents.
ZERO_DECIMAL_CURRENCIES = frozenset(
    [
        "BIF",
        "CLP",
        "DJF",
        "GNF",
        "JPY",
        "KMF",
        "KRW",
        "MGA",
        "PYG",
        "RWF",
        "UGX",
        "VND",
        "VUV",
        "XAF",
        "XOF",
        "XPF",
    ]
)
# https://docs.stripe.com/currencies#three-decimal: thousandths, last digit 0.
THREE_DECIMAL_CURRENCIES = frozenset(["BHD", "JOD", "KWD", "OMR", "TND"])


def to_minor_units(amount: Decimal, currency: str) -> int:
    """`amount` in the smallest unit Stripe expects for `currency`. Raises
    BusinessValidationError when it cannot be expressed exactly (e.g. 10.50 JPY)."""
    code = currency.upper()
    if code in ZERO_DECIMAL_CURRENCIES:
        factor = 1
    elif code in THREE_DECIMAL_CURRENCIES:
        factor = 1000
    else:
        factor = 100
    minor = amount * factor
    if minor != minor.to_integral_value():
        raise BusinessValidationError(
            f"{amount} {code} cannot be charged: {code} has no fractional units."
        )
    return int(minor)


def _secret_key() -> str:
    key = settings.STRIPE_SECRET_KEY
    if not key:
        raise ProviderNotConfigured("Stripe is not configured (STRIPE_SECRET_KEY is empty).")
    return key


def _provider_error(exc: stripe.StripeError) -> PaymentProviderError:
    logger.warning("Stripe error: %s", exc, exc_info=True)
    message = getattr(exc, "user_message", None) or "Stripe could not process the request."
    return PaymentProviderError(message, extra={"provider_code": exc.code or ""})


class StripeProvider(PaymentProvider):
    name = "stripe"

    def _client(self) -> stripe.StripeClient:
        return stripe.StripeClient(_secret_key())

    def create_payment(self, *, payment, token: str | None) -> ProviderResult:
        if payment.provider_reference and payment.client_secret:
            # The intent exists; a failed attempt is retried on it by the frontend with
            # another payment method, so never create a second one.
            return ProviderResult(
                status=PaymentStatus.PENDING,
                reference=payment.provider_reference,
                client_secret=payment.client_secret,
            )
        params = {
            "amount": to_minor_units(payment.amount, payment.currency),
            "currency": payment.currency.lower(),
            "metadata": {"order_id": str(payment.order_id), "payment_id": str(payment.pk)},
            "automatic_payment_methods": {"enabled": True},
        }
        # One intent per payment: a retry after a lost answer gets the same intent back.
        options = {"idempotency_key": f"payment-{payment.pk}-intent"}
        try:
            intent = self._client().v1.payment_intents.create(params=params, options=options)
        except stripe.StripeError as exc:
            raise _provider_error(exc) from exc
        return ProviderResult(
            status=PaymentStatus.PENDING,
            reference=intent.id,
            client_secret=intent.client_secret or "",
        )

    def refund(self, *, payment, amount: Decimal) -> str:
        if not payment.provider_reference:
            raise PaymentProviderError("This payment has no Stripe PaymentIntent to refund.")
        params = {
            "payment_intent": payment.provider_reference,
            "amount": to_minor_units(amount, payment.currency),
        }
        # Same refund (payment, amount, sequence) never sent twice by a retry.
        sequence = payment.refunds.count() + 1
        options = {"idempotency_key": f"payment-{payment.pk}-refund-{sequence}-{amount}"}
        try:
            refund = self._client().v1.refunds.create(params=params, options=options)
        except stripe.StripeError as exc:
            raise _provider_error(exc) from exc
        return refund.id

    def parse_webhook(self, *, payload: bytes, headers) -> WebhookEvent:
        secret = settings.STRIPE_WEBHOOK_SECRET
        if not secret:
            raise WebhookNotConfigured(
                "Stripe webhooks are not configured (STRIPE_WEBHOOK_SECRET is empty)."
            )
        header = headers.get("Stripe-Signature")
        tolerance = settings.STRIPE_WEBHOOK_TOLERANCE
        # The signature is checked on the raw bytes before anything parses them: an
        # unsigned body (however large or deeply nested) costs one HMAC, nothing more.
        try:
            stripe.WebhookSignature.verify_header(payload, header, secret, tolerance=tolerance)
        except stripe.SignatureVerificationError as exc:
            raise WebhookVerificationError(str(exc).split("\n")[0]) from exc
        except ValueError as exc:  # the body is not UTF-8, so Stripe did not sign it
            raise WebhookVerificationError("The payload is not valid UTF-8.") from exc
        # The SDK refuses timestamps older than the tolerance only; one from the future
        # would stay replayable until long after it was captured.
        if tolerance and _signed_timestamp(header) > time.time() + tolerance:
            raise WebhookVerificationError("Timestamp outside the tolerance zone (in the future).")
        try:
            raw = json.loads(payload)
        except (ValueError, RecursionError) as exc:
            raise WebhookVerificationError("The payload is not valid JSON.") from exc
        if not isinstance(raw, dict) or not raw.get("id") or not raw.get("type"):
            raise WebhookVerificationError("The payload is not a Stripe event.")
        data = raw.get("data") if isinstance(raw.get("data"), dict) else {}
        obj = data.get("object") if isinstance(data.get("object"), dict) else {}
        return WebhookEvent(id=str(raw["id"]), type=str(raw["type"]), data=obj, payload=raw)


def _signed_timestamp(header: str) -> int:
    """The `t=` of a Stripe-Signature header that verify_header has accepted (so it has
    one, and it is an integer)."""
    for item in header.split(","):
        key, _, value = item.partition("=")
        if key == "t":
            return int(value)
    raise WebhookVerificationError("Unable to extract timestamp and signatures from header")
