"""Domain errors of earnings, rendered by core's exception handler."""

from rest_framework import status

from core.exceptions import DomainError, ErrorCode


class PayoutWebhookNotConfigured(DomainError):
    """Payout webhooks arrive but their secret is not set: the sender should retry later."""

    code = ErrorCode.PAYOUT_PROVIDER_NOT_CONFIGURED
    status = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = "Webhooks of this payout provider are not configured."
