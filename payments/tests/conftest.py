import hashlib
import hmac
import json
import time

import pytest

from payments.tests.factories import OrderFactory

WEBHOOK_SECRET = "whsec_test_secret"


@pytest.fixture
def order(user):
    """A pending order of `user`, total 49.99 USD."""
    return OrderFactory(user=user)


@pytest.fixture
def stripe_settings(settings):
    settings.PAYMENT_PROVIDERS = ["fake", "stripe"]
    settings.STRIPE_SECRET_KEY = "sk_test_dummy"
    settings.STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET
    settings.STRIPE_WEBHOOK_TOLERANCE = 300
    return settings


def sign(payload: bytes, *, secret: str = WEBHOOK_SECRET, timestamp: int | None = None) -> str:
    """The Stripe-Signature header Stripe would send: HMAC-SHA256 of "<t>.<payload>"."""
    timestamp = int(time.time()) if timestamp is None else timestamp
    signed = f"{timestamp}.".encode() + payload
    digest = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def stripe_event(
    event_type: str, intent: dict, *, event_id: str = "evt_1", livemode: bool = False
) -> bytes:
    return json.dumps(
        {
            "id": event_id,
            "object": "event",
            "type": event_type,
            "livemode": livemode,
            "created": int(time.time()),
            "data": {"object": intent},
        }
    ).encode()
