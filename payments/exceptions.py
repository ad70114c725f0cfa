"""Domain errors of payments, rendered by core's exception handler."""

from rest_framework import status

from core.exceptions import DomainError, ErrorCode, WebhookVerificationError


class PaymentProviderError(DomainError):
    """The payment provider refused or failed the call (network, API or auth error)."""

    code = ErrorCode.PAYMENT_PROVIDER_ERROR
    status = status.HTTP_502_BAD_GATEWAY
    default_detail = "The payment provider could not process the request; try again later."


class ProviderNotConfigured(DomainError):
    """A provider is enabled but its credentials are missing: nothing can be sent to it."""

    code = ErrorCode.PAYMENT_PROVIDER_NOT_CONFIGURED
    status = status.HTTP_409_CONFLICT
    default_detail = "This payment provider is not configured."


class WebhookNotConfigured(ProviderNotConfigured):
    """Webhooks arrive but their secret is not set: the sender should retry later (503)."""

    status = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = "Webhooks of this provider are not configured."


class ProviderTimeout(Exception):
    """The provider did not answer in time: the outcome is unknown, the payment stays
    pending and may be retried on the same row."""

    def __init__(self, reason: str = "provider_timeout"):
        self.reason = reason
        super().__init__(reason)


__all__ = [
    "PaymentProviderError",
    "ProviderNotConfigured",
    "ProviderTimeout",
    "WebhookNotConfigured",
    "WebhookVerificationError",
]
