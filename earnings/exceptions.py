"""Domain errors of earnings, rendered by core's exception handler."""

from rest_framework import status

from core.exceptions import DomainError


class PayoutWebhookNotConfigured(DomainError):
    """Payout webhooks arrive but their secret is not set: the sender should retry later."""

    code = "payout_provider_not_configured"
    status = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = "Webhooks of this payout provider are not configured."
