"""Stripe PaymentIntents through the official SDK. A payment stays pending until Stripe's
signed webhook says it succeeded or failed."""

import logging
from decimal import Decimal

import stripe
from django.conf import settings

from core.money import to_minor_units
from core.stripe_webhooks import stripe_event_verify
from payments.exceptions import (
    PaymentProviderError,
    ProviderNotConfigured,
    WebhookNotConfigured,
)
from payments.models import PaymentStatus
from payments.providers.base import PaymentProvider, ProviderResult, WebhookEvent

logger = logging.getLogger(__name__)


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
        raw = stripe_event_verify(
            payload=payload,
            signature=headers.get("Stripe-Signature"),
            secret=secret,
            tolerance=settings.STRIPE_WEBHOOK_TOLERANCE,
        )
        data = raw.get("data") if isinstance(raw.get("data"), dict) else {}
        obj = data.get("object") if isinstance(data.get("object"), dict) else {}
        return WebhookEvent(id=str(raw["id"]), type=str(raw["type"]), data=obj, payload=raw)
