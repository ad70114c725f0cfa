"""Payment providers by name; only those listed in settings.PAYMENT_PROVIDERS are usable."""

from django.conf import settings

from core.exceptions import BusinessValidationError
from payments.providers.base import PaymentProvider, ProviderResult, WebhookEvent
from payments.providers.fake import FakeProvider
from payments.providers.stripe import StripeProvider

PROVIDER_CLASSES: dict[str, type[PaymentProvider]] = {
    FakeProvider.name: FakeProvider,
    StripeProvider.name: StripeProvider,
}


def enabled_provider_names() -> list[str]:
    return [name for name in settings.PAYMENT_PROVIDERS if name in PROVIDER_CLASSES]


def default_provider_name() -> str:
    names = enabled_provider_names()
    return names[0] if names else ""


def get_provider(name: str) -> PaymentProvider:
    """The provider called `name`. Raises BusinessValidationError (on `provider`) for an
    unknown or disabled one."""
    if name not in enabled_provider_names():
        allowed = ", ".join(enabled_provider_names()) or "none"
        raise BusinessValidationError(
            {"provider": [f"Unknown or disabled payment provider; available: {allowed}."]}
        )
    return PROVIDER_CLASSES[name]()


__all__ = [
    "PaymentProvider",
    "ProviderResult",
    "WebhookEvent",
    "default_provider_name",
    "enabled_provider_names",
    "get_provider",
]
