"""Stripe Connect transfers through the official SDK: a payout moves the amount from the
platform's balance to the store's connected account (`acct_...`), which Stripe then pays
out to the store's bank on the account's own schedule."""

import logging

import stripe
from django.conf import settings

from core.exceptions import BusinessValidationError
from core.money import to_minor_units
from core.stripe_webhooks import stripe_event_verify
from earnings.exceptions import PayoutWebhookNotConfigured
from earnings.providers.base import (
    PayoutFailed,
    PayoutProvider,
    PayoutProviderEvent,
    PayoutProviderUnavailable,
)

logger = logging.getLogger(__name__)

# Errors about the destination itself: sending again cannot help, the money goes back.
_FINAL_CODES = frozenset(
    {"account_invalid", "account_closed", "insufficient_capabilities_for_transfer"}
)


class StripePayoutProvider(PayoutProvider):
    name = "stripe"

    def _client(self) -> stripe.StripeClient:
        key = settings.STRIPE_SECRET_KEY
        if not key:
            raise PayoutProviderUnavailable("Stripe is not configured (STRIPE_SECRET_KEY).")
        return stripe.StripeClient(key)

    def transfer(self, *, payout, idempotency_key: str) -> str:
        if not payout.destination.startswith("acct_"):
            raise PayoutFailed("no_connected_account")
        try:
            amount = to_minor_units(payout.amount, payout.currency)
        except BusinessValidationError as exc:
            raise PayoutFailed("amount_not_expressible") from exc
        params = {
            "amount": amount,
            "currency": payout.currency.lower(),
            "destination": payout.destination,
            "metadata": {"payout_id": str(payout.pk), "store_id": str(payout.store_id)},
            "transfer_group": f"payout-{payout.pk}",
        }
        try:
            transfer = self._client().v1.transfers.create(
                params=params, options={"idempotency_key": idempotency_key}
            )
        except stripe.InvalidRequestError as exc:
            if exc.code in _FINAL_CODES:
                raise PayoutFailed(exc.code) from exc
            logger.warning("Stripe refused payout %s: %s", payout.pk, exc)
            raise PayoutProviderUnavailable(str(exc)) from exc
        except stripe.StripeError as exc:
            logger.warning("Stripe error on payout %s: %s", payout.pk, exc)
            raise PayoutProviderUnavailable(str(exc)) from exc
        return transfer.id

    def parse_webhook(self, *, payload: bytes, headers) -> PayoutProviderEvent:
        secret = settings.STRIPE_CONNECT_WEBHOOK_SECRET
        if not secret:
            raise PayoutWebhookNotConfigured(
                "Stripe payout webhooks are not configured (STRIPE_CONNECT_WEBHOOK_SECRET)."
            )
        raw = stripe_event_verify(
            payload=payload,
            signature=headers.get("Stripe-Signature"),
            secret=secret,
            tolerance=settings.STRIPE_WEBHOOK_TOLERANCE,
        )
        data = raw.get("data") if isinstance(raw.get("data"), dict) else {}
        obj = data.get("object") if isinstance(data.get("object"), dict) else {}
        return PayoutProviderEvent(id=str(raw["id"]), type=str(raw["type"]), data=obj, payload=raw)
