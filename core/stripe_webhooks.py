"""Verifying Stripe's signed webhooks, for every app that receives them (payments, payouts).

The signature is checked on the raw bytes before anything parses them, and a timestamp
too far in the future is refused like one too far in the past: an unsigned or replayed
body never reaches a JSON parser or a handler.
"""

import json
import time

import stripe
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter

from core.exceptions import WebhookVerificationError

# The header every Stripe webhook view documents.
STRIPE_SIGNATURE_PARAMETER = OpenApiParameter(
    name="Stripe-Signature",
    type=OpenApiTypes.STR,
    location=OpenApiParameter.HEADER,
    required=True,
    description="`t=<unix timestamp>,v1=<HMAC-SHA256 hex of '<t>.<raw body>'>`.",
)


def _timestamp(signature: str) -> int | None:
    for part in signature.split(","):
        key, _, value = part.strip().partition("=")
        if key == "t" and value.isdigit():
            return int(value)
    return None


def stripe_event_verify(
    *, payload: bytes, signature: str | None, secret: str, tolerance: int
) -> dict:
    """The decoded event of a correctly signed, fresh webhook. Raises
    WebhookVerificationError (no or bad signature, timestamp outside the tolerance either
    way, not a Stripe event)."""
    if not signature:
        raise WebhookVerificationError("The Stripe-Signature header is missing.")
    timestamp = _timestamp(signature)
    if timestamp is None:
        raise WebhookVerificationError("The Stripe-Signature header has no timestamp.")
    if timestamp > time.time() + tolerance:
        raise WebhookVerificationError(
            "The signature's timestamp is outside the tolerance zone (in the future)."
        )
    try:
        text = payload.decode("utf-8")
        stripe.WebhookSignature.verify_header(text, signature, secret, tolerance)
    except UnicodeDecodeError as exc:
        raise WebhookVerificationError("The payload is not UTF-8 text.") from exc
    except stripe.SignatureVerificationError as exc:
        raise WebhookVerificationError(str(exc).split("\n")[0]) from exc
    try:
        event = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise WebhookVerificationError("The payload is not valid JSON.") from exc
    if not isinstance(event, dict) or not event.get("id") or not event.get("type"):
        raise WebhookVerificationError("The payload is not a Stripe event.")
    return event
