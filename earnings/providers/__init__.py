"""Payout providers by name; settings.PAYOUT_PROVIDER names the one payouts are sent with."""

from django.conf import settings

from earnings.providers.base import (
    PayoutFailed,
    PayoutProvider,
    PayoutProviderEvent,
    PayoutProviderUnavailable,
)
from earnings.providers.fake import FakePayoutProvider
from earnings.providers.stripe import StripePayoutProvider

PAYOUT_PROVIDER_CLASSES: dict[str, type[PayoutProvider]] = {
    FakePayoutProvider.name: FakePayoutProvider,
    StripePayoutProvider.name: StripePayoutProvider,
}


def payout_provider(name: str | None = None) -> PayoutProvider:
    """The provider called `name` (default: settings.PAYOUT_PROVIDER)."""
    return PAYOUT_PROVIDER_CLASSES[name or settings.PAYOUT_PROVIDER]()


__all__ = [
    "PAYOUT_PROVIDER_CLASSES",
    "PayoutFailed",
    "PayoutProvider",
    "PayoutProviderEvent",
    "PayoutProviderUnavailable",
    "payout_provider",
]
